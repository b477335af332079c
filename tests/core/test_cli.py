import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlpsuite import cli
from nlpsuite.errors import NlpsuiteError, OptionError

ROOT = Path(__file__).parents[2]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "nlpsuite", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("argv, match", [
    (["train", "chess"], "unknown task 'chess'"),
    (["evaluate", "--model", "/nonexistent/ner-en", "--data", "conll2003"], "make train-ner"),
    (["predict", "--model", "/nonexistent/model"], "no model in"),
    (["train", "ner", "--set", "oops"], "KEY=VALUE"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage_is_one_line_and_exit_2(argv, match, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err
    assert err.count("\n") == 1


def test_info_runs_as_a_module():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert "backend" in result.stdout and "devices:" in result.stdout and "conll2003" in result.stdout


def test_strategy_names_are_checked():
    from nlpsuite import distribute
    from nlpsuite.errors import NlpsuiteError

    with pytest.raises(NlpsuiteError, match="unknown strategy 'quantum'"):
        distribute.get_strategy("quantum")


def test_overrides_are_typed_by_the_config_fields():
    from nlpsuite.tasks.ner.config import NerConfig
    from nlpsuite.tasks.poetry.task import PoetryConfig
    from nlpsuite.tasks.sentiment.config import SentimentConfig

    config = cli.apply_overrides(NerConfig(), {"units": "16", "lowercase": "false", "dropout": "0.25",
                                               "bigrams": "none"})
    assert (config.units, config.lowercase, config.dropout, config.bigrams) == (16, False, 0.25, None)
    assert cli.apply_overrides(PoetryConfig(), {"forms": "wujue, qijue"}).forms == ["wujue", "qijue"]
    assert cli.apply_overrides(SentimentConfig(), {"cell": "lstm"}).cell == "lstm"


@pytest.mark.parametrize("pair, match", [({"units": "many"}, "expected int"),
                                         ({"colour": "red"}, "unknown option"),
                                         ({"time_limit_minutes": "5"}, "it is now called max_minutes"),
                                         ({"pooling": "sum"}, "choose one of last, attention, mean, max"),
                                         ({"bidirectional": "maybe"}, "expected bool")])
def test_bad_overrides_say_what_is_wrong(pair, match):
    from nlpsuite.tasks.sentiment.config import SentimentConfig

    with pytest.raises(NlpsuiteError, match=match):
        cli.apply_overrides(SentimentConfig(), pair)


def test_key_values_and_literals():
    assert cli.parse_key_values(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(NlpsuiteError, match="KEY=VALUE"):
        cli.parse_key_values(["novalue"])
    assert [cli.parse_literal(t) for t in ("3", "0.5", "true", "null", "春夏")] == [3, 0.5, True, None, "春夏"]


def test_library_errors_get_the_flag_syntax():
    with pytest.raises(NlpsuiteError) as caught, cli.as_flags({"cell", "epochs"}):
        raise OptionError("cell", "rnn", "must be 'gru' or 'lstm'")
    assert str(caught.value) == "--set cell=rnn: cell must be 'gru' or 'lstm'"
    with pytest.raises(NlpsuiteError, match=r"^--epochs 0: epochs must be at least 1$"), cli.as_flags({"epochs"}):
        raise OptionError("epochs", 0, "must be at least 1")
    # An argument the user cannot set keeps the library's wording.
    with pytest.raises(OptionError, match=r"^resume needs out"), cli.as_flags({"epochs"}):
        raise OptionError("resume", True, "needs out")


def _one_error_line(argv, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("argv, expected", [
    (["train", "ner", "--set", "language=fr"], "--set language=fr: language must be one of 'auto', 'en', 'zh'"),
    (["train", "ner", "--epochs", "0"], "--epochs 0: epochs must be at least 1"),
    (["train", "ner", "--set", "time_limit_minutes=5"], "it is now called max_minutes"),
    (["train", "poetry", "--set", "max_minutes=-1"], "--set max_minutes=-1.0: max_minutes must be at least 0"),
    (["train", "sentiment", "--set", "max_vocab=2"], "--set max_vocab=2: max_vocab must be at least 3"),
    (["train", "translation", "--set", "attention=additive"], "--set attention=additive: choose one of luong"),
    (["train", "translation", "--set", "direction=spa-fr"],
     "--set direction=spa-fr: direction must have English on exactly one side"),
    (["train", "stock", "--set", "cell=rnn"], "--set cell=rnn: cell must be 'gru' or 'lstm'"),
    (["train", "stock", "--set", "train_end=2007-13-45"], "--set train_end=2007-13-45: train_end must be a date"),
])
def test_bad_training_options_are_one_error_line(argv, expected, capsys):
    assert expected in _one_error_line(argv, capsys)


def test_a_walk_forward_longer_than_the_data_is_one_error_line_before_any_fit(tmp_path, capsys):
    data = tmp_path / "series.csv"
    dates = np.busday_offset(np.datetime64("2015-01-01"), np.arange(560), roll="forward")
    close = 50 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 560)))
    data.write_text("Date,Close\n" + "".join(f"{d},{c:.4f}\n" for d, c in zip(dates, close, strict=True)))
    argv = ["train", "stock", "--data", str(data), "--out", str(tmp_path / "stock"), "--set", "lookback=20",
            "--set", "horizon=5", "--set", "train_end=", "--set", "min_train_days=100000"]
    err = _one_error_line(argv, capsys)
    assert "--set min_train_days=100000: min_train_days must be below the longest series' length (560 rows)" in err
    assert not (tmp_path / "stock").exists()


@pytest.mark.skipif(not (ROOT / "saved_models" / "translation-spa-en" / "config.json").exists(),
                    reason="needs the committed translation model")
def test_bad_predict_options_are_one_error_line(capsys):
    argv = ["predict", "--model", str(ROOT / "saved_models" / "translation-spa-en"), "--set", "beam_size=0", "hola"]
    err = _one_error_line(argv, capsys)
    assert "--set beam_size=0: beam_size must be a whole number from 1 to 64" in err


def test_native_log_lines_are_recognised():
    assert cli.NATIVE_LOG_LINE.match(b"I0000 00:00:1795927401.244568   13782 port.cc:153] oneDNN custom operations")
    assert cli.NATIVE_LOG_LINE.match(b"E0000 00:00:1795927410.884114   13782 cuda_platform.cc:52] failed call")
    assert cli.NATIVE_LOG_LINE.match(b"2025-09-17 14:44:05.157831: I external/local_xla/cudart_stub.cc:32] Could not")
    assert cli.NATIVE_LOG_LINE.match(b"WARNING: All log messages before absl::InitializeLog() is called are written "
                                     b"to STDERR\n")
    assert not cli.NATIVE_LOG_LINE.match(b"error: no model in /x (config.json missing)\n")
    assert not cli.NATIVE_LOG_LINE.match(b"F0000 00:00:1795927410.884114   13782 x.cc:52] Check failed")


def test_predict_prints_results_only(tmp_path):
    """A successful predict leaves stderr empty (no TensorFlow start-up lines); a failure is one error line."""
    model = Path(__file__).resolve().parents[2] / "saved_models" / "sentiment-en"
    if not (model / "config.json").exists():
        pytest.skip(f"no model in {model} (make train-sentiment)")
    result = run_cli("predict", "--model", str(model), "a wonderful film")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert json.loads(result.stdout)["label"] in ("positive", "negative")
    failed = run_cli("predict", "--model", str(tmp_path / "none"), "x")
    assert failed.returncode == 2 and failed.stderr.startswith("error: ") and failed.stderr.count("\n") == 1
