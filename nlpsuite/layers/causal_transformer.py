"""A decoder-only Transformer stack from keras-hub layers, with a key/value cache for generation.

``CausalTransformer`` = sine position encoding (``keras_hub.layers.SinePositionEncoding``) +
``num_layers`` ``keras_hub.layers.TransformerDecoder`` without cross-attention (pre-LayerNorm,
causal self-attention) + a final LayerNorm. It has the same two forms as ``RWKV`` and
``RecurrentStack``:

- ``call(sequences)``: the whole sequence with a causal mask (training, scoring).
- ``get_initial_state(batch_size)`` + ``step(x_t, state) -> (y_t, new_state)``: one position at a
  time, reusing every earlier position's keys and values from the cache (the decoders'
  ``self_attention_cache`` / ``self_attention_cache_update_index``).

The "state" of a Transformer is that cache, and it grows: ``[position, cache_1, ..., cache_L]``,
each cache ``[batch, 2, capacity, num_heads, head_dim]``. The decoders attend over the whole
``capacity`` (later slots masked), so ``reserve`` grows the capacity in powers of two as the
position advances (outside any compiled function); a step then costs time and memory proportional
to the position, which is the difference from a recurrent network's constant cost per token.

Positions come from a fixed sine encoding rather than a learned table, so the cache can grow past
the training window; the model has only been trained on positions below its training window,
though, and text far beyond it is extrapolation.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config, layer_norm

__all__ = ["CausalTransformer"]

MIN_CAPACITY = 64


def _capacity_for(length: int) -> int:
    """The power of two (at least ``MIN_CAPACITY``) that holds ``length`` positions."""
    return max(MIN_CAPACITY, 1 << max(int(length) - 1, 0).bit_length())


@keras.saving.register_keras_serializable(package="nlpsuite")
class CausalTransformer(keras.layers.Layer):
    """Decoder-only Transformer layers with a growing key/value cache.

    Args:
        units: model width; the inputs must already have this many features (they are scaled by
            ``sqrt(units)`` before the sine position encoding is added, as in Vaswani et al.).
        num_layers: number of ``TransformerDecoder`` layers.
        num_heads: attention heads per layer; must divide ``units``.
        intermediate_dim: width of each feed-forward layer; default ``4 * units``.
        dropout: dropout inside each decoder layer (training only).
        layer_norm_epsilon: epsilon of every LayerNorm.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        sequences: ``[batch, time, units]``.
        training: whether dropout is active.

    Returns:
        ``[batch, time, units]``; position ``t`` sees positions ``0..t`` only.

    Example:

    >>> import numpy as np
    >>> layer = CausalTransformer(8, num_layers=2, num_heads=2)
    >>> x = np.random.rand(1, 5, 8).astype("float32")
    >>> full = layer(x)
    >>> state = layer.get_initial_state(1)
    >>> for t in range(5):
    ...     state = layer.reserve(state, t + 1)
    ...     y_t, state = layer.step(x[:, t], state)
    >>> bool(np.allclose(full[:, -1], y_t, atol=1e-4)), int(state[0])
    (True, 5)
    """

    def __init__(
        self,
        units: int,
        num_layers: int = 2,
        num_heads: int = 4,
        intermediate_dim: int | None = None,
        dropout: float = 0.0,
        layer_norm_epsilon: float = 1e-5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        import keras_hub

        for key, value in (("units", units), ("num_layers", num_layers), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise NlpsuiteError(f"CausalTransformer: {key} must be a positive integer; got {value!r}.")
        if units % num_heads:
            raise NlpsuiteError(
                f"CausalTransformer: num_heads={num_heads} must divide units={units}; "
                "pick units as a multiple of num_heads."
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise NlpsuiteError(f"CausalTransformer: dropout must be in [0, 1); got {dropout}.")
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim or 4 * units)
        self.dropout = float(dropout)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.position_encoding = keras_hub.layers.SinePositionEncoding(
            dtype=self.dtype_policy, name="position_encoding"
        )
        self.decoders = [
            keras_hub.layers.TransformerDecoder(
                self.intermediate_dim,
                self.num_heads,
                dropout=self.dropout,
                activation="gelu",
                layer_norm_epsilon=layer_norm_epsilon,
                normalize_first=True,  # pre-LN: trains without warm-up at small scale
                dtype=self.dtype_policy,
                name=f"decoder_{i}",
            )
            for i in range(self.num_layers)
        ]
        self.output_norm = layer_norm(self, "output_norm")

    @property
    def head_dim(self) -> int:
        return self.units // self.num_heads

    def build(self, sequences_shape):
        if sequences_shape[-1] != self.units:
            raise NlpsuiteError(
                f"CausalTransformer '{self.name}': inputs have {sequences_shape[-1]} features but "
                f"units={self.units}; project the inputs to `units` first (e.g. an Embedding of that width)."
            )
        shape = (None, None, self.units)
        for decoder in self.decoders:
            decoder.build(shape)
        self.output_norm.build(shape)

    def _embed(self, sequences, start_index=0):
        scaled = sequences * ops.cast(math.sqrt(self.units), sequences.dtype)
        return scaled + ops.cast(self.position_encoding(sequences, start_index=start_index), sequences.dtype)

    def call(self, sequences, training=None):
        x = self._embed(sequences)
        for decoder in self.decoders:
            x = decoder(x, use_causal_mask=True, training=training)
        return self.output_norm(x)

    # -- generation
    def get_initial_state(self, batch_size, capacity: int = MIN_CAPACITY) -> list:
        """``[position (int32 scalar), cache per layer]``, the caches
        ``[batch, 2, capacity, num_heads, head_dim]`` zeros."""
        shape = (batch_size, 2, int(capacity), self.num_heads, self.head_dim)
        return [ops.convert_to_tensor(0, "int32")] + [ops.zeros(shape, self.compute_dtype) for _ in self.decoders]

    def reserve(self, state: list, length: int) -> list:
        """``state`` with caches that hold at least ``length`` positions (grown to the next power of
        two, zero-padded; the same tensors when they already do). Call before a ``step`` that writes
        position ``length - 1``: a step past the capacity would be clamped, silently."""
        capacity = int(state[1].shape[2])
        if length <= capacity:
            return state
        extra = _capacity_for(length) - capacity
        pad = [[0, 0], [0, 0], [0, extra], [0, 0], [0, 0]]
        return [state[0]] + [ops.pad(cache, pad) for cache in state[1:]]

    def step(self, inputs, state: list, training: bool = False):
        """One position: ``inputs`` ``[batch, units]`` and ``[position, *caches]`` ->
        ``(outputs [batch, units], [position + 1, *updated caches])``."""
        if not self.built:
            self.build((None, None, inputs.shape[-1]))
        if len(state) != self.num_layers + 1:
            raise NlpsuiteError(
                f"CausalTransformer '{self.name}': expected a state of {self.num_layers + 1} tensors "
                f"(position and one cache per layer), got {len(state)}; pass what get_initial_state() "
                "or step() returned."
            )
        position, caches = state[0], state[1:]
        x = self._embed(ops.expand_dims(inputs, 1), start_index=position)
        new_caches = []
        for decoder, cache in zip(self.decoders, caches, strict=True):
            x, cache = decoder(
                x,
                self_attention_cache=cache,
                self_attention_cache_update_index=position,
                use_causal_mask=True,
                training=training,
            )
            new_caches.append(cache)
        return self.output_norm(x)[:, 0], [position + 1, *new_caches]

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "units", "num_layers", "num_heads", "intermediate_dim",
                            "dropout", "layer_norm_epsilon")
