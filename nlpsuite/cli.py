"""The ``nlpsuite`` command line: train, evaluate, predict, export, tune-decoding, info.

Exit status 0 on success, 2 with a one-line ``error: ...`` on stderr for bad input or usage; nothing else on
stderr (TensorFlow's native start-up log lines are filtered out, see ``quiet_native_logs``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import re
import sys
import threading
import time
import types
import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks.base import RENAMED_OPTIONS, TASK_CLASSES

__all__ = [
    "NATIVE_LOG_LINE",
    "apply_overrides",
    "as_flags",
    "build_parser",
    "flag_text",
    "main",
    "parse_key_values",
    "parse_literal",
    "quiet_native_logs",
]

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

    Example:
    >>> with quiet_native_logs():
    ...     print("stdout is untouched")
    stdout is untouched
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
    # The reader's own copy of the real stderr, made here: the block may end (closing ``real``) before the
    # thread starts running, and a dup made in the thread would then fail with EBADF.
    forward_to = os.dup(real)

    def forward() -> None:
        with os.fdopen(read, "rb") as pipe, os.fdopen(forward_to, "wb", buffering=0) as out:
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
    """The ``nlpsuite`` argument parser: ``train``, ``evaluate``, ``predict``, ``export``, ``tune-decoding`` and
    ``info``.

    Example:
    >>> args = build_parser().parse_args(["train", "ner", "--epochs", "2", "--set", "units=64"])
    >>> args.command, args.epochs
    ('train', 2)
    """
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

    export = commands.add_parser("export", help="export a saved model for LiteRT or ONNX Runtime")
    export.add_argument("--model", required=True, help="a saved model folder")
    export.add_argument("--format", required=True, help="litert|onnx")
    export.add_argument("--quantize", default="none", help="none|dynamic (int8 weights)|int8")
    export.add_argument("--out", required=True, help="the export folder (replaced atomically)")

    tune = commands.add_parser(
        "tune-decoding",
        help="choose a translation model's beam size and length penalty on dev BLEU and save them in its config",
    )
    tune.add_argument("--model", required=True, help="a saved translation model folder")
    tune.add_argument("--data", required=True, help="the dataset it was trained on")
    # Defaults live in one place (decoding_choice.DEFAULT_*): importing it here would load Keras for --help.
    tune.add_argument("--beams", help="beam sizes to try, comma-separated (default 4)")
    tune.add_argument("--alphas", help="length penalties (GNMT alpha), comma-separated (default 0.6,0.8,1.0,1.2)")
    tune.add_argument("--sentences", type=int, default=1000,
                      help="dev sentences scored, sampled across the split (0 = all; default 1000)")
    tune.add_argument("--split", default="dev", help="dev (default), or all: every pair of --data outside "
                                                     "the model's test split")
    tune.add_argument("--dry-run", action="store_true", help="print the grid and the choice, save nothing")

    commands.add_parser("info", help="versions, Keras backend, devices, datasets")
    return parser


def _train(args: argparse.Namespace) -> int:
    from nlpsuite import distribute
    from nlpsuite.tasks.base import get_task_class

    task_class = get_task_class(args.task)
    overrides = parse_key_values(args.set)
    for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size),
                       ("strategy", args.strategy), ("mixed_precision", args.mixed_precision),
                       ("jit_compile", args.jit_compile)):
        if value is not None:
            overrides[key] = str(value)
    config = apply_overrides(task_class.config_class(), overrides)
    if args.logical_cpus:
        distribute.split_cpu(args.logical_cpus)
    out = Path(args.out or Path("saved_models") / args.task)
    data = args.data or task_class.default_data
    if not data:
        raise NlpsuiteError(f"--data is required for {args.task}")
    with as_flags({f.name for f in dataclasses.fields(config)}):
        config.validate()  # before choosing devices: a typo should not wait for a strategy
        distribute.set_mixed_precision(config.mixed_precision)
        strategy = distribute.get_strategy(config.strategy)
        task = task_class.train(data, config, strategy=strategy, out=out, resume=args.resume)
    if distribute.is_chief():
        task.save(out)
        print(f"saved {args.task} model to {out}")
    return 0


def _load(directory: str) -> Any:
    """A saved model, or an export folder run in its runtime (``nlpsuite.export.load_any``)."""
    from nlpsuite.export import load_any

    return load_any(directory)


def _evaluate(args: argparse.Namespace) -> int:
    task = _load(args.model)
    with as_flags({"split"}):
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

    options = {k: parse_literal(v) for k, v in parse_key_values(args.set).items()}
    task = _load(args.model)
    inputs = args.inputs if args.inputs else [line.rstrip("\n") for line in sys.stdin]
    with as_flags(options):
        for result in task.predict(inputs, **options):
            print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def _export(args: argparse.Namespace) -> int:
    from nlpsuite.export import export_model

    manifest = export_model(args.model, args.format, args.out, quantize=args.quantize)
    size = sum(f["size_bytes"] for f in manifest["functions"].values())
    print(f"exported {manifest['task']} ({', '.join(manifest['functions'])}) to {args.out}: "
          f"{args.format}, quantize {args.quantize}, {size:,} bytes")
    return 0


def _tune_decoding(args: argparse.Namespace) -> int:
    from nlpsuite.tasks.base import load
    from nlpsuite.tasks.translation.decoding_choice import grid_table, read_translation_config, save_decoding_choice

    read_translation_config(args.model)  # another task's model is refused before it is loaded
    grid = {}  # only what the flags give: the method's defaults otherwise
    if args.beams is not None:
        grid["beam_sizes"] = _number_list(args.beams, int, "--beams")
    if args.alphas is not None:
        grid["length_penalties"] = _number_list(args.alphas, float, "--alphas")
    task = load(args.model)
    started = time.monotonic()

    def show(row: Mapping[str, Any], done: int, total: int) -> None:
        print(f"[{done}/{total}] beam {row['beam_size']}, length penalty {row['length_penalty']:g}: "
              f"dev BLEU {row['bleu']:.2f} ({time.monotonic() - started:.0f} s)", flush=True)

    with as_flags({"beam_sizes", "length_penalties", "max_sentences", "split"}):
        choice = task.choose_decoding(args.data, **grid, split=args.split, max_sentences=args.sentences,
                                      progress=show)
    previous = choice["previous"]
    print(f"\nBLEU on {choice['sentences']} {choice['split']} sentences ({choice['signature']}):")
    print(grid_table(choice))
    print(f"chosen: beam {choice['beam_size']}, length penalty {choice['length_penalty']:g} "
          f"(was beam {previous['beam_size']}, length penalty {previous['length_penalty']:g})")
    if args.dry_run:
        print("--dry-run: nothing saved")
        return 0
    save_decoding_choice(args.model, choice)
    print(f"saved in {Path(args.model) / 'config.json'}; run `nlpsuite evaluate --model {args.model} "
          f"--data {args.data} --save` to refresh metrics.json and the model card")
    return 0


def _number_list(text: str, kind: type, flag: str) -> list[Any]:
    """``"4,8"`` -> ``[4, 8]`` for a comma-separated flag, with a one-line error naming the flag."""
    try:
        return [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise NlpsuiteError(f"{flag} {text}: expected {kind.__name__} values separated by commas") from None


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


# ------------------------------------------------------------------------- options typed as flags
# Options that have a flag of their own; every other option is ``--set KEY=VALUE``.
OPTION_FLAGS = {
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "strategy": "--strategy",
    "split": "--split",
    "beam_sizes": "--beams",
    "length_penalties": "--alphas",
    "max_sentences": "--sentences",
}


@contextlib.contextmanager
def as_flags(options: Collection[str]) -> Iterator[None]:
    """Re-raises an ``OptionError`` about one of ``options`` in the flag syntax the user typed.

    The library names the argument (``cell must be 'gru' or 'lstm' (got 'rnn')``); on the command line the
    same error reads ``--set cell=rnn: cell must be 'gru' or 'lstm'``.

    Example:
    >>> from nlpsuite.errors import check_choice
    >>> with as_flags({"cell"}):
    ...     check_choice("cell", "rnn", ("gru", "lstm"))
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: --set cell=rnn: cell must be 'gru' or 'lstm'
    """
    try:
        yield
    except OptionError as exc:
        if exc.option not in options:
            raise
        raise NlpsuiteError(f"{flag_text(exc.option, exc.value)}: {exc.option} {exc.problem}") from None


def flag_text(option: str, value: Any) -> str:
    """How ``option=value`` is typed on the command line: ``--epochs 0``, ``--set cell=rnn``.

    Example:
    >>> flag_text("epochs", 0), flag_text("jit_compile", True), flag_text("forms", ["wujue", "qijue"])
    ('--epochs 0', '--set jit_compile=true', '--set forms=wujue,qijue')
    """
    if isinstance(value, bool) or value is None:
        text = str(value).lower() if value is not None else "none"
    elif isinstance(value, (list, tuple)):
        text = ",".join(map(str, value))
    else:
        text = str(value)
    if option in OPTION_FLAGS:
        return f"{OPTION_FLAGS[option]} {text}"
    return f"--set {option}={text}"


def parse_key_values(pairs: Sequence[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` with a clear error for a pair without ``=``.

    Example:
    >>> parse_key_values(["units=64", "cell=gru"])
    {'units': '64', 'cell': 'gru'}
    >>> parse_key_values(["units"])
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: --set 'units': expected KEY=VALUE
    """
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise NlpsuiteError(f"--set {pair!r}: expected KEY=VALUE")
        result[key.strip()] = value
    return result


def apply_overrides(config: Any, overrides: Mapping[str, str]) -> Any:
    """Returns a copy of ``config`` with ``--set KEY=VALUE`` strings applied, typed by the dataclass fields.

    Example:
    >>> from nlpsuite.tasks.base import TaskConfig
    >>> config = apply_overrides(TaskConfig(), {"epochs": "3", "jit_compile": "yes", "learning_rate": "0.01"})
    >>> config.epochs, config.jit_compile, config.learning_rate
    (3, True, 0.01)
    >>> apply_overrides(TaskConfig(), {"time_limit_minutes": "5"})
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: --set time_limit_minutes=5: unknown option ... (it is now called max_minutes); ...
    """
    hints = typing.get_type_hints(type(config))
    changes = {}
    for key, text in overrides.items():
        if key not in hints:
            renamed = f" (it is now called {RENAMED_OPTIONS[key]})" if key in RENAMED_OPTIONS else ""
            raise NlpsuiteError(
                f"--set {key}={text}: unknown option for {type(config).__name__}{renamed}; "
                f"known: {', '.join(sorted(hints))}"
            )
        changes[key] = _coerce(str(text), hints[key], key)
    return dataclasses.replace(config, **changes)


def _coerce(text: str, annotation: Any, key: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if text.lower() in ("none", "null", ""):
            return None
        annotation = options[0]
        origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        if text not in choices:
            raise NlpsuiteError(f"--set {key}={text}: choose one of {', '.join(map(str, choices))}")
        return text
    if origin in (list, tuple):
        (item,) = typing.get_args(annotation)[:1] or (str,)
        items = [_coerce(part.strip(), item, key) for part in text.split(",") if part.strip()]
        return items if origin is list else tuple(items)
    try:
        if annotation is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if annotation in (int, float, str):
            return annotation(text)
    except ValueError:
        raise NlpsuiteError(f"--set {key}={text}: expected {annotation.__name__}") from None
    return text


def parse_literal(text: str) -> Any:
    """A predict option from the command line: int, float, bool, null or a plain string (never evaluated).

    Example:
    >>> [parse_literal(t) for t in ("4", "0.5", "TRUE", "null", "wujue")]
    [4, 0.5, True, None, 'wujue']
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "export": _export,
    "tune-decoding": _tune_decoding,
    "info": _info,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; ``argv=None`` (the console script) also filters TensorFlow's native logs.

    Args:
        argv: the arguments (without the program name); None reads ``sys.argv``.

    Returns:
        The exit status: 0, or 2 after printing ``error: ...`` for bad input.

    Example:
    >>> main(["predict", "--model", "no/such/model", "Hello"])  # prints "error: no model in ..." on stderr
    2
    """
    with quiet_native_logs() if argv is None else contextlib.nullcontext():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        return COMMANDS[command](args)
    except NlpsuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        hint = "; run again with --resume to continue training" if command == "train" else ""
        print(f"error: interrupted{hint}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
