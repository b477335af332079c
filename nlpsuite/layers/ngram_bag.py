"""``HashedNgramBag``: fastText's bag of hashed n-grams over token ids (one layer, registered)."""

from __future__ import annotations

__all__ = ["HashedNgramBag"]

from typing import Any

import keras
from keras import ops

from nlpsuite.errors import OptionError

# Multiplier of the rolling n-gram hash. Kept small so ``hash * PRIME + id`` stays inside int32 for
# any bucket count up to 2**20 (JAX runs without 64-bit integers by default).
PRIME = 1009
MAX_BUCKETS = 2**20


@keras.saving.register_keras_serializable(package="nlpsuite")
class HashedNgramBag(keras.layers.Layer):
    """The mean embedding of a text's token n-grams (orders 1 to ``max_order``), hashed into buckets.

    A bag of n-grams is what linear text classifiers (NBSVM, TF-IDF + logistic regression) and
    fastText (Joulin et al. 2017) read; beside a recurrent encoder it adds local word-order evidence
    ("not good", "一般般") that a small data set cannot teach a recurrent layer to keep. N-grams are
    hashed in the graph (a rolling hash of the ids, modulo ``buckets``), so the layer needs no
    n-gram vocabulary and runs on any backend and in exported models.

    Args:
        buckets: rows of the n-gram embedding table (hash collisions share a row), at most 2**20.
        output_dim: the embedding size.
        max_order: the longest n-gram (1 = a bag of words).
        embeddings_initializer: initializer of the table.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Call arguments:
        token_ids: ``[batch, time]`` integer ids, 0 = padding (n-grams that touch padding are left out).

    Returns:
        ``[batch, output_dim]``: the mean of the text's n-gram embeddings (zeros for an empty text).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> bag = HashedNgramBag(buckets=64, output_dim=4, max_order=2)
    >>> out = bag(np.array([[5, 6, 7, 0], [5, 6, 0, 0]], "int32"))
    >>> tuple(out.shape)
    (2, 4)
    >>> hashes, real = bag.ngram_hashes(np.array([[5, 6, 0]], "int32"))
    >>> keras.ops.convert_to_numpy(real).tolist()  # ids 5, 6, their bigram; what touches padding is masked
    [[True, True, False, True, False]]
    """

    def __init__(
        self,
        buckets: int,
        output_dim: int,
        max_order: int = 2,
        embeddings_initializer: Any = "uniform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 2 <= int(buckets) <= MAX_BUCKETS:
            raise OptionError("buckets", buckets, f"must be in [2, {MAX_BUCKETS}]")
        if int(max_order) < 1:
            raise OptionError("max_order", max_order, "must be at least 1")
        self.buckets, self.output_dim, self.max_order = int(buckets), int(output_dim), int(max_order)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embedding = keras.layers.Embedding(
            self.buckets, self.output_dim, embeddings_initializer=self.embeddings_initializer,
            dtype=self.dtype_policy, name="ngram_embedding",
        )

    def build(self, input_shape: Any) -> None:
        self.embedding.build(input_shape)
        self.built = True

    def ngram_hashes(self, token_ids: Any) -> tuple[Any, Any]:
        """``([batch, ngrams] bucket ids, [batch, ngrams] bool real-n-gram mask)``, orders 1..max_order
        concatenated along the second axis."""
        ids = ops.cast(token_ids, "int32")
        real = ids > 0
        wrapped = ops.mod(ids, self.buckets)
        current, current_real = wrapped, real
        hashes, masks = [current], [current_real]
        for order in range(2, self.max_order + 1):
            current = ops.mod(current[:, :-1] * PRIME + wrapped[:, order - 1 :], self.buckets)
            current_real = ops.logical_and(current_real[:, :-1], real[:, order - 1 :])
            hashes.append(current)
            masks.append(current_real)
        return ops.concatenate(hashes, axis=1), ops.concatenate(masks, axis=1)

    def call(self, token_ids: Any) -> Any:
        hashes, real = self.ngram_hashes(token_ids)
        vectors = self.embedding(hashes)
        weights = ops.expand_dims(ops.cast(real, vectors.dtype), -1)
        total = ops.sum(vectors * weights, axis=1)
        return total / ops.maximum(ops.sum(weights, axis=1), ops.cast(1.0, vectors.dtype))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.output_dim)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None  # one vector per text

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            buckets=self.buckets,
            output_dim=self.output_dim,
            max_order=self.max_order,
            embeddings_initializer=keras.initializers.serialize(self.embeddings_initializer),
        )
        return config
