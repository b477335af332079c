"""Markdown tables of the edge-export results, read from the JSON the benchmarks write (never typed by hand).

``parity_table`` renders ``bench/results/export_parity.json`` (``python -m bench.export_parity``) and
``latency_tables`` ``bench/results/export.json`` (``python -m bench export``); ``readme_section`` is both, as
``scripts/results_table.py`` puts them in the README's "Edge export" section.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PARITY_FILE, LATENCY_FILE = "export_parity.json", "export.json"
FORMAT_NAMES = {"keras": "Keras", "litert": "LiteRT", "onnx": "ONNX"}
METRIC_NAMES = {"f1": "entity F1 (%)", "accuracy": "accuracy (%)", "bleu": "BLEU", "loss_nats_per_char": "nats/char",
                "pinball_h1": "h=1 pinball"}
LATENCY_TARGET_TASKS = ("ner", "sentiment")  # the issue: LiteRT single-input latency <= Keras for these
IDENTICAL_TARGET = 0.995
QUANTIZED_SIZE_TARGET = 3.0


def variant_name(fmt: str, quantize: str) -> str:
    """``LiteRT``, ``ONNX int8 weights``, ... for a row's format and quantization.

    Example:

    >>> variant_name("onnx", "dynamic")
    'ONNX int8 weights'
    """
    return FORMAT_NAMES.get(fmt, fmt) + ("" if quantize == "none" else " int8 weights")


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if unit == "points" else f"{value:#.5g}"


def _delta(row: dict) -> str:
    if row.get("delta") is None:
        return "—"
    return f"{row['delta']:+.2f}" if row["unit"] == "points" else f"{row['delta']:+.3f}%"


def _target(row: dict) -> str:
    if row.get("within_target") is None:
        return "—"
    unit = "" if row["unit"] == "points" else "%"
    rule = f"drop ≤ {row['tolerance']:g}{unit}" if row["quantize"] != "none" else f"±{row['tolerance']:g}{unit}"
    return f"{'met' if row['within_target'] else 'missed'} ({rule})"


def _identical(row: dict) -> str:
    shared = row.get("agreement")
    if not shared:
        return "—"
    if shared.get("share") is None:
        if shared.get("max_abs_diff") is not None:
            return f"max difference {shared['max_abs_diff']:.2g}"
        return shared.get("error", "—")
    text = f"{100 * shared['share']:.2f}% of {shared['inputs']:,}"
    if shared.get("greedy_share") is not None:
        text += f" (greedy {100 * shared['greedy_share']:.2f}%)"
    return text


def _size(row: dict) -> str:
    mb = f"{row['size_bytes'] / 1e6:.2f} MB"
    if row.get("smaller_than_float"):
        return f"{mb} (float ÷ {row['smaller_than_float']:.1f})"
    return f"{mb} ({1 / row['smaller_than_keras']:.2f}× .keras)"


def parity_table(payload: dict[str, Any]) -> str:
    """The parity results as a Markdown table with a heading line and a line of target counts.

    Args:
        payload: the contents of ``export_parity.json``.

    Example:

    >>> row = {"model": "stock", "format": "onnx", "quantize": "none", "error": "ValueError: x"}
    >>> print(parity_table({"hardware": "2 CPU cores", "date": "2026-11-29", "rows": [row]}).splitlines()[-3])
    | `stock` | ONNX | error: ValueError: x |  |  |  |  |  |  |  |  |
    """
    rows = payload.get("rows", [])
    limit = payload.get("limit")
    scope = (f"only the first {limit} test inputs of each model (`--limit {limit}`), not the full test splits"
             if limit else "the full test split of each model")
    lines = [f"Export parity — {payload.get('hardware', '?')}, {payload.get('date', '?')}; {scope}"
             + ("" if payload.get("complete", True) else "; **incomplete run**") + ". Keras values marked ¹ are "
             "read from the model's metrics.json; the others were evaluated in the same run.", "",
             "| model | export | metric | Keras | export | Δ | target | identical outputs | size | Flex / custom ops "
             "| export s |", "|---|---|---|---:|---:|---:|---|---|---|---|---:|"]
    for row in rows:
        head = f"| `{row['model']}` | {variant_name(row['format'], row['quantize'])} |"
        if "error" in row:
            lines.append(f"{head} error: {_cell(row['error'])} |" + "  |" * 8)
            continue
        mark = "¹" if row.get("keras_source") == "metrics.json" else ""
        ops = ", ".join(row.get("flex_ops", []) + row.get("custom_ops", [])) or "none"
        lines.append(
            f"{head} {METRIC_NAMES.get(row['metric'], row['metric'])} | {_value(row.get('keras'), row['unit'])}{mark} "
            f"| {_value(row.get('export'), row['unit'])} | {_delta(row)} | {_target(row)} | {_identical(row)} "
            f"| {_size(row)} | {_cell(ops)} | {row.get('export_seconds', '—')} |"
        )
    lines += ["", _parity_counts(rows)]
    if not limit and _stale(rows):
        lines.append("The Keras model evaluated in this run differs from its metrics.json (written by older code or "
                     "another backend): " + "; ".join(_stale(rows)) + ".")
    if payload.get("skipped"):
        lines.append("Skipped: " + "; ".join(f"`{s['model']}` ({s['reason']})" for s in payload["skipped"]) + ".")
    return "\n".join(lines)


def _parity_counts(rows: list[dict]) -> str:
    """The issue's targets, counted over the rows."""
    models = sorted({r["model"] for r in rows})
    clean = [m for m in models if all(
        any(r["model"] == m and r["format"] == f and r["quantize"] == "none" and "error" not in r
            and not r.get("flex_ops") and not r.get("custom_ops") for r in rows) for f in ("litert", "onnx"))]
    floats = [r for r in rows if r["quantize"] == "none" and r.get("within_target") is not None]
    quantized = [r for r in rows if r["quantize"] != "none" and r.get("within_target") is not None]
    shares = [r["agreement"]["share"] for r in rows
              if r["quantize"] == "none" and (r.get("agreement") or {}).get("share") is not None]
    small = [r for r in quantized if r.get("smaller_than_float")]
    parts = [
        f"{len(clean)}/{len(models)} models export to both LiteRT and ONNX (float) without Flex or custom ops",
        f"float exports within tolerance: {sum(r['within_target'] for r in floats)}/{len(floats)}",
        f"float exports with identical outputs on ≥ {100 * IDENTICAL_TARGET:g}% of inputs: "
        f"{sum(s >= IDENTICAL_TARGET for s in shares)}/{len(shares)} measured",
        f"quantized exports within the drop target: {sum(r['within_target'] for r in quantized)}/{len(quantized)}",
        f"quantized ≥ {QUANTIZED_SIZE_TARGET:g}× smaller than float: "
        f"{sum(r['smaller_than_float'] >= QUANTIZED_SIZE_TARGET for r in small)}/{len(small)}",
    ]
    errors = sum("error" in r for r in rows)
    return "Targets: " + "; ".join(parts) + (f"; {errors} export(s) failed." if errors else ".")


def _stale(rows: list[dict]) -> list[str]:
    """``model: metrics.json value -> this run's`` where the two Keras values differ."""
    seen = {}
    for r in rows:
        stored, now = r.get("keras_metrics_json"), r.get("keras")
        if r.get("keras_source") == "evaluated" and stored is not None and now is not None \
                and abs(now - stored) > 1e-6 * max(1.0, abs(stored)):
            seen[r["model"]] = f"`{r['model']}` {_value(stored, r['unit'])} -> {_value(now, r['unit'])}"
    return list(seen.values())


def latency_tables(payload: dict[str, Any]) -> str:
    """``export.json`` as two Markdown tables (single-input latency, file size), one row per model.

    Args:
        payload: the contents of ``export.json`` (rows ``model``, ``format``, ``quantize``, ``size_bytes``,
            ``latency_ms``, optional ``note``).

    Example:

    >>> rows = [{"model": "ner-en", "task": "ner", "format": f, "quantize": "none", "size_bytes": 2e6,
    ...          "latency_ms": ms} for f, ms in (("keras", 8.0), ("litert", 2.0))]
    >>> print(latency_tables({"rows": rows}).splitlines()[4])
    | `ner-en` | 8.00 | 2.00 | — | — | — | met |
    """
    rows = payload.get("rows", [])
    variants = [("keras", "none"), ("litert", "none"), ("onnx", "none"), ("litert", "dynamic"), ("onnx", "dynamic")]
    by_key = {(r["model"], r["format"], r["quantize"]): r for r in rows}
    models = list(dict.fromkeys(r["model"] for r in rows))
    names = [variant_name(*v) for v in variants]
    lines = [f"Single-input latency (median of {payload.get('repeats', '?')} calls of `task.predict` after a "
             f"warm-up, ms) — {payload.get('hardware', '?')}, {payload.get('date', '?')}" +
             (" (quick run)" if payload.get("quick") else "") + ".", "",
             "| model | " + " | ".join(names) + " | LiteRT ≤ Keras (NER, sentiment) |",
             "|---|" + "---:|" * len(names) + "---|"]
    for model in models:
        cells = [_number(by_key.get((model, *v), {}).get("latency_ms")) for v in variants]
        lines.append(f"| `{model}` | " + " | ".join(cells) + f" | {_latency_target(by_key, model)} |")
    lines += ["", "File size (MB: `model.keras`, and the sum of an export's function files).", "",
              "| model | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for model in models:
        cells = [_number(_mb(by_key.get((model, *v), {}).get("size_bytes"))) for v in variants]
        lines.append(f"| `{model}` | " + " | ".join(cells) + " |")
    notes = [f"`{r['model']}` {variant_name(r['format'], r['quantize'])}: {_cell(r['note'])}" for r in rows
             if r.get("note")] + list(payload.get("notes", []))
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines)


def _latency_target(by_key: dict, model: str) -> str:
    keras, litert = by_key.get((model, "keras", "none"), {}), by_key.get((model, "litert", "none"), {})
    if keras.get("task", litert.get("task")) not in LATENCY_TARGET_TASKS:
        return "—"
    if keras.get("latency_ms") is None or litert.get("latency_ms") is None:
        return "not measured"
    return "met" if litert["latency_ms"] <= keras["latency_ms"] else "missed"


def _mb(size: float | None) -> float | None:
    return None if size is None else size / 1e6


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def readme_section(results: Path = RESULTS) -> str:
    """The README's measured export tables, from whichever of the two result files exist."""
    parts = []
    for name, render, command in ((PARITY_FILE, parity_table, "python -m bench.export_parity"),
                                  (LATENCY_FILE, latency_tables, "python -m bench export")):
        path = results / name
        if path.exists():
            parts.append(render(json.loads(path.read_text(encoding="utf-8"))))
        else:
            parts.append(f"Not measured on this checkout yet: `{command}` writes `bench/results/{name}`.")
    return "\n\n".join(parts)


def rerun_notes(notes: list[str], models: list[str], date: str) -> list[str]:
    """``notes`` with one saying ``models`` were rerun on ``date``; earlier notes stop naming those models.

    Example:
    >>> notes = ["rows of a, b rerun on their own (2026-01-01) after those models changed"]
    >>> rerun_notes(notes, ["b"], "2026-02-01")
    ['rows of a rerun on their own (2026-01-01) after those models changed', \
'rows of b rerun on their own (2026-02-01) after those models changed']
    >>> rerun_notes(_, ["a"], "2026-03-01")[0]
    'rows of b rerun on their own (2026-02-01) after those models changed'
    """
    kept = []
    for note in notes:
        match = re.match(r"rows of (.+?) rerun on their own(.*)", note)
        if not match:
            kept.append(note)
            continue
        others = [m for m in match.group(1).split(", ") if m not in models]
        if others:
            kept.append(f"rows of {', '.join(others)} rerun on their own{match.group(2)}")
    return [*kept, f"rows of {', '.join(models)} rerun on their own ({date}) after those models changed"]
