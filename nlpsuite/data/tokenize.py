"""Text -> tokens for the classifiers: English words, Chinese characters (or jieba words).

- ``word`` (English): NFKC, lower-cased, PTB escapes undone (``-lrb-`` -> ``(``), contractions split
  the way the Penn Treebank and SST split them (``isn't`` -> ``is n't``, ``it's`` -> ``it 's``),
  punctuation as tokens. Raw user text and SST's pre-tokenised sentences give the same tokens.
- ``char`` (Chinese, the default there): one token per Han character or punctuation mark; runs of
  Latin letters and numbers stay whole (``15.4寸`` -> ``15.4``, ``寸``), which keeps reviews shorter
  without a segmenter. Optionally traditional -> simplified (OpenCC tables), since ChnSentiCorp
  mixes both scripts.
- ``jieba``: jieba's word segmentation (dictionary + HMM) for Chinese, as an option.

A ``Tokenizer`` is plain settings, saved as JSON with the ``Vocabulary`` (``nlpsuite.data.vocab``)
so a loaded model tokenises exactly as in training. keras-hub's tokenizers do not fit here: its
word-level choices are subword models (WordPiece/BPE/SentencePiece) that need a trained vocabulary
or merge table, and ``UnicodeCodepointTokenizer`` maps characters to code points (capped by code
point value, not by frequency). The frequency-capped vocabulary with an OOV id that the classic
classifier expects is a ``Vocabulary``.

Example:

>>> from nlpsuite.data.tokenize import Tokenizer
>>> Tokenizer("word").tokenize("It isn't bad -LRB- really -RRB- !")
['it', 'is', "n't", 'bad', '(', 'really', ')', '!']
>>> Tokenizer("char").tokenize("15.4寸笔记本，很好")
['15.4', '寸', '笔', '记', '本', ',', '很', '好']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nlpsuite.data.segment import segment
from nlpsuite.errors import NlpsuiteError

__all__ = ["Tokenizer", "default_tokenizer", "detect_language", "han_fraction", "pad", "truncate"]

KINDS = ("word", "char", "jieba")
_PTB_ESCAPES = {
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
    "\\/": "/",
    "\\*": "*",
}
_PTB_RE = re.compile("|".join(re.escape(k) for k in _PTB_ESCAPES))
_NT_RE = re.compile(r"(\w)n't\b")
_CLITIC_RE = re.compile(r"(\w)'(s|re|ve|ll|d|m)\b")
_WORD_RE = re.compile(r"n't|'(?:s|re|ve|ll|d|m)\b|\d+(?:[,.]\d+)+|\w+(?:[-'.]\w+)*|\S")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CHAR_RE = re.compile(rf"[a-z]+|\d+(?:\.\d+)?|[{_HAN}]|[^\s{_HAN}a-z\d]")
_HAN_RE = re.compile(f"[{_HAN}]")


@dataclass
class Tokenizer:
    """Settings that turn a text into tokens.

    Args:
        kind: ``word`` (English), ``char`` (Chinese characters) or ``jieba`` (Chinese words).
        lowercase: lower-case before splitting.
        simplify: convert traditional Chinese characters to simplified first (``char``/``jieba``).

    Example:
    >>> Tokenizer("word").tokenize("It's -LRB-not-RRB- 1,000 films!")
    ['it', "'s", '(', 'not', ')', '1,000', 'films', '!']
    >>> Tokenizer("char", simplify=True).tokenize("這部電影 OK")
    ['这', '部', '电', '影', 'ok']
    """

    kind: str = "word"
    lowercase: bool = True
    simplify: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise NlpsuiteError(
                f"unknown tokenizer {self.kind!r}; choose one of {', '.join(KINDS)}"
            )

    def normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        if self.lowercase:
            text = text.lower()
        if self.simplify and self.kind != "word":
            text = _to_simplified(text)
        return text

    def tokenize(self, text: str) -> list[str]:
        text = self.normalize(text)
        if self.kind == "word":
            text = _PTB_RE.sub(lambda m: f" {_PTB_ESCAPES[m.group(0)]} ", text)
            text = _CLITIC_RE.sub(r"\1 '\2", _NT_RE.sub(r"\1 n't", text))
            return _WORD_RE.findall(text)
        if self.kind == "char":
            return _CHAR_RE.findall(text)
        return [w for w in segment(text) if w.strip()]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tokenizer:
        return cls(**data)


_CONVERTER: Any = None


def _to_simplified(text: str) -> str:
    global _CONVERTER
    if _CONVERTER is None:
        from opencc import OpenCC

        _CONVERTER = OpenCC("t2s")
    return _CONVERTER.convert(text)


def han_fraction(texts: Iterable[str]) -> float:
    """Share of non-space characters that are Han characters.

    Example:
    >>> han_fraction(["电影 ok", "好"])
    0.6
    """
    han = total = 0
    for text in texts:
        han += len(_HAN_RE.findall(text))
        total += sum(not c.isspace() for c in text)
    return han / total if total else 0.0


def detect_language(texts: Sequence[str], sample: int = 2000) -> str:
    """``zh`` when a fifth or more of the characters are Han, else ``en``.

    Args:
        texts: the texts of a dataset.
        sample: how many of the first texts to look at.

    Example:
    >>> detect_language(["这部电影很好", "a film"]), detect_language(["a good film", "电"])
    ('zh', 'en')
    """
    return "zh" if han_fraction(texts[:sample]) >= 0.2 else "en"


def default_tokenizer(language: str) -> Tokenizer:
    """Characters (simplified) for ``zh``, words for anything else.

    Example:
    >>> default_tokenizer("zh")
    Tokenizer(kind='char', lowercase=True, simplify=True)
    """
    return Tokenizer("char", simplify=True) if language == "zh" else Tokenizer("word")


def truncate(items: list, max_length: int) -> list:
    """Keeps the first and last ``max_length / 2`` items: reviews give a verdict at either end.

    Example:
    >>> truncate(list("abcdefg"), 4)
    ['a', 'b', 'f', 'g']
    """
    if len(items) <= max_length:
        return items
    head = (max_length + 1) // 2
    return items[:head] + items[len(items) - (max_length - head) :]


def pad(sequences: Sequence[np.ndarray], multiple: int = 8) -> np.ndarray:
    """Right-pads with 0 to the longest length, rounded up to ``multiple`` (few shapes to trace).

    Example:
    >>> import numpy as np
    >>> pad([np.array([5, 6]), np.array([7])], multiple=4)
    array([[5, 6, 0, 0],
           [7, 0, 0, 0]], dtype=int32)
    """
    longest = max(len(s) for s in sequences)
    width = -(-longest // multiple) * multiple
    batch = np.zeros((len(sequences), width), dtype="int32")
    for row, seq in enumerate(sequences):
        batch[row, : len(seq)] = seq
    return batch
