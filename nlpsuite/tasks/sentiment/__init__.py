"""Text classification (sentiment) with a recurrent classifier, for English and Chinese.

The default model is the classic one: ``Embedding(vocab, 100) -> GRU(256) -> Dense(classes)`` with
a softmax. Options make it bidirectional, stacked (``nlpsuite.layers.recurrent.recurrent_stack``),
pool the sequence with masked additive attention (``AttentionPooling``) or a masked mean instead of
taking the last state, and add dropout.

Explanations are occlusion (leave-one-token-out): a token's contribution is how much the predicted
class's probability drops when that token is removed from the input (its id set to padding, so the
masked recurrent layer skips it exactly as if it were absent). It costs one batched forward pass per
token, needs no gradients (so it works the same on every Keras backend), and measures the very thing
the faithfulness check tests; integrated gradients would need per-backend gradient code and a
baseline choice that has no neutral meaning for token ids.

``SentimentTask``'s docstring trains a tiny classifier and explains one of its predictions.
"""

from nlpsuite.layers import AttentionPooling
from nlpsuite.tasks.sentiment.config import SentimentConfig
from nlpsuite.tasks.sentiment.data import DATASET_LAYOUTS, Splits, load_splits, read_split
from nlpsuite.tasks.sentiment.metrics import classification_metrics, expected_calibration_error
from nlpsuite.tasks.sentiment.model import build_model, compile_forward
from nlpsuite.tasks.sentiment.task import SentimentTask

__all__ = [
    "DATASET_LAYOUTS",
    "AttentionPooling",
    "SentimentConfig",
    "SentimentTask",
    "Splits",
    "build_model",
    "classification_metrics",
    "compile_forward",
    "expected_calibration_error",
    "load_splits",
    "read_split",
]
