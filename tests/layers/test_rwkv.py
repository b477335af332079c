"""RWKV / RWKVBlock: the parallel and step forms agree, stay finite on long sequences, save and reload."""

import doctest

import keras
import numpy as np
import pytest
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers import rwkv as rwkv_module
from nlpsuite.layers.rwkv import RWKV, RWKVBlock

pytestmark = pytest.mark.backend_agnostic

UNITS = 8


class _Stepped(keras.Model):
    """Runs ``RWKV.step`` over a sequence inside the compiled predict function (an eager Python
    loop of 2,000 steps would take minutes). The scan's outputs mirror its carry (TensorFlow's
    ``ops.scan`` requires it), so the carry holds the last output too."""

    def __init__(self, rwkv, **kwargs):
        super().__init__(name="stepped", **kwargs)
        self.rwkv = rwkv

    def call(self, sequences):
        batch = ops.shape(sequences)[0]
        carry = [*self.rwkv.get_initial_state(batch), ops.zeros((batch, self.rwkv.units))]

        def one_step(carry, x_t):
            y, state = self.rwkv.step(x_t, carry[:-1])
            new = [*state, y]
            return new, new

        _, outputs = ops.scan(one_step, carry, ops.transpose(sequences, (1, 0, 2)))
        return ops.transpose(outputs[-1], (1, 0, 2))


def _parallel(layer, x):
    inputs = keras.Input((None, layer.units))
    return keras.Model(inputs, layer(inputs)).predict_on_batch(x)


def _inputs(time, scale=1.0, seed=0):
    return (scale * np.random.default_rng(seed).normal(size=(2, time, UNITS))).astype("float32")


def test_parallel_and_step_forms_agree_on_2000_steps():
    layer = RWKV(UNITS, num_layers=2)
    x = _inputs(2000)
    parallel = _parallel(layer, x)
    stepped = _Stepped(layer).predict_on_batch(x)
    assert parallel.shape == stepped.shape == (2, 2000, UNITS)
    np.testing.assert_allclose(stepped, parallel, atol=1e-4, rtol=0)


def test_eager_step_matches_the_first_steps_and_the_returned_state_continues_the_sequence():
    layer = RWKV(UNITS, num_layers=2)
    x = _inputs(12)
    full = ops.convert_to_numpy(layer(x))
    state = layer.get_initial_state(2)
    for t in range(4):
        y, state = layer.step(x[:, t], state)
        np.testing.assert_allclose(ops.convert_to_numpy(y), full[:, t], atol=1e-5)
    # The parallel form started from a state continues exactly where the first part stopped.
    head, head_state = layer(x[:, :7], return_state=True)
    tail = layer(x[:, 7:], initial_state=head_state)
    np.testing.assert_allclose(ops.convert_to_numpy(tail), full[:, 7:], atol=1e-5)
    assert len(head_state) == len(layer.state_size) == 10


def test_no_overflow_on_5000_steps_with_large_keys():
    layer = RWKV(UNITS, num_layers=1)
    layer.build((None, None, UNITS))
    block = layer.blocks[0]
    # Keys in the hundreds: exp(k) alone would overflow float32 (> 88) in a naive WKV.
    block.key.kernel.assign(ops.convert_to_numpy(block.key.kernel) * 300.0)
    block.time_first.assign(np.full((UNITS,), 50.0, "float32"))
    x = _inputs(5000, scale=100.0)
    out = _parallel(layer, x)
    assert np.isfinite(out).all()
    k = ops.convert_to_numpy(block.key(block.time_norm(layer.input_norm(x))))
    assert np.abs(k).max() > 100  # the test really drives exp() far past float32's range
    # The step form survives the same inputs (checked on the last steps after a long run).
    stepped = _Stepped(layer).predict_on_batch(x)
    assert np.isfinite(stepped).all()
    np.testing.assert_allclose(stepped[:, -50:], out[:, -50:], atol=1e-3, rtol=1e-4)


def test_config_round_trip():
    layer = RWKV(UNITS, num_layers=3, hidden_units=20, layer_norm_epsilon=1e-6, name="lm")
    clone = RWKV.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.units, clone.num_layers, clone.hidden_units, clone.name) == (UNITS, 3, 20, "lm")
    block = RWKVBlock(UNITS, layer_index=1, num_layers=2)
    assert RWKVBlock.from_config(block.get_config()).get_config() == block.get_config()


def test_safe_mode_reload_gives_identical_outputs(tmp_path):
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(11, UNITS)(ids)
    model = keras.Model(ids, keras.layers.Dense(11)(RWKV(UNITS, num_layers=2)(x)))
    data = np.random.default_rng(1).integers(0, 11, size=(2, 9)).astype("int32")
    before = model.predict_on_batch(data)
    model.save(tmp_path / "rwkv.keras")
    loaded = keras.saving.load_model(tmp_path / "rwkv.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded.predict_on_batch(data), before)
    decay = loaded.layers[2].blocks[1].time_decay
    np.testing.assert_array_equal(
        ops.convert_to_numpy(decay), ops.convert_to_numpy(model.layers[2].blocks[1].time_decay)
    )


def test_initial_decays_are_spread_and_the_state_starts_empty():
    layer = RWKV(UNITS)
    layer.build((None, None, UNITS))
    decay = ops.convert_to_numpy(layer.blocks[0].time_decay)
    assert decay[0] == pytest.approx(-5.0) and decay[-1] == pytest.approx(3.0)
    assert np.all(np.diff(decay) > 0)
    state = [ops.convert_to_numpy(s) for s in layer.get_initial_state(3)]
    assert [s.shape for s in state] == [(3, UNITS)] * 5
    assert (state[3] == rwkv_module.EMPTY_LOG).all() and not state[0].any()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: RWKV(0), "units must be a positive integer"),
        (lambda: RWKV(8, num_layers=2.5), "num_layers must be a positive integer"),
        (lambda: RWKV(8, hidden_units=-1), "hidden_units must be a positive integer"),
        (lambda: RWKVBlock(8, layer_index=2, num_layers=2), "layer_index must be in"),
        (lambda: RWKV(8)(np.zeros((1, 3, 5), "float32")), "inputs have 5 features but units=8"),
        (lambda: RWKV(8, num_layers=2).step(np.zeros((1, 8), "float32"), [np.zeros((1, 8))] * 5), "expected 10"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, message):
    with pytest.raises(NlpsuiteError, match=message):
        make()


def test_docstring_examples_run():
    failures, _ = doctest.testmod(rwkv_module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
