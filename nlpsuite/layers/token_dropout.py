"""``TokenDropout``: replaces random token ids with the out-of-vocabulary id while training."""

from __future__ import annotations

__all__ = ["TokenDropout"]

from typing import Any

import keras
from keras import ops

from nlpsuite.errors import OptionError


@keras.saving.register_keras_serializable(package="nlpsuite")
class TokenDropout(keras.layers.Layer):
    """Word dropout on token ids: each real token becomes ``<unk>`` with probability ``rate``.

    Ordinary dropout on embeddings zeroes features of every word; this removes whole words, so a
    classifier trained on a few thousand texts cannot lean on a handful of memorised tokens and
    learns what unknown words look like in context (Iyyer et al. 2015, "deep averaging networks";
    the same idea as NER's singleton-to-``<unk>`` replacement). Padding (id 0) is never touched, so
    masks stay the same; at inference the ids pass through unchanged.

    Args:
        rate: probability of replacing each real token, in ``[0, 1)``.
        oov_id: the id that replaces it (``Vocabulary.oov_id``, 1 in nlpsuite vocabularies).
        seed: seed of the random draws.
        **kwargs: base layer arguments (``name``).

    Call arguments:
        inputs: integer ``[batch, time]`` token ids (0 = padding).
        training: replace tokens only when true.

    Returns:
        Token ids of the same shape and dtype.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from nlpsuite.layers import TokenDropout
    >>> ids = np.array([[5, 6, 7, 8, 0, 0]], "int32")
    >>> layer = TokenDropout(0.5, seed=1)
    >>> keras.ops.convert_to_numpy(layer(ids)).tolist()  # inference: unchanged
    [[5, 6, 7, 8, 0, 0]]
    >>> dropped = keras.ops.convert_to_numpy(layer(ids, training=True))
    >>> set(dropped[0, :4].tolist()) <= {1, 5, 6, 7, 8}, dropped[0, 4:].tolist()
    (True, [0, 0])
    """

    def __init__(self, rate: float, oov_id: int = 1, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise OptionError("rate", rate, "must be in [0, 1)")
        self.rate = float(rate)
        self.oov_id = int(oov_id)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training or self.rate == 0:
            return inputs
        draws = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
        replace = ops.logical_and(draws < self.rate, ops.not_equal(inputs, 0))
        return ops.where(replace, ops.cast(self.oov_id, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "oov_id": self.oov_id, "seed": self.seed}
