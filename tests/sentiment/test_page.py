"""The Streamlit page, driven headless with AppTest against the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..apps.widgets import by_label

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGE = Path(__file__).resolve().parents[2] / "apps" / "views" / "sentiment.py"
UPLOAD = Path(__file__).resolve().parents[1] / "fixtures" / "sentiment" / "upload.csv"
UPLOADER = "CSV or TSV with a text column"


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
    by_label(at.text_area, "Text").set_value("the music was superb and the acting wonderful")
    by_label(at.button, "Classify").click().run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "positive"
    assert len(at.get("progress")) == 2
    assert any("<span" in m.value and "superb" in m.value for m in at.markdown)


def test_empty_text_is_a_message_not_a_traceback(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    by_label(at.text_area, "Text").set_value("   ")
    by_label(at.button, "Classify").click().run()
    assert not at.exception
    assert "Type or paste some text first." in at.error[0].value


def test_csv_upload_is_scored_with_a_download(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    by_label(at.file_uploader, UPLOADER).set_value(("reviews.csv", UPLOAD.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    assert by_label(at.selectbox, "Text column").value == "review"  # the text column is found by name
    scored = at.dataframe[0].value
    assert list(scored.columns) == ["id", "review", "label", "p_negative", "p_positive"]
    assert scored["label"].tolist() == ["positive", "negative", "positive"]
    assert at.download_button[0].label == "Download scored CSV"


def test_bad_upload_is_a_one_line_error(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    by_label(at.file_uploader, UPLOADER).set_value(("bad.csv", b"review\n\xff\xfe\n", "text/csv")).run()
    assert not at.exception
    assert "not UTF-8" in at.error[0].value


def test_model_names_are_human_labels(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    assert "English (SST-2)" in by_label(at.selectbox, "Model").options


def test_other_language_is_a_warning(models_dir, monkeypatch):
    at = page(models_dir, monkeypatch).run()
    by_label(at.text_area, "Text").set_value("房间很干净，服务也很周到。")
    by_label(at.button, "Classify").click().run()
    assert not at.exception and not at.error
    assert "This looks like Chinese text" in at.warning[0].value


@pytest.mark.parametrize("data, message", [
    (b"id,score\n1,5\n2,3\n", "upload.csv has no text column: its columns are id, score; name the column with the "
                              "texts 'text'"),
    (b"text\ngreat film\nsad, slow and long\n", "upload.csv, line 3: 2 fields but the header has 1 — probably an "
                                                "unquoted comma in the text; put that text in double quotes"),
    (b"id,text\n1,fine\n2,\n", "row 2 has no text in column 'text'"),
])
def test_unusable_tables_are_refused_in_plain_words(models_dir, monkeypatch, data, message):
    at = page(models_dir, monkeypatch).run()
    by_label(at.file_uploader, UPLOADER).set_value(("upload.csv", data, "text/csv")).run()
    assert not at.exception and not at.dataframe
    assert message in at.error[0].value


def test_a_deciding_clause_reads_as_text():
    from apps.views.sentiment import readable

    assert readable("a gripping , beautifully acted film that is n't long .") == \
        "a gripping, beautifully acted film that isn't long."
