import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlpsuite import cli


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
