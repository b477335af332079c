"""Readers of nlpsuite.data.corpus: chinese-poetry JSON, title:poem lines, running text, forms,
splits."""

from __future__ import annotations

import json

import pytest

from nlpsuite.data import corpus
from nlpsuite.errors import NlpsuiteError

from .conftest import FIXTURES


def test_reads_a_folder_of_chinese_poetry_json_in_numeric_order():
    poems = corpus.read_chinese_poetry_json(FIXTURES)
    assert len(poems) == 17
    assert poems[0].title == "靜夜思" and poems[0].author == "李白"
    assert poems[0].text == "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。"
    assert poems[8].source == "poet.tang.1000.json#0"


def test_reads_one_json_file():
    assert len(corpus.read_poems(FIXTURES / "poet.tang.0.json")) == 8


def test_reads_title_poem_lines_skipping_blank_lines():
    poems = corpus.read_poems(FIXTURES / "wujue.txt")
    assert [p.title for p in poems] == ["相思", "送別", "鳥鳴澗", "殘句"]
    assert poems[2].text == "人閒桂花落，夜靜春山空。月出驚山鳥，時鳴春澗中。"
    assert poems[2].source == "wujue.txt:4"


def test_title_poem_line_without_colon_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(
        "好詩:春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。\n沒有冒號的行\n", encoding="utf-8"
    )
    with pytest.raises(NlpsuiteError, match=r"bad.txt:2: expected 'title:poem'"):
        corpus.read_title_poem_lines(path)


def test_bad_json_records_name_the_file_and_poem(tmp_path):
    path = tmp_path / "poet.bad.json"
    path.write_text(json.dumps([{"paragraphs": ["好。"]}, {"title": "x"}]), encoding="utf-8")
    with pytest.raises(NlpsuiteError, match=r"poet.bad.json: poem #1 has no 'paragraphs'"):
        corpus.read_chinese_poetry_json(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match="not valid UTF-8 JSON"):
        corpus.read_chinese_poetry_json(path)


def test_layout_detection():
    assert corpus.detect_layout(FIXTURES) == "json"
    assert corpus.detect_layout(FIXTURES / "wujue.txt") == "title_poem"
    assert corpus.detect_layout(FIXTURES / "tiny.txt") == "text"


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。", "wujue"),
        ("清明時節雨紛紛，路上行人欲斷魂。借問酒家何處有？牧童遙指杏花村。", "qijue"),
        (
            "國破山河在，城春草木深。感時花濺淚，恨別鳥驚心。烽火連三月，家書抵萬金。白頭搔更短，渾欲不勝簪。",
            "wulv",
        ),
        ("君不見黃河之水天上來，奔流到海不復回。", None),
        ("床前明月光，疑是地上霜。舉頭望明月，低頭思故", None),
        ("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉A。", None),
        ("", None),
    ],
)
def test_classify_form_counts_characters_per_line(text, form):
    assert corpus.classify_form(text) == form


def test_prepare_cleans_converts_filters_and_deduplicates():
    kept, counts = corpus.prepare_poems(corpus.read_chinese_poetry_json(FIXTURES))
    texts = dict((t, f) for f, t in kept)
    assert counts == {"read": 17, "lacuna": 2, "other_form": 1, "duplicate": 1, "kept": 13}
    # Traditional -> simplified, canonical punctuation (？ -> ，), variant reading in brackets
    # removed.
    assert texts["床前明月光，疑是地上霜。举头望明月，低头思故乡。"] == "wujue"
    assert "清明时节雨纷纷，路上行人欲断魂。借问酒家何处有，牧童遥指杏花村。" in texts
    assert "众鸟高飞尽，孤云独去闲。相看两不厌，只有敬亭山。" in texts
    assert {f for f in texts.values()} == {"wujue", "qijue", "wulv", "qilv"}


def test_prepare_keeps_traditional_when_asked_and_filters_forms():
    kept, _ = corpus.prepare_poems(
        corpus.read_chinese_poetry_json(FIXTURES), forms=["qilv"], simplified=False
    )
    assert [f for f, _ in kept] == ["qilv", "qilv"]
    assert kept[0][1].startswith("風急天高猿嘯哀")


def test_unknown_form_is_rejected():
    with pytest.raises(NlpsuiteError, match="unknown form 'sonnet'"):
        corpus.prepare_poems([], forms=["sonnet"])


def test_check_form_and_acrostic():
    poem = "春眠不觉晓，夏闻啼鸟声。秋来风雨夜，冬落知多少。"
    assert corpus.check_form(poem, "wujue")
    assert corpus.check_form(poem, "wujue", acrostic="春夏秋冬")
    assert not corpus.check_form(poem, "wujue", acrostic="春夏秋天")
    assert not corpus.check_form(poem, "qijue")
    assert not corpus.check_form(poem.replace("。", "，", 1), "wujue")  # wrong punctuation


def test_splits_are_stable_and_disjoint():
    assert corpus.split_of("床前明月光") == corpus.split_of("床前明月光")
    shares = [corpus.split_of(str(i)) for i in range(4000)]
    assert 0.03 < shares.count("test") / 4000 < 0.07 and 0.03 < shares.count("dev") / 4000 < 0.07
    text = "".join(chr(65 + i % 26) for i in range(1000))
    parts = corpus.split_running_text(text)
    assert parts["train"] + parts["dev"] + parts["test"] == text
    assert len(parts["test"]) == 100 and len(parts["dev"]) == 50


def test_read_text_rejects_non_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café".encode("latin-1"))
    with pytest.raises(NlpsuiteError, match="not UTF-8"):
        corpus.read_text(path)
