"""The export parity benchmark runs end to end on a tiny model: export, evaluate both, compare, JSON, table."""

from __future__ import annotations

import json
import shutil

from tests.export.conftest import FIXTURES, requires_edge

pytestmark = requires_edge


def test_parity_measures_a_model_and_records_a_broken_one(sentiment_model, tmp_path, capsys):
    from bench import export_parity

    models = tmp_path / "models"
    shutil.copytree(sentiment_model, models / "sentiment-en")
    shutil.copytree(sentiment_model, models / "broken")
    (models / "broken" / "model.keras").write_bytes(b"not a keras file")
    data = FIXTURES / "sentiment" / "en"
    out = tmp_path / "parity.json"
    code = export_parity.main([
        "--model-dir", str(models), "--models", "broken", "sentiment-en", "absent", "--formats", "onnx",
        "--quantize", "none", "--limit", "5", "--data", f"sentiment-en={data}", f"broken={data}", "--out", str(out),
    ])
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["complete"] and payload["limit"] == 5
    assert payload["skipped"] == [{"model": "absent", "reason": f"{models / 'absent'} has no config.json"}]
    broken, row = payload["rows"]
    assert broken["model"] == "broken" and broken["error"]  # recorded, and the next model still ran

    assert "error" not in row and row["limit"] == 5 and row["keras_source"] == "evaluated"
    assert row["metric"] == "accuracy" and row["export"] == row["keras"] and row["delta"] == 0
    assert row["within_target"] and row["tolerance"] == 0.1
    assert row["agreement"]["share"] == 1.0 and row["agreement"]["inputs"] == 5
    assert row["agreement"]["max_abs_diff"] < 1e-4
    assert row["flex_ops"] == [] and row["custom_ops"] == [] and row["ops"]
    assert row["size_bytes"] > 0 and row["smaller_than_keras"] > 0 and row["export_seconds"] >= 0

    table = capsys.readouterr().out
    assert "only the first 5 test inputs of each model (`--limit 5`)" in table
    assert "| `sentiment-en` | ONNX | accuracy (%) |" in table
    assert "100.00% of 5" in table and "| `broken` | ONNX | error: " in table


def test_naming_a_model_reruns_its_rows_and_keeps_the_others(sentiment_model, tmp_path):
    from bench import export_parity

    models = tmp_path / "models"
    shutil.copytree(sentiment_model, models / "sentiment-en")
    out = tmp_path / "parity.json"
    argv = ["--model-dir", str(models), "--models", "sentiment-en", "--formats", "onnx", "--quantize", "none",
            "--limit", "5", "--data", f"sentiment-en={FIXTURES / 'sentiment' / 'en'}", "--out", str(out)]
    assert export_parity.main(argv) == 0
    payload = json.loads(out.read_text())
    [row] = payload["rows"]
    assert "notes" not in payload  # nothing else was kept, so nothing to say
    # Another model's row before it (kept as it is) and a stale figure in its own (replaced).
    payload["rows"] = [{**row, "model": "ner-en"}, {**row, "keras": -1.0}]
    out.write_text(json.dumps(payload))
    assert export_parity.main(argv) == 0
    payload = json.loads(out.read_text())
    kept_and_rerun = [("ner-en", row["keras"]), ("sentiment-en", row["keras"])]
    assert [(r["model"], r["keras"]) for r in payload["rows"]] == kept_and_rerun
    assert "rows of sentiment-en rerun on their own" in payload["notes"][-1]
