"""RWKV-4: a recurrent network that trains over whole sequences and generates one token at a time.

``RWKVBlock`` is one residual block, LayerNorm + time-mixing + LayerNorm + channel-mixing; ``RWKV``
stacks them between an input and an output LayerNorm. Both have two equivalent forms:

- ``call(sequences)``: a whole sequence at once. Every projection runs over all time steps in one
  matrix product; only the WKV state recurrence (three ``[batch, units]`` tensors per block) runs
  as a ``keras.ops.scan`` over time, and the WKV outputs are then computed for all time steps at
  once from the state sequence.
- ``get_initial_state(batch_size)`` + ``step(x_t, state) -> (y_t, new_state)``: one time step, the
  same arithmetic on a fixed-size state, so generating a token costs the same at position 5,000 as
  at position 5.

Time-mixing (RWKV-4): the input is mixed with the previous step's input ("token shift", a learned
per-channel mix for each of r, k, v); then, per channel, with learned decay ``w = -exp(time_decay)``
and bonus ``u = time_first``::

    wkv_t = (sum_{i<t} e^{(t-1-i) w + k_i} v_i + e^{u + k_t} v_t)
          / (sum_{i<t} e^{(t-1-i) w + k_i}     + e^{u + k_t})
    out_t = W_o (sigmoid(r_t) * wkv_t)

The sums are carried as ``(aa, bb, pp)``: numerator and denominator scaled by ``e^{-pp}``, ``pp``
being the largest exponent seen so far, so no ``exp`` ever sees a positive argument and 5,000-step
sequences with large keys neither overflow nor underflow to 0/0 (the RWKV-4 reference kernel's
max-tracking form). The recurrence always runs in float32, whatever the layer's dtype policy.

Channel-mixing: ``sigmoid(W_r x_r) * W_v relu(W_k x_k)^2`` with its own token shift.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config, layer_norm

__all__ = ["RWKV", "RWKVBlock", "wkv_output", "wkv_update"]

# The log-scale of an empty sum: exp(-1e38 - p) is exactly 0 for any reachable p, and -1e38 stays
# finite in float32 (unlike -inf, whose differences give NaN).
EMPTY_LOG = -1e38
STATES_PER_BLOCK = 5  # time-mix previous input, aa, bb, pp; channel-mix previous input


def _stream_shape(owner: str, name: str, sequences_shape, units: int) -> tuple:
    """The ``[batch, time, units]`` shape sublayers are built with; inputs must already be ``units`` wide."""
    if sequences_shape[-1] != units:
        raise NlpsuiteError(
            f"{owner} '{name}': inputs have {sequences_shape[-1]} features but units={units}; "
            "project the inputs to `units` first (e.g. an Embedding of that width)."
        )
    return (None, None, units)


def _check_positive(owner: str, **values: Any) -> None:
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise NlpsuiteError(f"{owner}: {key} must be a positive integer; got {value!r}.")


def _shift(sequences, first):
    """``[batch, time, units]`` delayed by one step, ``first`` ``[batch, units]`` at step 0."""
    return ops.concatenate([ops.expand_dims(first, 1), sequences[:, :-1]], axis=1)


def _mix(x, previous, weight):
    return x * weight + previous * (1.0 - weight)


def wkv_update(state: tuple, k, v, w):
    """One step of the WKV state recurrence: ``(aa, bb, pp)`` after key ``k`` and value ``v``.

    ``aa / bb`` is the decayed, key-weighted mean of the values so far; ``pp`` is the running
    log-scale that keeps the exponentials finite.

    Args:
        state: ``(aa, bb, pp)``, each ``[..., units]``.
        k: the step's key.
        v: the step's value.
        w: the (negative) log-decay per step.

    Returns:
        The new ``(aa, bb, pp)``.

    Example:
    >>> import numpy as np
    >>> empty = (np.float32(0.0), np.float32(0.0), np.float32(-1e30))
    >>> aa, bb, pp = wkv_update(empty, k=np.float32(0.0), v=np.float32(5.0), w=np.float32(-1.0))
    >>> float(aa), float(bb), float(pp)
    (5.0, 1.0, 0.0)
    """
    aa, bb, pp = state
    decayed = pp + w
    p = ops.maximum(decayed, k)
    e1, e2 = ops.exp(decayed - p), ops.exp(k - p)
    return e1 * aa + e2 * v, e1 * bb + e2, p


def wkv_output(state: tuple, k, v, u):
    """``wkv_t`` from the state before step t and step t's key and value (the bonus ``u`` applies
    to the current token only).

    Args:
        state: ``(aa, bb, pp)`` before step t (see `wkv_update`).
        k: step t's key.
        v: step t's value.
        u: the bonus added to the current token's key.

    Returns:
        The weighted mean of the past values and ``v``.

    Example:
    >>> import numpy as np
    >>> state = (np.float32(5.0), np.float32(1.0), np.float32(0.0))  # one past value, 5, of weight 1
    >>> float(wkv_output(state, k=np.float32(0.0), v=np.float32(1.0), u=np.float32(0.0)))  # (5 + 1) / 2
    3.0
    """
    aa, bb, pp = state
    current = u + k
    p = ops.maximum(pp, current)
    e1, e2 = ops.exp(pp - p), ops.exp(current - p)
    return (e1 * aa + e2 * v) / (e1 * bb + e2)


@keras.saving.register_keras_serializable(package="nlpsuite")
class RWKVBlock(keras.layers.Layer):
    """One RWKV-4 block: ``x + TimeMix(LN(x))``, then ``x + ChannelMix(LN(x))``.

    Args:
        units: width of the block's input and output (the residual stream).
        hidden_units: width of the channel-mixing hidden layer; default ``4 * units``.
        layer_index: position of the block in its stack, used only to spread the initial decays
            and token-shift mixes as RWKV-4 does (deeper blocks start with longer memories).
        num_layers: size of the stack ``layer_index`` counts in.
        layer_norm_epsilon: epsilon of the two LayerNorms.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        sequences: ``[batch, time, units]``.
        initial_state: optional list of ``STATES_PER_BLOCK`` tensors ``[batch, units]`` (from
            ``get_initial_state``, ``step`` or a previous ``return_state`` call).
        return_state: also return the state after the last time step.

    Returns:
        ``[batch, time, units]``, or ``(outputs, state)`` with ``return_state``.

    Example:

    >>> import numpy as np
    >>> block = RWKVBlock(8)
    >>> x = np.random.rand(2, 5, 8).astype("float32")
    >>> y, state = block(x, return_state=True)
    >>> y_t, _ = block.step(x[:, 0], block.get_initial_state(2))
    >>> bool(np.allclose(y[:, 0], y_t, atol=1e-5)), len(state)
    (True, 5)
    """

    def __init__(
        self,
        units: int,
        hidden_units: int | None = None,
        layer_index: int = 0,
        num_layers: int = 1,
        layer_norm_epsilon: float = 1e-5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_positive("RWKVBlock", units=units, hidden_units=hidden_units, num_layers=num_layers)
        if not 0 <= int(layer_index) < int(num_layers):
            raise NlpsuiteError(f"RWKVBlock: layer_index must be in [0, {num_layers}); got {layer_index}.")
        self.units = int(units)
        self.hidden_units = int(hidden_units or 4 * units)
        self.layer_index = int(layer_index)
        self.num_layers = int(num_layers)
        self.layer_norm_epsilon = float(layer_norm_epsilon)

        def dense(width, name):
            return keras.layers.Dense(width, use_bias=False, dtype=self.dtype_policy, name=name)

        self.time_norm, self.channel_norm = layer_norm(self, "time_norm"), layer_norm(self, "channel_norm")
        self.key, self.value = dense(self.units, "key"), dense(self.units, "value")
        self.receptance, self.output_dense = dense(self.units, "receptance"), dense(self.units, "output")
        self.ffn_key = dense(self.hidden_units, "ffn_key")
        self.ffn_value = dense(self.units, "ffn_value")
        self.ffn_receptance = dense(self.units, "ffn_receptance")

    def build(self, sequences_shape):
        shape = _stream_shape("RWKVBlock", self.name, sequences_shape, self.units)
        for layer in (self.time_norm, self.channel_norm, self.key, self.value, self.receptance):
            layer.build(shape)
        self.output_dense.build(shape)
        self.ffn_key.build(shape)
        self.ffn_value.build((None, None, self.hidden_units))
        self.ffn_receptance.build(shape)
        init = _initial_parameters(self.units, self.layer_index, self.num_layers)
        for name, values in init.items():
            setattr(
                self,
                name,
                self.add_weight(
                    name=name,
                    shape=(self.units,),
                    initializer=keras.initializers.Constant(0.0),
                    dtype=self.variable_dtype,
                ),
            )
            getattr(self, name).assign(values)

    # -- the two forms
    def call(self, sequences, initial_state=None, return_state: bool = False):
        batch = ops.shape(sequences)[0]
        state = list(initial_state) if initial_state is not None else self.get_initial_state(batch)
        self._check_state(state)
        att_prev, aa, bb, pp, ffn_prev = state

        x = self.time_norm(sequences)
        k, v, r = self._time_projections(x, _shift(x, att_prev))
        w, u = self._decay_and_bonus()
        # Time-major for the scan; the recurrence only produces the state sequence (its output
        # structure must match the carry on TensorFlow), the outputs are then computed in parallel.
        k_t, v_t = ops.transpose(k, (1, 0, 2)), ops.transpose(v, (1, 0, 2))

        def recurrence(carry, kv):
            new = wkv_update(carry, kv[0], kv[1], w)
            return new, new

        final, states = ops.scan(recurrence, (aa, bb, pp), ops.stack([k_t, v_t], axis=1))
        before = [
            ops.concatenate([ops.expand_dims(s0, 0), s[:-1]], axis=0)
            for s0, s in zip((aa, bb, pp), states, strict=True)
        ]
        wkv = ops.transpose(wkv_output(before, k_t, v_t, u), (1, 0, 2))
        sequences = sequences + self.output_dense(ops.cast(r * wkv, self.compute_dtype))

        y = self.channel_norm(sequences)
        outputs = sequences + self._channel_mix(y, _shift(y, ffn_prev))
        if not return_state:
            return outputs
        return outputs, [x[:, -1], *final, y[:, -1]]

    def step(self, inputs, state: list):
        """One time step: ``inputs`` ``[batch, units]`` and the state -> ``(outputs, new_state)``.

        Equivalent to ``call`` on the whole sequence (same weights, same arithmetic).
        """
        if not self.built:
            self.build((None, None, inputs.shape[-1]))
        self._check_state(state)
        att_prev, aa, bb, pp, ffn_prev = state
        x = self.time_norm(inputs)
        k, v, r = self._time_projections(x, att_prev)
        w, u = self._decay_and_bonus()
        wkv = wkv_output((aa, bb, pp), k, v, u)
        aa, bb, pp = wkv_update((aa, bb, pp), k, v, w)
        hidden = inputs + self.output_dense(ops.cast(r * wkv, self.compute_dtype))
        y = self.channel_norm(hidden)
        return hidden + self._channel_mix(y, ffn_prev), [x, aa, bb, pp, y]

    def get_initial_state(self, batch_size) -> list:
        """The state before the first token: ``[att_prev, aa, bb, pp, ffn_prev]``, each
        ``[batch, units]`` float32 (``pp`` = ``EMPTY_LOG``, the log-scale of an empty sum)."""
        shape = (batch_size, self.units)
        zeros = [ops.zeros(shape, "float32") for _ in range(STATES_PER_BLOCK)]
        zeros[3] = ops.full(shape, EMPTY_LOG, "float32")
        return zeros

    # -- pieces shared by both forms
    def _time_projections(self, x, previous):
        k = self.key(_mix(x, previous, self.time_mix_key))
        v = self.value(_mix(x, previous, self.time_mix_value))
        r = ops.sigmoid(self.receptance(_mix(x, previous, self.time_mix_receptance)))
        return ops.cast(k, "float32"), ops.cast(v, "float32"), ops.cast(r, "float32")

    def _decay_and_bonus(self):
        return -ops.exp(ops.cast(self.time_decay, "float32")), ops.cast(self.time_first, "float32")

    def _channel_mix(self, y, previous):
        k = ops.square(ops.relu(self.ffn_key(_mix(y, previous, self.channel_mix_key))))
        r = ops.sigmoid(self.ffn_receptance(_mix(y, previous, self.channel_mix_receptance)))
        return r * self.ffn_value(k)

    def _check_state(self, state) -> None:
        if len(state) != STATES_PER_BLOCK:
            raise NlpsuiteError(
                f"RWKVBlock '{self.name}': expected a state of {STATES_PER_BLOCK} tensors, got "
                f"{len(state)}; pass what get_initial_state() or step() returned."
            )

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "units", "hidden_units", "layer_index", "num_layers",
                            "layer_norm_epsilon")


def _initial_parameters(units: int, layer_index: int, num_layers: int) -> dict[str, np.ndarray]:
    """RWKV-4's initialisation: decays spread from fast (-5) to slow (+3) across channels, a
    zig-zag bonus around log(0.3), token-shift mixes that lean on the current token less in deeper
    blocks."""
    ratio_0_to_1 = layer_index / max(num_layers - 1, 1)
    ratio_1_to_almost_0 = 1.0 - layer_index / num_layers
    h = np.arange(units, dtype="float64")
    decay = -5 + 8 * (h / max(units - 1, 1)) ** (0.7 + 1.3 * ratio_0_to_1)
    zigzag = ((h + 1) % 3 - 1) * 0.5
    shift = h / units
    return {
        "time_decay": decay.astype("float32"),
        "time_first": (np.log(0.3) + zigzag).astype("float32"),
        "time_mix_key": (shift**ratio_1_to_almost_0).astype("float32"),
        "time_mix_value": (shift**ratio_1_to_almost_0 + 0.3 * ratio_0_to_1).clip(0, 1).astype("float32"),
        "time_mix_receptance": (shift ** (0.5 * ratio_1_to_almost_0)).astype("float32"),
        "channel_mix_key": (shift**ratio_1_to_almost_0).astype("float32"),
        "channel_mix_receptance": (shift**ratio_1_to_almost_0).astype("float32"),
    }


@keras.saving.register_keras_serializable(package="nlpsuite")
class RWKV(keras.layers.Layer):
    """A stack of ``RWKVBlock`` between an input and an output LayerNorm (RWKV-4's ``ln0`` and
    ``ln_out``), with a parallel form for training and a step form for generation.

    Args:
        units: width of the residual stream; the inputs must already have this many features.
        num_layers: number of blocks.
        hidden_units: width of each block's channel-mixing layer; default ``4 * units``.
        layer_norm_epsilon: epsilon of every LayerNorm.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        sequences: ``[batch, time, units]``.
        initial_state: optional flat list of ``num_layers * 5`` tensors ``[batch, units]``.
        return_state: also return the flat state after the last step.

    Returns:
        ``[batch, time, units]`` (or ``(outputs, state)`` with ``return_state``).

    Example:

    >>> import numpy as np
    >>> rwkv = RWKV(8, num_layers=2)
    >>> x = np.random.rand(1, 6, 8).astype("float32")
    >>> full = rwkv(x)
    >>> state = rwkv.get_initial_state(1)
    >>> for t in range(6):
    ...     y_t, state = rwkv.step(x[:, t], state)
    >>> bool(np.allclose(full[:, -1], y_t, atol=1e-4)), tuple(full.shape)
    (True, (1, 6, 8))
    """

    def __init__(
        self,
        units: int,
        num_layers: int = 1,
        hidden_units: int | None = None,
        layer_norm_epsilon: float = 1e-5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_positive("RWKV", units=units, num_layers=num_layers, hidden_units=hidden_units)
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.hidden_units = int(hidden_units or 4 * units)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.input_norm = layer_norm(self, "input_norm")
        self.blocks = [
            RWKVBlock(
                self.units,
                self.hidden_units,
                layer_index=i,
                num_layers=self.num_layers,
                layer_norm_epsilon=layer_norm_epsilon,
                dtype=self.dtype_policy,
                name=f"block_{i}",
            )
            for i in range(self.num_layers)
        ]
        self.output_norm = layer_norm(self, "output_norm")

    @property
    def state_size(self) -> list[int]:
        """The width of each state tensor (all ``units``), like a Keras RNN cell's."""
        return [self.units] * (STATES_PER_BLOCK * self.num_layers)

    def build(self, sequences_shape):
        shape = _stream_shape("RWKV", self.name, sequences_shape, self.units)
        self.input_norm.build(shape)
        for block in self.blocks:
            block.build(shape)
        self.output_norm.build(shape)

    def call(self, sequences, initial_state=None, return_state: bool = False):
        per_block = self._split(initial_state)
        x, final = self.input_norm(sequences), []
        for block, state in zip(self.blocks, per_block, strict=True):
            x, block_state = block(x, initial_state=state, return_state=True)
            final.extend(block_state)
        outputs = self.output_norm(x)
        return (outputs, final) if return_state else outputs

    def step(self, inputs, state: list):
        """One time step through every block: ``([batch, units], flat state) -> (outputs,
        new flat state)``; equivalent to ``call`` over the sequence."""
        if not self.built:
            self.build((None, None, inputs.shape[-1]))
        x, new_state = self.input_norm(inputs), []
        for block, block_state in zip(self.blocks, self._split(state), strict=True):
            x, block_state = block.step(x, block_state)
            new_state.extend(block_state)
        return self.output_norm(x), new_state

    def get_initial_state(self, batch_size) -> list:
        """The flat state before the first token (``num_layers * 5`` tensors ``[batch, units]``)."""
        return [t for block in self.blocks for t in block.get_initial_state(batch_size)]

    def _split(self, state) -> list:
        if state is None:
            return [None] * self.num_layers
        state = list(state)
        if len(state) != STATES_PER_BLOCK * self.num_layers:
            raise NlpsuiteError(
                f"RWKV '{self.name}': expected {STATES_PER_BLOCK * self.num_layers} state tensors "
                f"({self.num_layers} block(s) x {STATES_PER_BLOCK}), got {len(state)}; pass what "
                "get_initial_state() or step() returned."
            )
        n = STATES_PER_BLOCK
        return [state[i * n : (i + 1) * n] for i in range(self.num_layers)]

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "units", "num_layers", "hidden_units", "layer_norm_epsilon")
