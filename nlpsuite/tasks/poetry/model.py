"""The character language model and its one-character step model.

``build_model`` makes the training graph: ``ids [batch, time] -> Embedding -> core -> Dense ->
logits [batch, time, vocab]``, the core being one of the ``ARCHITECTURES``:

- ``lstm`` / ``gru``: a ``RecurrentStack`` (named ``recurrent``, as in models saved before the other
  architectures existed);
- ``rwkv``: ``nlpsuite.layers.RWKV`` (named ``rwkv``);
- ``transformer``: ``nlpsuite.layers.CausalTransformer``, keras-hub decoder layers (named
  ``transformer``).

The output layer returns logits (softmax lives in the loss with ``from_logits=True`` and in the
sampler), which is the numerically stable form of "-> softmax".

``build_step_model`` wires the *same* layer objects into a second model that takes one character id
and the core's state and returns the next-character logits and the new state. Every core has the
same ``get_initial_state(batch_size)`` / ``step(x_t, state)`` interface, so the generator is one code
path: a recurrent state (fixed size, constant work per character) or a Transformer's key/value
cache (grows with the position). The prefix is never re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from nlpsuite.errors import NlpsuiteError, OptionError, check_choice
from nlpsuite.layers.recurrent import recurrent_stack

__all__ = [
    "LOGITS",
    "NumpyStep",
    "StepModel",
    "architecture_of",
    "build_model",
    "build_step_model",
    "compile_step",
    "core_layer",
    "state_bytes",
    "zero_states",
]

EMBEDDING = "embedding"
RECURRENT = "recurrent"
LOGITS = "logits"
# architecture -> name of its core layer
ARCHITECTURES = {"lstm": RECURRENT, "gru": RECURRENT, "rwkv": "rwkv", "transformer": "transformer"}


def build_model(
    vocab_size: int,
    *,
    embedding_dim: int,
    units: int,
    num_layers: int,
    cell: str,
    dropout: float,
    architecture: str | None = None,
    num_heads: int = 4,
    recurrent_dropout: float = 0.0,
) -> keras.Model:
    """The full-sequence character LM (what is trained, evaluated and saved).

    Args:
        vocab_size: characters in the codec.
        embedding_dim: character embedding size (``lstm``/``gru``; RWKV and the Transformer embed
            straight into their ``units``-wide residual stream).
        units: width of each recurrent layer / of the RWKV or Transformer stream.
        num_layers: stacked layers or blocks.
        cell: ``lstm`` or ``gru``, the recurrent cell when ``architecture`` is not given.
        dropout: before the output layer (and between recurrent layers, inside decoder layers).
        architecture: one of ``ARCHITECTURES``; default ``cell``.
        num_heads: attention heads (``transformer`` only).
        recurrent_dropout: dropout on the recurrent state of each LSTM/GRU layer (``lstm``/``gru`` only).

    Example:

    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=1, cell="lstm", dropout=0.0,
    ...                     architecture="rwkv")
    >>> tuple(model.output.shape), core_layer(model).name
    ((None, None, 30), 'rwkv')
    """
    architecture = architecture or cell
    if architecture not in ARCHITECTURES:
        raise NlpsuiteError(f"architecture={architecture!r}: choose one of {', '.join(ARCHITECTURES)}")
    ids = keras.Input((None,), dtype="int32", name="ids")
    if architecture in ("lstm", "gru"):
        x = keras.layers.Embedding(vocab_size, embedding_dim, name=EMBEDDING)(ids)
        x = recurrent_stack(
            units,
            num_layers=num_layers,
            cell=architecture,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            name=RECURRENT,
        )(x)
    elif architecture == "rwkv":
        from nlpsuite.layers.rwkv import RWKV

        x = keras.layers.Embedding(vocab_size, units, name=EMBEDDING)(ids)
        x = RWKV(units, num_layers=num_layers, name=ARCHITECTURES["rwkv"])(x)
    else:
        from nlpsuite.layers.causal_transformer import CausalTransformer

        if units % num_heads:
            raise NlpsuiteError(f"units={units} is not a multiple of num_heads={num_heads}; change either")
        x = keras.layers.Embedding(vocab_size, units, name=EMBEDDING)(ids)
        x = CausalTransformer(units, num_layers, num_heads, dropout=dropout, name=ARCHITECTURES["transformer"])(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="output_dropout")(x)
    # float32 logits even under a mixed-precision policy: the softmax over thousands of characters
    # needs it.
    logits = keras.layers.Dense(vocab_size, dtype="float32", name=LOGITS)(x)
    return keras.Model(ids, logits, name="char_lm")


def core_layer(model: keras.Model) -> Any:
    """The model's recurrent stack, RWKV or Transformer layer (whichever it was built with).

    Example:
    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0, architecture="rwkv")
    >>> type(core_layer(model)).__name__
    'RWKV'
    """
    for name in dict.fromkeys(ARCHITECTURES.values()):
        try:
            return model.get_layer(name)
        except ValueError:
            continue
    raise NlpsuiteError(f"model {model.name!r} has none of the layers {', '.join(set(ARCHITECTURES.values()))}")


def architecture_of(model: keras.Model) -> str:
    """``lstm``, ``gru``, ``rwkv`` or ``transformer``, read from the model's layers.

    Example:
    >>> architecture_of(build_model(30, embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0))
    'gru'
    """
    core = core_layer(model)
    return core.cell if core.name == RECURRENT else core.name


class StepModel(keras.Model):
    """One character through the trained layers: ``[ids [batch], *states] -> [logits,
    *new_states]``.

    Holds the *same* embedding, core and output layer objects as the trained model (no copies),
    and runs the core's ``step`` (``RecurrentStack.step``, ``RWKV.step``, ``CausalTransformer.step``)
    for a single time step. Built at load time, never saved. A subclassed model rather than a
    functional one because the stacked cells share a default name.

    Args:
        embedding: the trained ``Embedding``.
        stack: the trained core layer (see ``core_layer``).
        dense: the trained output ``Dense`` (logits).

    Example:
    >>> import numpy as np
    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0)
    >>> logits, *states = build_step_model(model)([np.array([5], "int32"), *zero_states(model)])
    >>> full = model.predict(np.array([[5]]), verbose=0)[0, 0]  # the full model's logits for the same character
    >>> bool(np.allclose(np.asarray(logits)[0], full, atol=1e-5)), len(states)
    (True, 1)
    """

    def __init__(self, embedding: Any, stack: Any, dense: Any, **kwargs: Any) -> None:
        super().__init__(name=kwargs.pop("name", "char_lm_step"), **kwargs)
        self.embedding, self.stack, self.dense = embedding, stack, dense

    def call(self, inputs, training=False):
        ids, *states = inputs
        outputs, new_states = self.stack.step(self.embedding(ids), list(states))
        return [self.dense(outputs), *new_states]


def build_step_model(model: keras.Model) -> StepModel:
    """The step model of ``model``, sharing its weights; already called once so its variables are
    tracked.

    Example:
    >>> import numpy as np
    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=1, cell="lstm", dropout=0.0)
    >>> step = build_step_model(model)
    >>> step.embedding is model.get_layer(EMBEDDING)  # shares the trained layers
    True
    """
    step = StepModel(model.get_layer(EMBEDDING), core_layer(model), model.get_layer(LOGITS))
    step([np.zeros((1,), "int32"), *zero_states(model)])
    return step


def compile_step(
    step_model: StepModel, engine: str = "auto"
) -> Callable[[np.ndarray, list[Any]], tuple[np.ndarray, list]]:
    """A fast callable for one step: ``(ids, states) -> (logits as NumPy, new states)``.

    ``engine="numpy"`` (what ``auto`` picks for tanh/sigmoid LSTM and GRU stacks) runs the step with
    NumPy on a snapshot of the trained layers' weights: a step is a few small matrix-vector
    products, and NumPy does them in well under a millisecond, where any framework's per-call
    dispatch costs about a millisecond by itself. ``engine="keras"`` runs the ``StepModel`` through
    the backend:

    Calling a Keras model eagerly costs milliseconds of Python per call; tracing it once
    (``tf.function`` on TensorFlow, ``jax.jit`` over ``stateless_call`` on JAX) brings a step down
    to a fraction of a millisecond. Other backends call the model directly.

    Args:
        step_model: the ``StepModel``.
        engine: ``auto``, ``numpy`` or ``keras``.

    Example:
    >>> import numpy as np
    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=2, cell="lstm", dropout=0.0)
    >>> step = compile_step(build_step_model(model))
    >>> states = zero_states(model)
    >>> for char_id in (5, 6):
    ...     logits, states = step(np.array([char_id], "int32"), states)
    >>> full = model.predict(np.array([[5, 6]]), verbose=0)[0, -1]
    >>> bool(np.allclose(logits[0], full, atol=1e-4))  # two steps = the full model over two characters
    True
    """
    check_choice("engine", engine, ("auto", "numpy", "keras"))
    step = _compile_backend_step(step_model, engine)
    reserve = getattr(step_model.stack, "reserve", None)
    if reserve is None:
        return step

    def growing_step(ids, states):
        # A Transformer's cache grows (outside the traced step: a new capacity is a new shape).
        position = int(np.asarray(keras.ops.convert_to_numpy(states[0])))
        return step(ids, reserve(list(states), position + 1))

    return growing_step


def _compile_backend_step(step_model: StepModel, engine: str) -> Callable[[np.ndarray, list[Any]], tuple]:
    if engine != "keras" and NumpyStep.supports(step_model.stack):
        return NumpyStep(step_model)
    if engine == "numpy":
        raise OptionError(
            "engine", engine, "works for LSTM/GRU stacks with tanh/sigmoid activations only; use 'auto' or 'keras'"
        )
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        traced = tf.function(lambda inputs: step_model(inputs, training=False), reduce_retracing=True)

        def step(ids, states):
            outputs = traced([tf.convert_to_tensor(ids, tf.int32), *states])
            return outputs[0].numpy(), list(outputs[1:])

        return step
    if backend == "jax":
        import jax

        trainable = [v.value for v in step_model.trainable_variables]
        frozen = [v.value for v in step_model.non_trainable_variables]
        jitted = jax.jit(lambda t, f, inputs: step_model.stateless_call(t, f, inputs, training=False)[0])

        def step(ids, states):
            outputs = jitted(trainable, frozen, [np.asarray(ids, "int32"), *states])
            return np.asarray(outputs[0]), list(outputs[1:])

        return step

    def step(ids, states):
        outputs = step_model([np.asarray(ids, "int32"), *states], training=False)
        return keras.ops.convert_to_numpy(outputs[0]), list(outputs[1:])

    return step


def zero_states(model: keras.Model, batch_size: int = 1) -> list[np.ndarray]:
    """The core's state before the first character, as NumPy arrays.

    Example:
    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=2, cell="lstm", dropout=0.0)
    >>> [s.shape for s in zero_states(model, batch_size=3)]  # h and c of each layer
    [(3, 16), (3, 16), (3, 16), (3, 16)]
    """
    return [np.asarray(keras.ops.convert_to_numpy(s)) for s in core_layer(model).get_initial_state(batch_size)]


def state_bytes(states: list) -> int:
    """Bytes held by a step state (recurrent state, or position + key/value caches).

    Example:
    >>> import numpy as np
    >>> state_bytes([np.zeros((1, 16), "float32"), np.zeros((1, 16), "float32")])
    128
    """
    return int(sum(np.asarray(keras.ops.convert_to_numpy(s)).nbytes for s in states))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # einsum's own loop, not BLAS: for one row times a matrix, a multi-threaded BLAS spends far more
    # time waking and synchronising its threads than multiplying (12 ms instead of 0.2 ms for
    # 256 x 4000 on a busy 2-core machine).
    return np.einsum("bi,io->bo", a, b)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # exact, and never overflows


class NumpyStep:
    """The step model's arithmetic in NumPy, on a snapshot of its layers' weights (Keras' gate
    layouts: LSTM ``i, f, c, o``; GRU ``z, r, h`` with ``reset_after=True``). Checked against the
    full-sequence model by the tests; rebuild it after changing weights.

    Args:
        step_model: the ``StepModel`` whose embedding, stack and output layer are read.

    Example:
    >>> import numpy as np
    >>> model = build_model(30, embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0)
    >>> step = build_step_model(model)
    >>> logits, _ = NumpyStep(step)(np.array([5], "int32"), zero_states(model))
    >>> keras_logits = step([np.array([5], "int32"), *zero_states(model)])[0]
    >>> bool(np.allclose(logits, np.asarray(keras_logits), atol=1e-5))
    True
    """

    def __init__(self, step_model: StepModel) -> None:
        read = keras.ops.convert_to_numpy
        stack = step_model.stack
        self.cell_type = stack.cell
        self.embeddings = read(step_model.embedding.embeddings).astype("float32")
        self.cells = [
            (read(layer.cell.kernel), read(layer.cell.recurrent_kernel), read(layer.cell.bias))
            for layer in stack.recurrent_layers
        ]
        self.out_kernel = read(step_model.dense.kernel)
        self.out_bias = read(step_model.dense.bias)

    @staticmethod
    def supports(stack: Any) -> bool:
        if getattr(stack, "bidirectional", True) or stack.cell not in ("lstm", "gru"):
            return False
        for layer in stack.recurrent_layers:
            cell = layer.cell
            names = (
                getattr(cell.activation, "__name__", ""),
                getattr(cell.recurrent_activation, "__name__", ""),
            )
            if names != ("tanh", "sigmoid") or not cell.use_bias or getattr(cell, "reset_after", True) is False:
                return False
        return True

    def __call__(self, ids: np.ndarray, states: list) -> tuple[np.ndarray, list]:
        x = self.embeddings[np.asarray(ids, "int64")]
        new_states: list = []
        if self.cell_type == "lstm":
            for index, (kernel, recurrent, bias) in enumerate(self.cells):
                h, c = np.asarray(states[2 * index]), np.asarray(states[2 * index + 1])
                n = h.shape[-1]
                z = _matmul(x, kernel) + _matmul(h, recurrent) + bias
                gates = _sigmoid(z[:, : 2 * n])  # input and forget gates in one call
                c = gates[:, n:] * c + gates[:, :n] * np.tanh(z[:, 2 * n : 3 * n])
                x = _sigmoid(z[:, 3 * n :]) * np.tanh(c)
                new_states += [x, c]
        else:
            for index, (kernel, recurrent, bias) in enumerate(self.cells):
                h = np.asarray(states[index])
                n = h.shape[-1]
                zx = _matmul(x, kernel) + bias[0]
                zh = _matmul(h, recurrent) + bias[1]
                gates = _sigmoid(zx[:, : 2 * n] + zh[:, : 2 * n])  # update and reset gates
                z, r = gates[:, :n], gates[:, n:]
                x = z * h + (1.0 - z) * np.tanh(zx[:, 2 * n :] + r * zh[:, 2 * n :])
                new_states.append(x)
        return _matmul(x, self.out_kernel) + self.out_bias, new_states
