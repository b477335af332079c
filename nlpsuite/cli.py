"""The ``nlpsuite`` command line: train, evaluate, predict, export, info.

Exit status 0 on success, 2 with a one-line ``error: ...`` on stderr for bad input or usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.base import TASK_CLASSES

EXIT_USAGE = 2


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

    export = commands.add_parser("export", help="export a saved model for LiteRT or ONNX Runtime")
    export.add_argument("--model", required=True, help="a saved model folder")
    export.add_argument("--format", required=True, help="litert|onnx")
    export.add_argument("--quantize", default="none", help="none|dynamic (int8 weights)|int8")
    export.add_argument("--out", required=True, help="the export folder (replaced atomically)")

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


def _load(directory: str) -> Any:
    """A saved model, or an export folder run in its runtime (``nlpsuite.export.load_any``)."""
    from nlpsuite.export import load_any

    return load_any(directory)


def _evaluate(args: argparse.Namespace) -> int:
    task = _load(args.model)
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
    from nlpsuite.tasks.base import parse_key_values, parse_literal

    options = {k: parse_literal(v) for k, v in parse_key_values(args.set).items()}
    task = _load(args.model)
    inputs = args.inputs if args.inputs else [line.rstrip("\n") for line in sys.stdin]
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


COMMANDS = {"train": _train, "evaluate": _evaluate, "predict": _predict, "export": _export, "info": _info}


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter off stderr
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
