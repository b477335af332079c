"""Parity of the committed models' LiteRT and ONNX exports with the Keras models, on each test split.

    python -m bench.export_parity                   # every committed model x litert, onnx x none, dynamic
    python -m bench.export_parity --models ner-en stock --formats onnx --quantize none
    python -m bench.export_parity --resume          # after an interruption: only the rows still missing
    python -m bench.export_parity --models poetry-en  # after retraining one: its rows rerun, the others kept
    python -m bench.export_parity --limit 200       # opt-in: first 200 test inputs (the JSON and table say so)

For each model and each format x quantization it exports to a temp folder (``nlpsuite.export.export_model``,
what ``nlpsuite export`` runs), loads the export as ``nlpsuite evaluate`` does, evaluates it on the split and
data the model's metrics were measured on, and compares with the Keras model:

- the task's main metric (NER entity F1, sentiment accuracy, translation BLEU, poetry nats/char, stock h=1
  pinball loss) against the issue's tolerances: float exports within 0.1 point (BLEU 0.3; 0.1% of the value
  for the two losses), quantized ones lose at most 1 point (1% for the losses);
- the share of test inputs with identical outputs (NER tag sequences, sentiment labels, beam translations,
  poetry's most likely next character; stock forecasts are continuous, so the largest quantile difference),
  when the Keras model was evaluated in this run (``--keras``);
- file size (against ``model.keras``; a quantized export also against the float export of its format), the
  Flex or custom operators the files use (``nlpsuite.export.ops``), export and evaluation seconds.

Each model runs in its own process, so a converter crash or ``--max-minutes`` ends that model only (its
finished rows are kept and the others are recorded with the error). The results go to
``bench/results/export_parity.json`` after every model; the Markdown table printed at the end is the one
``scripts/results_table.py`` puts in the README (``bench.export_report``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "export_parity.json"
MODELS = ("ner-en", "ner-zh", "sentiment-en", "sentiment-zh", "translation-spa-en", "translation-zh-en",
          "poetry-en", "poetry-zh", "stock")
FORMATS = ("litert", "onnx")
QUANTIZE = ("none", "dynamic")
# Tasks whose Keras evaluation is one forward pass over the test split (seconds), run by default so the
# identical-output share is measured; translation re-decodes its test set twice and poetry scores ~100k
# characters, so those need --keras evaluate.
CHEAP_KERAS = ("ner", "sentiment")


@dataclasses.dataclass(frozen=True)
class Metric:
    """The number a task's export parity is judged on.

    Args:
        name: its name in the results (``f1``, ``bleu``, ...).
        read: ``metrics dict -> float | None`` (what ``task.evaluate`` returns and ``metrics.json`` holds).
        unit: ``points`` (differences are absolute, in the reported scale) or ``%`` (relative, percent).
        higher_is_better: whether a larger value is better (a "drop" is then a decrease).
        float_tolerance: largest difference (either way) a float export may show.
        quantized_tolerance: largest drop a quantized export may show.

    Example:

    >>> metric = Metric("f1", lambda m: 100 * m["f1"], "points", True, 0.1)
    >>> round(metric.delta(84.56, 84.50), 2), metric.within(-0.06, quantized=False)
    (-0.06, True)
    """

    name: str
    read: Callable[[dict], float | None]
    unit: str
    higher_is_better: bool
    float_tolerance: float
    quantized_tolerance: float = 1.0

    def delta(self, keras: float, export: float) -> float:
        """``export - keras`` in points, or relative to ``keras`` in percent."""
        return export - keras if self.unit == "points" else 100 * (export - keras) / keras

    def within(self, delta: float, quantized: bool) -> bool:
        """Whether ``delta`` meets the target: float within the tolerance, quantized at most that much worse."""
        if not quantized:
            return abs(delta) <= self.float_tolerance
        return (-delta if self.higher_is_better else delta) <= self.quantized_tolerance


def _percent(key: str) -> Callable[[dict], float | None]:
    return lambda m: None if m.get(key) is None else 100 * float(m[key])


METRICS = {
    "ner": Metric("f1", _percent("f1"), "points", True, 0.1),
    "sentiment": Metric("accuracy", _percent("accuracy"), "points", True, 0.1),
    "translation": Metric("bleu", lambda m: m.get("bleu"), "points", True, 0.3),
    "poetry": Metric("loss_nats_per_char", lambda m: m.get("loss_nats_per_char"), "%", False, 0.1),
    "stock": Metric("pinball_h1", lambda m: m.get("by_horizon", {}).get("1", {}).get("pinball"), "%", False, 0.1),
}


# ------------------------------------------------------------------------ hooks into task.evaluate


@contextlib.contextmanager
def _replaced(owner: Any, name: str, wrap: Callable[[Callable], Callable]) -> Iterator[None]:
    """``owner.name`` (a module function or an instance's method) is ``wrap(original)`` inside the block.

    Set in ``vars(owner)`` so a Keras model's attribute tracking is not involved; restored afterwards.
    """
    namespace = vars(owner)
    missing = object()
    saved = namespace.get(name, missing)
    namespace[name] = wrap(getattr(owner, name))
    try:
        yield
    finally:
        if saved is missing:
            namespace.pop(name, None)
        else:
            namespace[name] = saved


def _after(on_result: Callable[..., None]) -> Callable[[Callable], Callable]:
    """A ``wrap`` for ``_replaced`` that hands each result (and the call's arguments) to ``on_result``."""

    def wrap(original: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            on_result(result, *args, **kwargs)
            return result

        return call

    return wrap


def _recording(task: Any, out: dict[str, list]) -> contextlib.AbstractContextManager:
    """Collects, into ``out``, the per-input outputs ``task.evaluate`` computes (at the task's own call
    sites, so Keras and export are caught at the same point): NER ``tags`` (one tuple per sentence),
    sentiment ``labels`` and ``probabilities``, translation ``beam`` and ``greedy`` translations, poetry
    ``next_char`` (the argmax at every scored position) and stock ``quantiles`` (each model call's rows)."""

    def add(key: str, values: Any) -> None:
        out.setdefault(key, []).extend(values)

    if task.name == "ner":
        return _replaced(task, "tag", _after(lambda tags, *_, **__: add("tags", [tuple(t) for t in tags])))
    if task.name == "sentiment":

        def probabilities(p: Any, *_: Any, **__: Any) -> None:
            add("labels", np.argmax(p, axis=-1).tolist())
            add("probabilities", list(np.asarray(p)))

        return _replaced(task, "class_probabilities", _after(probabilities))
    if task.name == "translation":

        def translations(result: dict, pairs: Any, beam_size: int) -> None:
            add("greedy" if beam_size == 1 else "beam", result["translations"])

        return _replaced(task, "_score", _after(translations))
    if task.name == "poetry":
        return _replaced(task.model, "predict_on_batch",
                         _after(lambda logits, *_: add("next_char", [np.asarray(logits).argmax(-1).ravel()])))
    return _replaced(task.model, "predict_on_batch", _after(lambda q, *_: add("quantiles", [np.asarray(q)])))


@contextlib.contextmanager
def limited(task: Any, limit: int | None) -> Iterator[None]:
    """Evaluates only the first ``limit`` test inputs (None: all), cutting the split where the task reads it.

    Inputs are NER sentences, sentiment texts, translation source sentences, poems (or, for running text,
    lines; the form-validity check then samples at most ``limit`` poems) and stock forecast origins per
    series.
    """
    if not limit:
        yield
        return
    if task.name == "ner":
        from nlpsuite.tasks.ner import task as module

        cut = _replaced(module, "load_split", lambda f: lambda *a, **k: _first(f(*a, **k), limit))
    elif task.name == "sentiment":
        from nlpsuite.tasks.sentiment import task as module

        cut = _replaced(module, "read_split", lambda f: lambda *a, **k: _first(f(*a, **k), limit))
    elif task.name == "translation":
        cut = _replaced(task, "_pairs_for", lambda f: lambda *a, **k: f(*a, **k)[:limit])
    elif task.name == "poetry":
        task.config = dataclasses.replace(task.config, form_samples=min(limit, task.config.form_samples))
        cut = _replaced(task, "_read", lambda f: lambda *a, **k: _first_poems(f(*a, **k), limit))
    else:
        from nlpsuite.tasks.stock import backtest

        cut = _replaced(backtest, "collect", lambda f: lambda data, origins, *a: f(data, origins[:limit], *a))
    with cut:
        yield


def _first(result: tuple, limit: int) -> tuple:
    items, *rest = result
    return (items[:limit], *rest)


def _first_poems(result: tuple, limit: int) -> tuple:
    name, data = result

    def cut(split: Any) -> Any:
        return "\n".join(split.split("\n")[:limit]) if isinstance(split, str) else split[:limit]

    return name, dataclasses.replace(data, splits={k: cut(v) for k, v in data.splits.items()})


def evaluate(task: Any, data: str, split: str, limit: int | None = None) -> tuple[dict, dict[str, list]]:
    """``task.evaluate(data, split)`` as ``nlpsuite evaluate`` runs it, with its per-input outputs.

    Args:
        task: a Keras task (``nlpsuite.load``) or an export (``nlpsuite.export.load``).
        data: dataset name or path; ``split``: the held-out split.
        limit: evaluate the first ``limit`` inputs only (``limited``).

    Returns:
        The metrics dict and the outputs collected by ``_recording``.

    Example:

    >>> metrics, outputs = evaluate(nlpsuite.load("saved_models/sentiment-en"), "sst2", "test")  # doctest: +SKIP
    >>> len(outputs["labels"]) == metrics["examples"]  # doctest: +SKIP
    True
    """
    from nlpsuite.cli import as_flags

    outputs: dict[str, list] = {}
    with limited(task, limit), _recording(task, outputs), as_flags({"split"}):
        metrics = task.evaluate(data, split=split)
    return metrics, outputs


IDENTICAL = (
    ("tags", "sentences with identical tags"),
    ("labels", "texts with the same label"),
    ("beam", "sentences with the same beam translation"),
    ("next_char", "characters with the same most likely next character"),
)


def agreement(keras: dict[str, list] | None, export: dict[str, list]) -> dict[str, Any] | None:
    """How often the export's per-input outputs equal the Keras model's (None when Keras was not run).

    Returns ``{"share", "inputs", "what"}`` (plus ``greedy_share`` for translation and
    ``max_abs_diff`` for probabilities and forecasts); stock gives ``max_abs_diff`` only.

    Example:

    >>> agreement({"labels": [0, 1, 1]}, {"labels": [0, 1, 0]})["share"]
    0.6666666666666666
    """
    if not keras:
        return None
    for key, what in IDENTICAL:
        if key not in keras or key not in export:
            continue
        a, b = keras[key], export[key]
        if key == "next_char":
            a, b = np.concatenate(a), np.concatenate(b)
        if len(a) != len(b):
            return {"share": None, "inputs": len(b), "what": what,
                    "error": f"{len(a)} Keras outputs but {len(b)} from the export"}
        result = {"share": _share(a, b), "inputs": len(a), "what": what}
        if "greedy" in keras and len(keras["greedy"]) == len(export.get("greedy", [])):
            result["greedy_share"] = _share(keras["greedy"], export["greedy"])
        if "probabilities" in keras:
            result["max_abs_diff"] = _max_abs_diff(keras["probabilities"], export["probabilities"])
        return result
    if "quantiles" in keras and "quantiles" in export:
        return {"share": None, "inputs": sum(len(q) for q in export["quantiles"]),
                "what": "largest difference of a forecast quantile (scaled log returns)",
                "max_abs_diff": _max_abs_diff(keras["quantiles"], export["quantiles"])}
    return None


def _share(a: Sequence, b: Sequence) -> float:
    """The fraction of positions where ``a`` and ``b`` (equally long) hold equal items."""
    if isinstance(a, np.ndarray):
        return float(np.mean(a == b))
    return float(np.mean([x == y for x, y in zip(a, b, strict=True)]))


def _max_abs_diff(a: list, b: list) -> float | None:
    a, b = np.concatenate([np.ravel(x) for x in a]), np.concatenate([np.ravel(x) for x in b])
    return float(np.max(np.abs(a - b))) if a.shape == b.shape and a.size else None


# ----------------------------------------------------------------------------------- one model


def evaluation_data(folder: Path, overrides: dict[str, str]) -> tuple[str, str]:
    """The data and split the model's metrics were measured on: ``--data`` for it, else the dataset named
    in its card's ``data`` (``spa-eng (spa-eng.zip), direction spa-en`` -> ``spa-eng``; a list of tickers
    joined by commas, as ``--data`` takes it), and ``metrics.json``'s split (default ``test``)."""
    split = _read_json(folder / "metrics.json").get("split", "test")
    if folder.name in overrides:
        return overrides[folder.name], split
    text = str(_read_json(folder / "config.json").get("info", {}).get("data", "")).split(" (")[0]
    return ",".join(part.strip() for part in text.split(",")), split


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _scalars(metrics: dict) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:400]


def measure_model(name: str, folder: Path, variants: Sequence[tuple[str, str]], keras_mode: str,
                  limit: int | None, overrides: dict[str, str], emit: Callable[[dict], None]) -> None:
    """Evaluates the Keras reference of one model, then each ``(format, quantize)`` export; calls ``emit``
    with one row per variant (an ``error`` row when that variant failed)."""
    import nlpsuite

    task_name = _read_json(folder / "config.json")["task"]
    metric = METRICS[task_name]
    data, split = evaluation_data(folder, overrides)
    stored = metric.read(_read_json(folder / "metrics.json"))
    base: dict[str, Any] = {"model": name, "task": task_name, "data": data, "split": split, "limit": limit,
                            "metric": metric.name, "unit": metric.unit, "keras_metrics_json": stored,
                            "keras_size_bytes": (folder / "model.keras").stat().st_size}
    run_keras = bool(limit) or keras_mode == "evaluate" or stored is None or name in overrides or (
        keras_mode == "labels" and task_name in CHEAP_KERAS)
    keras_outputs = None
    base.update(keras=stored, keras_source="metrics.json")
    if run_keras:
        start = time.perf_counter()
        try:
            keras_metrics, keras_outputs = evaluate(nlpsuite.load(folder), data, split, limit)
            base.update(keras=metric.read(keras_metrics), keras_source="evaluated",
                        keras_evaluate_seconds=round(time.perf_counter() - start, 1),
                        keras_metrics=_scalars(keras_metrics))
        except Exception as exc:  # the exports are still measured, against metrics.json
            base["keras_error"] = _one_line(exc)
    _progress(f"{name}: data {data} ({split}); Keras {metric.name} {_fmt(base['keras'])} "
              f"({base['keras_source']}{', ' + base['keras_error'] if 'keras_error' in base else ''})")
    float_sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix=f"parity-{name}-") as work:
        for fmt, quantize in variants:
            row = {**base, "format": fmt, "quantize": quantize}
            try:
                row.update(_measure_export(folder, fmt, quantize, Path(work), data, split, limit, metric))
                _compare(row, metric, keras_outputs, float_sizes)
            except Exception as exc:
                row["error"] = _one_line(exc)
            row.pop("outputs", None)
            emit(row)
            _progress(_summary(row))


def _measure_export(folder: Path, fmt: str, quantize: str, work: Path, data: str, split: str,
                    limit: int | None, metric: Metric) -> dict[str, Any]:
    from nlpsuite import export
    from nlpsuite.export import ops

    out = work / f"{fmt}-{quantize}"
    start = time.perf_counter()
    manifest = export.export_model(folder, fmt, out, quantize=quantize)
    export_seconds = time.perf_counter() - start
    files = [out / spec["file"] for spec in manifest["functions"].values()]
    used = [ops.used_ops(f) for f in files]
    start = time.perf_counter()
    metrics, outputs = evaluate(export.load(out), data, split, limit)
    result = {
        "size_bytes": sum(f.stat().st_size for f in files),
        "functions": sorted(manifest["functions"]),
        "flex_ops": sorted({op for u in used for op in u["flex"]}),
        "custom_ops": sorted({op for u in used for op in u["custom"]}),
        "ops": sorted({op for u in used for op in u["ops"]}),
        "export_seconds": round(export_seconds, 1),
        "evaluate_seconds": round(time.perf_counter() - start, 1),
        "export": metric.read(metrics),
        "export_metrics": _scalars(metrics),
        "outputs": outputs,
    }
    shutil.rmtree(out, ignore_errors=True)
    return result


def _compare(row: dict, metric: Metric, keras_outputs: dict | None, float_sizes: dict[str, int]) -> None:
    quantized = row["quantize"] != "none"
    if row["keras"] is not None and row["export"] is not None:
        row["delta"] = metric.delta(row["keras"], row["export"])
        row["within_target"] = metric.within(row["delta"], quantized)
    row["tolerance"] = metric.quantized_tolerance if quantized else metric.float_tolerance
    row["agreement"] = agreement(keras_outputs, row["outputs"])
    if row["agreement"] is None:
        row["agreement_note"] = "Keras outputs not computed in this run (--keras evaluate computes them)"
    row["smaller_than_keras"] = row["keras_size_bytes"] / row["size_bytes"]
    if not quantized:
        float_sizes[row["format"]] = row["size_bytes"]
    elif row["format"] in float_sizes:
        row["smaller_than_float"] = float_sizes[row["format"]] / row["size_bytes"]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _summary(row: dict) -> str:
    head = f"{row['model']} {row['format']}/{row['quantize']}"
    if "error" in row:
        return f"{head}: {row['error']}"
    shared = row.get("agreement") or {}
    same = f", identical {100 * shared['share']:.2f}%" if shared.get("share") is not None else ""
    ops = ", ".join(row["flex_ops"] + row["custom_ops"]) or "none"
    return (f"{head}: {row['metric']} {_fmt(row['export'])} (Keras {_fmt(row['keras'])}){same}; "
            f"{row['size_bytes'] / 1e6:.2f} MB; Flex/custom ops: {ops}; export {row['export_seconds']} s, "
            f"evaluate {row['evaluate_seconds']} s")


def _progress(text: str) -> None:
    print(f"[export parity {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- the driver


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.export_parity", description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=None,
                        help="model folder names (default: all 9); naming some reruns their rows and keeps the "
                             "other models' rows of --out")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--quantize", nargs="+", choices=QUANTIZE, default=list(QUANTIZE))
    parser.add_argument("--keras", choices=("metrics", "labels", "evaluate"), default="labels",
                        help="the Keras reference: metrics = read metrics.json only; labels (default) = also "
                             "evaluate NER and sentiment Keras models, whose per-input labels the identical-output "
                             "share needs (seconds); evaluate = evaluate every Keras model (translation: slow)")
    parser.add_argument("--limit", type=int, default=None,
                        help="opt-in: evaluate only the first N test inputs per model (then every Keras model "
                             "is evaluated on the same inputs; the results say so)")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="opt-in: stop a model after this many minutes (its finished rows are kept)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the error-free rows of --out measured with the same --limit; run the rest")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "saved_models")
    parser.add_argument("--data", nargs="*", default=[], metavar="MODEL=DATA",
                        help="evaluate MODEL on DATA instead of its card's dataset (the Keras model is then "
                             "evaluated too)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--variants", nargs="*", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--rows-file", type=Path, help=argparse.SUPPRESS)
    return parser


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        model, sep, data = pair.partition("=")
        if not sep or not model or not data:
            raise SystemExit(f"error: --data {pair}: give MODEL=DATA, e.g. ner-en=conll2003")
        result[model] = data
    return result


def _worker(args: argparse.Namespace) -> int:
    variants = [tuple(v.split(":", 1)) for v in args.variants]

    def emit(row: dict) -> None:
        with args.rows_file.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")

    measure_model(args.worker, args.model_dir / args.worker, variants, args.keras, args.limit,
                  _overrides(args.data), emit)
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _run_worker(name: str, variants: list[tuple[str, str]], args: argparse.Namespace) -> list[dict]:
    """One model in a child process; rows it did not finish come back as ``error`` rows."""
    with tempfile.TemporaryDirectory() as tmp:
        rows_file = Path(tmp) / "rows.jsonl"
        command = [sys.executable, "-m", "bench.export_parity", "--worker", name, "--rows-file", str(rows_file),
                   "--model-dir", str(args.model_dir), "--keras", args.keras,
                   "--variants", *(f"{f}:{q}" for f, q in variants), "--data", *args.data]
        if args.limit:
            command += ["--limit", str(args.limit)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        env["KERAS_BACKEND"] = "tensorflow"  # the converters trace TensorFlow graphs of the Keras model
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        timeout = 60 * args.max_minutes if args.max_minutes else None
        try:
            code = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, check=False).returncode
            failure = None if code == 0 else f"the worker process exited with code {code}" + (
                f" (signal {-code}: a crash in a converter or runtime)" if code < 0 else "")
        except subprocess.TimeoutExpired:
            failure = f"stopped by --max-minutes {args.max_minutes:g}"
        rows = [json.loads(line) for line in rows_file.read_text(encoding="utf-8").splitlines()] \
            if rows_file.exists() else []
    done = {(r["format"], r["quantize"]) for r in rows}
    for fmt, quantize in variants:
        if (fmt, quantize) not in done:
            rows.append({"model": name, "format": fmt, "quantize": quantize, "limit": args.limit,
                         "error": failure or "the worker finished without measuring this export"})
            _progress(f"{name} {fmt}/{quantize}: {rows[-1]['error']}")
    return rows


def _write(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Measures every requested model x format x quantization; writes ``--out`` and prints the table."""
    args = _parser().parse_args(argv)
    if args.worker:
        return _worker(args)
    if args.limit is not None and args.limit < 1:
        raise SystemExit("error: --limit must be at least 1")
    _overrides(args.data)  # a malformed MODEL=DATA fails before any model runs
    from bench.export_report import parity_table
    from nlpsuite.training import hardware_description, software_description

    variants = [(f, q) for f in args.formats for q in args.quantize]
    named = args.models is not None
    args.models = args.models or list(MODELS)
    previous = _read_json(args.out) if args.resume or named else {}
    kept = [
        r for r in previous.get("rows", [])
        if "error" not in r and r.get("limit") == args.limit and (args.resume or r["model"] not in args.models)
    ]
    notes = list(previous.get("notes", []))
    if named and not args.resume and kept:
        from bench.export_report import rerun_notes

        notes = rerun_notes(notes, args.models, time.strftime("%Y-%m-%d"))
    payload = {
        "name": "export_parity",
        "hardware": hardware_description(),
        "software": software_description(),
        "date": time.strftime("%Y-%m-%d"),
        "limit": args.limit,
        "keras": args.keras,
        "keras_backend": "tensorflow",
        "complete": False,
        "skipped": [],
        "rows": kept,
        **({"notes": notes} if notes else {}),
    }
    start = time.perf_counter()
    for number, name in enumerate(args.models, 1):
        folder = args.model_dir / name
        todo = [v for v in variants if not any((r["model"], r["format"], r["quantize"]) == (name, *v) for r in kept)]
        if not (folder / "config.json").is_file():
            payload["skipped"].append({"model": name, "reason": f"{folder} has no config.json"})
            _progress(f"[{number}/{len(args.models)}] {name}: skipped ({folder} has no saved model)")
            continue
        if not todo:
            continue
        _progress(f"[{number}/{len(args.models)}] {name}: {len(todo)} export(s) "
                  f"({time.perf_counter() - start:.0f} s so far)")
        payload["rows"] += _run_worker(name, todo, args)
        _write(args.out, payload)
    # The file's model order first, so a model rerun on its own keeps its place in the table.
    models = list(dict.fromkeys([*(r["model"] for r in previous.get("rows", [])), *args.models]))
    keys = [(m, f, q) for m in models for f, q in product(FORMATS, QUANTIZE)]
    order = {key: i for i, key in enumerate(keys)}
    payload["rows"].sort(key=lambda r: order.get((r["model"], r["format"], r["quantize"]), len(order)))
    payload["complete"] = True
    payload["seconds"] = round(time.perf_counter() - start, 1)
    _write(args.out, payload)
    print(parity_table(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
