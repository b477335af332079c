"""The writing systems a text is written in, so a model can say when its input is not in the language it reads.

A model trained on English has no sensible answer for Chinese text, nor for a string of emoji, yet its softmax
still gives one with confidence. ``script_warnings`` turns the script mix of an input into a plain sentence
that the tasks return as ``"warnings"`` and the pages show.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ScriptMix", "script_mix", "script_of", "script_warnings", "with_script_warnings", "LANGUAGE_SCRIPTS"]

# The script each model language is written in (Spanish and English share Latin letters, so Spanish text on an
# English model passes: the scripts alone cannot tell them apart).
LANGUAGE_SCRIPTS = {"en": "latin", "es": "latin", "spa": "latin", "zh": "han"}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "spa": "Spanish", "zh": "Chinese"}
SCRIPT_NAMES = {"han": "Chinese", "latin": "Latin-script"}
# Below this share of its letters in the model's script, an input is "in another language".
MIN_SHARE = 0.5


def script_of(char: str) -> str | None:
    """``"han"``, ``"latin"`` or the Unicode script name (``"cyrillic"``, ``"arabic"``…) of a letter; ``None``
    for anything else (digits, punctuation, spaces, emoji and other symbols).

    Args:
        char: one character.

    Example:

    >>> [script_of(c) for c in "a中я7🎉"]
    ['latin', 'han', 'cyrillic', None, None]
    """
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
        return "han"
    first = name.split(" ", 1)[0].lower()
    return first or "other"


@dataclass(frozen=True)
class ScriptMix:
    """Letter counts per script of one text, plus whether it has any symbol (emoji included).

    Args:
        letters: ``{script: count}`` over the text's letters (see ``script_of``).
        symbols: characters that are neither letters, digits, punctuation nor spaces (emoji, ©, →…).

    Example:
    >>> mix = ScriptMix({"latin": 3, "han": 1}, symbols=1)
    >>> mix.total, mix.share("han"), mix.dominant
    (4, 0.25, 'latin')
    """

    letters: Mapping[str, int] = field(default_factory=dict)
    symbols: int = 0

    @property
    def total(self) -> int:
        """The number of letters."""
        return sum(self.letters.values())

    def share(self, script: str) -> float:
        """The fraction of the letters in ``script`` (0 for a text without letters)."""
        return self.letters.get(script, 0) / self.total if self.total else 0.0

    @property
    def dominant(self) -> str | None:
        """The script with the most letters, or ``None`` for a text without letters."""
        return max(self.letters, key=self.letters.get) if self.letters else None


def script_mix(text: str) -> ScriptMix:
    """Counts the letters of ``text`` per script.

    Args:
        text: any string.

    Example:

    >>> mix = script_mix("Hello 世界 🎉")
    >>> dict(mix.letters), mix.symbols, mix.dominant
    ({'latin': 5, 'han': 2}, 1, 'latin')
    """
    letters: Counter[str] = Counter()
    symbols = 0
    for char in text:
        script = script_of(char)
        if script is not None:
            letters[script] += 1
        elif unicodedata.category(char).startswith("S"):
            symbols += 1
    return ScriptMix(dict(letters), symbols)


def script_warnings(text: str, language: str, alternatives: Mapping[str, str] | None = None) -> list[str]:
    """Plain sentences for a text the model cannot read: no letters at all, or letters mostly in another script.

    Args:
        text: the input.
        language: the model's language, a key of ``LANGUAGE_SCRIPTS`` (``en``, ``es``/``spa``, ``zh``); any
            other language gives no warnings.
        alternatives: ``{script: model}``, the model to suggest when the text is in that script, e.g.
            ``{"han": "the Chinese model"}``.

    Returns:
        ``[]`` when the text fits the model, else one sentence.

    Example:

    >>> script_warnings("A gripping film", "en")
    []
    >>> script_warnings("房间很干净", "en", {"han": "the Chinese model"})
    ['This looks like Chinese text, but the model reads English; try the Chinese model.']
    >>> script_warnings("🎉🔥👍", "en")
    ['The text has no letters (only emoji, digits or symbols), so the answer means nothing.']
    """
    expected = LANGUAGE_SCRIPTS.get(language)
    if expected is None or not text.strip():
        return []
    mix = script_mix(text)
    if mix.total == 0:
        return ["The text has no letters (only emoji, digits or symbols), so the answer means nothing."]
    if mix.share(expected) >= MIN_SHARE:
        return []
    found = mix.dominant
    name = SCRIPT_NAMES.get(found, found.capitalize())
    sentence = f"This looks like {name} text, but the model reads {LANGUAGE_NAMES[language]}"
    suggestion = (alternatives or {}).get(found)
    return [f"{sentence}; try {suggestion}." if suggestion else f"{sentence}, so the answer means little."]


def with_script_warnings(
    result: dict[str, Any], text: str, language: str, alternatives: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``result`` with a ``"warnings"`` list added when ``script_warnings`` has any (left out otherwise).

    Args:
        result: one predict result; changed in place and returned.
        text: its input.
        language: the model's language, as in ``script_warnings``.
        alternatives: models to suggest per script, as in ``script_warnings``.

    Example:

    >>> with_script_warnings({"label": "positive"}, "🎉", "en")["warnings"][0][:24]
    'The text has no letters '
    """
    warnings = script_warnings(text, language, alternatives)
    if warnings:
        result.setdefault("warnings", []).extend(warnings)
    return result
