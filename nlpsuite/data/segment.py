"""Chinese word segmentation with jieba (dictionary + HMM), loaded once and quietly.

jieba builds its prefix dictionary on the first call and logs four lines about it at DEBUG level; this
module turns that logging down and keeps one initialised segmenter for the process, so the sentiment
tokenizer (``nlpsuite.data.tokenize``) and NER's softword feature (``nlpsuite.tasks.ner.preprocess``)
segment the same way.

Example:

>>> from nlpsuite.data.segment import segment
>>> segment("我来到北京清华大学")
['我', '来到', '北京', '清华大学']
"""

from __future__ import annotations

import functools
import logging
from typing import Any

__all__ = ["segment"]


@functools.cache
def _segmenter() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." is noise in a CLI's output
    jieba.initialize()
    return jieba.dt


def segment(text: str) -> list[str]:
    """jieba's words of ``text`` (accurate mode, HMM for unknown words); their concatenation is ``text``.

    Deterministic: the same text always gives the same words (the default dictionary, no user words).

    Args:
        text: the text to segment.

    Returns:
        The words, in order, whitespace runs included as their own words.

    Example:
    >>> segment("2019年加入ABC公司")
    ['2019', '年', '加入', 'ABC', '公司']
    """
    return _segmenter().lcut(text, cut_all=False, HMM=True)
