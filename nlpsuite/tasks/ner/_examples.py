"""The tiny NER set-up the package's ``>>>`` examples share: one English sentence, its preprocessor and an
untrained network small enough to build in a moment, so each example shows the call it documents.

``NerTask``'s own docstring shows how these pieces are put together.
"""

from __future__ import annotations

from typing import Any

from nlpsuite.data.conll import Sentence
from nlpsuite.tasks.ner.config import NerConfig
from nlpsuite.tasks.ner.model import build_model
from nlpsuite.tasks.ner.preprocess import NerPreprocessor
from nlpsuite.tasks.ner.task import NerTask

__all__ = ["SENTENCE", "tiny_config", "tiny_preprocessor", "tiny_task"]

# Two entity types, so the tag set has more than one entity's four BIOES tags.
SENTENCE = Sentence(["Anna", "visited", "Paris"], ["B-PER", "O", "B-LOC"])


def tiny_preprocessor() -> NerPreprocessor:
    """The preprocessor of ``SENTENCE``: trained in BIOES, data in BIO, English, no bigrams (9 tags).

    Example:

    >>> tags = tiny_preprocessor().tags.tokens
    >>> len(tags), tags[:3]
    (9, ['O', 'B-LOC', 'I-LOC'])
    """
    return NerPreprocessor.build([SENTENCE], scheme="BIOES", data_scheme="BIO", language="en", use_bigrams=False)


def tiny_config(**options: Any) -> NerConfig:
    """An English ``NerConfig`` with every width at a few units and no XLA for ``predict`` (an example
    calls it once); ``options`` override any field.

    Example:

    >>> tiny_config(units=2).units, tiny_config().word_dim
    (2, 8)
    """
    widths = {"word_dim": 8, "char_dim": 4, "char_output_dim": 4, "casing_dim": 2, "units": 4}
    return NerConfig(**{"language": "en", "predict_jit": False, **widths, **options})


def tiny_task(**options: Any) -> NerTask:
    """A ``NerTask`` of ``tiny_preprocessor()`` and an untrained network of ``tiny_config(**options)``.

    Example:

    >>> len(tiny_task().tag([["Anna", "visited"]])[0])
    2
    """
    preprocessor, config = tiny_preprocessor(), tiny_config(**options)
    return NerTask(config, build_model(config, preprocessor), {"preprocessor": preprocessor})
