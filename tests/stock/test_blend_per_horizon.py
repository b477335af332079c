"""Blend weights per horizon: the arithmetic and its checks, the choice per group of horizons (a member
good only a few days ahead gets weight only there), models saved with one pair of weights forecasting
exactly as before, and the choice reading nothing after ``train_end``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nlpsuite
from nlpsuite.data import prices
from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.combination import (
    WEIGHT_GRID,
    Blended,
    blend,
    choose_weights,
    choose_weights_by_horizon,
    describe_weights,
    horizon_groups,
)
from nlpsuite.tasks.stock.garch import GarchForecaster
from nlpsuite.tasks.stock.har import HarMarketForecaster
from nlpsuite.tasks.stock.task import (
    StockConfig,
    StockTask,
    _choose_weights,
    _dev_forecasts,
    _new_model,
    blend_weights,
    feature_names,
)

from .conftest import write_series
from .test_combination import Fixed

Z = np.array([-1.2816, 0.0, 1.2816])  # standard normal 10/50/90% quantiles
COMMITTED_CHOICE = Path(__file__).resolve().parents[2] / "saved_models" / "stock" / "assets" / "garch_weight.json"


# ------------------------------------------------------------------------------------ arithmetic


def test_a_weight_per_horizon_blends_each_horizon_at_its_own_weight():
    data = F.prepare(prices.PriceSeries.random_walk(300))
    origins = np.array([100, 200])
    model, garch, har = Fixed("model", 1.0), Fixed("garch", 2.0), Fixed("har", 4.0, start=150)
    q = blend(model, [(garch, [0.1, 0.2, 0.0]), (har, [0.4, 0.0, 0.0])]).forecast(data, origins, 3)
    np.testing.assert_allclose(q[1, :, 2], [0.5 * 1 + 0.1 * 2 + 0.4 * 4, 0.8 * 1 + 0.2 * 2, 1.0])
    np.testing.assert_allclose(q[0, 0, 2], (0.5 * 1 + 0.1 * 2) / 0.6)  # HAR has no band at row 100
    # The network's weight may be 0 at a horizon; a shorter forecast uses the first weights.
    q = blend(model, [(garch, [0.0, 0.5]), (har, [1.0, 0.5])]).forecast(data, origins[1:], 1)
    np.testing.assert_allclose(q[0, 0], [-4.0, 0.0, 4.0])
    # One value repeated is that value, bit for bit.
    same = Blended(model, garch, [0.3, 0.3, 0.3]).forecast(data, origins, 3)
    np.testing.assert_array_equal(same, Blended(model, garch, 0.3).forecast(data, origins, 3))


@pytest.mark.parametrize(
    "others, match",
    [
        ([(Fixed("g", 2.0), [0.2, 1.2])], r"weights must each be in \[0, 1\]"),
        ([(Fixed("g", 2.0), [0.6, 0.2]), (Fixed("h", 3.0), [0.6, 0.2])], "sum to at most 1"),
        ([(Fixed("g", 2.0), [0.1, 0.2]), (Fixed("h", 3.0), [0.1, 0.2, 0.3])], "must have one length"),
        ([(Fixed("g", 2.0), [[0.1, 0.2]])], "one number or one per horizon"),
    ],
)
def test_bad_per_horizon_weights_are_rejected(others, match):
    with pytest.raises(OptionError, match=match):
        blend(Fixed("model", 1.0), others)


def test_a_forecast_beyond_the_weighted_horizons_is_refused():
    data = F.prepare(prices.PriceSeries.random_walk(300))
    with pytest.raises(OptionError, match="beyond the 2 horizons the blend weights cover"):
        Blended(Fixed("model", 1.0), Fixed("garch", 2.0), [0.1, 0.2]).forecast(data, np.array([200]), 3)


def test_describe_weights_is_compact():
    text = describe_weights(("model", "GARCH", "HAR-X"), [[0.1] + [0.2] * 4 + [0.25] * 15, [0.35] + [0.1] * 19])
    assert text == "model/GARCH/HAR-X h1 0.55/0.10/0.35, h2-5 0.70/0.20/0.10, h6-20 0.65/0.25/0.10"


# ---------------------------------------------------------------------------------------- choice


def _members(n: int = 1500, horizon: int = 20, seed: int = 0):
    """Outcomes of a volatility that changes from origin to origin (sd ``vol_t * sqrt(h)``) and three
    forecasters: a network and GARCH that know ``vol_t`` up to independent noise at every horizon, and a
    HAR that knows it almost exactly for 1..3 days and nothing beyond (one wide band for every origin)."""
    rng = np.random.default_rng(seed)
    h = np.arange(1, horizon + 1)
    vol = np.exp(rng.normal(0, 0.5, n))[:, None] * np.sqrt(h)
    y = vol * rng.standard_normal((n, horizon))

    def knows(noise: float) -> np.ndarray:
        return (vol * np.exp(rng.normal(0, 1, (n, 1)) * noise))[..., None] * Z

    model, garch = knows(0.4), knows(0.4)
    har = np.where((h <= 3)[None, :, None], knows(0.1), np.broadcast_to(3.0 * np.sqrt(h)[:, None] * Z, model.shape))
    return y, np.ones((n, horizon), bool), model, garch, har


def test_a_member_good_only_a_few_days_ahead_gets_weight_only_there():
    y, valid, model, garch, har = _members()
    grids = [WEIGHT_GRID, WEIGHT_GRID]
    weights, groups = choose_weights_by_horizon(y, valid, model, [garch, har], grids, horizon_groups(20))
    assert [g["horizons"] for g in groups] == ["1", "2-5", "6-10", "11-20"]
    har_by_group = [g["weights"][1] for g in groups]
    assert har_by_group[0] >= 0.5 and har_by_group[2] == har_by_group[3] == 0.0
    assert weights[0] == groups[0]["weights"]
    assert weights[5:] == [groups[2]["weights"]] * 5 + [groups[3]["weights"]] * 10
    assert all(g["ratio"] < 1 for g in groups)  # each group's blend beats the network alone on its horizons
    # The single h = 1 choice would put HAR's h = 1 weight on every horizon, and lose at long ones.
    (_, har_h1), _ = choose_weights(y[:, 0], model[:, 0], [garch[:, 0], har[:, 0]], grids)
    assert har_h1 == har_by_group[0]
    # The first group is exactly the h = 1 choice; a group without outcomes keeps the one before it.
    cut = valid.copy()
    cut[:, 10:] = False
    again, groups = choose_weights_by_horizon(y, cut, model, [garch, har], grids, horizon_groups(20))
    assert again[10:] == [again[9]] * 10 and groups[3]["outcomes"] == 0


def test_ties_go_to_less_weight_on_the_others():
    # GARCH and HAR identical to the network: every blend ties, so none gets weight at any horizon.
    y, valid, model, _, _ = _members(n=200, horizon=5)
    weights, _ = choose_weights_by_horizon(y, valid, model, [model, model], [WEIGHT_GRID] * 2, horizon_groups(5))
    assert weights == [(0.0, 0.0)] * 5


# ------------------------------------------------------------------------------ saved models


@pytest.fixture(scope="module")
def fixed_pair_model(tmp_path_factory):
    """A tiny model trained with one pair set by hand (GARCH 0.2, HAR-X 0.3: a single pair, no choice)."""
    folder = tmp_path_factory.mktemp("stock-pair")
    path = folder / "walk.csv"
    write_series(path, n=600, garch=False)
    config = StockConfig(
        units=4, lookback=20, horizon=3, epochs=1, jit_compile=False, walk_forward=False, patience=1,
        train_end="2016-06-30", baseline_window=100, garch_refit_every=60,
        choose_garch_weight=False, garch_weight=0.2, choose_har_weight=False, har_weight=0.3,
    )
    StockTask.train(str(path), config).save(folder / "stock")
    return folder / "stock", path


def _members_at_last_row(task, path):
    data = F.prepare(prices.read_prices(str(path)))
    last = np.array([len(data) - 1])
    network = B.recalibrate(
        B.ModelForecaster(task.model, F.Scaler.from_json(task.assets["scaler"]), 20), task.config.conformal_window, 20
    ).forecast(data, last, 3)
    garch = GarchForecaster(60, task.config.garch_window).forecast(data, last, 3)
    har = HarMarketForecaster([data]).forecast(data, last, 3)
    assert np.abs(garch).min() > 0 and np.abs(har).min() > 0  # both fitted: no member falls back
    return data, last, network, garch, har


def test_a_model_saved_with_one_pair_forecasts_as_before(fixed_pair_model):
    folder, path = fixed_pair_model
    # The committed model's choice file as models saved before per-horizon weights wrote it: one pair,
    # without the per-horizon lists and groups.
    newer = ("garch_weight_by_horizon", "har_weight_by_horizon", "by_group")
    choice = {k: v for k, v in json.loads(COMMITTED_CHOICE.read_text()).items() if k not in newer}
    (folder / "assets" / "garch_weight.json").write_text(json.dumps({**choice, "garch_weight": 0.2, "har_weight": 0.3}))
    task = nlpsuite.load(folder)
    assert [w.tolist() for w in task.blend_weights()] == [[0.2] * 3, [0.3] * 3]
    data, last, network, garch, har = _members_at_last_row(task, path)
    # The forecast before per-horizon weights, spelled out: the nested chain of ``blend`` at 0.2 / 0.7, then 0.3.
    share = 0.2 / 0.7
    before = 0.7 * ((1.0 - share) * network + share * garch) + 0.3 * har
    np.testing.assert_array_equal(task.forecaster().forecast(data, last, 3), before)
    got = task.predict([str(path)])[0]
    np.testing.assert_allclose([d["q50"] for d in got["forecast"]], got["last_close"] * np.exp(before[0, :, 1]),
                               rtol=1e-12)


def test_a_model_saved_with_weights_per_horizon_uses_each(fixed_pair_model, tmp_path):
    import shutil

    folder, path = fixed_pair_model
    copy = tmp_path / "stock"
    shutil.copytree(folder, copy)
    per_horizon = {"garch_weight": 0.2, "har_weight": 0.3,
                   "garch_weight_by_horizon": [0.2, 0.4, 0.5], "har_weight_by_horizon": [0.3, 0.1, 0.0]}
    (copy / "assets" / "garch_weight.json").write_text(json.dumps(per_horizon))
    task = nlpsuite.load(copy)
    data, last, network, garch, har = _members_at_last_row(task, path)
    g, x = np.array([0.2, 0.4, 0.5])[:, None], np.array([0.3, 0.1, 0.0])[:, None]
    np.testing.assert_allclose(task.forecaster().forecast(data, last, 3)[0],
                               ((1 - g - x) * network + g * garch + x * har)[0], rtol=1e-12, atol=1e-15)
    metrics = task.evaluate(str(path))
    assert metrics["garch_weight_by_horizon"] == [0.2, 0.4, 0.5] and metrics["garch_weight"] == 0.2
    assert metrics["blend_weights"] == "model/GARCH/HAR-X h1 0.50/0.20/0.30, h2 0.50/0.40/0.10, h3 0.50/0.50/0.00"
    assert "har_x" in metrics["baselines"] and np.isfinite(metrics["baselines"]["har_x"]["1"]["pinball"])
    # Lists for another horizon than the model's: a clear message, not a silent misuse.
    (copy / "assets" / "garch_weight.json").write_text(json.dumps({**per_horizon, "har_weight_by_horizon": [0.3]}))
    with pytest.raises(NlpsuiteError, match="har_weight_by_horizon holds 1 weights for a 3-day horizon"):
        blend_weights(task.config, nlpsuite.load(copy).assets)


# ----------------------------------------------------------------------------------- leakage


def _tamper_after(series: prices.PriceSeries, last: np.datetime64) -> prices.PriceSeries:
    """The same series with every close and volume dated after ``last`` replaced by something else."""
    after = series.dates > last
    close, volume = series.close.copy(), series.volume.copy()
    close[after] *= np.exp(np.linspace(0.5, 3.0, after.sum()))
    volume[after] *= 50
    return prices.PriceSeries(series.name, series.dates, close, volume)


def test_the_choice_reads_only_the_dev_period(tmp_path):
    # Two series (HAR-X's market columns read the other one), a tiny untrained network: the choice, the
    # weights of every horizon and every dev loss are the same when everything after train_end changes.
    config = StockConfig(units=4, lookback=20, horizon=5, jit_compile=False, train_end="2016-06-30",
                         garch_refit_every=60, garch_window=200, conformal_window=100)
    series = []
    for seed in (3, 4):
        write_series(tmp_path / f"s{seed}.csv", n=480, seed=seed)
        series.append(prices.read_prices(str(tmp_path / f"s{seed}.csv")))
    cutoff, dev_start = np.datetime64(config.train_end), np.datetime64("2016-01-04")
    datas = [F.prepare(s) for s in series]
    tampered = [F.prepare(_tamper_after(s, cutoff)) for s in series]
    bank = B.WindowBank.build(datas, config.lookback, config.horizon, feature_names(config))
    scaler = F.Scaler.fit(bank.x[: bank.upto(dev_start)], feature_names(config))
    model = _new_model(config)
    choice = _choose_weights(datas, config, model, scaler, dev_start)
    again = _choose_weights(tampered, config, model, scaler, dev_start)
    assert json.dumps(choice, sort_keys=True) == json.dumps(again, sort_keys=True)  # NaN-safe, exact
    assert len(choice["garch_weight_by_horizon"]) == 5 and [g["horizons"] for g in choice["by_group"]] == ["1", "2-5"]
    # Not vacuous: the last dev origins' longer outcomes lie after train_end (cut), and they did change.
    y, valid, _ = _dev_forecasts(datas, config, model, scaler, dev_start)
    assert valid[:, 0].all() and not valid[:, -1].all()
    last = datas[0].dates <= cutoff
    rows = np.flatnonzero(last)[-3:]
    assert not np.allclose(F.targets(datas[0], rows, 5)[0], F.targets(tampered[0], rows, 5)[0])
