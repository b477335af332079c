"""The poetry app: a character-level LSTM/GRU language model with streamed, form-exact generation.

Split the way keras-hub splits a model family: ``preprocess`` (corpus -> ids, batches), ``model``
(the trained graph and its one-character step model), ``generate`` (sampling and constrained
decoding), ``task`` (``PoetryTask``: train / evaluate / predict / stream / save).
"""

from nlpsuite.tasks.poetry.task import PoetryConfig, PoetryTask

__all__ = ["PoetryConfig", "PoetryTask"]
