"""``AttentionPooling``: masked additive attention over a sequence (one layer, registered)."""

from __future__ import annotations

__all__ = ["AttentionPooling", "SequencePooling"]

from typing import Any

import keras
from keras import ops


class SequencePooling(keras.layers.Layer):
    """Base of the masked poolings: ``[batch, time, features]`` and its mask -> ``[batch, features]``.

    Subclasses implement ``call(inputs, mask=None)``; the mask is consumed (the output has no time axis
    left to mask), as in ``AttentionPooling`` and ``MaskedMaxPooling``.

    Example:

    >>> issubclass(AttentionPooling, SequencePooling), AttentionPooling().compute_output_shape((2, 5, 4))
    (True, (2, 4))
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[-1])


@keras.saving.register_keras_serializable(package="nlpsuite")
class AttentionPooling(SequencePooling):
    """Masked additive attention pooling: a learned weighted average of a sequence's vectors.

    ``score_t = v . tanh(W h_t + b)``; padded steps get no weight; the output is ``sum_t
    softmax(score)_t h_t``.

    Args:
        units: hidden size of the scorer (``W``'s output size).
        **kwargs: base layer arguments (``name``, ``dtype``).

    Call arguments:
        inputs: ``[batch, time, features]``.
        mask: optional ``[batch, time]`` boolean (taken from the inputs' Keras mask); every row
            needs one ``True``.

    Returns:
        ``[batch, features]``.

    Example:

    >>> import numpy as np
    >>> from nlpsuite.layers import AttentionPooling
    >>> pool = AttentionPooling(8)
    >>> x = np.random.rand(2, 5, 4).astype("float32")
    >>> tuple(pool(x, mask=np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)).shape)
    (2, 4)
    """

    def __init__(self, units: int = 128, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape: tuple) -> None:
        features = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel", shape=(features, self.units), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.score = self.add_weight(
            name="score", shape=(self.units,), initializer="glorot_uniform"
        )

    def attention_weights(self, inputs: Any, mask: Any = None) -> Any:
        """``[batch, time]`` weights that sum to 1 over the unmasked steps."""
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        # float32 so the masking constant cannot overflow under mixed precision.
        scores = ops.cast(ops.sum(hidden * self.score, axis=-1), "float32")
        if mask is not None:
            scores = ops.where(ops.cast(mask, "bool"), scores, ops.full_like(scores, -1e9))
        return ops.cast(ops.softmax(scores, axis=-1), inputs.dtype)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        weights = self.attention_weights(inputs, mask)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}
