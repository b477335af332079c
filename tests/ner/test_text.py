"""Tokenisation with offsets (English rules, Chinese per character)."""

from __future__ import annotations

import pytest

from nlpsuite.data.text import detect_language, tokenize, tokenize_chars, tokenize_en


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Angela Merkel visited Paris.", ["Angela", "Merkel", "visited", "Paris", "."]),
        (
            "The U.S. didn't pay $1,000.50 (3/4).",
            ["The", "U.S.", "did", "n't", "pay", "$", "1,000.50", "(", "3/4", ")", "."],
        ),
        (
            "Peter's Anglo-Dutch firm, O'Neil & Co.",
            ["Peter", "'s", "Anglo-Dutch", "firm", ",", "O'Neil", "&", "Co."],
        ),
        ("Mr. Smith met Dr. Jones", ["Mr.", "Smith", "met", "Dr.", "Jones"]),
        ("SOCCER - JAPAN WIN 2-1", ["SOCCER", "-", "JAPAN", "WIN", "2-1"]),
        ("see https://example.com/a?b=1.", ["see", "https://example.com/a?b=1", "."]),
    ],
)
def test_english_tokens(text, expected):
    assert [t.text for t in tokenize_en(text)] == expected


@pytest.mark.parametrize(
    "text", ["  Hello,  world!\n New\tYork ", "Müller's café 北京 ok", "a.b@c.org said 'hi'"]
)
def test_offsets_point_into_the_text(text):
    for language in ("en", "zh"):
        for token in tokenize(text, language):
            assert text[token.start : token.end] == token.text
            assert not token.text.isspace()


def test_chinese_is_one_token_per_character():
    tokens = tokenize_chars("张三 在北京。")
    assert [t.text for t in tokens] == ["张", "三", "在", "北", "京", "。"]
    assert tokens[2].start == 3


def test_language_detection():
    assert detect_language("张三在北京大学工作") == "zh"
    assert detect_language("John works in Beijing") == "en"
    assert [t.text for t in tokenize("在北京", "auto")] == ["在", "北", "京"]


def test_an_unknown_language_names_the_argument():
    from nlpsuite.errors import OptionError

    with pytest.raises(OptionError, match="language must be one of 'en', 'zh', 'auto' \\(got 'fr'\\)"):
        tokenize("Bonjour", "fr")
