import keras
import numpy as np
import pytest

from nlpsuite.tasks.stock.model import build_model, pinball_loss
from nlpsuite.tasks.stock.quantile_head import MonotoneQuantiles


def test_quantiles_never_cross_for_any_weights():
    head = MonotoneQuantiles(horizons=7, quantiles=(0.05, 0.1, 0.5, 0.9, 0.95))
    head.build((None, 16))
    rng = np.random.default_rng(0)
    for scale in (0.1, 1.0, 3.0, 30.0):
        head.kernel.assign(rng.normal(0, scale, head.kernel.shape).astype("float32"))
        head.bias.assign(rng.normal(0, scale, head.bias.shape).astype("float32"))
        out = keras.ops.convert_to_numpy(head(rng.normal(0, 5, (64, 16)).astype("float32")))
        assert out.shape == (64, 7, 5)
        gaps = np.diff(out, axis=-1)
        # Strictly increasing at any sane scale; at absurd magnitudes float32 rounding may tie,
        # never cross.
        assert np.all(gaps > 0) if scale <= 3 else np.all(gaps >= 0)


def test_untrained_head_starts_at_normal_quantiles():
    head = MonotoneQuantiles(horizons=2, kernel_initializer="zeros")
    out = keras.ops.convert_to_numpy(head(np.ones((1, 3), "float32")))
    np.testing.assert_allclose(out[0, 0], [-1.2816, 0.0, 1.2816], atol=1e-3)


def test_head_config_round_trip_and_bad_quantiles():
    head = MonotoneQuantiles(horizons=3, quantiles=(0.1, 0.5, 0.9), min_gap=1e-3, name="q")
    clone = MonotoneQuantiles.from_config(head.get_config())
    assert clone.get_config() == head.get_config()
    with pytest.raises(ValueError, match="increasing probabilities"):
        MonotoneQuantiles(horizons=3, quantiles=(0.9, 0.1))


def test_pinball_loss_matches_numpy():
    y = np.array([[0.5, -1.0]], "float32")
    q = np.array([[[-1.0, 0.0, 1.0], [-0.5, 0.0, 0.5]]], "float32")
    taus = np.array([0.1, 0.5, 0.9])
    err = y[..., None] - q
    expected = np.mean(np.maximum(taus * err, (taus - 1) * err))
    got = keras.ops.convert_to_numpy(pinball_loss((0.1, 0.5, 0.9))(y, q))
    np.testing.assert_allclose(got, [expected], rtol=1e-6)


def test_model_saves_and_loads_in_safe_mode(tmp_path):
    model = build_model(lookback=10, horizon=4, quantiles=(0.1, 0.5, 0.9), units=4, num_features=4)
    x = np.random.default_rng(1).normal(size=(3, 10, 4)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True, compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
