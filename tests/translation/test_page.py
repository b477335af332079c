"""The translation page, driven by AppTest against the toy model (NLPSUITE_MODELS_DIR)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from ..apps.widgets import by_label

PAGE = str(Path(__file__).resolve().parents[2] / "apps" / "views" / "translation.py")


@pytest.fixture()
def app(toy_model_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import apps.ui

    monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(toy_model_dir.parent))
    importlib.reload(apps.ui)  # MODELS_DIR is read at import
    yield AppTest.from_file(PAGE, default_timeout=120)
    # Put the module back as the rest of the session knows it: the variable first, then the import.
    monkeypatch.undo()
    importlib.reload(apps.ui)


def test_translate_shows_nbest_and_attention(app):
    at = app.run()
    assert not at.exception
    by_label(at.slider, "Beam size").set_value(3).run()
    by_label(at.slider, "Length penalty α").set_value(1.0).run()
    by_label(at.text_area, "Source text").input("ba ko mi\nla ne").run()
    by_label(at.button, "Translate").click().run()
    assert not at.exception and not at.error
    page = "\n".join(m.value for m in at.markdown)
    assert "mi ko ba" in page  # the toy language reverses words
    tables = [frame.value for frame in at.dataframe]
    assert len(tables) == 2 and list(tables[0].columns) == ["translation", "score", "log_prob"]
    assert len(tables[0]) == 3
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 2
    # Streamlit's chart component adds to padding's sides: with a plain number the browser draws no chart.
    padding = json.loads(charts[0].proto.spec).get("padding", {})
    assert isinstance(padding, dict), padding


def test_empty_text_is_a_message(app):
    at = app.run()
    by_label(at.text_area, "Source text").input("  ").run()
    by_label(at.button, "Translate").click().run()
    assert not at.exception
    assert "Type or paste some text first." in [e.value for e in at.error]


def test_missing_model_says_how_to_build_it(app):
    at = app.run()
    by_label(at.radio, "Model").set_value("Chinese → English").run()
    assert not at.exception
    assert any("make train-translation" in w.value for w in at.warning)
