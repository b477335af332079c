"""Tokenisation that keeps character offsets, so a tagger's output maps back onto the raw text.

- ``tokenize_en``: a CoNLL/PTB-like English tokeniser. It splits punctuation off words, keeps abbreviations
  (``U.S.``), numbers (``1,000.5``, ``12:30``), hyphenated words and URLs/e-mails whole, and splits clitics
  as the Penn Treebank does (``don't`` -> ``do n't``, ``Peter's`` -> ``Peter 's``). Any CJK character inside
  English text becomes a token of its own.
- ``tokenize_chars``: one token per non-space character, the unit of Chinese NER corpora (Resume, Weibo).
- ``tokenize``: picks one of the two by language (``en``, ``zh``) or, with ``auto``, by the share of CJK
  characters.

Example:

>>> from nlpsuite.data.text import tokenize_en, tokenize_chars
>>> [t.text for t in tokenize_en("Mr. Smith didn't visit the U.S. in 1996.")]
['Mr.', 'Smith', 'did', "n't", 'visit', 'the', 'U.S.', 'in', '1996', '.']
>>> tokenize_en("EU rejects it")[1]
Token(text='rejects', start=3, end=10)
>>> [t.text for t in tokenize_chars("张三 在北京")]
['张', '三', '在', '北', '京']
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from nlpsuite.errors import check_choice

__all__ = [
    "Token",
    "cjk_ratio",
    "detect_language",
    "is_cjk",
    "normalize_nfkc",
    "tokenize",
    "tokenize_chars",
    "tokenize_en",
]


class Token(NamedTuple):
    """A token and its character span in the source text (``text == source[start:end]``).

    Example:
    >>> source = "Hi Bob"
    >>> token = Token("Bob", 3, 6)
    >>> source[token.start : token.end] == token.text
    True
    """

    text: str
    start: int
    end: int


# CJK ideographs, kana and hangul, plus CJK punctuation and full-width forms: each one is a token by itself.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f"
)
_CJK_RE = re.compile(f"[{_CJK}]")

# Order matters: the first alternative that matches at a position wins.
_EN_TOKEN = re.compile(
    rf"""
    [{_CJK}]                                          # a CJK character
  | https?://[^\s{_CJK}]+[^\s.,;:!?)\]'"{_CJK}]        # a URL (trailing punctuation left off)
  | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                      # an e-mail address
  | (?:[^\W\d_]\.){{2,}}(?![^\W\d_])                  # an abbreviation with dots: U.S., e.g.
  | (?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Inc|Ltd|Co|Corp|No|vs|etc|Jan|Feb
       |Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.(?=\s|$)     # a common abbreviation before a space
  | \d+(?:[.,:/]\d+)+                                 # a number with separators: 1,000.5 12:30 3/4
  | (?i:\w+(?=n't\b))                                 # "do" of "don't"
  | (?i:n't)\b                                        # "n't"
  | (?i:['’](?:s|re|ve|ll|d|m))\b                     # clitics: 's 're 've 'll 'd 'm
  | \w+(?:[-&]\w+|['’](?!(?i:s|re|ve|ll|d|m)\b)\w+)*   # a word, maybe hyphenated (Anglo-Dutch, O'Neil)
  | \.\.\.|--|``|''                                   # multi-character punctuation
  | \S                                                # any other single character
    """,
    re.VERBOSE | re.UNICODE,
)


def tokenize_en(text: str) -> list[Token]:
    """English tokens with offsets (see the module docstring for the rules).

    Example:
    >>> [t.text for t in tokenize_en("Mr. O'Neil didn't pay $1,000.50 to the U.S. firm.")]
    ['Mr.', "O'Neil", 'did', "n't", 'pay', '$', '1,000.50', 'to', 'the', 'U.S.', 'firm', '.']
    """
    return [Token(m.group(), m.start(), m.end()) for m in _EN_TOKEN.finditer(text)]


def tokenize_chars(text: str) -> list[Token]:
    """One token per non-whitespace character (Chinese NER's unit), with offsets.

    Example:
    >>> tokenize_chars("北京 大学")[2]
    Token(text='大', start=3, end=4)
    """
    return [Token(ch, i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]


def cjk_ratio(text: str) -> float:
    """The share of non-space characters that are CJK (0 for empty text).

    Example:
    >>> cjk_ratio("北京 ok")
    0.5
    """
    chars = [c for c in text if not c.isspace()]
    return sum(bool(_CJK_RE.match(c)) for c in chars) / len(chars) if chars else 0.0


def is_cjk(char: str) -> bool:
    """Whether ``char`` is CJK: an ideograph, kana, hangul, CJK punctuation or a full-width form.

    Example:
    >>> is_cjk("京"), is_cjk("。"), is_cjk("a")
    (True, True, False)
    """
    return bool(_CJK_RE.match(char))


def detect_language(text: str) -> str:
    """``zh`` when at least a third of the characters are CJK, else ``en``.

    Example:
    >>> detect_language("我爱纽约 NY"), detect_language("I love 北京 a lot")
    ('zh', 'en')
    """
    return "zh" if cjk_ratio(text) >= 1 / 3 else "en"


def tokenize(text: str, language: str = "auto") -> list[Token]:
    """Tokens with offsets: per character for ``zh``, ``tokenize_en`` for ``en``; ``auto`` decides by script.

    Args:
        text: the text.
        language: ``en``, ``zh`` or ``auto``.

    Returns:
        ``Token`` s with ``text == source[start:end]``.

    Example:
    >>> [t.text for t in tokenize("我爱北京")], [t.text for t in tokenize("I can't")]
    (['我', '爱', '北', '京'], ['I', 'ca', "n't"])
    """
    check_choice("language", language, ("en", "zh", "auto"))
    if language == "auto":
        language = detect_language(text)
    return tokenize_chars(text) if language == "zh" else tokenize_en(text)


def normalize_nfkc(text: str) -> str:
    """Full-width letters/digits -> ASCII etc.; the length of each character is unchanged for CJK text,
    so it is safe to apply per token.

    Example:
    >>> normalize_nfkc("ＡＢＣ１２３")
    'ABC123'
    """
    return unicodedata.normalize("NFKC", text)
