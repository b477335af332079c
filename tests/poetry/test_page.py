"""The Streamlit page, driven by AppTest against tiny models in a temp models folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nlpsuite.data import corpus

PAGE = str(Path(__file__).resolve().parents[2] / "apps" / "views" / "poetry.py")


@pytest.fixture
def models_dir(monkeypatch, zh_model_dir, en_model_dir):
    monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(zh_model_dir.parent))
    return zh_model_dir.parent


def _app() -> AppTest:
    # The page imports apps.ui, which reads NLPSUITE_MODELS_DIR at import: start from a fresh
    # module.
    import sys

    sys.modules.pop("apps.ui", None)
    sys.modules.pop("apps", None)
    return AppTest.from_file(PAGE, default_timeout=60)


def test_generates_an_acrostic_quatrain(models_dir):
    at = _app().run()
    assert not at.exception
    at.selectbox(key="poetry_form").set_value("qijue")
    at.text_input(key="poetry_acrostic").set_value("春夏秋冬")
    at.number_input(key="poetry_seed").set_value(3)
    at.button(key="poetry_generate").click().run()
    assert not at.exception and not at.error
    poem = at.session_state["poetry_text"]
    assert corpus.check_form(poem, "qijue", "春夏秋冬")
    at.button(key="poetry_regenerate").click().run()
    assert not at.exception and corpus.check_form(
        at.session_state["poetry_text"], "qijue", "春夏秋冬"
    )


def test_bad_acrostic_is_a_message_not_a_traceback(models_dir):
    at = _app().run()
    at.selectbox(key="poetry_form").set_value("wujue")
    at.text_input(key="poetry_acrostic").set_value("春夏")
    at.button(key="poetry_generate").click().run()
    assert not at.exception
    assert "4 lines" in at.error[0].value


def test_english_model(models_dir):
    at = _app().run()
    at.radio(key="poetry_model").set_value("poetry-en")
    at.run()
    at.text_area(key="poetry_prompt").set_value("THE BOY:")
    at.button(key="poetry_generate").click().run()
    assert not at.exception and at.session_state["poetry_text"].startswith("THE BOY:")


def test_missing_model_shows_how_to_build_it(monkeypatch, tmp_path):
    monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(tmp_path))
    at = _app().run()
    assert not at.exception
    assert "make train-poetry" in at.warning[0].value
    assert os.environ["NLPSUITE_MODELS_DIR"] == str(tmp_path)
