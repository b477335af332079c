"""Builds the README's results table from saved_models/*/metrics.json (the only source of its numbers).

    python scripts/results_table.py          # print the table
    python scripts/results_table.py --write  # replace the table between the README's markers
    python scripts/results_table.py --check  # exit 1 if the README is out of date (used by a test)

The README's speed section is rebuilt the same way from bench/results/*.json, and its edge-export section from
bench/results/export_parity.json and export.json (``bench.export_report``).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `bench` is a package at the repository root

from bench import export_report  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"
BENCH_START, BENCH_END = "<!-- bench:start -->", "<!-- bench:end -->"
EXPORT_START, EXPORT_END = "<!-- export:start -->", "<!-- export:end -->"

# model folder, what is measured, how to read it from metrics.json, published anchor, issue target
ROWS = [
    ("ner-en", "CoNLL-2003 test entity F1", lambda m: _pct(m.get("f1")),
     "83.6 (Lample et al. 2016), 84.3 (Huang et al. 2015)", "≥ 86.0"),
    ("ner-zh", "Resume NER test entity F1", lambda m: _pct(m.get("f1")),
     "93.48 (char BiLSTM-CRF, Zhang & Yang 2018); 94.41 (char BiLSTM baseline)", "≥ 94.5"),
    ("sentiment-en", "SST-2 GLUE-dev accuracy", lambda m: _pct(m.get("accuracy")),
     "84.9–87.5 (LSTM/BiLSTM + GloVe, Tai et al. 2015)", "≥ 86.0"),
    ("sentiment-zh", "ChnSentiCorp dev accuracy", lambda m: _pct(m.get("accuracy")),
     "89.8–91.0 (GRU/LSTM from scratch)", "≥ 91.0"),
    ("translation-spa-en", "spa→en test BLEU (beam / greedy)",
     lambda m: _pair(m.get("bleu"), m.get("bleu_greedy")), "none for this split",
     "≥ 38 (stretch 40), beam ≥ greedy + 0.5"),
    ("translation-zh-en", "zh→en test BLEU (beam / greedy)",
     lambda m: _pair(m.get("bleu"), m.get("bleu_greedy")), "none for this split", "≥ 20"),
    ("poetry-en", "tinyshakespeare held-out nats/char",
     lambda m: _num(m.get("bits_per_char"), math.log(2)), "1.395 (char-rnn checkpoint)", "≤ 1.50"),
    ("poetry-zh", "Tang quatrains bits/char; form validity",
     lambda m: f"{_num(m.get('bits_per_char'))}; {_pct(m.get('form_validity'))}%", "—",
     "100% valid; bits/char improves"),
    ("stock", "h=1 MASE; 80% coverage; pinball / GARCH(1,1)-t",
     lambda m: _stock(m), "naive = 1.00 MASE; GARCH(1,1)-t = 1.00",
     "MASE ≤ 1.005; coverage 78–82%; ratio ≤ 0.97"),
]


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def _num(value, scale: float = 1.0) -> str:
    return "—" if value is None else f"{value * scale:.3f}"


def _pair(a, b) -> str:
    return "—" if a is None else f"{a:.1f} / {b:.1f}"


def _stock(metrics: dict) -> str:
    h1 = metrics.get("by_horizon", {}).get("1")
    if not h1:
        return "—"
    if h1.get("pinball_garch"):
        ratio = f"{h1['pinball'] / h1['pinball_garch']:.3f}"
    else:
        ratio = "— (no GARCH in this model's metrics; retrain)"
    return f"{h1['mase']:.3f}; {100 * h1['coverage_80']:.1f}%; {ratio}"


def table() -> str:
    lines = ["| model | measure | ours | published anchor | target |", "|---|---|---:|---|---|"]
    for folder, measure, read, anchor, target in ROWS:
        path = ROOT / "saved_models" / folder / "metrics.json"
        ours = read(json.loads(path.read_text())) if path.exists() else "not trained"
        lines.append(f"| `{folder}` | {measure} | {ours} | {anchor} | {target} |")
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def bench_tables() -> str:
    """Every bench/results/*.json as a Markdown table under its name, hardware and date."""
    parts = []
    for path in sorted((ROOT / "bench" / "results").glob("*.json")):
        if path.name in (export_report.PARITY_FILE, export_report.LATENCY_FILE):
            continue  # in the edge-export section, with their targets
        data = json.loads(path.read_text())
        rows = data.get("rows", [])
        if not rows:
            continue
        columns = list(dict.fromkeys(key for row in rows for key in row))
        parts.append(f"**{data.get('name', path.stem)}** — {data.get('hardware', '?')}, {data.get('date', '?')}\n")
        parts.append("| " + " | ".join(columns) + " |")
        parts.append("|" + "---|" * len(columns))
        parts += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in rows]
        parts.append("")
    return "\n".join(parts).rstrip() or "(run `make bench`)"


def _replace(text: str, start: str, end: str, body: str) -> str:
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    return f"{before}{start}\n{body}\n{end}{after}"


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = _replace(text, START, END, table())
    updated = _replace(updated, BENCH_START, BENCH_END, bench_tables())
    updated = _replace(updated, EXPORT_START, EXPORT_END, export_report.readme_section())
    if "--write" in argv:
        readme.write_text(updated, encoding="utf-8")
    elif "--check" in argv:
        if updated != text:
            print("README results table is out of date: run python scripts/results_table.py --write")
            return 1
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
