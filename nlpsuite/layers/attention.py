"""Encoder-decoder attention: additive (Bahdanau) and multiplicative (Luong).

Both layers take a decoder ``query`` and the encoder ``values`` and return ``(context, weights)``:

- ``query`` ``[batch, query_dim]`` (one decoder step, e.g. inside a beam search) gives
  ``context`` ``[batch, value_dim]`` and ``weights`` ``[batch, source_len]``;
- ``query`` ``[batch, target_len, query_dim]`` (all steps, teacher forcing) gives
  ``context`` ``[batch, target_len, value_dim]`` and
  ``weights`` ``[batch, target_len, source_len]``.

``weights`` are the softmax over source positions, the matrix an app draws as a heatmap. Source
padding (``values_mask``, or the Keras mask that a ``mask_zero`` embedding or a recurrent encoder
attaches to ``values``) gets weight exactly 0; a row whose source is all padding gets all-zero
weights and a zero context instead of NaN.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config

__all__ = ["BahdanauAttention", "LuongAttention"]

_LUONG_SCORES = ("dot", "general", "concat")


def _large_negative(dtype: str) -> float:
    # -1e9 overflows float16 to -inf, and a row of -inf makes softmax NaN.
    return -3e4 if "float16" in str(dtype) else -1e9


def _masked_softmax(scores, values_mask):
    """Softmax over the last axis of ``scores`` [batch, Tq, Tv] with ``values_mask`` [batch, Tv]."""
    if values_mask is None:
        return ops.softmax(scores, axis=-1)
    keep = ops.expand_dims(ops.cast(values_mask, "bool"), axis=1)
    scores = ops.where(keep, scores, ops.cast(_large_negative(scores.dtype), scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    # A fully padded row is uniform after softmax; multiplying zeroes it (and all padded positions).
    return weights * ops.cast(keep, weights.dtype)


def _as_steps(query):
    """Returns ``query`` as [batch, Tq, dim] and whether it was a single step [batch, dim]."""
    single_step = len(query.shape) == 2
    return (ops.expand_dims(query, axis=1) if single_step else query), single_step


def _check_ranks(layer_name: str, query_shape, values_shape) -> None:
    if len(values_shape) != 3:
        raise NlpsuiteError(
            f"{layer_name}: `values` must be [batch, source_len, value_dim], got shape "
            f"{tuple(values_shape)}; pass the encoder's sequence output (return_sequences=True)."
        )
    if len(query_shape) not in (2, 3):
        raise NlpsuiteError(
            f"{layer_name}: `query` must be [batch, query_dim] or [batch, target_len, query_dim], "
            f"got shape {tuple(query_shape)}."
        )


class _EncoderDecoderAttention(keras.layers.Layer):
    """Shared call/mask logic; subclasses implement ``_scores(query [B,Tq,Dq], values [B,Tv,Dv])``.

    Not public: use ``BahdanauAttention`` or ``LuongAttention``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _scores(self, query, values):
        raise NotImplementedError

    def _kernel(self, name: str, shape: tuple):
        # Subclasses set ``kernel_initializer`` and ``kernel_regularizer`` in ``__init__``.
        return self.add_weight(
            name=name,
            shape=shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )

    def _additive_scores(self, query, values, bias=None):
        """``v^T tanh(W1 q + W2 k [+ b])`` [B, Tq, Tv]: Bahdanau's score and Luong's ``concat``."""
        projected_query = ops.matmul(query, self.query_kernel)  # [B, Tq, U]
        projected_values = ops.matmul(values, self.values_kernel)  # [B, Tv, U]
        hidden = ops.expand_dims(projected_query, 2) + ops.expand_dims(projected_values, 1)
        if bias is not None:
            hidden = hidden + bias
        return ops.tensordot(ops.tanh(hidden), self.score_kernel, axes=1)

    def call(self, query, values, values_mask=None):
        # Keras fills `values_mask` from the mask attached to `values` (the `<arg>_mask` convention).
        steps, single_step = _as_steps(query)
        weights = _masked_softmax(self._scores(steps, values), values_mask)
        context = ops.matmul(weights, values)
        if single_step:
            return ops.squeeze(context, axis=1), ops.squeeze(weights, axis=1)
        return context, weights

    def compute_mask(self, query, previous_mask=None):
        # Target positions stay padded: both outputs carry the query's mask (None for one step).
        if previous_mask is None or len(query.shape) == 2:
            return None
        return [previous_mask, previous_mask]


@keras.saving.register_keras_serializable(package="nlpsuite")
class BahdanauAttention(_EncoderDecoderAttention):
    """Additive attention (Bahdanau et al., 2015): ``score(q, k) = v^T tanh(W1 q + W2 k + b)``.

    Args:
        units: size of the hidden layer inside the score (the width of ``W1 q`` and ``W2 k``).
        use_bias: add the bias ``b`` inside the ``tanh``.
        kernel_initializer: initializer for ``W1``, ``W2`` and ``v``.
        bias_initializer: initializer for ``b``.
        kernel_regularizer: optional regularizer for ``W1``, ``W2`` and ``v``.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        query: decoder state(s), ``[batch, query_dim]`` for one step or ``[batch, target_len,
            query_dim]`` for all steps.
        values: encoder outputs, ``[batch, source_len, value_dim]``.
        values_mask: optional ``[batch, source_len]`` boolean, True for real tokens. Taken from
            ``values``' Keras mask when not given.

    Returns:
        ``(context, weights)``: ``context`` ``[batch, value_dim]`` or ``[batch, target_len,
        value_dim]``; ``weights`` ``[batch, source_len]`` or ``[batch, target_len, source_len]``,
        summing to 1 over unmasked source positions and exactly 0 on masked ones. With a 3D
        query, both outputs carry the query's Keras mask (target padding).

    Example:

    >>> import numpy as np
    >>> attention = BahdanauAttention(units=8)
    >>> encoder_outputs = np.random.rand(2, 5, 6).astype("float32")
    >>> decoder_state = np.random.rand(2, 4).astype("float32")
    >>> source_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    >>> context, weights = attention(decoder_state, encoder_outputs, values_mask=source_mask)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 6), (2, 5))
    >>> float(np.asarray(weights)[0, 3:].sum())
    0.0
    """

    def __init__(
        self,
        units: int,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if int(units) < 1:
            raise NlpsuiteError(f"BahdanauAttention: units must be >= 1, got {units}.")
        self.units = int(units)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, query_shape, values_shape):
        _check_ranks("BahdanauAttention", query_shape, values_shape)
        self.query_kernel = self._kernel("query_kernel", (query_shape[-1], self.units))
        self.values_kernel = self._kernel("values_kernel", (values_shape[-1], self.units))
        self.score_kernel = self._kernel("score_kernel", (self.units,))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer
            )

    def _scores(self, query, values):
        return self._additive_scores(query, values, self.bias)

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "units", "use_bias", "kernel_initializer",
                            "bias_initializer", "kernel_regularizer")


@keras.saving.register_keras_serializable(package="nlpsuite")
class LuongAttention(_EncoderDecoderAttention):
    """Multiplicative attention (Luong et al., 2015) with the paper's three scores.

    - ``"dot"``: ``score(q, k) = q . k`` (no weights; needs ``query_dim == value_dim``);
    - ``"general"``: ``score(q, k) = q^T W k``;
    - ``"concat"``: ``score(q, k) = v^T tanh(W [q; k])`` (needs ``units``).

    The layer returns the context and weights only; Luong's attentional state
    ``tanh(W_c [context; query])`` is an ordinary ``Dense`` on the concatenation, left to the model.

    Args:
        score: ``"dot"``, ``"general"`` or ``"concat"``.
        units: hidden size of the ``"concat"`` score; ignored by the others.
        use_scale: multiply the scores by a learned scalar (initialised to 1), as in
            ``keras.layers.Attention(use_scale=True)``; helps ``"dot"`` with large states.
        kernel_initializer: initializer for ``W`` (and ``v``).
        kernel_regularizer: optional regularizer for ``W`` (and ``v``).
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        query: decoder state(s), ``[batch, query_dim]`` or ``[batch, target_len, query_dim]``.
        values: encoder outputs, ``[batch, source_len, value_dim]``.
        values_mask: optional ``[batch, source_len]`` boolean, True for real tokens. Taken from
            ``values``' Keras mask when not given.

    Returns:
        ``(context, weights)`` with the same shapes as ``BahdanauAttention``.

    Example:

    >>> import numpy as np
    >>> attention = LuongAttention(score="general")
    >>> encoder_outputs = np.random.rand(2, 5, 6).astype("float32")
    >>> decoder_states = np.random.rand(2, 3, 4).astype("float32")
    >>> context, weights = attention(decoder_states, encoder_outputs)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))
    >>> bool(np.allclose(np.asarray(weights).sum(axis=-1), 1.0, atol=1e-5))
    True
    """

    def __init__(
        self,
        score: str = "general",
        units: int | None = None,
        use_scale: bool = False,
        kernel_initializer: Any = "glorot_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score not in _LUONG_SCORES:
            raise NlpsuiteError(
                f"LuongAttention: score must be one of {', '.join(_LUONG_SCORES)}; got {score!r}."
            )
        if score == "concat" and (units is None or int(units) < 1):
            raise NlpsuiteError("LuongAttention: score='concat' needs units >= 1, e.g. units=64.")
        self.score = score
        self.units = None if units is None else int(units)
        self.use_scale = bool(use_scale)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, query_shape, values_shape):
        _check_ranks("LuongAttention", query_shape, values_shape)
        query_dim, value_dim = query_shape[-1], values_shape[-1]
        if self.score == "dot" and query_dim != value_dim:
            raise NlpsuiteError(
                f"LuongAttention(score='dot') needs query_dim == value_dim, got {query_dim} and "
                f"{value_dim}; use score='general' or project the query to {value_dim} first."
            )
        if self.score == "general":
            self.kernel = self._kernel("kernel", (query_dim, value_dim))
        elif self.score == "concat":
            # W [q; k] split into the query and values halves, so keys are projected once per call.
            self.query_kernel = self._kernel("query_kernel", (query_dim, self.units))
            self.values_kernel = self._kernel("values_kernel", (value_dim, self.units))
            self.score_kernel = self._kernel("score_kernel", (self.units,))
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")

    def _scores(self, query, values):
        if self.score == "concat":
            scores = self._additive_scores(query, values)
        else:
            if self.score == "general":
                query = ops.matmul(query, self.kernel)
            scores = ops.matmul(query, ops.transpose(values, (0, 2, 1)))
        if self.scale is not None:
            scores = scores * self.scale
        return scores

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "score", "units", "use_scale", "kernel_initializer",
                            "kernel_regularizer")
