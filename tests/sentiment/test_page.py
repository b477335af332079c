"""The Streamlit page, driven headless with AppTest against the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGE = Path(__file__).resolve().parents[2] / "apps" / "views" / "sentiment.py"
UPLOAD = Path(__file__).resolve().parents[1] / "fixtures" / "sentiment" / "upload.csv"


def page(models: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(models))
    from apps import ui

    monkeypatch.setattr(ui, "MODELS_DIR", models)
    return AppTest.from_file(str(PAGE), default_timeout=180)


def test_missing_model_shows_how_to_build_it(tmp_path, monkeypatch):
    at = page(tmp_path, monkeypatch).run()
    assert not at.exception
    assert any("make train-sentiment" in w.value for w in at.warning)


def test_text_gives_label_probabilities_and_shaded_tokens(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    assert not at.exception
    at.text_area[0].set_value("the music was superb and the acting wonderful")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "positive"
    assert len(at.get("progress")) == 2
    assert any("<span" in m.value and "superb" in m.value for m in at.markdown)


def test_empty_text_is_a_message_not_a_traceback(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    at.text_area[0].set_value("   ")
    at.button[0].click().run()
    assert not at.exception
    assert "Type or paste some text first." in at.error[0].value


def test_csv_upload_is_scored_with_a_download(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    at.file_uploader[0].set_value(("reviews.csv", UPLOAD.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    assert at.selectbox[1].value == "review"  # the text column is found by name
    scored = at.dataframe[0].value
    assert list(scored.columns) == ["id", "review", "label", "p_negative", "p_positive"]
    assert scored["label"].tolist() == ["positive", "negative", "positive"]
    assert at.download_button[0].label == "Download scored CSV"


def test_bad_upload_is_a_one_line_error(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    at.file_uploader[0].set_value(("bad.csv", b"review\n\xff\xfe\n", "text/csv")).run()
    assert not at.exception
    assert "not UTF-8" in at.error[0].value
