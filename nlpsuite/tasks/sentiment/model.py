"""The classifier (embedding -> recurrent stack -> pooling -> softmax) and its compiled call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from nlpsuite.layers import AttentionPooling, MaskedMaxPooling, TokenDropout
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.tasks.sentiment.config import SentimentConfig

__all__ = ["build_model", "compile_forward", "compiled_model"]


def build_model(vocab_size: int, num_classes: int, config: SentimentConfig) -> keras.Model:
    """Embedding -> recurrent stack -> pooling -> Dense(classes, softmax).

    Args:
        vocab_size: token ids are below this (0 is padding).
        num_classes: output classes.
        config: the sentiment config (sizes, cell, pooling, dropout).

    Example:
    >>> import numpy as np
    >>> model = build_model(50, 3, SentimentConfig(embedding_dim=8, units=8, pooling="attention", attention_units=4))
    >>> probabilities = model.predict(np.array([[5, 6, 7, 0]]), verbose=0)
    >>> probabilities.shape, round(float(probabilities.sum()), 4)
    ((1, 3), 1.0)
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    ids = token_ids
    if config.token_dropout:
        ids = TokenDropout(config.token_dropout, seed=config.seed, name="token_dropout")(ids)
    x = keras.layers.Embedding(vocab_size, config.embedding_dim, mask_zero=True, name="embedding")(ids)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="embedding_dropout")(x)
    x = recurrent_stack(
        config.units,
        num_layers=config.num_layers,
        cell=config.cell,
        bidirectional=config.bidirectional,
        dropout=config.dropout,
        return_sequences=config.pooling != "last",
        name="encoder",
    )(x)
    x = _pool(x, config)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="output_dropout")(x)
    probabilities = keras.layers.Dense(
        num_classes, activation="softmax", dtype="float32", name="classifier"
    )(x)
    return keras.Model(token_ids, probabilities, name="sentiment_classifier")


def _pool(sequence: Any, config: SentimentConfig) -> Any:
    """``[batch, time, features] -> [batch, pooled]`` as ``config.pooling`` says (``last``: unchanged)."""
    if config.pooling == "mean":
        return keras.layers.GlobalAveragePooling1D(name="mean_pooling")(sequence)
    pooled = []
    if config.pooling in ("attention", "attention_max"):
        pooled.append(AttentionPooling(config.attention_units, name="attention_pooling")(sequence))
    if config.pooling in ("max", "attention_max"):
        pooled.append(MaskedMaxPooling(name="max_pooling")(sequence))
    if not pooled:
        return sequence
    # Both summaries side by side: attention picks the steps that matter, the maximum keeps every feature's
    # strongest evidence anywhere, so a positive clause is not lost behind a later negative one.
    return pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="pooled")(pooled)


def compile_forward(model: keras.Model) -> Callable[[np.ndarray], Any]:
    """``token_ids [batch, time] -> probabilities``, traced once (TF: any shape) or jitted (JAX).

    Example:
    >>> import numpy as np
    >>> model = build_model(50, 2, SentimentConfig(embedding_dim=8, units=8))
    >>> forward = compile_forward(model)
    >>> ids = np.array([[5, 6, 0]], "int32")
    >>> np.allclose(np.asarray(forward(ids)), model.predict(ids, verbose=0), atol=1e-6)
    True
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, None), tf.int32)],
        )
    if backend == "jax":
        import jax

        jitted = jax.jit(
            lambda trainable, other, x: model.stateless_call(trainable, other, x, training=False)[0]
        )
        return lambda x: jitted(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            x,
        )
    return lambda x: model(x, training=False)


def compiled_model(vocab_size: int, num_classes: int, config: SentimentConfig) -> keras.Model:
    """``build_model`` compiled for training: Adam (with ``clipnorm``), cross-entropy, accuracy.

    Example:
    >>> model = compiled_model(50, 2, SentimentConfig(embedding_dim=8, units=8, learning_rate=0.01))
    >>> model.loss, round(float(model.optimizer.learning_rate), 4)
    ('sparse_categorical_crossentropy', 0.01)
    """
    model = build_model(vocab_size, num_classes, config)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm or None),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=config.jit_compile,
    )
    return model
