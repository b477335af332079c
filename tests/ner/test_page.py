"""The NER Streamlit page, driven by AppTest against the tiny model (NLPSUITE_MODELS_DIR)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from ..apps.widgets import by_label

PAGE = str(Path(__file__).resolve().parents[2] / "apps" / "views" / "ner.py")


@pytest.fixture()
def app(tiny_model_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import apps.ui

    monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(tiny_model_dir.parent))
    importlib.reload(apps.ui)  # MODELS_DIR is read at import
    yield AppTest.from_file(PAGE, default_timeout=120)
    # Put the module back as the rest of the session knows it: the variable first, then the import.
    monkeypatch.undo()
    importlib.reload(apps.ui)


def _html(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_typing_a_sentence_shows_highlighted_entities(app):
    at = app.run()
    assert not at.exception
    by_label(at.text_area, "Text").input("Sarah Jones works for Siemens in Tokyo .").run()
    by_label(at.button, "Find entities").click().run()
    assert not at.exception and not at.error
    page = _html(at)
    assert "<mark" in page and "Types:" in page and "PER" in page
    table = at.dataframe[0].value
    assert list(table.columns) == ["text", "type", "start", "end", "confidence"]
    assert "Sarah Jones" in set(table["text"])


def test_empty_text_shows_a_message_not_a_traceback(app):
    at = app.run()
    by_label(at.text_area, "Text").input("   ").run()
    by_label(at.button, "Find entities").click().run()
    assert not at.exception
    assert "Type or paste some text first." in [e.value for e in at.error]


def test_missing_chinese_model_shows_how_to_build_it(app):
    at = app.run()
    by_label(at.radio, "Model").set_value("Chinese (Resume NER)").run()
    assert not at.exception
    assert any("make train-ner" in w.value for w in at.warning)


def test_model_card_is_shown(app):
    at = app.run()
    assert any(e.label == "Model card" for e in at.expander)
