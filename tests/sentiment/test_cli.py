"""The sentiment task through the command line: train, evaluate, predict and one-line errors."""

from __future__ import annotations

import json

import pytest

import nlpsuite
from nlpsuite import cli

ZH_SETTINGS = ["embedding_dim=8", "units=8", "max_length=16", "batch_size=64", "seed=3"]


@pytest.fixture(scope="module")
def zh_model(tmp_path_factory, zh_data):
    out = tmp_path_factory.mktemp("sentiment-cli") / "sentiment-zh"
    argv = ["train", "sentiment", "--data", str(zh_data), "--out", str(out), "--epochs", "1"]
    for setting in ZH_SETTINGS:
        argv += ["--set", setting]
    assert cli.main(argv) == 0
    return out


def test_cli_train_chinese_uses_characters_and_keeps_no_checkpoint(zh_model):
    task = nlpsuite.load(zh_model)
    assert task.tokenizer.kind == "char" and task.tokenizer.simplify
    assert task.tokens("房間很乾淨") == ["房", "间", "很", "干", "净"]
    assert len(task.tokens("好" * 40)) == 16
    assert task.info["epochs_run"] == 1
    assert not (zh_model.parent / "sentiment-zh.ckpt").exists()  # removed after a finished run


def test_cli_evaluate_json_and_save(zh_model, zh_data, capsys):
    assert (
        cli.main(["evaluate", "--model", str(zh_model), "--data", str(zh_data), "--json", "--save"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((zh_model / "metrics.json").read_text())
    assert printed == saved and printed["examples"] == 50
    assert {"accuracy", "macro_f1", "ece", "confusion_matrix"} <= set(saved)
    assert "accuracy" in (zh_model / "MODEL_CARD.md").read_text()


def test_cli_predict_json_lines_with_explanations(models_dir, capsys):
    model = str(models_dir / "sentiment-en")
    assert (
        cli.main(["predict", "--model", model, "--set", "explain=true", "a superb film", "dull"])
        == 0
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["label"] for r in lines] == ["positive", "negative"]
    assert [c["token"] for c in lines[0]["contributions"]] == ["a", "superb", "film"]


def test_cli_predict_reads_stdin(models_dir, tiny_task, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("great acting\nawful plot\n"))
    assert cli.main(["predict", "--model", str(models_dir / "sentiment-en")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # One result per stdin line, in order, each what the trained task itself predicts for that text.
    assert [r["text"] for r in lines] == ["great acting", "awful plot"]
    assert lines == tiny_task.predict(["great acting", "awful plot"])


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["train", "sentiment", "--data", "missing/file.tsv"], "data file not found"),
        (["train", "sentiment", "--data", "x", "--set", "pooling=sum"], "pooling=sum: choose one"),
        (["predict", "--model", "MODEL", "--set", "beam_size=2", "hi"], "unknown predict option"),
        (["evaluate", "--model", "MODEL", "--data", "DATA", "--split", "nope"], "no 'nope' split"),
    ],
)
def test_cli_errors_are_one_line(argv, match, models_dir, en_data, capsys):
    argv = [
        str(models_dir / "sentiment-en") if a == "MODEL" else str(en_data) if a == "DATA" else a
        for a in argv
    ]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and match in err and "\n" not in err


def test_a_fresh_process_loads_the_saved_model(models_dir):
    """Loading must not depend on modules a training run happened to import (safe_mode)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    model = str(models_dir / "sentiment-en")
    done = subprocess.run(
        [sys.executable, "-m", "nlpsuite", "predict", "--model", model, "superb acting"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert json.loads(done.stdout.splitlines()[-1])["label"] == "positive"
