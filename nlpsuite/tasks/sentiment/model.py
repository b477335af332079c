"""The classifier (embedding -> recurrent stack -> pooling -> softmax) and its compiled call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from nlpsuite.layers import AttentionPooling, HashedNgramBag, MaskedMaxPooling, TokenDropout
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.tasks.sentiment.config import SentimentConfig

__all__ = ["averaged", "build_members", "build_model", "compile_forward", "compiled_model"]


def build_model(vocab_size: int, num_classes: int, config: SentimentConfig) -> keras.Model:
    """Embedding -> recurrent stack -> pooling -> Dense(classes, softmax); with ``config.ensemble`` > 1
    or ``config.ngram_member``, the average of the members' probabilities (independently initialised
    recurrent classifiers, and a fastText classifier of the n-gram bag).

    This is the model that is saved and served: one ``[batch, classes]`` probabilities output either way.

    Args:
        vocab_size: token ids are below this (0 is padding).
        num_classes: output classes.
        config: the sentiment config (sizes, cell, pooling, dropout, ensemble).

    Example:
    >>> import numpy as np
    >>> model = build_model(50, 3, SentimentConfig(embedding_dim=8, units=8, pooling="attention", attention_units=4))
    >>> probabilities = model.predict(np.array([[5, 6, 7, 0]]), verbose=0)
    >>> probabilities.shape, round(float(probabilities.sum()), 4)
    ((1, 3), 1.0)
    >>> ensemble = build_model(50, 3, SentimentConfig(embedding_dim=8, units=8, ensemble=3))
    >>> ensemble.output.shape, "embedding_m3" in [layer.name for layer in ensemble.layers]
    ((None, 3), True)
    >>> with_ngrams = build_model(50, 2, SentimentConfig(embedding_dim=8, units=8, ngram_order=2, ngram_member=True))
    >>> "ngram_classifier" in [layer.name for layer in with_ngrams.layers]  # a fastText member, averaged in
    True
    """
    return averaged(build_members(vocab_size, num_classes, config))


def build_members(vocab_size: int, num_classes: int, config: SentimentConfig) -> keras.Model:
    """The model that trains: one probabilities output per ensemble member, all reading one token-ids input.

    Members share nothing but the input: each has its own embedding, token dropout, encoder, pooling,
    dropout and classifier, initialised from its own draws of the seeded generator (and its own token
    dropout seed), so training them together under a summed loss is training them independently. The
    first member's layers keep the single model's names; member ``k`` > 1 adds ``_m<k>``. With
    ``config.ensemble == 1`` this is exactly ``build_model``.

    Args:
        vocab_size: token ids are below this (0 is padding).
        num_classes: output classes.
        config: the sentiment config.

    Example:
    >>> import numpy as np
    >>> members = build_members(50, 2, SentimentConfig(embedding_dim=8, units=8, ensemble=2))
    >>> [tuple(p.shape) for p in members.predict(np.array([[5, 6, 0]]), verbose=0)]
    [(1, 2), (1, 2)]
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    outputs = [_member(token_ids, vocab_size, num_classes, config, k) for k in range(config.ensemble)]
    if config.ngram_member:
        outputs.append(_ngram_member(token_ids, num_classes, config))
    if len(outputs) == 1:
        return keras.Model(token_ids, outputs[0], name="sentiment_classifier")
    return keras.Model(token_ids, outputs, name="sentiment_members")


def averaged(members: keras.Model) -> keras.Model:
    """The serving model of ``build_members``'s model: its members' probabilities averaged (the same layers
    and weights), or the model itself when it has a single output.

    Example:
    >>> import numpy as np
    >>> members = build_members(50, 2, SentimentConfig(embedding_dim=8, units=8, ensemble=2))
    >>> ids = np.array([[5, 6, 0]], "int32")
    >>> np.allclose(averaged(members).predict(ids, verbose=0), np.mean(members.predict(ids, verbose=0), 0))
    True
    """
    if len(members.outputs) == 1:
        return members
    # float32 like the classifiers: under mixed precision a bfloat16 mean would round the probabilities.
    probabilities = keras.layers.Average(dtype="float32", name="ensemble_average")(members.outputs)
    return keras.Model(members.input, probabilities, name="sentiment_classifier")


def _member(token_ids: Any, vocab_size: int, num_classes: int, config: SentimentConfig, index: int) -> Any:
    """One classifier on ``token_ids``: its ``[batch, classes]`` probabilities (member ``index`` from 0)."""
    suffix = f"_m{index + 1}" if index else ""
    ids = token_ids
    if config.token_dropout:
        # Each member its own seed: with one seed, every member would drop the same tokens in every batch.
        ids = TokenDropout(config.token_dropout, seed=config.seed + index, name="token_dropout" + suffix)(ids)
    x = keras.layers.Embedding(vocab_size, config.embedding_dim, mask_zero=True, name="embedding" + suffix)(ids)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="embedding_dropout" + suffix)(x)
    x = recurrent_stack(
        config.units,
        num_layers=config.num_layers,
        cell=config.cell,
        bidirectional=config.bidirectional,
        dropout=config.dropout,
        return_sequences=config.pooling != "last",
        name="encoder" + suffix,
    )(x)
    x = _pool(x, config, suffix)
    if config.ngram_order and not config.ngram_member:
        # fastText's bag of n-grams beside the encoder: the classifier sums both kinds of evidence.
        bag = HashedNgramBag(config.ngram_buckets, config.ngram_dim, config.ngram_order, name="ngram_bag" + suffix)(ids)
        x = keras.layers.Concatenate(name="encoder_and_ngrams" + suffix)([x, bag])
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="output_dropout" + suffix)(x)
    return keras.layers.Dense(
        num_classes, activation="softmax", dtype="float32", name="classifier" + suffix
    )(x)


def _ngram_member(token_ids: Any, num_classes: int, config: SentimentConfig) -> Any:
    """fastText on ``token_ids``: the mean of its hashed n-grams' embeddings -> Dense(classes, softmax)."""
    bag = HashedNgramBag(config.ngram_buckets, config.ngram_dim, config.ngram_order, name="ngram_bag")(token_ids)
    if config.ngram_step_scale != 1.0:  # a faster learner under Adam (see the option)
        bag = keras.layers.Rescaling(config.ngram_step_scale, name="ngram_step_scale")(bag)
    return keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="ngram_classifier")(bag)


def _pool(sequence: Any, config: SentimentConfig, suffix: str = "") -> Any:
    """``[batch, time, features] -> [batch, pooled]`` as ``config.pooling`` says (``last``: unchanged)."""
    if config.pooling == "mean":
        return keras.layers.GlobalAveragePooling1D(name="mean_pooling" + suffix)(sequence)
    pooled = []
    if config.pooling in ("attention", "attention_max"):
        pooled.append(AttentionPooling(config.attention_units, name="attention_pooling" + suffix)(sequence))
    if config.pooling in ("max", "attention_max"):
        pooled.append(MaskedMaxPooling(name="max_pooling" + suffix)(sequence))
    if not pooled:
        return sequence
    # Both summaries side by side (ULMFiT's concat pooling): attention weighs the steps it scores highest,
    # the maximum keeps each feature's strongest evidence wherever it occurs in the text.
    return pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="pooled" + suffix)(pooled)


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
    """``build_members`` compiled for training: Adam (with ``clipnorm``), cross-entropy, accuracy.

    An ensemble sums one cross-entropy per member (so each member's gradient is its own loss's) and
    reports no per-batch accuracy: what counts is the averaged prediction's, which the task scores on the
    dev set after each epoch (``averaged`` gives the model that makes it).

    Example:
    >>> model = compiled_model(50, 2, SentimentConfig(embedding_dim=8, units=8, learning_rate=0.01))
    >>> model.loss, round(float(model.optimizer.learning_rate), 4)
    ('sparse_categorical_crossentropy', 0.01)
    >>> list(compiled_model(50, 2, SentimentConfig(embedding_dim=8, units=8, ensemble=3)).loss)
    ['sparse_categorical_crossentropy', 'sparse_categorical_crossentropy', 'sparse_categorical_crossentropy']
    >>> compiled_model(50, 2, SentimentConfig(embedding_dim=8, units=8, contrast_rules=True)).loss
    'categorical_crossentropy'
    """
    model = build_members(vocab_size, num_classes, config)
    single = config.members == 1
    # Contrast-rule distillation trains on target distributions (``RuleTeacher``), not class ids.
    loss = "categorical_crossentropy" if config.contrast_rules else "sparse_categorical_crossentropy"
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm or None),
        loss=loss if single else [loss] * config.members,
        metrics=["accuracy"] if single else None,
        jit_compile=config.jit_compile,
    )
    return model
