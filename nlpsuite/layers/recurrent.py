"""Stacked LSTM/GRU/SimpleRNN encoders and decoders with cuDNN-eligible defaults.

``recurrent_stack()`` builds a ``RecurrentStack``: ``num_layers`` recurrent layers (optionally
bidirectional) with ``Dropout`` layers between them. Dropout lives in separate layers rather than in
the recurrent layers' ``recurrent_dropout`` (which would rule out the cuDNN kernel).
``RecurrentStack.step`` runs one time step through the same weights (the layers' cells), so a
decoder trained on whole sequences with the fast kernel can be stepped token by token in greedy or
beam search.

When Keras uses cuDNN (checked by ``cudnn_ineligibility_reasons``):

- TensorFlow: LSTM/GRU with ``activation="tanh"``, ``recurrent_activation="sigmoid"``,
  ``recurrent_dropout=0``, ``unroll=False``, ``use_bias=True`` (GRU also ``reset_after=True``) and
  ``use_cudnn`` not False, on a GPU. A mask is allowed but must be strictly right-padded with no
  all-padding row: TF asserts on a row with no real token, so drop such rows (or give them one
  unmasked step) before the layer.
- JAX and PyTorch (recent Keras 3): the same settings, but only when no mask is passed; a masked
  layer runs the generic (XLA scan / Python) loop.
- ``dropout`` inside an LSTM/GRU (input dropout) keeps cuDNN; ``recurrent_dropout > 0`` does not.
  ``SimpleRNN`` never uses cuDNN.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config

__all__ = ["RecurrentStack", "cudnn_eligible", "cudnn_ineligibility_reasons", "recurrent_stack"]

_LAYER_CLASSES = {
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
    "simple_rnn": keras.layers.SimpleRNN,
}
_STATES_PER_LAYER = {"lstm": 2, "gru": 1, "simple_rnn": 1}
_MERGE_MODES = ("concat", "sum", "mul", "ave")
# Set by the stack itself; passing them through **kwargs would break the layer wiring.
_RESERVED_KWARGS = ("units", "return_sequences", "return_state", "name", "go_backwards")


@keras.saving.register_keras_serializable(package="nlpsuite")
class RecurrentStack(keras.layers.Layer):
    """``num_layers`` LSTM/GRU/SimpleRNN layers, optionally bidirectional, dropout between them.

    Prefer the ``recurrent_stack()`` factory, which takes the recurrent layers' own arguments as
    keyword arguments.

    Args:
        units: units of every recurrent layer (per direction when bidirectional).
        num_layers: number of stacked recurrent layers; all but the last return sequences.
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        bidirectional: wrap each layer in ``keras.layers.Bidirectional``.
        dropout: rate of the ``Dropout`` layers between recurrent layers (none after the last).
        return_sequences: whether the last layer returns the whole sequence or its last output.
        return_state: also return every layer's final state(s).
        merge_mode: how ``Bidirectional`` merges the two directions' outputs: ``"concat"``,
            ``"sum"``, ``"mul"`` or ``"ave"``. States are always concatenated.
        layer_kwargs: extra arguments for every ``LSTM``/``GRU``/``SimpleRNN`` (e.g.
            ``kernel_regularizer``, ``use_cudnn``); the module docstring lists the ones that make
            a layer cuDNN-ineligible.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        sequences: ``[batch, time, features]``.
        initial_state: optional flat list of states in the layout ``return_state`` produces.
        mask: optional ``[batch, time]`` boolean; taken from ``sequences``' Keras mask when not
            given (as with Keras RNNs, pass it explicitly when you also pass ``initial_state``).
        training: whether dropout is active.

    Returns:
        ``outputs``: ``[batch, time, dim]`` (``return_sequences``) or ``[batch, dim]``, with ``dim =
        2 * units`` for a bidirectional ``"concat"`` stack and ``units`` otherwise. With
        ``return_state``: ``[outputs, *states]``, ``states`` being, layer by layer, ``[h]`` (GRU,
        SimpleRNN) or ``[h, c]`` (LSTM), each ``[batch, units]`` or, bidirectional,
        ``[batch, 2 * units]`` = ``concat([forward, backward], axis=-1)``. The output mask is the
        input mask when sequences are returned.

    Example:

    >>> import numpy as np
    >>> encoder = RecurrentStack(8, num_layers=2, cell="gru", bidirectional=True, return_state=True)
    >>> outputs, state_1, state_2 = encoder(np.random.rand(3, 5, 4).astype("float32"))
    >>> tuple(outputs.shape), tuple(state_2.shape)
    ((3, 5, 16), (3, 16))
    """

    def __init__(
        self,
        units: int,
        num_layers: int = 1,
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        return_sequences: bool = True,
        return_state: bool = False,
        merge_mode: str = "concat",
        layer_kwargs: dict | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _validate(units, num_layers, cell, dropout, merge_mode, layer_kwargs or {})
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.cell = cell
        self.bidirectional = bool(bidirectional)
        self.dropout = float(dropout)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.merge_mode = merge_mode
        self.layer_kwargs = dict(layer_kwargs or {})
        self.recurrent_layers = [self._make_layer(i) for i in range(self.num_layers)]
        self.dropout_layers = [
            keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name=f"dropout_{i}")
            for i in range(self.num_layers - 1)
            if self.dropout > 0
        ]
        self.supports_masking = True

    @property
    def states_per_layer(self) -> int:
        """1 for GRU/SimpleRNN (``h``), 2 for LSTM (``h``, ``c``)."""
        return _STATES_PER_LAYER[self.cell]

    @property
    def output_dim(self) -> int:
        """Feature size of the outputs."""
        return self.units * (2 if self.bidirectional and self.merge_mode == "concat" else 1)

    @property
    def state_dim(self) -> int:
        """Feature size of each returned state."""
        return self.units * (2 if self.bidirectional else 1)

    def _make_layer(self, index: int) -> keras.layers.Layer:
        is_last = index == self.num_layers - 1
        layer = _LAYER_CLASSES[self.cell](
            self.units,
            return_sequences=self.return_sequences or not is_last,
            return_state=self.return_state,
            dtype=self.dtype_policy,
            name=f"{self.cell}_{index}",
            **self.layer_kwargs,
        )
        if self.bidirectional:
            layer = keras.layers.Bidirectional(
                layer,
                merge_mode=self.merge_mode,
                dtype=self.dtype_policy,
                name=f"bidirectional_{self.cell}_{index}",
            )
        return layer

    def build(self, sequences_shape):
        shape = tuple(sequences_shape)
        for index, layer in enumerate(self.recurrent_layers):
            if index > 0 and self.dropout_layers:
                self.dropout_layers[index - 1].build(shape)
            layer.build(shape)
            shape = (*shape[:2], self.output_dim)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        layer_states = self._split_states(initial_state)
        outputs, final_states = sequences, []
        for index, layer in enumerate(self.recurrent_layers):
            if index > 0 and self.dropout_layers:
                outputs = self.dropout_layers[index - 1](outputs, training=training)
            result = layer(
                outputs,
                initial_state=self._to_layer_state(layer_states[index]),
                mask=mask,
                training=training,
            )
            if self.return_state:
                outputs, states = result[0], list(result[1:])
                final_states.extend(self._from_layer_state(states))
            else:
                outputs = result
        return [outputs, *final_states] if self.return_state else outputs

    def step(self, inputs, states: list, training: bool = False):
        """Runs one time step through every layer's cell, with the weights the stack trained.

        Only for unidirectional stacks (a backward direction needs the whole sequence). The result
        matches ``call`` on whole sequences (the cuDNN kernel, when used, runs the same weights),
        so a decoder trained with teacher forcing can be stepped in greedy or beam search.
        Dropout between layers is applied only when ``training`` is True.

        Args:
            inputs: ``[batch, features]``, one time step.
            states: flat list of ``num_layers * states_per_layer`` tensors ``[batch, units]``, e.g.
                from ``get_initial_state``, the previous ``step`` or an encoder's ``return_state``.
            training: whether dropout is active.

        Returns:
            ``(outputs, new_states)``: ``outputs`` ``[batch, units]`` and the states, same layout.
        """
        if self.bidirectional:
            raise NlpsuiteError(
                "RecurrentStack.step: a bidirectional stack cannot be stepped one token at a time; "
                "use bidirectional=False for a decoder."
            )
        if not self.built:
            self.build((None, None, inputs.shape[-1]))
        per_layer = self._split_states(states)
        outputs, new_states = inputs, []
        for index, layer in enumerate(self.recurrent_layers):
            if index > 0 and self.dropout_layers:
                outputs = self.dropout_layers[index - 1](outputs, training=training)
            outputs, layer_states = layer.cell(outputs, list(per_layer[index]), training=training)
            new_states.extend(layer_states)
        return outputs, new_states

    def get_initial_state(self, batch_size) -> list:
        """Zero states for ``step`` / ``initial_state``: a flat list of ``[batch, state_dim]``."""
        return [
            ops.zeros((batch_size, self.state_dim), dtype=self.compute_dtype)
            for _ in range(self.num_layers * self.states_per_layer)
        ]

    def _split_states(self, states) -> list:
        """Flat state list -> one list per layer (``None`` entries when no states were given)."""
        if states is None:
            return [None] * self.num_layers
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        expected = self.num_layers * self.states_per_layer
        if len(states) != expected:
            raise NlpsuiteError(
                f"RecurrentStack '{self.name}': expected {expected} states "
                f"({self.num_layers} layer(s) x {self.states_per_layer} for {self.cell}), got "
                f"{len(states)}; pass the list that return_state or get_initial_state() gives."
            )
        n = self.states_per_layer
        return [states[i * n : (i + 1) * n] for i in range(self.num_layers)]

    def _to_layer_state(self, states):
        """Our concatenated [forward; backward] states -> what ``Bidirectional`` expects."""
        if states is None or not self.bidirectional:
            return states
        halves = [ops.split(state, 2, axis=-1) for state in states]
        return [half[0] for half in halves] + [half[1] for half in halves]

    def _from_layer_state(self, states: list) -> list:
        if not self.bidirectional:
            return states
        forward, backward = states[: len(states) // 2], states[len(states) // 2 :]
        return [ops.concatenate([f, b], axis=-1) for f, b in zip(forward, backward, strict=True)]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if self.return_sequences:
            output_shape = (*tuple(sequences_shape)[:2], self.output_dim)
        else:
            output_shape = (sequences_shape[0], self.output_dim)
        if not self.return_state:
            return output_shape
        state_shape = (sequences_shape[0], self.state_dim)
        return [output_shape] + [state_shape] * (self.num_layers * self.states_per_layer)

    def compute_mask(self, sequences, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * (self.num_layers * self.states_per_layer)
        return output_mask

    def get_config(self) -> dict:
        layer_kwargs = {key: keras.saving.serialize_keras_object(value) for key, value in self.layer_kwargs.items()}
        return layer_config(self, super().get_config(), "units", "num_layers", "cell", "bidirectional", "dropout",
                            "return_sequences", "return_state", "merge_mode", layer_kwargs=layer_kwargs)


def _validate(
    units: int, num_layers: int, cell: str, dropout: float, merge_mode: str, layer_kwargs: dict
) -> None:
    if cell not in _LAYER_CLASSES:
        raise NlpsuiteError(
            f"recurrent_stack: cell must be one of {', '.join(_LAYER_CLASSES)}; got {cell!r}."
        )
    if int(units) < 1 or int(num_layers) < 1:
        raise NlpsuiteError(
            f"recurrent_stack: units and num_layers must be >= 1; got units={units}, "
            f"num_layers={num_layers}."
        )
    if not 0.0 <= float(dropout) < 1.0:
        raise NlpsuiteError(f"recurrent_stack: dropout must be in [0, 1); got {dropout}.")
    if merge_mode not in _MERGE_MODES:
        raise NlpsuiteError(
            f"recurrent_stack: merge_mode must be one of {', '.join(_MERGE_MODES)}; "
            f"got {merge_mode!r}."
        )
    reserved = sorted(set(layer_kwargs) & set(_RESERVED_KWARGS))
    if reserved:
        raise NlpsuiteError(
            f"recurrent_stack: {', '.join(reserved)} cannot be passed through to the recurrent "
            "layers; use the recurrent_stack arguments (units, return_sequences, return_state, "
            "name) instead."
        )


# What the factory gives the stack itself (its own arguments, with RecurrentStack's defaults, and the base
# layer's name and dtype); every other keyword goes to each recurrent layer.
_STACK_ARGUMENTS = (
    *(name for name in inspect.signature(RecurrentStack).parameters if name not in ("units", "layer_kwargs", "kwargs")),
    "name",
    "dtype",
)


def recurrent_stack(units: int, **kwargs: Any) -> RecurrentStack:
    """Builds a ``RecurrentStack`` of ``num_layers`` recurrent layers.

    The defaults are cuDNN-eligible. Choices that rule cuDNN out (listed by
    ``cudnn_ineligibility_reasons``): ``cell="simple_rnn"``, ``recurrent_dropout > 0``,
    ``activation`` other than tanh, ``recurrent_activation`` other than sigmoid, ``unroll=True``,
    ``use_bias=False``, ``reset_after=False`` (GRU) and ``use_cudnn=False``; on JAX and PyTorch
    also passing a mask. ``dropout`` here is applied by ``Dropout`` layers between the recurrent
    layers and does not affect eligibility.

    Args:
        units: units of every recurrent layer (per direction when bidirectional).
        **kwargs: the stack's own arguments, with ``RecurrentStack``'s defaults: ``num_layers``,
            ``cell``, ``bidirectional``, ``dropout``, ``return_sequences``, ``return_state``,
            ``merge_mode``, and its ``name`` and ``dtype``; every other keyword is passed to every
            ``LSTM``/``GRU``/``SimpleRNN`` (``recurrent_dropout``, ``kernel_regularizer``, ``use_cudnn``, ...).

    Returns:
        A ``RecurrentStack`` layer; see its docstring for call arguments and output shapes.

    Example:

    >>> import numpy as np
    >>> stack = recurrent_stack(16, num_layers=2, bidirectional=True, dropout=0.2)
    >>> tuple(stack(np.random.rand(2, 7, 3).astype("float32")).shape)
    (2, 7, 32)
    >>> cudnn_eligible(stack)
    True
    """
    stack_kwargs = {key: kwargs.pop(key) for key in _STACK_ARGUMENTS if key in kwargs}
    return RecurrentStack(units, layer_kwargs=kwargs, **stack_kwargs)


def _named(function: Any, name: str) -> bool:
    return function in (getattr(keras.activations, name), getattr(keras.ops, name)) or (
        getattr(function, "__name__", None) == name
    )


def _rnn_reasons(layer: keras.layers.Layer) -> list[str]:
    prefix = f"{layer.name}: "
    if isinstance(layer, keras.layers.SimpleRNN):
        return [prefix + "SimpleRNN has no cuDNN kernel; use cell='lstm' or 'gru'"]
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        raise NlpsuiteError(
            f"cudnn_ineligibility_reasons: {type(layer).__name__} '{layer.name}' is not an LSTM, "
            "GRU, SimpleRNN, Bidirectional or RecurrentStack."
        )
    cell = layer.cell
    checks = [
        (_named(cell.activation, "tanh"), "activation is not tanh"),
        (_named(cell.recurrent_activation, "sigmoid"), "recurrent_activation is not sigmoid"),
        (not cell.recurrent_dropout, f"recurrent_dropout={cell.recurrent_dropout} (must be 0)"),
        (not layer.unroll, "unroll=True"),
        (cell.use_bias, "use_bias=False"),
        (getattr(layer, "use_cudnn", "auto") is not False, "use_cudnn=False"),
    ]
    if isinstance(layer, keras.layers.GRU):
        checks.append((cell.reset_after, "reset_after=False (GRU needs reset_after=True)"))
    return [prefix + reason for ok, reason in checks if not ok]


def cudnn_ineligibility_reasons(layer: keras.layers.Layer) -> list[str]:
    """Why Keras would not run ``layer`` with the cuDNN kernel; empty when it is eligible.

    Checks the layer's settings against Keras's documented conditions (see the module docstring):
    ``activation == tanh``, ``recurrent_activation == sigmoid``, ``recurrent_dropout == 0``,
    ``unroll is False``, ``use_bias is True``, for GRU ``reset_after is True``, and
    ``use_cudnn`` not False. Run-time conditions are not checked: a GPU must be present, masks
    must be right-padded with no all-padding row (TensorFlow) or absent (JAX, PyTorch).

    Args:
        layer: an ``LSTM``, ``GRU``, ``SimpleRNN``, a ``Bidirectional`` wrapper of one, or a
            ``RecurrentStack`` (every layer is checked).

    Returns:
        One message per failed condition, each starting with the offending layer's name.

    Example:

    >>> import keras
    >>> cudnn_ineligibility_reasons(keras.layers.GRU(4, recurrent_dropout=0.1, name="gru"))
    ['gru: recurrent_dropout=0.1 (must be 0)']
    """
    if isinstance(layer, RecurrentStack):
        return [
            reason
            for inner in layer.recurrent_layers
            for reason in cudnn_ineligibility_reasons(inner)
        ]
    if isinstance(layer, keras.layers.Bidirectional):
        return _rnn_reasons(layer.forward_layer) + _rnn_reasons(layer.backward_layer)
    return _rnn_reasons(layer)


def cudnn_eligible(layer: keras.layers.Layer) -> bool:
    """True when ``cudnn_ineligibility_reasons(layer)`` is empty.

    Example:

    >>> import keras
    >>> cudnn_eligible(keras.layers.LSTM(4))
    True
    >>> cudnn_eligible(keras.layers.LSTM(4, activation="relu"))
    False
    """
    return not cudnn_ineligibility_reasons(layer)
