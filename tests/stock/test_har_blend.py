"""HAR-X in the stock forecast: the ``har_weight`` option (validation, round-trip, configs saved before
it), the three-way blend's arithmetic and its dev-period choice, and a trained -> saved -> loaded model
whose forecast is the three-way average."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nlpsuite
from nlpsuite.data import prices
from nlpsuite.errors import OptionError
from nlpsuite.tasks.base import config_from_dict, config_to_dict
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.combination import WEIGHT_GRID, blend, choose_weights
from nlpsuite.tasks.stock.garch import GarchForecaster
from nlpsuite.tasks.stock.har import HarMarketForecaster
from nlpsuite.tasks.stock.task import StockConfig, StockTask

from .conftest import write_series
from .test_combination import Fixed


def test_har_weight_round_trips_and_an_old_config_loads_with_har_off():
    config = StockConfig(garch_weight=0.25, har_weight=0.4, choose_har_weight=False)
    again = config_from_dict(StockConfig, json.loads(json.dumps(config_to_dict(config))))
    assert again == config and again.har_weight == 0.4 and not again.choose_har_weight
    old = config_to_dict(StockConfig(garch_weight=0.35))
    del old["har_weight"], old["choose_har_weight"]  # a config saved before HAR-X
    loaded = config_from_dict(StockConfig, old)
    loaded.validate()
    assert loaded.har_weight == 0.0 and loaded.garch_weight == 0.35


@pytest.mark.parametrize(
    "options, match",
    [
        ({"har_weight": -0.1}, r"har_weight must be in \[0, 1\]"),
        ({"har_weight": 1.5, "garch_weight": 0.0}, r"har_weight must be in \[0, 1\]"),
        ({"har_weight": 0.7, "garch_weight": 0.4}, "plus garch_weight 0.4 must be at most 1"),
    ],
)
def test_bad_har_weights_are_rejected(options, match):
    with pytest.raises(OptionError, match=match):
        StockConfig(**options).validate()
    StockConfig(har_weight=0.6, garch_weight=0.4).validate()  # the model's weight may be 0


def test_three_way_blend_is_the_weighted_average_and_skips_a_member_without_a_band():
    data = F.prepare(prices.PriceSeries.random_walk(300))
    origins = np.array([100, 200])
    model, garch, har = Fixed("model", 1.0), Fixed("garch", 2.0), Fixed("har", 4.0, start=150)
    q = blend(model, [(garch, 0.2), (har, 0.3)]).forecast(data, origins, 2)
    np.testing.assert_allclose(q[1, :, 2], 0.5 * 1.0 + 0.2 * 2.0 + 0.3 * 4.0)
    np.testing.assert_allclose(q[0, :, 2], (0.5 * 1.0 + 0.2 * 2.0) / 0.7)  # HAR not fitted yet at row 100
    assert blend(model, [(garch, 0.0), (har, 0.0)]) is model
    only_har = blend(model, [(garch, 0.0), (har, 1.0)]).forecast(data, origins, 2)
    np.testing.assert_allclose(only_har[1, :, 2], 4.0)
    with pytest.raises(OptionError, match="sum to at most 1"):
        blend(model, [(garch, 0.6), (har, 0.6)])


def test_three_way_choice_is_the_dev_minimum_over_the_simplex():
    # Three forecasters of a known scale, each off by independent noise: the best blend uses all three.
    rng = np.random.default_rng(1)
    scale = np.exp(rng.normal(0, 0.5, 3000))
    y = scale * rng.standard_normal(3000)
    z = np.array([-1.2816, 0.0, 1.2816])
    model, garch, har = ((scale * np.exp(rng.normal(0, s, 3000)))[:, None] * z for s in (0.5, 0.4, 0.3))
    (wg, wh), losses = choose_weights(y, model, [garch, har], [WEIGHT_GRID, WEIGHT_GRID])
    assert len(losses) == 231 and all(g + h <= 1 + 1e-9 for g, h in losses)  # step 0.05: 21 * 22 / 2 pairs
    assert wg in WEIGHT_GRID and wh in WEIGHT_GRID and wg + wh <= 1 + 1e-9

    def by_hand(g: float, h: float) -> float:
        e = y[:, None] - ((1 - g - h) * model + g * garch + h * har)
        taus = np.array([0.1, 0.5, 0.9])
        return float(np.mean(np.maximum(taus * e, (taus - 1) * e)))

    simplex = [(g, h) for g in WEIGHT_GRID for h in WEIGHT_GRID if g + h <= 1 + 1e-9]
    best = min(simplex, key=lambda w: by_hand(*w))
    assert (wg, wh) == pytest.approx(best) and losses[wg, wh] == pytest.approx(by_hand(*best))
    assert 0 < wg < 1 and 0 < wh < 1 and wg + wh < 1  # every member earns weight here
    # A fixed weight is a one-point grid: only the other one is chosen.
    (fixed, free), _ = choose_weights(y, model, [garch, har], [(0.1,), WEIGHT_GRID])
    assert fixed == 0.1 and free == pytest.approx(min(WEIGHT_GRID[:19], key=lambda h: by_hand(0.1, h)))


def test_trained_saved_loaded_model_forecasts_the_three_way_average(tmp_path):
    path = tmp_path / "walk.csv"
    write_series(path, n=600, garch=False)  # a plain random walk
    config = StockConfig(
        units=4, lookback=20, horizon=3, epochs=1, jit_compile=False, walk_forward=False, patience=1,
        train_end="2016-06-30", baseline_window=100, garch_refit_every=60,
        choose_garch_weight=False, garch_weight=0.2, choose_har_weight=False, har_weight=0.3,
    )
    trained = StockTask.train(str(path), config)
    trained.save(tmp_path / "stock")
    loaded = nlpsuite.load(tmp_path / "stock")
    assert loaded.config.har_weight == 0.3
    result = loaded.predict([str(path)])[0]
    assert result == trained.predict([str(path)])[0]
    # By hand: the members' log-return quantiles at the last row, averaged 0.5 / 0.2 / 0.3.
    data = F.prepare(prices.read_prices(str(path)))
    last = np.array([len(data) - 1])
    network = B.recalibrate(
        B.ModelForecaster(loaded.model, F.Scaler.from_json(loaded.assets["scaler"]), 20), config.conformal_window, 20
    ).forecast(data, last, 3)
    garch = GarchForecaster(60, config.garch_window).forecast(data, last, 3)
    har = HarMarketForecaster([data]).forecast(data, last, 3)
    assert np.abs(garch).min() > 0 and np.abs(har).min() > 0  # both fitted: no member falls back
    expected = result["last_close"] * np.exp(0.5 * network + 0.2 * garch + 0.3 * har)[0]
    got = np.array([[day["q10"], day["q50"], day["q90"]] for day in result["forecast"]])
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # The saved config without har_weight (a model trained before HAR-X) forecasts without it.
    payload = json.loads((tmp_path / "stock" / "config.json").read_text())
    del payload["config"]["har_weight"], payload["config"]["choose_har_weight"]
    (tmp_path / "stock" / "config.json").write_text(json.dumps(payload))
    old = nlpsuite.load(tmp_path / "stock")
    got_old = np.array([[d["q10"], d["q50"], d["q90"]] for d in old.predict([str(path)])[0]["forecast"]])
    expected_old = result["last_close"] * np.exp((0.8 * network + 0.2 * garch) / 1.0)[0]
    assert old.config.har_weight == 0.0
    np.testing.assert_allclose(got_old, expected_old, rtol=1e-9)
