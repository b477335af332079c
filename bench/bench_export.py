"""Edge export: file size and single-input latency per committed model x format, on this CPU.

Formats: the Keras task (``model.keras``), and its LiteRT and ONNX exports (``nlpsuite export``), each
float and with dynamic (int8-weight) quantization. Latency is one input through ``task.predict`` (the
same preprocessing and decoding for every format, so only the model calls differ), median of repeated
calls after a warm-up; poetry generates 20 characters greedily. ``vs_keras`` is the Keras latency over
this one (above 1 = faster); ``litert_le_keras`` marks the issue's target (LiteRT single-input latency at
most the Keras task's, for NER and sentiment). Rows: ``model``, ``task``, ``format``, ``quantize``,
``size_bytes``, ``latency_ms``, ``vs_keras``; a variant that could not run has a ``note`` instead, and
models or runtimes that are missing are listed in ``notes``. ``bench.export_report`` renders the README
tables from the JSON.

After retraining some models, ``python -m bench.bench_export --models sentiment-en stock`` measures those
models only and replaces their rows in ``bench/results/export.json`` (the other rows stay, with a note).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

NAME = "export"
ROOT = Path(__file__).resolve().parents[1]
INPUTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "ner-en": ("Angela Merkel met Emmanuel Macron in Paris on Monday .", {}),
    "ner-zh": ("李明昨天在北京大学参加了会议。", {}),
    "sentiment-en": ("a charming and often affecting journey , though the plot feels thin", {}),
    "sentiment-zh": ("这个酒店房间很干净，服务也不错，就是早餐一般。", {}),
    "translation-spa-en": ("¿ dónde está la estación de tren ?", {}),
    "translation-zh-en": ("我们明天去北京。", {}),
    "poetry-en": ("The ", {"temperature": 0, "max_length": 20}),
    "poetry-zh": ("春", {"temperature": 0, "max_length": 20}),
    "stock": ("bokeh:AAPL", {}),
}
VARIANTS = (("keras", "none"), ("litert", "none"), ("onnx", "none"), ("litert", "dynamic"), ("onnx", "dynamic"))
TARGET_TASKS = ("ner", "sentiment")


def _latency_ms(task: Any, item: Any, options: dict[str, Any], repeats: int) -> float:
    task.predict([item], **options)  # warm-up: tracing, interpreter allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task.predict([item], **options)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def _measure(name: str, fmt: str, quantize: str, folder: Path, work: Path, repeats: int) -> dict[str, Any]:
    import nlpsuite
    from nlpsuite import export

    if fmt == "keras":
        task, size = nlpsuite.load(folder), (folder / "model.keras").stat().st_size
    else:
        out = work / f"{name}-{fmt}-{quantize}"
        manifest = export.export_model(folder, fmt, out, quantize=quantize)
        task, size = export.load(out), sum(f["size_bytes"] for f in manifest["functions"].values())
    item, options = INPUTS[name]
    return {"size_bytes": size, "latency_ms": round(_latency_ms(task, item, options, repeats), 3)}


def _missing_runtimes() -> dict[str, str]:
    """``{format: why}`` for the export formats this machine cannot convert to or run."""
    from nlpsuite.errors import NlpsuiteError
    from nlpsuite.export.runtime import require_runtime

    missing = {}
    for fmt in ("litert", "onnx"):
        try:
            require_runtime(fmt)
        except NlpsuiteError as exc:
            missing[fmt] = str(exc)
    return missing


def run(quick: bool = False) -> dict[str, Any]:
    """One row per committed model x format; ``quick``: the stock model, float formats, 3 calls each."""
    wanted = ["stock"] if quick else list(INPUTS)
    names = [n for n in wanted if (ROOT / "saved_models" / n / "config.json").exists()]
    notes = [f"{n}: no saved model in saved_models/{n}" for n in wanted if n not in names]
    missing = _missing_runtimes()
    notes += [f"{fmt} skipped: {why}" for fmt, why in missing.items()]
    variants = [v for v in (VARIANTS[:3] if quick else VARIANTS) if v[0] not in missing]
    repeats = 3 if quick else 20
    with tempfile.TemporaryDirectory() as work:
        rows = [row for name in names for row in _model_rows(name, variants, repeats, Path(work))]
    return {"rows": rows, "notes": notes, "repeats": repeats}


def _model_rows(name: str, variants: Any, repeats: int, work: Path) -> list[dict[str, Any]]:
    """One row per variant of the saved model ``name`` (a variant that fails gets a ``note``)."""
    folder = ROOT / "saved_models" / name
    task_name = json.loads((folder / "config.json").read_text(encoding="utf-8"))["task"]
    keras_ms, rows = None, []
    for fmt, quantize in variants:
        row: dict[str, Any] = {"model": name, "task": task_name, "format": fmt, "quantize": quantize}
        try:
            row.update(_measure(name, fmt, quantize, folder, work, repeats))
        except Exception as exc:  # one variant failing (a converter error) leaves the others measured
            row["note"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
            rows.append(row)
            continue
        keras_ms = row["latency_ms"] if fmt == "keras" else keras_ms
        row["vs_keras"] = round(keras_ms / row["latency_ms"], 2) if keras_ms else None
        if fmt == "litert" and quantize == "none" and task_name in TARGET_TASKS and keras_ms:
            row["litert_le_keras"] = row["latency_ms"] <= keras_ms
        rows.append(row)
    return rows


def replace_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``old`` with every row of a model in ``new`` replaced by ``new``'s rows, in ``old``'s model order.

    Example:
    >>> old = [{"model": "a", "ms": 1}, {"model": "b", "ms": 2}]
    >>> replace_rows(old, [{"model": "a", "ms": 3}])
    [{'model': 'a', 'ms': 3}, {'model': 'b', 'ms': 2}]
    """
    order = list(dict.fromkeys(r["model"] for r in old + new))
    replaced = {r["model"] for r in new}
    rows = [r for r in old if r["model"] not in replaced] + new
    return sorted(rows, key=lambda r: order.index(r["model"]))  # stable: variants keep their order


def main(argv: list[str] | None = None) -> int:
    """``--models A B``: rerun those models' rows in ``bench/results/export.json``, keeping the rest."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.bench_export")
    parser.add_argument("--models", nargs="+", required=True, choices=sorted(INPUTS))
    args = parser.parse_args(argv)
    path = ROOT / "bench" / "results" / f"{NAME}.json"
    result = json.loads(path.read_text(encoding="utf-8"))
    variants = [v for v in VARIANTS if v[0] not in _missing_runtimes()]
    with tempfile.TemporaryDirectory() as work:
        new = [row for name in args.models for row in _model_rows(name, variants, result["repeats"], Path(work))]
    result["rows"] = replace_rows(result["rows"], new)
    from bench.export_report import rerun_notes

    result["notes"] = rerun_notes(result.get("notes", []), args.models, time.strftime("%Y-%m-%d"))
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
