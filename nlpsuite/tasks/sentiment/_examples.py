"""The tiny sentiment data the ``>>>`` examples train on: twelve made-up reviews, two words each, that a
classifier of a few units separates in a few epochs (the package docstring writes the same file by hand).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["REVIEW_TOPICS", "write_reviews"]

REVIEW_TOPICS = ("film", "plot", "cast", "story", "score", "ending")


def write_reviews(folder: str | os.PathLike = "reviews") -> Path:
    """Writes ``<folder>/train.tsv``: ``great <topic>`` labelled positive and ``dull <topic>`` negative for
    each of ``REVIEW_TOPICS``, under a ``label<TAB>sentence`` header; returns the folder.

    Example:

    >>> (write_reviews("reviews") / "train.tsv").read_text().splitlines()[:2]
    ['label\\tsentence', 'positive\\tgreat film']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    reviews = [("positive", "great"), ("negative", "dull")]
    lines = ["label\tsentence"] + [f"{label}\t{word} {topic}" for label, word in reviews for topic in REVIEW_TOPICS]
    (folder / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
