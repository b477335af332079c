"""CausalTransformer: causal full-sequence form, cached step form with a growing cache, config, errors."""

import doctest

import keras
import numpy as np
import pytest
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers import causal_transformer as module
from nlpsuite.layers.causal_transformer import CausalTransformer

pytestmark = pytest.mark.backend_agnostic


def test_outputs_are_causal():
    layer = CausalTransformer(8, num_layers=1, num_heads=2)
    x = np.random.default_rng(0).normal(size=(1, 6, 8)).astype("float32")
    changed = x.copy()
    # New values at later positions (not a uniform shift, which the LayerNorms remove) must not
    # change earlier outputs.
    changed[:, 4:] = np.random.default_rng(1).normal(size=(1, 2, 8))
    a, b = (ops.convert_to_numpy(layer(v)) for v in (x, changed))
    np.testing.assert_allclose(a[:, :4], b[:, :4], atol=1e-5)
    assert not np.allclose(a[:, 4:], b[:, 4:])


def test_reserve_grows_the_cache_in_powers_of_two_and_keeps_its_contents():
    layer = CausalTransformer(8, num_layers=2, num_heads=2)
    state = layer.get_initial_state(3)
    assert [tuple(s.shape) for s in state[1:]] == [(3, 2, 64, 2, 4)] * 2
    assert layer.reserve(state, 64) is state
    state[1] = ops.ones_like(state[1])
    grown = layer.reserve(state, 65)
    assert tuple(grown[1].shape) == (3, 2, 128, 2, 4)
    cache = ops.convert_to_numpy(grown[1])
    assert cache[:, :, :64].all() and not cache[:, :, 64:].any()
    assert tuple(layer.reserve(state, 1000)[2].shape)[2] == 1024


def test_config_round_trip():
    layer = CausalTransformer(12, num_layers=3, num_heads=3, intermediate_dim=20, dropout=0.1, name="lm")
    clone = CausalTransformer.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.head_dim == 4


def test_safe_mode_reload(tmp_path):
    inputs = keras.Input((None, 8))
    model = keras.Model(inputs, CausalTransformer(8, num_layers=1, num_heads=2)(inputs))
    x = np.random.default_rng(1).normal(size=(2, 5, 8)).astype("float32")
    model.save(tmp_path / "t.keras")
    loaded = keras.saving.load_model(tmp_path / "t.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CausalTransformer(0), "units must be a positive integer"),
        (lambda: CausalTransformer(10, num_heads=4), "num_heads=4 must divide units=10"),
        (lambda: CausalTransformer(8, dropout=1.0), "dropout must be in"),
        (lambda: CausalTransformer(8, num_heads=2)(np.zeros((1, 3, 6), "float32")), "inputs have 6 features"),
        (
            lambda: CausalTransformer(8, num_layers=2, num_heads=2).step(np.zeros((1, 8), "float32"), [0]),
            "expected a state of 3 tensors",
        ),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(NlpsuiteError, match=message):
        make()


def test_docstring_examples_run():
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
