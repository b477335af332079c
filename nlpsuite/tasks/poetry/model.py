"""The character language model and its one-character step model.

``build_model`` makes the training graph: ``ids [batch, time] -> Embedding -> RecurrentStack ->
Dense -> logits [batch, time, vocab]``. The output layer returns logits (softmax lives in the loss
with ``from_logits=True`` and in the sampler), which is the numerically stable form of "-> softmax".

``build_step_model`` wires the *same* layer objects into a second functional model that takes one
character id and the recurrent states and returns the next-character logits and the new states, so
generation carries the state forward and does constant work per character: the prefix is never
re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from nlpsuite.layers.recurrent import recurrent_stack

EMBEDDING = "embedding"
RECURRENT = "recurrent"
LOGITS = "logits"


def build_model(
    vocab_size: int, *, embedding_dim: int, units: int, num_layers: int, cell: str, dropout: float
) -> keras.Model:
    """The full-sequence character LM (what is trained, evaluated and saved)."""
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name=EMBEDDING)(ids)
    x = recurrent_stack(units, num_layers=num_layers, cell=cell, dropout=dropout, name=RECURRENT)(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="output_dropout")(x)
    # float32 logits even under a mixed-precision policy: the softmax over thousands of characters
    # needs it.
    logits = keras.layers.Dense(vocab_size, dtype="float32", name=LOGITS)(x)
    return keras.Model(ids, logits, name="char_lm")


def state_sizes(model: keras.Model) -> list[int]:
    """The width of each recurrent state the step model carries (``[h, c] * layers`` for LSTM)."""
    stack = model.get_layer(RECURRENT)
    return [stack.state_dim] * (stack.num_layers * stack.states_per_layer)


class StepModel(keras.Model):
    """One character through the trained layers: ``[ids [batch], *states] -> [logits,
    *new_states]``.

    Holds the *same* embedding, recurrent stack and output layer objects as the trained model (no
    copies), and runs the stack's cells (``RecurrentStack.step``) for a single time step. Built at
    load time, never saved. A subclassed model rather than a functional one because the stacked
    cells share a default name.

    Args:
        embedding: the trained ``Embedding``.
        stack: the trained ``RecurrentStack``.
        dense: the trained output ``Dense`` (logits).
    """

    def __init__(self, embedding: Any, stack: Any, dense: Any, **kwargs: Any) -> None:
        super().__init__(name=kwargs.pop("name", "char_lm_step"), **kwargs)
        self.embedding, self.stack, self.dense = embedding, stack, dense

    def call(self, inputs, training=False):
        ids, *states = inputs
        outputs, new_states = self.stack.step(self.embedding(ids), list(states), training=False)
        return [self.dense(outputs), *new_states]


def build_step_model(model: keras.Model) -> StepModel:
    """The step model of ``model``, sharing its weights; already called once so its variables are
    tracked."""
    step = StepModel(*(model.get_layer(n) for n in (EMBEDDING, RECURRENT, LOGITS)))
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
    """
    if engine not in ("auto", "numpy", "keras"):
        raise ValueError(f"engine must be auto, numpy or keras; got {engine!r}")
    if engine != "keras" and NumpyStep.supports(step_model.stack):
        return NumpyStep(step_model)
    if engine == "numpy":
        raise ValueError("the NumPy step supports LSTM/GRU stacks with tanh/sigmoid activations only")
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
    return [np.zeros((batch_size, size), "float32") for size in state_sizes(model)]


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
