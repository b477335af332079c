"""Tables of measured figures, rebuilt from the files the measurements saved (never typed by hand).

    python scripts/results_table.py          # print the README's results table
    python scripts/results_table.py --write  # replace every generated table in README.md and docs/*.md
    python scripts/results_table.py --check  # exit 1 if any of them is out of date (used by a test)

Sources and destinations:

- README ``<!-- results:start -->``: one headline row per model, from ``saved_models/*/metrics.json``;
- README ``<!-- bench:start -->``: every ``bench/results/*.json`` as a table;
- README ``<!-- export:start -->``: the edge-export section (``bench.export_report``);
- ``docs/<app>.md`` ``<!-- results:<app>:start -->``: the app's per-model table from the same ``metrics.json``
  files, with the columns that app reports (``DOC_TABLES``) and whether each issue target is met;
- ``docs/poetry.md`` ``results:poetry-architectures``: ``bench/results/architectures.json`` with each model's
  test loss; ``docs/stock.md`` ``results:stock-combination`` and ``results:stock-garch``:
  ``bench/results/stock_combination.json`` and the GARCH baseline in the stock model's ``metrics.json``.

Every table reads the files when it is built, so a retrained model needs only ``--write``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `bench` is a package at the repository root

from bench import export_report  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"
BENCH_START, BENCH_END = "<!-- bench:start -->", "<!-- bench:end -->"
EXPORT_START, EXPORT_END = "<!-- export:start -->", "<!-- export:end -->"
MISSING = "—"


@dataclass(frozen=True)
class Target:
    """A goal a model's metrics are held to: named parts, each a test of ``metrics.json``.

    Args:
        parts: ``(wording, test)`` pairs; ``test`` takes the metrics dict and says whether that part is met.

    Example:

    >>> target = Target((("BLEU ≥ 20", lambda m: m["bleu"] >= 20),))
    >>> target.text, target.verdict({"bleu": 24.7}), target.verdict({"bleu": 12.0}), target.verdict({})
    ('BLEU ≥ 20', 'met', 'not met', '—')
    """

    parts: tuple[tuple[str, Callable[[dict], bool]], ...]

    @property
    def text(self) -> str:
        return "; ".join(wording for wording, _ in self.parts)

    def verdict(self, metrics: dict) -> str:
        """``met``, ``not met`` (naming the missed parts when there are several), or ``—`` when the metrics
        lack a figure a part needs."""
        try:
            missed = [wording for wording, test in self.parts if not test(metrics)]
        except (KeyError, TypeError):
            return MISSING
        if not missed:
            return "met"
        return "not met" if len(self.parts) == 1 else "not met: " + "; ".join(missed)


def _stock_per_ticker(low: float, high: float) -> Callable[[dict], bool]:
    def test(m: dict) -> bool:
        return all(low <= s["coverage_80_min"] and s["coverage_80_max"] <= high for s in m["by_series"].values())
    return test


# Issue 12's targets (issue 14's for the stock forecaster); held-out test splits.
TARGETS = {
    "ner-en": Target((("F1 ≥ 86.0", lambda m: m["f1"] >= 0.86),)),
    "ner-zh": Target((("F1 ≥ 94.5", lambda m: m["f1"] >= 0.945),)),
    "sentiment-en": Target((("accuracy ≥ 86.0", lambda m: m["accuracy"] >= 0.86),)),
    "sentiment-zh": Target((("accuracy ≥ 91.0", lambda m: m["accuracy"] >= 0.91),)),
    "translation-spa-en": Target((("BLEU ≥ 38 (stretch 40)", lambda m: m["bleu"] >= 38),
                                  ("beam ≥ greedy + 0.5", lambda m: m["bleu"] >= m["bleu_greedy"] + 0.5))),
    "translation-zh-en": Target((("BLEU ≥ 20", lambda m: m["bleu"] >= 20),)),
    "poetry-en": Target((("≤ 1.50 nats/char", lambda m: m["loss_nats_per_char"] <= 1.50),)),
    "poetry-zh": Target((("100% valid forms", lambda m: m["form_validity"] == 1.0),
                         ("bits/char below session 1's 8.77", lambda m: m["bits_per_char"] < 8.77))),
    "stock": Target((("MASE h=1 ≤ 1.005", lambda m: m["mase_h1"] <= 1.005),
                     ("80% coverage 78–82% at every h", lambda m: m["coverage_80_min"] >= 0.78
                      and m["coverage_80_max"] <= 0.82),
                     ("75–85% per ticker", _stock_per_ticker(0.75, 0.85)),
                     ("pinball ≤ 0.97× GARCH(1,1)-t at h=1", lambda m: m["pinball_ratio_garch_h1"] <= 0.97))),
}

ANCHORS = {
    "ner-en": "83.6 (Lample et al. 2016), 84.3 (Huang et al. 2015)",
    "ner-zh": "93.48 (char BiLSTM-CRF, Zhang & Yang 2018); 94.41 (char BiLSTM baseline)",
    "sentiment-en": "84.9–87.5 (LSTM/BiLSTM + GloVe, Tai et al. 2015)",
    "sentiment-zh": "89.8–91.0 (GRU/LSTM from scratch)",
    "translation-spa-en": "none for this split",
    "translation-zh-en": "none for this split",
    "poetry-en": "1.395 (char-rnn checkpoint)",
    "poetry-zh": MISSING,
    "stock": "naive = 1.00 MASE; GARCH(1,1)-t = 1.00",
}


def _pct(value, digits: int = 1) -> str:
    return MISSING if value is None else f"{100 * value:.{digits}f}"


def _num(value, scale: float = 1.0, digits: int = 3) -> str:
    return MISSING if value is None else f"{value * scale:.{digits}f}"


def _pair(a, b) -> str:
    return MISSING if a is None or b is None else f"{a:.1f} / {b:.1f}"


def _stock(metrics: dict) -> str:
    h1 = metrics.get("by_horizon", {}).get("1")
    if not h1:
        return MISSING
    if h1.get("pinball_garch"):
        ratio = f"{h1['pinball'] / h1['pinball_garch']:.3f}"
    else:
        ratio = "— (no GARCH in this model's metrics; retrain)"
    return f"{h1['mase']:.3f}; {100 * h1['coverage_80']:.1f}%; {ratio}"


# README: model folder, what is measured, how to read it from metrics.json (anchor and target by folder)
ROWS = [
    ("ner-en", "CoNLL-2003 test entity F1", lambda m: _pct(m.get("f1"))),
    ("ner-zh", "Resume NER test entity F1", lambda m: _pct(m.get("f1"))),
    ("sentiment-en", "SST-2 GLUE-dev accuracy", lambda m: _pct(m.get("accuracy"))),
    ("sentiment-zh", "ChnSentiCorp dev accuracy", lambda m: _pct(m.get("accuracy"))),
    ("translation-spa-en", "spa→en test BLEU (beam / greedy)", lambda m: _pair(m.get("bleu"), m.get("bleu_greedy"))),
    ("translation-zh-en", "zh→en test BLEU (beam / greedy)", lambda m: _pair(m.get("bleu"), m.get("bleu_greedy"))),
    ("poetry-en", "tinyshakespeare held-out nats/char", lambda m: _num(m.get("bits_per_char"), math.log(2))),
    ("poetry-zh", "Tang quatrains bits/char; form validity",
     lambda m: f"{_num(m.get('bits_per_char'))}; {_pct(m.get('form_validity'))}%"),
    ("stock", "h=1 MASE; 80% coverage; pinball / GARCH(1,1)-t", _stock),
]


def load_metrics(folder: str) -> dict | None:
    """``saved_models/<folder>/metrics.json`` as a dict, or ``None`` when the model is not trained."""
    path = ROOT / "saved_models" / folder / "metrics.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] = ()) -> str:
    """A Markdown table; ``right[i]`` right-aligns column ``i`` (numbers).

    Args:
        header: the column names.
        rows: the cells, one sequence per row.
        right: per column, whether to right-align it; columns past its end are left-aligned.

    Example:

    >>> print(markdown_table(("model", "F1"), [("ner-en", "84.56")], right=(False, True)))
    | model | F1 |
    |---|---:|
    | ner-en | 84.56 |
    """
    rule = ["---:" if i < len(right) and right[i] else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def table() -> str:
    """The README's headline table: one row per model."""
    rows = []
    for folder, measure, read in ROWS:
        metrics = load_metrics(folder)
        ours = read(metrics) if metrics is not None else "not trained"
        rows.append((f"`{folder}`", measure, ours, ANCHORS[folder], TARGETS[folder].text))
    return markdown_table(("model", "measure", "ours", "published anchor", "target"), rows,
                          right=(False, False, True))


# ----------------------------------------------------------------------------------------- per-app docs tables
@dataclass(frozen=True)
class Row:
    """One row of a docs table: the model folder, its label, the metrics dict the columns read, and whether
    the model's target applies to these metrics (it does not to a backtest other than the target's)."""

    model: str
    label: str
    metrics: dict
    judged: bool = True


@dataclass(frozen=True)
class Column:
    """A docs table column: its header, how to read its cell from a ``Row``, and whether it holds numbers."""

    header: str
    read: Callable[[Row], Any]
    numeric: bool = True


def _get(metrics: dict, path: str) -> Any:
    """``metrics["a"]["b"]`` for ``"a.b"``; ``None`` when any key is missing."""
    for key in path.split("."):
        if not isinstance(metrics, dict) or key not in metrics:
            return None
        metrics = metrics[key]
    return metrics


def _count(value) -> str:
    return MISSING if value is None else f"{value:,}"


def _by_type_f1(per_type: dict | None) -> str:
    if not per_type:
        return MISSING
    ranked = sorted(per_type.items(), key=lambda kv: -kv[1]["f1"])
    return ", ".join(f"{name} {100 * scores['f1']:.1f}" for name, scores in ranked)


def _range(low, high, digits: int = 3) -> str:
    return MISSING if low is None or high is None else f"{low:.{digits}f}–{high:.{digits}f}"


def _per_ticker_range(metrics: dict) -> str:
    series = list((metrics.get("by_series") or {}).values())
    if not series:
        return MISSING
    return _range(min(s["coverage_80_min"] for s in series), max(s["coverage_80_max"] for s in series))


def _model(row: Row) -> str:
    return f"`{row.model}`"


def _anchor(row: Row) -> str:
    return ANCHORS.get(row.model, MISSING)


def _target(row: Row) -> str:
    return TARGETS[row.model].text


def _verdict(row: Row) -> str:
    return TARGETS[row.model].verdict(row.metrics) if row.judged else f"{MISSING} (not the target's period)"


MODEL = Column("model", _model, numeric=False)
ANCHOR = Column("published anchor", _anchor, numeric=False)
TARGET = Column("target", _target, numeric=False)
VERDICT = Column("target met?", _verdict, numeric=False)


def _rows(*folders: str) -> Callable[[], list[Row]]:
    """One row per trained model folder, labelled by its name."""
    def rows() -> list[Row]:
        found = [(folder, load_metrics(folder)) for folder in folders]
        return [Row(folder, folder, metrics) for folder, metrics in found if metrics is not None]
    return rows


def _stock_rows() -> list[Row]:
    """The stock model's two backtests: the test period without refits, and training's walk-forward."""
    metrics = load_metrics("stock")
    if metrics is None:
        return []
    rows = [Row("stock", "test period, no refits", metrics)]
    walk = metrics.get("walk_forward_at_training")
    if walk:
        rows.append(Row("stock", f"walk-forward, {walk.get('refits', '?')} refits", walk, judged=False))
    return rows


def _metric(path: str, format_: Callable[[Any], str] = _pct) -> Callable[[Row], str]:
    return lambda row: format_(_get(row.metrics, path))


def _period(row: Row) -> str:
    m = row.metrics
    return f"{row.label}: {m.get('first_origin', '?')}..{m.get('last_origin', '?')}, {_count(m.get('origins'))} origins"


def _direction(row: Row) -> str:
    h1 = _get(row.metrics, "by_horizon.1") or {}
    right, up = h1.get("directional_accuracy"), h1.get("up_share")
    return MISSING if right is None or up is None else f"{right:.3f} vs {up:.3f}"


def _beam_gain(row: Row) -> str:
    beam, greedy = row.metrics.get("bleu"), row.metrics.get("bleu_greedy")
    return MISSING if beam is None or greedy is None else f"{beam - greedy:+.2f}"


def _beam_settings(row: Row) -> str:
    return f"{row.metrics.get('beam_size', MISSING)}, {row.metrics.get('length_penalty', MISSING)}"


def _pct2(value) -> str:
    return _pct(value, 2)


def _num2(value) -> str:
    return _num(value, digits=2)


def _percent(value) -> str:
    return MISSING if value is None else f"{_pct(value)}%"


def _num4(value) -> str:
    return _num(value, digits=4)


# app -> (rows, columns). The cells read metrics.json keys only; nothing here is a measured value.
DOC_TABLES: dict[str, tuple[Callable[[], list[Row]], list[Column]]] = {
    "ner": (_rows("ner-en", "ner-zh"), [
        MODEL,
        Column("test file (sentences / entities)", lambda r: f"{r.metrics.get('data')} `{r.metrics.get('file')}` "
               f"({_count(r.metrics.get('sentences'))} / {_count(r.metrics.get('entities'))})", numeric=False),
        Column("entity F1", _metric("f1", _pct2)),
        Column("precision", _metric("precision", _pct2)),
        Column("recall", _metric("recall", _pct2)),
        Column("token accuracy", _metric("token_accuracy", _pct2)),
        Column("F1 by type", _metric("per_type", _by_type_f1), numeric=False),
        ANCHOR, TARGET, VERDICT,
    ]),
    "sentiment": (_rows("sentiment-en", "sentiment-zh"), [
        MODEL,
        Column("test split (texts)", lambda r: f"`{r.metrics.get('source')}` ({_count(r.metrics.get('examples'))})",
               numeric=False),
        Column("accuracy", _metric("accuracy", _pct2)),
        Column("macro-F1", _metric("macro_f1", _pct2)),
        Column("ECE", _metric("ece", _num)),
        Column("NLL", _metric("nll", _num)),
        Column("OOV rate", _metric("oov_rate", _percent)),
        ANCHOR, TARGET, VERDICT,
    ]),
    "translation": (_rows("translation-spa-en", "translation-zh-en"), [
        MODEL,
        Column("test sentences", _metric("sentences", _count)),
        Column("BLEU beam", _metric("bleu", _num2)),
        Column("BLEU greedy", _metric("bleu_greedy", _num2)),
        Column("beam − greedy", _beam_gain),
        Column("chrF beam", _metric("chrf", _num2)),
        Column("chrF greedy", _metric("chrf_greedy", _num2)),
        Column("beam size, α", _beam_settings, numeric=False),
        TARGET, VERDICT,
    ]),
    "poetry": (_rows("poetry-en", "poetry-zh"), [
        MODEL,
        Column("test characters", _metric("characters", _count)),
        Column("nats/char", _metric("loss_nats_per_char", _num)),
        Column("bits/char", _metric("bits_per_char", _num)),
        Column("perplexity", _metric("perplexity", lambda v: _num(v, digits=1))),
        Column("form validity", _metric("form_validity", _percent)),
        Column("acrostic / rhyme validity", lambda r: MISSING if r.metrics.get("acrostic_validity") is None else
               f"{_pct(r.metrics['acrostic_validity'])}% / {_pct(r.metrics.get('rhyme_validity'))}%"),
        ANCHOR, TARGET, VERDICT,
    ]),
    "stock": (_stock_rows, [
        Column("backtest", _period, numeric=False),
        Column("MASE h=1", _metric("mase_h1", _num4)),
        Column("MASE mean h=1..20", _metric("mase_mean", _num4)),
        Column("80% coverage h=1", _metric("coverage_80_h1", _num)),
        Column("80% coverage h=1..20", lambda r: _range(r.metrics.get("coverage_80_min"),
                                                         r.metrics.get("coverage_80_max"))),
        Column("per ticker h=1..20", lambda r: _per_ticker_range(r.metrics)),
        Column("pinball / empirical h=1", _metric("pinball_ratio_h1", _num)),
        Column("pinball / GARCH h=1", _metric("pinball_ratio_garch_h1", _num4)),
        Column("pinball / GARCH mean h=1..20", _metric("pinball_ratio_garch_mean", _num4)),
        Column("direction right vs up share h=1", _direction),
        VERDICT,
    ]),
}


GARCH_HORIZONS = ("1", "2", "5", "10", "20")


def garch_table() -> str:
    """GARCH(1,1)-t alone on the stock model's test origins, beside the empirical-quantile baseline and (in
    metrics saved since it is a baseline) HAR-X alone, per horizon."""
    baselines = (load_metrics("stock") or {}).get("baselines", {})
    garch, empirical, har = baselines.get("garch"), baselines.get("empirical", {}), baselines.get("har_x")
    if not garch:
        return "Not measured yet: `nlpsuite evaluate --model saved_models/stock --save` writes the baselines."

    def beside(row: dict) -> str:
        return f"{_num(row.get('pinball'), digits=5)} ({_num(row.get('coverage_80'))})"

    rows = []
    for h in GARCH_HORIZONS:
        g = garch.get(h, {})
        rows.append((h, _num(g.get("pinball"), digits=5), _num(g.get("coverage_80")), _num(g.get("width_80"), digits=4),
                     beside(empirical.get(h, {})), *([beside(har.get(h, {}))] if har else [])))
    header = ("horizon", "pinball", "80% coverage", "80% width", "empirical-quantile pinball (coverage)",
              *(["HAR-X pinball (coverage)"] if har else []))
    return markdown_table(header, rows, right=(True, True, True, True))


def combination_table() -> str:
    """The stock forecasts combined with GARCH on the test origins, from ``bench/results/stock_combination.json``."""
    path = ROOT / "bench" / "results" / "stock_combination.json"
    if not path.exists():
        return "Not measured yet: `python -m bench.stock_combination` writes `bench/results/stock_combination.json`."
    rows = []
    for name, m in json.loads(path.read_text(encoding="utf-8")).get("test", {}).items():
        rows.append((name, _num4(m.get("pinball_ratio_garch_h1")), _num4(m.get("pinball_ratio_garch_mean")),
                     _range(m.get("coverage_80_min"), m.get("coverage_80_max")), _per_ticker_range(m),
                     _num4(m.get("mase_h1"))))
    header = ("forecast", "pinball / GARCH h=1", "mean over h=1..20", "80% coverage pooled, h=1..20", "per ticker",
              "MASE h=1")
    return markdown_table(header, rows, right=(False, True, True, True, True, True))


ARCHITECTURE_NAMES = {"lstm": "LSTM", "gru": "GRU", "rwkv": "RWKV", "transformer": "Transformer"}
POSITIONS = ("100", "1000", "5000")


def _architecture_label(folder: str, architecture: str) -> str:
    """``LSTM (2 × 256)``, ``RWKV (4 blocks × 128)``, ``Transformer (4 layers × 136, 4 heads)`` from config.json."""
    path = ROOT / "saved_models" / folder / "config.json"
    config = json.loads(path.read_text(encoding="utf-8")).get("config", {}) if path.exists() else {}
    name = ARCHITECTURE_NAMES.get(architecture, architecture)
    if "num_layers" not in config:
        return name
    if architecture == "rwkv":
        return f"{name} ({config['num_layers']} blocks × {config['units']})"
    if architecture == "transformer":
        return f"{name} ({config['num_layers']} layers × {config['units']}, {config.get('num_heads', '?')} heads)"
    return f"{name} ({config['num_layers']} × {config['units']})"


def _bytes(value) -> str:
    if value is None:
        return MISSING
    return f"{value / 2**20:.0f} MB" if value >= 2**20 else f"{value / 2**10:.0f} KB"


def architectures_table() -> str:
    """The poetry-en architecture comparison: ``bench/results/architectures.json`` for size, speed and memory,
    each model's ``metrics.json`` for its test loss."""
    path = ROOT / "bench" / "results" / "architectures.json"
    if not path.exists():
        return "Not measured yet: `python -m bench architectures` writes `bench/results/architectures.json`."
    rows = []
    for architecture, entry in json.loads(path.read_text(encoding="utf-8")).get("architectures", {}).items():
        folder = entry.get("model", f"poetry-en-{architecture}")
        metrics = load_metrics(folder) or {}
        generation = entry.get("generation", {})
        rows.append((
            f"{_architecture_label(folder, architecture)}, `{folder}`",
            _count(entry.get("parameters")),
            _num(entry.get("training_seconds"), 1 / 60, digits=1),
            _num(metrics.get("loss_nats_per_char", entry.get("test_nats_per_char"))),
            _count(round(entry["train_tokens_per_s"])) if entry.get("train_tokens_per_s") else MISSING,
            " / ".join(_count(round(generation[p]["chars_per_s"])) if p in generation else MISSING
                       for p in POSITIONS),
            _bytes(entry.get("state_bytes_per_sequence")),
            _num(generation.get(POSITIONS[-1], {}).get("peak_memory_mb"), digits=0) + " MB",
        ))
    header = ("architecture, model", "parameters", "training minutes", "test nats/char", "training tokens/s (bench)",
              "generation chars/s at 100 / 1,000 / 5,000", "state per sequence at 5,000",
              "memory growth by 5,000")
    return markdown_table(header, rows, right=(False, True, True, True, True, False, True, True))


def doc_markers(app: str) -> tuple[str, str]:
    """The markers around an app's generated table in ``docs/<app>.md``."""
    return f"<!-- results:{app}:start -->", f"<!-- results:{app}:end -->"


def doc_table(app: str) -> str:
    """The app's per-model table, read from the metrics.json files now."""
    read_rows, columns = DOC_TABLES[app]
    rows = read_rows()
    if not rows:
        return f"Not trained yet: `make train-{app}` writes the models this table reads."
    return markdown_table([c.header for c in columns], [[c.read(row) for c in columns] for row in rows],
                          right=[c.numeric for c in columns])


# ----------------------------------------------------------------------------------------------- bench tables
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
        parts.append(markdown_table(columns, [[_cell(row.get(c, "")) for c in columns] for row in rows]))
        parts.append("")
    return "\n".join(parts).rstrip() or "(run `make bench`)"


# ---------------------------------------------------------------------------------------------- writing files
def _replace(text: str, start: str, end: str, body: str, path: Path) -> str:
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise SystemExit(f"error: {path.relative_to(ROOT)} needs exactly one {start} ... {end} pair")
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    return f"{before}{start}\n{body}\n{end}{after}"


def generated() -> dict[Path, list[tuple[str, str, Callable[[], str]]]]:
    """Every file with generated tables: its markers and the function that builds what goes between them."""
    files = {ROOT / "README.md": [(START, END, table), (BENCH_START, BENCH_END, bench_tables),
                                  (EXPORT_START, EXPORT_END, export_report.readme_section)]}
    for app in DOC_TABLES:
        files[ROOT / "docs" / f"{app}.md"] = [(*doc_markers(app), lambda app=app: doc_table(app))]
    files[ROOT / "docs" / "poetry.md"].append((*doc_markers("poetry-architectures"), architectures_table))
    files[ROOT / "docs" / "stock.md"] += [(*doc_markers("stock-combination"), combination_table),
                                          (*doc_markers("stock-garch"), garch_table)]
    return files


def main(argv: list[str]) -> int:
    if "--write" not in argv and "--check" not in argv:
        print(table())
        return 0
    stale = {}  # every file is built before any is written, so a missing marker leaves all files as they were
    for path, sections in generated().items():
        text = path.read_text(encoding="utf-8")
        updated = text
        for start, end, build in sections:
            updated = _replace(updated, start, end, build(), path)
        if updated != text:
            stale[path] = updated
    if "--check" in argv and stale:
        names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
        print(f"out of date: {names}: run python scripts/results_table.py --write")
        return 1
    for path, updated in stale.items():
        path.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
