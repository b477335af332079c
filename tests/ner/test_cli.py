"""`nlpsuite train/evaluate/predict` for NER on the fixtures (in-process, through cli.main)."""

from __future__ import annotations

import json

from nlpsuite.cli import main


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_train_evaluate_predict_chinese(tmp_path, fixtures, capsys):
    out = tmp_path / "ner-zh"
    code = main(
        [
            "train",
            "ner",
            "--data",
            str(fixtures / "zh"),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--set",
            "word_dim=8",
            "--set",
            "bigram_dim=4",
            "--set",
            "units=4",
            "--set",
            "casing_dim=2",
            "--set",
            "learning_rate=0.01",
            "--set",
            "predict_jit=false",  # XLA is covered in test_task; compiling it here only costs time
        ]
    )
    assert code == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["language"] == "zh" and config["bigrams"] is True and config["scheme"] == "BIOES"
    capsys.readouterr()

    assert (
        main(["evaluate", "--model", str(out), "--data", str(fixtures / "zh"), "--json", "--save"])
        == 0
    )
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["scheme"] == "BMES" and {"f1", "precision", "recall", "per_type"} <= set(metrics)
    assert json.loads((out / "metrics.json").read_text())["f1"] == metrics["f1"]

    assert main(["predict", "--model", str(out), "王芳，现任中国银行董事长。"]) == 0
    (result,) = _json_lines(capsys.readouterr().out)
    assert result["text"] == "王芳，现任中国银行董事长。"
    for entity in result["entities"]:
        assert result["text"][entity["start"] : entity["end"]] == entity["text"]


def test_evaluate_and_predict_english(tiny_model_dir, fixtures, capsys, monkeypatch):
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(fixtures / "en")]) == 0
    assert "f1" in capsys.readouterr().out
    monkeypatch.setattr(
        "sys.stdin", __import__("io").StringIO("Anna visited Kenya .\nReuters said so .\n")
    )
    assert main(["predict", "--model", str(tiny_model_dir), "--set", "min_score=0.0"]) == 0
    results = _json_lines(capsys.readouterr().out)
    assert [r["text"] for r in results] == ["Anna visited Kenya .", "Reuters said so ."]


def test_cli_errors_are_one_line(tiny_model_dir, fixtures, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("EU B-ORG\nrejects\n", encoding="utf-8")
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "bad.txt:2: one column" in err and "\n" not in err

    assert main(["predict", "--model", str(tiny_model_dir), "--set", "beam_size=3", "x"]) == 2
    assert "unknown predict option" in capsys.readouterr().err

    assert (
        main(
            ["train", "ner", "--data", str(tmp_path / "nowhere.txt"), "--out", str(tmp_path / "m")]
        )
        == 2
    )
    assert "not found" in capsys.readouterr().err

    assert (
        main(
            [
                "train",
                "ner",
                "--data",
                str(fixtures / "en"),
                "--out",
                str(tmp_path / "m"),
                "--set",
                "cell=transformer",
            ]
        )
        == 2
    )
    assert "--set cell=transformer: cell must be 'lstm' or 'gru'" in capsys.readouterr().err
