"""The Streamlit page, driven by AppTest against tiny models in a temp models folder."""

from __future__ import annotations

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
    assert at.error[0].value == ("Acrostic (藏头) has 2 characters but 五言绝句 (4 × 5) has 4 lines; give one "
                                 "character per line.")


def test_rhyme_without_a_form_names_the_page_labels(models_dir):
    at = _app().run()
    at.selectbox(key="poetry_form").set_value("")
    at.checkbox(key="poetry_rhyme").check()
    at.button(key="poetry_generate").click().run()
    assert not at.exception and "rhyme=" not in at.error[0].value
    assert at.error[0].value.startswith("“Rhyme the even lines (中华新韵 groups)” needs a Form or an acrostic")


def test_poem_is_shown_one_line_per_verse_line(models_dir):
    at = _app().run()
    at.selectbox(key="poetry_form").set_value("wujue")
    at.button(key="poetry_generate").click().run()
    poem = at.session_state["poetry_text"]
    shown = [m.value for m in at.markdown if "pre-wrap" in m.value]
    assert shown and shown[-1].count("\n") == 3, shown  # four lines of five characters
    assert poem[:6] in shown[-1]


def test_switching_model_or_a_refused_prompt_clears_the_poem(models_dir):
    at = _app().run()
    at.button(key="poetry_generate").click().run()
    assert at.session_state["poetry_text"]
    at.radio(key="poetry_model").set_value("poetry-en").run()
    assert "poetry_text" not in at.session_state and not [m for m in at.markdown if "pre-wrap" in m.value]
    at.button(key="poetry_generate").click().run()
    assert at.session_state["poetry_text"]
    at.text_area(key="poetry_prompt").set_value("x" * 2001).run()  # over the prompt limit: refused
    assert at.error and "poetry_text" not in at.session_state


def test_regenerate_sets_the_seed_without_a_session_state_warning(models_dir):
    at = _app().run()
    at.button(key="poetry_regenerate").click().run()
    assert at.number_input(key="poetry_seed").value == 1
    assert not at.exception and not at.warning


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
    # The page looked in the folder the variable names, and says so.
    assert "make train-poetry" in at.warning[0].value and str(tmp_path) in at.warning[0].value
