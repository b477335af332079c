"""The ``nlpsuite`` command line: train, evaluate, predict, info.

Exit status 0 on success, 2 with a one-line ``error: ...`` on stderr for bad input or usage; nothing else on
stderr (TensorFlow's native start-up log lines are filtered out, see ``quiet_native_logs``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.base import TASK_CLASSES

EXIT_USAGE = 2

# TensorFlow >= 2.19 logs through absl before absl::InitializeLog(), which ignores TF_CPP_MIN_LOG_LEVEL: lines such
# as "I0000 00:00:1795927401.244568   13782 port.cc:153] oneDNN custom operations are on" (glog format), the
# older "2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ..." and absl's one-off banner. Fatal
# ("F") lines are kept: they explain a crash.
NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\s:]+:\d+\] "
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] \S+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)"
)


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Drops TensorFlow's and absl's native log lines from this process's stderr while the block runs.

    The lines are written by C++ straight to file descriptor 2, so no Python setting reaches them: fd 2 is
    pointed at a pipe whose reader forwards every other line (``error: ...`` included) to the real stderr.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # still honoured by the parts of TF that log through it
    logging.getLogger("absl").setLevel(logging.ERROR)  # Python-side absl warnings (e.g. "WARNING:absl:...")
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (an embedding host): nothing to filter
        yield
        return
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)

    def forward() -> None:
        with os.fdopen(read, "rb") as pipe, os.fdopen(os.dup(real), "wb", buffering=0) as out:
            for line in pipe:
                if not NATIVE_LOG_LINE.match(line):
                    out.write(line)

    reader = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    reader.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)  # closes the pipe's last write end, so the reader sees EOF and drains
        os.close(real)
        reader.join(timeout=5)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + exits 2; we keep it to one line
        raise NlpsuiteError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nlpsuite", description="Keras 3 sequence-model applications.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a task and save it")
    train.add_argument("task", help=f"one of: {', '.join(TASK_CLASSES)}")
    train.add_argument("--data", help="dataset name (see `nlpsuite info`) or a file/folder path")
    train.add_argument("--out", help="output folder (default saved_models/TASK)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int, help="global batch size")
    train.add_argument("--strategy", default=None,
                       help="auto|cpu|gpu|mirrored|tpu|multiworker (default: the config's, auto)")
    train.add_argument("--mixed-precision", action="store_true", default=None)
    train.add_argument("--jit-compile", action="store_true", default=None)
    train.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    train.add_argument("--logical-cpus", type=int, default=0,
                       help="split the CPU into N logical devices (to try multi-device runs without GPUs)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="a config option (repeatable)")

    evaluate = commands.add_parser("evaluate", help="score a saved model on held-out data")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--json", action="store_true", help="print the metrics object as JSON")
    evaluate.add_argument("--save", action="store_true",
                          help="write metrics.json into the model folder and refresh its model card")

    predict = commands.add_parser("predict", help="run a saved model; prints JSON lines")
    predict.add_argument("--model", required=True)
    predict.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    predict.add_argument("inputs", nargs="*", help="inputs; none = one input per stdin line")

    commands.add_parser("info", help="versions, Keras backend, devices, datasets")
    return parser


def _train(args: argparse.Namespace) -> int:
    from nlpsuite import distribute
    from nlpsuite.tasks.base import apply_overrides, get_task_class, parse_key_values

    task_class = get_task_class(args.task)
    config = task_class.config_class()
    overrides = parse_key_values(args.set)
    for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size),
                       ("strategy", args.strategy), ("mixed_precision", args.mixed_precision),
                       ("jit_compile", args.jit_compile)):
        if value is not None:
            overrides[key] = str(value)
    config = apply_overrides(config, overrides)
    if args.logical_cpus:
        distribute.split_cpu(args.logical_cpus)
    distribute.set_mixed_precision(config.mixed_precision)
    strategy = distribute.get_strategy(config.strategy)
    out = Path(args.out or Path("saved_models") / args.task)
    data = args.data or getattr(task_class, "default_data", None)
    if not data:
        raise NlpsuiteError(f"--data is required for {args.task}")
    task = task_class.train(data, config, strategy=strategy, out=out, resume=args.resume)
    if distribute.is_chief():
        task.save(out)
        print(f"saved {args.task} model to {out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import nlpsuite

    task = nlpsuite.load(args.model)
    metrics = task.evaluate(args.data, split=args.split)
    if args.save:
        task.write_metrics(args.model, metrics)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
    else:
        for key, value in metrics.items():
            if isinstance(value, (int, float, str)):
                print(f"{key:>24}: {value:.4f}" if isinstance(value, float) else f"{key:>24}: {value}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    import nlpsuite
    from nlpsuite.tasks.base import parse_key_values, parse_literal

    options = {k: parse_literal(v) for k, v in parse_key_values(args.set).items()}
    task = nlpsuite.load(args.model)
    inputs = args.inputs if args.inputs else [line.rstrip("\n") for line in sys.stdin]
    for result in task.predict(inputs, **options):
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def _info(_: argparse.Namespace) -> int:
    from nlpsuite import distribute
    from nlpsuite.data.registry import DATASETS, data_dir
    from nlpsuite.training import hardware_description, software_description

    print(f"nlpsuite: {software_description()}")
    print(f"devices: {', '.join(distribute.devices())}")
    print(f"hardware: {hardware_description()}")
    print(f"data dir: {data_dir()} (set NLPSUITE_DATA_DIR to change)")
    root = data_dir()
    for name, dataset in DATASETS.items():
        here = "present" if (root / dataset.path).exists() else "missing"
        print(f"  {name:<16} {here:<8} {dataset.description}")
    print(f"tasks: {', '.join(TASK_CLASSES)}")
    return 0


COMMANDS = {"train": _train, "evaluate": _evaluate, "predict": _predict, "info": _info}


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; ``argv=None`` (the console script) also filters TensorFlow's native logs."""
    with quiet_native_logs() if argv is None else contextlib.nullcontext():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except NlpsuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted; run again with --resume to continue training", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
