import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _results_table():
    spec = importlib.util.spec_from_file_location("results_table", ROOT / "scripts" / "results_table.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def test_readme_and_docs_tables_match_metrics_and_bench_files():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "results_table.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_doc_has_its_generated_table():
    module = _results_table()
    for app in module.DOC_TABLES:
        text = (ROOT / "docs" / f"{app}.md").read_text(encoding="utf-8")
        start, end = module.doc_markers(app)
        assert text.count(start) == 1 and text.count(end) == 1, f"docs/{app}.md lacks {start} ... {end}"


def test_docs_table_reads_the_metrics_file_and_judges_the_target():
    module = _results_table()
    metrics = json.loads((ROOT / "saved_models" / "translation-zh-en" / "metrics.json").read_text())
    row = next(line for line in module.doc_table("translation").splitlines() if "`translation-zh-en`" in line)
    assert f"| {metrics['bleu']:.2f} |" in row and f"| {metrics['bleu_greedy']:.2f} |" in row
    target = module.TARGETS["translation-spa-en"]
    assert target.verdict({"bleu": 40.0, "bleu_greedy": 39.0}) == "met"
    assert target.verdict({"bleu": 40.0, "bleu_greedy": 39.8}) == "not met: beam ≥ greedy + 0.5"
    assert target.verdict({"bleu": 40.0}) == "—"


def test_a_missing_marker_is_an_error_naming_the_file():
    module = _results_table()
    with pytest.raises(SystemExit, match="docs/x.md needs exactly one"):
        module._replace("no markers here", "<!-- a -->", "<!-- b -->", "body", module.ROOT / "docs" / "x.md")


def test_every_committed_model_has_metrics_and_card():
    for folder in sorted((ROOT / "saved_models").iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            for name in ("config.json", "model.keras", "metrics.json", "MODEL_CARD.md"):
                assert (folder / name).exists(), f"{folder.name} lacks {name}"


def test_stock_baseline_table_copes_with_metrics_before_and_after_the_har_x_baseline(monkeypatch):
    module = _results_table()
    row = {"pinball": 0.0045, "coverage_80": 0.8, "width_80": 0.043}
    old = {"baselines": {"garch": {"1": row}, "empirical": {"1": {**row, "pinball": 0.0047}}}}
    monkeypatch.setattr(module, "load_metrics", lambda name: old)
    table = module.garch_table()
    assert "HAR-X" not in table and "| 1 | 0.00450 | 0.800 | 0.0430 | 0.00470 (0.800) |" in table
    new = {"baselines": {**old["baselines"], "har_x": {"1": {**row, "pinball": 0.0044, "coverage_80": 0.79}}}}
    monkeypatch.setattr(module, "load_metrics", lambda name: new)
    table = module.garch_table()
    assert "HAR-X pinball (coverage)" in table and "| 0.00470 (0.800) | 0.00440 (0.790) |" in table
