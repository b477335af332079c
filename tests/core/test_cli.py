import subprocess
import sys

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
