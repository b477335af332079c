"""Token <-> id vocabularies, saved as JSON with the model (never pickled).

Example:

>>> from nlpsuite.data.vocab import Vocabulary
>>> vocab = Vocabulary.build([["a", "b", "a"], ["c"]], min_count=1)
>>> vocab.encode(["a", "z"])
[2, 1]
>>> vocab.decode([2, 1])
['a', '<unk>']
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from nlpsuite.errors import NlpsuiteError

__all__ = ["OOV", "PAD", "Vocabulary"]

PAD = "<pad>"
OOV = "<unk>"


class Vocabulary:
    """An ordered token list; index 0 is padding, index 1 the out-of-vocabulary token (when reserved).

    Args:
        tokens: every token, reserved ones first.
        pad: the padding token (id 0), or None for vocabularies without padding (tag sets).
        oov: the unknown token, or None where every token must be known (tag sets raise on unknowns).

    Example:
    >>> vocab = Vocabulary.build([["a", "good", "film"], ["a", "film"]], min_count=2)
    >>> vocab.tokens, vocab.encode(["a", "film", "plot"]), vocab.decode([3, 0])
    (['<pad>', '<unk>', 'a', 'film'], [2, 3, 1], ['film', '<pad>'])
    >>> tags = Vocabulary(["O", "B-PER"], pad=None, oov=None)
    >>> tags.lookup("I-PER")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: unknown token 'I-PER'; known: O, B-PER
    """

    def __init__(self, tokens: Sequence[str], pad: str | None = PAD, oov: str | None = OOV) -> None:
        self.tokens = list(tokens)
        self.pad = pad
        self.oov = oov
        self.index = {token: i for i, token in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise NlpsuiteError("vocabulary has duplicate tokens")

    @classmethod
    def build(cls, sequences: Iterable[Iterable[str]], max_size: int | None = None, min_count: int = 1,
              pad: str | None = PAD, oov: str | None = OOV, extra: Sequence[str] = ()) -> Vocabulary:
        """Counts tokens and keeps the most frequent (ties broken by first appearance)."""
        counts: Counter[str] = Counter()
        for sequence in sequences:
            counts.update(sequence)
        reserved = [t for t in (pad, oov, *extra) if t is not None]
        kept = [t for t, c in counts.most_common() if c >= min_count and t not in reserved]
        if max_size is not None:
            kept = kept[: max(0, max_size - len(reserved))]
        return cls(reserved + kept, pad=pad, oov=oov)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    @property
    def pad_id(self) -> int | None:
        return None if self.pad is None else self.index[self.pad]

    @property
    def oov_id(self) -> int | None:
        return None if self.oov is None else self.index[self.oov]

    def lookup(self, token: str) -> int:
        found = self.index.get(token)
        if found is not None:
            return found
        if self.oov is None:
            raise NlpsuiteError(f"unknown token {token!r}; known: {', '.join(self.tokens[:20])}")
        return self.index[self.oov]

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.lookup(t) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]

    def to_dict(self) -> dict:
        return {"tokens": self.tokens, "pad": self.pad, "oov": self.oov}

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        return cls(data["tokens"], pad=data.get("pad"), oov=data.get("oov"))

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise NlpsuiteError(f"cannot read vocabulary {path}: {exc}; retrain the model") from None
