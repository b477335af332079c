"""Measurements behind the RNN lab page: gradient flow, LSTM gates, recurrent vs. attention cost.

Everything is computed live on this machine with random weights (nothing is read from a table), so the page
shows why the suite uses gated cells and where recurrence is cheaper than self-attention.

Example:

>>> from nlpsuite import lab
>>> norms = lab.gradient_norms("simple_rnn", length=20, units=16)
>>> norms.shape
(20,)
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from nlpsuite.errors import OptionError

__all__ = ["CELLS", "gradient_norms", "lstm_gates", "recurrent_vs_attention", "run_cell"]

CELLS = ("simple_rnn", "lstm", "gru")


def _cell(kind: str, units: int, seed: int):
    import keras

    init = {"kernel_initializer": keras.initializers.GlorotUniform(seed),
            "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + 1)}
    if kind == "simple_rnn":
        return keras.layers.SimpleRNNCell(units, **init)
    if kind == "lstm":
        return keras.layers.LSTMCell(units, **init)
    if kind == "gru":
        return keras.layers.GRUCell(units, **init)
    raise OptionError("kind", kind, f"must be one of {', '.join(CELLS)}")


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _weights(kind: str, units: int, seed: int, gate_bias: float) -> list[np.ndarray]:
    cell = _cell(kind, units, seed)
    cell.build((1, units))
    weights = [np.asarray(w, dtype="float64") for w in cell.get_weights()]
    if kind == "lstm":  # Keras gate order i, f, c, o; the forget gate decides what the cell state keeps
        weights[2][units:2 * units] += gate_bias
    elif kind == "gru":  # Keras gate order z, r, h; h_new = z * h + (1 - z) * candidate, so z keeps
        weights[2][..., :units] += gate_bias / weights[2].ndim
    return weights


def _step(kind: str, weights: list[np.ndarray], x: np.ndarray, state: np.ndarray, units: int):
    """One step of a Keras cell in NumPy: the new state and its Jacobian with respect to the old state."""
    if kind == "simple_rnn":
        kernel, recurrent, bias = weights
        h = np.tanh(x @ kernel + state @ recurrent + bias)
        return h, (1 - h**2)[:, None] * recurrent.T
    if kind == "gru":
        kernel, recurrent, bias = weights
        b_in, b_rec = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))
        xz, xr, xh = np.split(x @ kernel + b_in, 3)
        hz, hr, hh = np.split(state @ recurrent + b_rec, 3)
        uz, ur, uh = np.split(recurrent, 3, axis=1)
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        cand = np.tanh(xh + r * hh)
        new = z * state + (1 - z) * cand
        d_z = (z * (1 - z))[:, None] * uz.T
        d_r = (r * (1 - r))[:, None] * ur.T
        d_cand = (1 - cand**2)[:, None] * (hh[:, None] * d_r + r[:, None] * uh.T)
        jac = np.diag(z) + (state - cand)[:, None] * d_z + (1 - z)[:, None] * d_cand
        return new, jac
    kernel, recurrent, bias = weights
    h, c = state[:units], state[units:]
    zi, zf, zg, zo = np.split(x @ kernel + h @ recurrent + bias, 4)
    ui, uf, ug, uo = np.split(recurrent, 4, axis=1)
    i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
    c_new = f * c + i * g
    t = np.tanh(c_new)
    dc_dh = (c * f * (1 - f))[:, None] * uf.T + (g * i * (1 - i))[:, None] * ui.T \
        + (i * (1 - g**2))[:, None] * ug.T
    dc_dc = np.diag(f)
    dh_dh = (t * o * (1 - o))[:, None] * uo.T + (o * (1 - t**2))[:, None] * dc_dh
    dh_dc = (o * (1 - t**2))[:, None] * dc_dc
    jac = np.block([[dh_dh, dh_dc], [dc_dh, dc_dc]])
    return np.concatenate([o * t, c_new]), jac


def run_cell(kind: str, length: int, units: int = 32, seed: int = 0, input_scale: float = 0.5,
             gate_bias: float = 0.0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Runs a random-weight cell over random inputs; returns the final state and each step's Jacobian.

    Args:
        kind: ``simple_rnn``, ``lstm`` or ``gru``.
        length: time steps.
        units: the cell's width.
        seed: seeds the weights and the inputs.
        input_scale: standard deviation of the random inputs.
        gate_bias: added to the LSTM forget gate / GRU update gate.

    Example:
    >>> state, jacobians = run_cell("lstm", length=5, units=4)
    >>> state.shape, len(jacobians), jacobians[0].shape  # an LSTM's state is [h, c]
    ((8,), 5, (8, 8))
    """
    weights = _weights(kind, units, seed, gate_bias)
    inputs = np.random.default_rng(seed).normal(scale=input_scale, size=(length, units))
    state = np.zeros(2 * units if kind == "lstm" else units)
    jacobians = []
    for x in inputs:
        state, jac = _step(kind, weights, x, state, units)
        jacobians.append(jac)
    return state, jacobians


def gradient_norms(kind: str, length: int = 200, units: int = 32, seed: int = 0, input_scale: float = 0.5,
                   gate_bias: float = 0.0) -> np.ndarray:
    """‖∂h_T/∂s_t‖₂ (spectral norm) for t = 1..T, for one random-weight Keras cell over random inputs.

    ``s_t`` is the cell's whole state (``[h, c]`` for an LSTM). Each step's Jacobian is computed exactly (a test
    checks it against autodiff) and chained backwards from T, the products backpropagation through time takes.
    ``gate_bias`` is added to the LSTM forget gate / GRU update gate: a bias towards remembering.

    Example:
    >>> norms = gradient_norms("simple_rnn", length=30, units=8)
    >>> round(float(norms[-1]), 6), bool(norms[0] < norms[-1])  # the gradient fades going back in time
    (1.0, True)
    """
    _, jacobians = run_cell(kind, length, units, seed, input_scale, gate_bias)
    total = np.eye(jacobians[0].shape[0])[:units]  # rows of h_T
    norms = np.zeros(length)
    for t in range(length - 1, -1, -1):
        norms[t] = np.linalg.norm(total, ord=2)
        total = total @ jacobians[t]
    return norms


def lstm_gates(text: str, units: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """Input, forget and output gate activations of a random-weight LSTM reading ``text`` char by char.

    Returns arrays of shape ``[len(text), units]`` under ``input``, ``forget``, ``output`` and the cell state
    under ``cell``. Characters are embedded by a fixed random table keyed on the code point.

    Example:
    >>> gates = lstm_gates("hello", units=8)
    >>> sorted(gates), gates["forget"].shape
    (['cell', 'forget', 'input', 'output'], (5, 8))
    >>> bool(((gates["input"] > 0) & (gates["input"] < 1)).all())  # gates are sigmoids
    True
    """
    cell = _cell("lstm", units, seed)
    cell.build((1, units))
    kernel, recurrent, bias = (np.asarray(w) for w in cell.get_weights())
    codes = np.array([ord(c) for c in text]) % 4096
    table = np.random.default_rng(seed).normal(size=(4096, units)).astype("float32")
    h = np.zeros(units, dtype="float32")
    c = np.zeros(units, dtype="float32")
    gates = {"input": [], "forget": [], "output": [], "cell": []}
    for code in codes:
        z = table[code] @ kernel + h @ recurrent + bias  # Keras order: i, f, c, o
        i, f, g, o = np.split(z, 4)
        i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
        for name, value in zip(("input", "forget", "output", "cell"), (i, f, o, c), strict=True):
            gates[name].append(value)
    return {name: np.array(values) for name, values in gates.items()}


def recurrent_vs_attention(lengths: Sequence[int] = (32, 64, 128, 256, 512, 1024), units: int = 64,
                           repeats: int = 3) -> list[dict]:
    """Seconds for one forward pass of a GRU layer and of a self-attention layer at each sequence length.

    A recurrent layer does T steps of constant work (linear in T); self-attention compares every pair of
    positions (quadratic in T), though it runs them in parallel. Each time is the best of ``repeats``.

    Example:
    >>> rows = recurrent_vs_attention(lengths=(8,), units=8, repeats=1)
    >>> [(row["layer"], row["length"]) for row in rows], all(row["seconds"] > 0 for row in rows)
    ([('GRU (recurrent)', 8), ('self-attention', 8)], True)
    """
    import keras

    # Both run as compiled functions (predict_on_batch), so neither pays Python per-step overhead.
    inputs = keras.Input((None, units))
    gru = keras.Model(inputs, keras.layers.GRU(units, return_sequences=True)(inputs))
    attention_layer = keras.layers.MultiHeadAttention(num_heads=4, key_dim=units // 4)
    attention = keras.Model(inputs, attention_layer(inputs, inputs))
    rows = []
    for length in lengths:
        x = np.random.default_rng(0).normal(size=(1, length, units)).astype("float32")
        for name, model in (("GRU (recurrent)", gru), ("self-attention", attention)):
            model.predict_on_batch(x)  # trace and warm up for this length
            best = min(_timed(lambda m=model, x=x: m.predict_on_batch(x)) for _ in range(repeats))
            rows.append({"layer": name, "length": length, "seconds": best, "per_token_us": 1e6 * best / length})
    return rows


def _timed(fn) -> float:
    start = time.perf_counter()
    out = fn()
    np.asarray(out)  # wait for the result, whatever the backend
    return time.perf_counter() - start
