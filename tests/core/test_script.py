"""The script detector that tells a model's input is not in its language (nlpsuite.data.script)."""

import pytest

from nlpsuite.data.script import script_mix, script_of, script_warnings, with_script_warnings

SUGGEST = {"han": "the Chinese model", "latin": "the English model"}


def test_letters_are_counted_per_script():
    mix = script_mix("Путин met 習近平 in Berlin 🎉 2024!")
    assert mix.letters == {"cyrillic": 5, "latin": 11, "han": 3}
    assert mix.symbols == 1 and mix.dominant == "latin" and mix.share("han") == pytest.approx(3 / 19)
    assert script_of("é") == "latin" and script_of("の") == "hiragana" and script_of("7") is None


@pytest.mark.parametrize("text, language, expected", [
    ("A gripping, beautifully acted film.", "en", None),
    ("房间很干净，服务也很周到。", "zh", None),
    ("¿Dónde está la biblioteca?", "spa", None),
    ("Angela Merkel 在北京 met Путин ¿Dónde está la biblioteca?", "en", None),  # mostly Latin: fits
    ("", "en", None),  # empty input is the caller's error, not a language warning
    ("房间很干净，服务也很周到。", "en", "This looks like Chinese text, but the model reads English; try the Chinese "
     "model."),
    ("The room was clean.", "zh", "This looks like Latin-script text, but the model reads Chinese; try the English "
     "model."),
    ("Привет, как дела?", "en", "This looks like Cyrillic text, but the model reads English, so the answer means "
     "little."),
    ("🎉🔥👍🏽 !!! 42", "zh", "The text has no letters (only emoji, digits or symbols), so the answer means nothing."),
    ("🎉🔥", "klingon", None),  # a language the detector does not know: no opinion
])
def test_warnings(text, language, expected):
    assert script_warnings(text, language, SUGGEST) == ([expected] if expected else [])


def test_with_script_warnings_adds_the_key_only_when_needed():
    assert with_script_warnings({"label": "positive"}, "fine film", "en") == {"label": "positive"}
    result = with_script_warnings({"label": "positive", "warnings": ["earlier"]}, "好", "en", SUGGEST)
    assert result["warnings"] == ["earlier", "This looks like Chinese text, but the model reads English; try the "
                                  "Chinese model."]
