"""Edge export: file size and single-input latency per committed model x format, on this CPU.

Formats: the Keras task (``model.keras``), and its LiteRT and ONNX exports (``nlpsuite export``), each
float and with dynamic (int8-weight) quantization. Latency is one input through ``task.predict`` (the
same preprocessing and decoding for every format, so only the model calls differ), median of repeated
calls after a warm-up; poetry generates 20 characters greedily. ``vs_keras`` is the Keras latency over
this one (above 1 = faster). Rows: ``model``, ``format``, ``quantize``, ``size_bytes``, ``latency_ms``.
"""

from __future__ import annotations

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
    return {"model": name, "format": fmt, "quantize": quantize, "size_bytes": size,
            "latency_ms": round(_latency_ms(task, item, options, repeats), 3)}


def run(quick: bool = False) -> list[dict[str, Any]]:
    """One row per committed model x format; ``quick``: the stock model, float formats, 3 calls each."""
    names = ["stock"] if quick else [n for n in INPUTS if (ROOT / "saved_models" / n / "config.json").exists()]
    variants = VARIANTS[:3] if quick else VARIANTS
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            keras_ms = None
            for fmt, quantize in variants:
                row = _measure(name, fmt, quantize, ROOT / "saved_models" / name, Path(work), 3 if quick else 20)
                keras_ms = row["latency_ms"] if fmt == "keras" else keras_ms
                row["vs_keras"] = round(keras_ms / row["latency_ms"], 2) if keras_ms else None
                rows.append(row)
    return rows
