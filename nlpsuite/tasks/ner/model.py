"""The BiLSTM-CRF network and its compiled inference function.

Inputs (a dict of int32 arrays, 0 = padding): ``words`` ``[batch, time]`` (lowercased word ids, or character
ids for Chinese), ``chars`` ``[batch, time, chars]`` (English), ``casing`` ``[batch, time]``, ``bigrams``
``[batch, time]`` (Chinese) and, with the ``softword`` option, ``softword`` ``[batch, time]`` (Chinese).
Features are concatenated, dropped out, read by a bidirectional ``recurrent_stack`` and scored by
``Dense(num_tags)`` + ``CRF`` with the scheme's transition constraints.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from nlpsuite.errors import check_choice
from nlpsuite.layers.char_embedding import CharEmbedding
from nlpsuite.layers.crf import CRF, CRFLoss, split_crf_output
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.ops.crf import crf_pairwise_decode, crf_pairwise_marginals
from nlpsuite.tasks.ner.config import OPTIMIZERS
from nlpsuite.tasks.ner.preprocess import CASING, SOFTWORD, NerPreprocessor

__all__ = [
    "CRF_LAYER",
    "build_model",
    "compile_model",
    "decode_outputs",
    "inference_function",
    "input_dict",
    "make_optimizer",
]

CRF_LAYER = "crf"
WORD_EMBEDDING = "word_embedding"


def build_model(
    config: Any, preprocessor: NerPreprocessor, word_vectors: np.ndarray | None = None
) -> Any:
    """The functional BiLSTM-CRF; ``word_vectors`` (``[vocab, word_dim]``) initialises the word embedding.

    Args:
        config: the ``NerConfig`` (sizes, cell, dropout, scheme).
        preprocessor: the fitted ``NerPreprocessor`` (vocabularies decide which inputs exist).
        word_vectors: optional ``[len(words), word_dim]`` initial word embeddings.

    Example:
    >>> from nlpsuite.tasks.ner._examples import tiny_config, tiny_preprocessor
    >>> model = build_model(tiny_config(), tiny_preprocessor())  # English, 9 tags (PER and LOC in BIOES)
    >>> sorted(input_dict(model)), model.output.shape  # the CRF output: [batch, time, tags + 1, tags]
    (['casing', 'chars', 'words'], (None, None, 10, 9))
    """
    config.validate()
    words = keras.Input((None,), dtype="int32", name="words")
    inputs = {"words": words}
    # Every real token has a word id >= 1 (<unk> is 1), so this is the one mask for all layers. It is
    # passed explicitly: Concatenate ORs its inputs' masks, which would turn padding valid.
    mask = keras.ops.not_equal(words, 0)
    scale = float(np.sqrt(3.0 / config.word_dim))
    embedding = keras.layers.Embedding(
        len(preprocessor.words),
        config.word_dim,
        mask_zero=True,
        name=WORD_EMBEDDING,
        embeddings_initializer=keras.initializers.RandomUniform(-scale, scale),
    )
    features = [embedding(words)]
    if preprocessor.chars is not None:
        chars = keras.Input((None, None), dtype="int32", name="chars")
        inputs["chars"] = chars
        features.append(
            CharEmbedding(
                len(preprocessor.chars),
                char_dim=config.char_dim,
                output_dim=config.char_output_dim,
                encoder=config.char_encoder,
                kernel_size=config.char_kernel_size,
                name="char_embedding",
            )(chars)
        )
    if config.casing_dim:
        features.append(_id_feature(inputs, "casing", len(CASING), config.casing_dim, "casing_embedding"))
    if preprocessor.bigrams is not None:
        bigram_count = len(preprocessor.bigrams)
        features.append(_id_feature(inputs, "bigrams", bigram_count, config.bigram_dim, "bigram_embedding"))
    if preprocessor.use_softword:
        features.append(_id_feature(inputs, "softword", len(SOFTWORD), config.softword_dim, "softword_embedding"))
    x = keras.layers.Concatenate(name="features")(features) if len(features) > 1 else features[0]
    x = keras.layers.Dropout(config.dropout, name="feature_dropout")(x)
    x = recurrent_stack(
        config.units,
        num_layers=config.num_layers,
        cell=config.cell,
        bidirectional=True,
        dropout=config.dropout,
        name="encoder",
    )(x, mask=mask)
    x = keras.layers.Dropout(config.dropout, name="encoder_dropout")(x)
    emissions = keras.layers.Dense(len(preprocessor.tags), name="emissions")(x)
    crf = CRF(
        len(preprocessor.tags),
        constraints=preprocessor.scheme.lower(),
        tags=preprocessor.tags.tokens,
        name=CRF_LAYER,
    )
    model = keras.Model(inputs, crf(emissions, mask=mask), name="bilstm_crf")
    if word_vectors is not None:
        embedding.embeddings.assign(word_vectors.astype("float32"))
    return model


def _id_feature(inputs: dict[str, Any], name: str, vocab_size: int, dim: int, layer_name: str) -> Any:
    """A ``[batch, time]`` int input called ``name`` (added to ``inputs``), embedded in ``dim`` (0 = padding)."""
    ids = keras.Input((None,), dtype="int32", name=name)
    inputs[name] = ids
    return keras.layers.Embedding(vocab_size, dim, mask_zero=True, name=layer_name)(ids)


def make_optimizer(config: Any, steps_per_epoch: int) -> Any:
    """The optimizer ``config`` names, with gradient clipping and per-epoch inverse-time decay.

    Args:
        config: the ``NerConfig`` (``optimizer``, ``learning_rate``, ``lr_decay``, ``clipnorm``).
        steps_per_epoch: batches per epoch, the decay's time unit.

    Example:
    >>> from nlpsuite.tasks.ner import NerConfig
    >>> optimizer = make_optimizer(NerConfig(optimizer="sgd", learning_rate=0.1, clipnorm=5.0), steps_per_epoch=10)
    >>> type(optimizer).__name__, float(optimizer.momentum), optimizer.clipnorm
    ('SGD', 0.9, 5.0)
    """
    learning_rate: Any = config.learning_rate
    if config.lr_decay:
        learning_rate = keras.optimizers.schedules.InverseTimeDecay(
            config.learning_rate, decay_steps=max(1, steps_per_epoch), decay_rate=config.lr_decay
        )
    check_choice("optimizer", config.optimizer, OPTIMIZERS)
    clip = {"clipnorm": config.clipnorm} if config.clipnorm else {}
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, **clip)
    kinds = {"adam": keras.optimizers.Adam, "nadam": keras.optimizers.Nadam, "adamw": keras.optimizers.AdamW}
    return kinds[config.optimizer](learning_rate, **clip)


def compile_model(model: Any, config: Any, steps_per_epoch: int) -> None:
    """Compiles ``model`` with ``make_optimizer`` and the CRF's negative log-likelihood (`CRFLoss`).

    Example:
    >>> import keras
    >>> from nlpsuite.layers import CRF
    >>> from nlpsuite.tasks.ner import NerConfig
    >>> x = keras.Input((None, 3))
    >>> model = keras.Model(x, CRF(3)(x))
    >>> compile_model(model, NerConfig(), steps_per_epoch=10)
    >>> type(model.loss).__name__, type(model.optimizer).__name__
    ('CRFLoss', 'Adam')
    """
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss=CRFLoss(),
        jit_compile=config.jit_compile,
    )


def inference_function(model: Any, jit_compile: bool = False) -> Any:
    """``infer(inputs, with_marginals) -> (tags [batch, time], marginals or None)`` as NumPy.

    Compiled once per backend (``tf.function`` with shape-free signatures on TensorFlow, ``jax.jit`` over
    the current weights on JAX), so a call costs one graph run, not ``model.predict``'s per-call set-up.
    ``jit_compile`` adds XLA on TensorFlow: about 5x lower latency for one sentence on CPU (the recurrent
    and CRF loops fuse), but one compilation per input shape, so feed it ``pad_batch(fixed_shapes=True)``.

    Example:
    >>> from nlpsuite.tasks.ner._examples import tiny_task
    >>> task = tiny_task()  # an untrained English network, 9 tags
    >>> infer = inference_function(task.model)
    >>> tags, marginals = infer(task.preprocessor.batch([["Paris", "is"]]).inputs, with_marginals=True)
    >>> tags.shape[0], marginals.shape[-1], bool(abs(marginals[0, :2].sum(-1) - 1).max() < 1e-5)
    (1, 9, True)
    """

    decode = decode_outputs
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        specs = {
            name: tf.TensorSpec([None] * len(t.shape), tf.int32, name=name)
            for name, t in _input_dict(model).items()
        }
        compiled = {
            flag: tf.function(
                lambda inputs, flag=flag: decode(model(inputs, training=False), flag),
                input_signature=[specs],
                reduce_retracing=True,
                jit_compile=bool(jit_compile),
            )
            for flag in (False, True)
        }

        def run(inputs: dict[str, np.ndarray], with_marginals: bool) -> Any:
            out = compiled[bool(with_marginals)](
                {k: tf.constant(v) for k, v in inputs.items() if k in specs}
            )
            return _numpy(out, with_marginals)

        return run
    if backend == "jax":
        import jax

        def stateless(trainable, non_trainable, inputs, with_marginals):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return decode(outputs, with_marginals)

        jitted = jax.jit(stateless, static_argnums=3)

        def run(inputs: dict[str, np.ndarray], with_marginals: bool) -> Any:
            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]
            return _numpy(
                jitted(trainable, non_trainable, inputs, bool(with_marginals)), with_marginals
            )

        return run

    def run(inputs: dict[str, np.ndarray], with_marginals: bool) -> Any:
        return _numpy(decode(model(inputs, training=False), with_marginals), with_marginals)

    return run


def decode_outputs(outputs: Any, with_marginals: bool) -> Any:
    """The model's CRF output -> ``(tags [batch, time],)`` or ``(tags, marginals [batch, time, tags])``.

    Viterbi decoding and marginals run in the graph (a scan over time), so an exported graph decodes too.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.layers import CRF
    >>> emissions = np.eye(5, dtype="float32")[None, [1, 3, 0]] * 5.0  # B-X, E-X, O of five BIOES tags
    >>> (tags,) = decode_outputs(CRF(5, transitions_initializer="zeros")(emissions), with_marginals=False)
    >>> np.asarray(tags).tolist()  # with_marginals=True adds the posteriors (see ``inference_function``)
    [[1, 3, 0]]
    """
    potentials, mask = split_crf_output(outputs)
    tags, _ = crf_pairwise_decode(potentials, mask)
    return (tags, crf_pairwise_marginals(potentials, mask)) if with_marginals else (tags,)


def input_dict(model: Any) -> dict[str, Any]:
    """The model's inputs by name (``words``, ``chars``, ``casing``, ``bigrams``, ``softword``).

    Example:
    >>> import keras
    >>> words = keras.Input((None,), dtype="int32", name="words")
    >>> sorted(input_dict(keras.Model(words, keras.layers.Embedding(5, 2)(words))))
    ['words']
    """
    return _input_dict(model)


def _input_dict(model: Any) -> dict[str, Any]:
    inputs = model.input
    if isinstance(inputs, dict):
        return inputs
    return {t.name: t for t in (inputs if isinstance(inputs, (list, tuple)) else [inputs])}


def _numpy(outputs: Any, with_marginals: bool) -> tuple[np.ndarray, np.ndarray | None]:
    tags = keras.ops.convert_to_numpy(outputs[0])
    marginals = keras.ops.convert_to_numpy(outputs[1]) if with_marginals else None
    return tags, marginals
