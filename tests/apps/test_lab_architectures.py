"""The RNN lab's measured tab and the poetry page's architecture choice (apps/architectures.py)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from apps import architectures, ui

PAYLOAD = {
    "architectures": {
        "lstm": {
            "parameters": 875523,
            "train_tokens_per_s": 20000.0,
            "test_nats_per_char": 1.7,
            "training_seconds": 1800.0,
            "dev_curve": [{"seconds": 600.0, "dev_loss": 2.0}, {"seconds": 1200.0, "dev_loss": 1.8}],
            "generation": {
                "100": {"chars_per_s": 900.0, "peak_memory_mb": 1.0},
                "5000": {"chars_per_s": 880.0, "peak_memory_mb": 1.0},
            },
            "state_bytes_by_position": {"100": 4096, "5000": 4096},
            "state_bytes_per_sequence": 4096,
        },
        "transformer": {
            "parameters": 860000,
            "train_tokens_per_s": 30000.0,
            "test_nats_per_char": 1.9,
            "training_seconds": 1800.0,
            "generation": {
                "100": {"chars_per_s": 800.0, "peak_memory_mb": 2.0},
                "5000": {"chars_per_s": 200.0, "peak_memory_mb": 40.0},
            },
            "state_bytes_by_position": {"100": 65540, "5000": 4194308},
            "state_bytes_per_sequence": 4194308,
        },
    },
    "notes": ["rwkv: skipped, no saved_models/poetry-en-rwkv; train it with scripts/train_architectures.sh"],
}


def _render(path):
    from pathlib import Path

    from apps import architectures

    architectures.render_measured_tab(Path(path))


def test_tables_from_the_benchmark_json():
    summary = architectures.summary_table(PAYLOAD)
    assert list(summary["architecture"]) == ["LSTM", "Transformer"]
    assert summary.loc[1, "chars/s @ 5000"] == 200.0
    costs = architectures.cost_table(PAYLOAD)
    slow = costs[(costs.architecture == "Transformer") & (costs.position == 5000)].iloc[0]
    assert slow.ms_per_char == 5.0 and slow.state_kib == 4194308 / 1024
    budget = architectures.budget_table(PAYLOAD)
    # The LSTM's dev curve, and the Transformer's single (time, test score) point for want of one.
    assert list(budget.minutes) == [10.0, 20.0, 30.0] and list(budget.nats_per_char) == [2.0, 1.8, 1.9]


def test_measured_tab_says_how_to_produce_missing_results(tmp_path):
    at = AppTest.from_function(_render, args=(str(tmp_path / "architectures.json"),), default_timeout=60).run()
    assert not at.exception
    assert "make bench" in at.info[0].value and "train_architectures.sh" in at.info[0].value


def test_measured_tab_shows_the_figures(tmp_path):
    path = tmp_path / "architectures.json"
    path.write_text(json.dumps(PAYLOAD))
    at = AppTest.from_function(_render, args=(str(path),), default_timeout=60).run()
    assert not at.exception and not at.info
    assert len(at.dataframe) == 1 and "poetry-en-rwkv" in at.caption[0].value


def test_poetry_variants_lists_every_saved_english_model(tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "MODELS_DIR", tmp_path)
    for name, config in [("poetry-en", {"cell": "lstm"}), ("poetry-en-rwkv", {"architecture": "rwkv"})]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps({"task": "poetry", "config": config}))
    (tmp_path / "poetry-en-broken").mkdir()  # no config.json: not a model
    assert architectures.poetry_variants() == {
        "poetry-en": "LSTM (poetry-en)",
        "poetry-en-rwkv": "RWKV (poetry-en-rwkv)",
    }
    assert architectures.poetry_variants("poetry-zh") == {}
