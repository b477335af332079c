import numpy as np
import pytest

from nlpsuite import lab


@pytest.mark.parametrize("kind", lab.CELLS)
def test_numpy_step_matches_keras_cell_and_autodiff(kind):
    import keras
    import tensorflow as tf

    units = 6
    weights = lab._weights(kind, units, seed=3, gate_bias=0.7)
    cell = lab._cell(kind, units, seed=3)
    cell.build((1, units))
    cell.set_weights([w.astype("float32") for w in weights])
    rng = np.random.default_rng(1)
    x = rng.normal(size=units)
    state = rng.normal(scale=0.5, size=2 * units if kind == "lstm" else units)
    new, jac = lab._step(kind, weights, x, state, units)

    flat = tf.constant(state[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(flat)
        parts = tf.split(flat, 2, axis=-1) if kind == "lstm" else flat
        _, keras_state = cell(tf.constant(x[None].astype("float32")), parts)
        keras_flat = tf.concat(keras_state if isinstance(keras_state, (list, tuple)) else [keras_state], -1)
    keras_jac = tape.batch_jacobian(keras_flat, flat)[0].numpy()
    np.testing.assert_allclose(new, keras_flat.numpy()[0], atol=1e-5)
    np.testing.assert_allclose(jac, keras_jac, atol=1e-4)
    keras.backend.clear_session()


def test_vanishing_in_simple_rnn_preserved_with_remembering_gates():
    simple = lab.gradient_norms("simple_rnn", length=200, units=16, input_scale=1.0)
    lstm = lab.gradient_norms("lstm", length=200, units=16, input_scale=1.0, gate_bias=3.0)
    assert simple[-1] == pytest.approx(1.0)  # dh_T/dh_T is the identity
    assert simple[0] < 1e-6 * simple[-1]
    assert lstm[0] > 1e3 * simple[0]


def test_lstm_gates_shapes_and_ranges():
    text = "Hi 世界 🎉"
    gates = lab.lstm_gates(text, units=4)
    assert gates["input"].shape == (len(text), 4)
    for name in ("input", "forget", "output"):
        assert ((gates[name] > 0) & (gates[name] < 1)).all()


def test_recurrent_vs_attention_rows():
    rows = lab.recurrent_vs_attention(lengths=(8, 16), units=8, repeats=1)
    # One timing per layer and length, each a real measurement (speed claims belong in bench/).
    assert sorted((r["layer"], r["length"]) for r in rows) == [
        ("GRU (recurrent)", 8), ("GRU (recurrent)", 16), ("self-attention", 8), ("self-attention", 16)
    ]
    assert all(np.isfinite(r["seconds"]) and 0 < r["seconds"] < 60 for r in rows)
