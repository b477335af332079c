"""The classifier (embedding -> recurrent stack -> pooling -> softmax) and its compiled call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from nlpsuite.layers import AttentionPooling
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.tasks.sentiment.config import SentimentConfig

__all__ = ["build_model", "compile_forward", "compiled_model"]


def build_model(vocab_size: int, num_classes: int, config: SentimentConfig) -> keras.Model:
    """Embedding -> recurrent stack -> pooling -> Dense(classes, softmax)."""
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, config.embedding_dim, mask_zero=True, name="embedding")(
        token_ids
    )
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
    if config.pooling == "attention":
        x = AttentionPooling(config.attention_units, name="attention_pooling")(x)
    elif config.pooling == "mean":
        x = keras.layers.GlobalAveragePooling1D(name="mean_pooling")(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="output_dropout")(x)
    probabilities = keras.layers.Dense(
        num_classes, activation="softmax", dtype="float32", name="classifier"
    )(x)
    return keras.Model(token_ids, probabilities, name="sentiment_classifier")


def compile_forward(model: keras.Model) -> Callable[[np.ndarray], Any]:
    """``token_ids [batch, time] -> probabilities``, traced once (TF: any shape) or jitted (JAX)."""
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
    model = build_model(vocab_size, num_classes, config)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm or None),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=config.jit_compile,
    )
    return model
