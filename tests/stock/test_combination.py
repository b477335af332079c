"""Quantile averaging of the model with GARCH: the arithmetic, the weight choice, and the options."""

import numpy as np
import pytest

from nlpsuite.data.prices import PriceSeries
from nlpsuite.errors import OptionError
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.combination import Blended, choose_weight
from nlpsuite.tasks.stock.task import StockConfig

HORIZON = 3


class Fixed:
    """Constant quantiles ``scale * (-1, 0, 1)``, or none (all 0) before row ``start``."""

    point = False

    def __init__(self, name, scale, start=0):
        self.name, self.scale, self.start = name, scale, start

    def forecast(self, data, origins, horizon):
        q = np.broadcast_to(self.scale * np.array([-1.0, 0.0, 1.0]), (len(origins), horizon, 3)).copy()
        q[np.asarray(origins) < self.start] = 0.0
        return q


def test_blend_averages_quantiles_and_falls_back_where_the_second_has_no_band():
    data = F.prepare(PriceSeries.random_walk(300))
    origins = np.array([100, 200])
    blend = Blended(Fixed("model", 1.0), Fixed("garch", 3.0, start=150), weight=0.25)
    q = blend.forecast(data, origins, HORIZON)
    assert blend.name == "model"
    np.testing.assert_allclose(q[0], Fixed("m", 1.0).forecast(data, origins[:1], HORIZON)[0])  # GARCH not yet fitted
    np.testing.assert_allclose(q[1, :, 2], 0.75 * 1.0 + 0.25 * 3.0)
    assert B.blend_with_garch(Fixed("model", 1.0), None, 0.0).name == "model"
    with pytest.raises(OptionError, match="garch_weight"):
        Blended(Fixed("a", 1.0), Fixed("b", 1.0), weight=1.5)


def test_choose_weight_finds_the_better_blend_of_two_noisy_forecasters():
    # Two forecasters of a known scale, each wrong by independent noise: their average is closer to the truth.
    rng = np.random.default_rng(0)
    scale = np.exp(rng.normal(0, 0.5, 4000))
    y = scale * rng.standard_normal(4000)
    z = np.array([-1.2816, 0.0, 1.2816])
    first = (scale * np.exp(rng.normal(0, 0.4, 4000)))[:, None] * z
    second = (scale * np.exp(rng.normal(0, 0.4, 4000)))[:, None] * z
    best, losses = choose_weight(y, first, second)
    assert 0.3 <= best <= 0.7
    assert losses[best] < min(losses[0.0], losses[1.0])
    assert choose_weight(y, first, first * 0.0 + z * scale[:, None])[0] == 1.0  # the exact scale wins outright


def test_garch_weight_option_is_checked():
    StockConfig(garch_weight=0.5).validate()
    with pytest.raises(OptionError, match=r"garch_weight must be in \[0, 1\]"):
        StockConfig(garch_weight=-0.1).validate()
    with pytest.raises(OptionError, match="garch_refit_every above 0"):
        StockConfig(garch_weight=0.5, garch_refit_every=0).validate()


def test_a_model_trained_with_the_garch_feature_forecasts(tmp_path):
    from nlpsuite.tasks.stock.task import StockTask

    from .conftest import write_series

    path = tmp_path / "prices.csv"
    write_series(path, n=420)
    config = StockConfig(
        units=4, lookback=20, horizon=2, epochs=1, jit_compile=False, walk_forward=False, patience=1,
        train_end="2016-03-31", baseline_window=100, garch_feature=True, garch_weight=0.0,
    )
    task = StockTask.train(str(path), config)
    assert task.assets["scaler"]["features"][-1] == "garch_vol"
    forecast = task.predict([str(path)])[0]["forecast"]
    assert len(forecast) == 2 and all(day["q10"] < day["q50"] < day["q90"] for day in forecast)
