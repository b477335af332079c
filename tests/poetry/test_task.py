"""PoetryTask end to end on tiny data: train a step or two, save, load, evaluate, predict, stream,
CLI."""

from __future__ import annotations

import json

import keras
import pytest

import nlpsuite
from nlpsuite import cli
from nlpsuite.data import corpus
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.poetry import PoetryTask

from .conftest import FIXTURES


def test_poem_model_saves_loads_and_generates_every_form(zh_model_dir):
    task = nlpsuite.load(zh_model_dir)
    assert isinstance(task, PoetryTask) and task.codec.mode == "poems"
    assert (zh_model_dir / "assets" / "codec.json").exists()
    assert (zh_model_dir / "model.keras").stat().st_size < 25e6
    for form in corpus.FORMS:
        [result] = task.predict([""], form=form, seed=5)
        assert result["prompt"] == "" and corpus.check_form(result["text"], form)
    [result] = task.predict(["床前"], form="qijue", acrostic="床夏秋冬", seed=3, rhyme=True)
    assert result["text"].startswith("床前") and corpus.check_form(
        result["text"], "qijue", "床夏秋冬"
    )
    assert (
        "".join(task.stream("", form="wulv", seed=8))
        == task.predict([""], form="wulv", seed=8)[0]["text"]
    )


def test_poem_model_evaluates_bits_per_char_and_form_validity(zh_model_dir, poems_json):
    task = nlpsuite.load(zh_model_dir)
    metrics = task.evaluate(str(poems_json))
    assert {"bits_per_char", "perplexity", "form_validity"} <= set(metrics)
    assert metrics["form_validity"] == 1.0 and metrics["acrostic_validity"] == 1.0
    assert metrics["rhyme_validity"] == 1.0
    # An untrained-ish model is near uniform over its vocabulary: bits/char close to log2(vocab).
    assert 0 < metrics["bits_per_char"] <= 1.2 * __import__("math").log2(len(task.codec))
    # bits and perplexity against an exactly known model: test_save_load_oracle.py (uniform model).


def test_running_text_model(en_model_dir):
    task = nlpsuite.load(en_model_dir)
    assert task.codec.mode == "text" and task.config.cell == "gru"
    [result] = task.predict(["THE KEEPER:"], seed=1, max_length=20)
    assert result["text"].startswith("THE KEEPER:") and len(result["text"]) == 31
    with pytest.raises(NlpsuiteError, match="poems corpus but this model was trained on text"):
        task.evaluate(str(FIXTURES))


def test_training_continues_from_a_saved_model(en_model_dir, tiny_config, tmp_path):
    # The regularisers are not architecture: a model trained without them continues with them.
    config = tiny_config(
        cell="gru", init_from=str(en_model_dir), steps_per_epoch=1, seed=7, recurrent_dropout=0.25, weight_decay=0.1
    )
    task = PoetryTask.train(str(FIXTURES / "tiny.txt"), config, out=tmp_path / "more")
    assert task.codec.vocab.tokens == nlpsuite.load(en_model_dir).codec.vocab.tokens
    assert any("continued from" in note for note in task.info["notes"])
    assert task.info["best_dev"]["metric"] == "val_loss" and task.info["best_dev"]["epoch"] == 1
    recurrent = [layer for layer in task.model._flatten_layers() if isinstance(layer, keras.layers.RNN)]
    assert recurrent and {layer.cell.recurrent_dropout for layer in recurrent} == {0.25}
    assert PoetryTask._compiled(len(task.codec), config, None).optimizer.weight_decay == 0.1
    with pytest.raises(NlpsuiteError, match="set the same options to continue it"):
        PoetryTask.train(str(FIXTURES / "tiny.txt"), tiny_config(init_from=str(en_model_dir)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"architecture": "rwkv", "recurrent_dropout": 0.2}, "needs a recurrent cell"),
        ({"recurrent_dropout": 1.0}, r"must be in \[0, 1\)"),
        ({"weight_decay": -0.1}, "must be at least 0"),
    ],
)
def test_regulariser_options_are_checked(tiny_config, options, message):
    with pytest.raises(NlpsuiteError, match=message):
        tiny_config(**options).validate()


def test_too_little_data_is_a_clear_error(tmp_path, tiny_config):
    path = tmp_path / "short.txt"
    path.write_text("too short", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match="at least 1,000"):
        PoetryTask.train(str(path), tiny_config())


def test_cli_predict_prints_json_lines(zh_model_dir, capsys):
    code = cli.main(
        [
            "predict",
            "--model",
            str(zh_model_dir),
            "--set",
            "form=qijue",
            "--set",
            "acrostic=春夏秋冬",
            "--set",
            "seed=3",
            "",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["prompt"] == "" and corpus.check_form(result["text"], "qijue", "春夏秋冬")


def test_cli_bad_option_exits_2_with_one_line(zh_model_dir, capsys):
    assert cli.main(["predict", "--model", str(zh_model_dir), "--set", "form=sonnet", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: form='sonnet'") and err.count("\n") == 1


def test_cli_evaluate_json(en_model_dir, capsys):
    assert (
        cli.main(
            [
                "evaluate",
                "--model",
                str(en_model_dir),
                "--data",
                str(FIXTURES / "tiny.txt"),
                "--json",
            ]
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["form_validity"] is None and metrics["bits_per_char"] > 0
