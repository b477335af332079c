"""Every task's tiny model exports to LiteRT and ONNX and gives the Keras task's answers from the export."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tests.export.conftest import FIXTURES, requires_edge

pytestmark = requires_edge


def _export(model_dir, fmt, tmp_path, quantize="none"):
    from nlpsuite import cli

    out = tmp_path / f"{model_dir.name}-{fmt}"
    assert cli.main(["export", "--model", str(model_dir), "--format", fmt, "--quantize", quantize,
                     "--out", str(out)]) == 0
    return out


def _pair(model_dir, fmt, tmp_path):
    """(the Keras task, the same task loaded from its export) and the export folder."""
    import nlpsuite
    from nlpsuite import export
    from nlpsuite.export.ops import used_ops

    out = _export(model_dir, fmt, tmp_path)
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["format"] == fmt and manifest["source_model"] == str(model_dir)
    for spec in manifest["functions"].values():
        assert (out / spec["file"]).stat().st_size == spec["size_bytes"] > 0
        assert spec["inputs"] and spec["outputs"]
        used = used_ops(out / spec["file"])  # runs on a stock LiteRT interpreter / ONNX Runtime
        assert used["ops"] and used["flex"] == [] and used["custom"] == []
    assert (out / "config.json").is_file() and (out / "assets").is_dir()
    return nlpsuite.load(model_dir), export.load(out), out


@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_ner(ner_model, fmt, tmp_path):
    keras_task, exported, _ = _pair(ner_model, fmt, tmp_path)
    texts = ["Li Wei visited London on Monday .", "Angela Merkel met EU officials in Paris"]
    for a, b in zip(keras_task.predict(texts), exported.predict(texts), strict=True):
        assert [(e["text"], e["type"], e["start"], e["end"]) for e in a["entities"]] == [
            (e["text"], e["type"], e["start"], e["end"]) for e in b["entities"]]
        assert np.allclose([e["score"] for e in a["entities"]], [e["score"] for e in b["entities"]], atol=1e-4)
    a, b = keras_task.evaluate(FIXTURES / "ner" / "en"), exported.evaluate(FIXTURES / "ner" / "en")
    assert a.keys() == b.keys() and a["f1"] == b["f1"]


@pytest.mark.parametrize("model", ["sentiment_model", "sentiment_ensemble_model"])
@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_sentiment(model, fmt, tmp_path, request):
    keras_task, exported, _ = _pair(request.getfixturevalue(model), fmt, tmp_path)
    texts = ["a wonderful , moving film", "dull and far too long", "ok"]
    a, b = keras_task.predict(texts), exported.predict(texts)
    assert [r["label"] for r in a] == [r["label"] for r in b]
    for x, y in zip(a, b, strict=True):
        assert np.allclose(list(x["probabilities"].values()), list(y["probabilities"].values()), atol=1e-5)
    data = FIXTURES / "sentiment" / "en"
    a, b = keras_task.evaluate(data), exported.evaluate(data)
    assert a.keys() == b.keys() and a["accuracy"] == b["accuracy"]
    assert abs(a["ece"] - b["ece"]) < 1e-4


@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_stock(stock_model, stock_csv, fmt, tmp_path):
    keras_task, exported, _ = _pair(stock_model, fmt, tmp_path)
    a, b = keras_task.predict([str(stock_csv)])[0], exported.predict([str(stock_csv)])[0]
    for x, y in zip(a["forecast"], b["forecast"], strict=True):
        assert x["date"] == y["date"]
        assert np.allclose([x[k] for k in ("q10", "q50", "q90")], [y[k] for k in ("q10", "q50", "q90")], rtol=1e-5)
    a, b = keras_task.evaluate(str(stock_csv), split="all"), exported.evaluate(str(stock_csv), split="all")
    assert a["by_horizon"].keys() == b["by_horizon"].keys()
    assert abs(a["by_horizon"]["1"]["pinball"] - b["by_horizon"]["1"]["pinball"]) < 1e-6


@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_poetry_streams_from_the_step_function(poetry_model, fmt, tmp_path):
    keras_task, exported, out = _pair(poetry_model, fmt, tmp_path)
    step = json.loads((out / "export.json").read_text())["functions"]["step"]
    assert {"ids", "state_0", "state_3"} <= {i["name"] for i in step["inputs"]}  # 2 LSTM layers: h, c each
    options = {"temperature": 0, "max_length": 40}
    assert keras_task.predict(["The "], **options) == exported.predict(["The "], **options)
    data = str(FIXTURES / "poetry" / "tiny.txt")
    a, b = keras_task.evaluate(data), exported.evaluate(data)
    assert a.keys() == b.keys() and abs(a["bits_per_char"] - b["bits_per_char"]) < 1e-4


@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_translation_runs_the_search_on_exported_steps(translation_model, fmt, tmp_path):
    keras_task, exported, out = _pair(translation_model, fmt, tmp_path)
    assert set(json.loads((out / "export.json").read_text())["functions"]) == {"encode", "decode_step"}
    texts = ["ba ko mi", "tu la ne si ro"]
    for beam in (1, 3):
        a = keras_task.predict(texts, beam_size=beam)
        b = exported.predict(texts, beam_size=beam)
        assert [r["translation"] for r in a] == [r["translation"] for r in b]


def test_predict_cli_runs_an_export(stock_model, stock_csv, tmp_path, capsys):
    from nlpsuite import cli

    out = _export(stock_model, "onnx", tmp_path)
    capsys.readouterr()
    assert cli.main(["predict", "--model", str(out), "--set", "horizon=2", str(stock_csv)]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[0])
    assert len(result["forecast"]) == 2


def test_dynamic_quantization_runs(sentiment_model, tmp_path):
    from nlpsuite import export

    out = _export(sentiment_model, "litert", tmp_path, quantize="dynamic")
    assert json.loads((out / "export.json").read_text())["quantize"] == "dynamic"
    result = export.load(out).predict(["a wonderful film"])[0]
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-3


def test_int8_is_refused_and_leaves_out_alone(stock_model, tmp_path, capsys):
    from nlpsuite import cli

    out = tmp_path / "existing"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code = cli.main(["export", "--model", str(stock_model), "--format", "litert", "--quantize", "int8",
                     "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: --quantize int8") and "dynamic" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_missing_runtime_is_a_clear_error(stock_model, tmp_path, capsys, monkeypatch):
    from nlpsuite import cli

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    code = cli.main(["export", "--model", str(stock_model), "--format", "onnx", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == "error: --format onnx needs onnxruntime: pip install 'nlpsuite[edge]'"
    assert not (tmp_path / "x").exists()


def test_export_of_an_export_is_refused(stock_model, tmp_path, capsys):
    from nlpsuite import cli

    out = _export(stock_model, "onnx", tmp_path)
    assert cli.main(["export", "--model", str(out), "--format", "litert", "--out", str(tmp_path / "y")]) == 2
    assert "already an export" in capsys.readouterr().err
