"""Every feature and the GARCH baseline at origin ``t`` use rows ``<= t`` only: change every price
and volume after ``t`` and the features at rows ``<= t`` stay bit-identical."""

import numpy as np
import pytest

from nlpsuite.data.prices import PriceSeries
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.garch import GarchForecaster, fit_garch

LOOKBACK, HORIZON = 20, 5


def ohlc_series(n=420, seed=0):
    """A random walk with an open, high and low around each close, and volume."""
    rng = np.random.default_rng(seed)
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.015, n)))
    opens = np.concatenate([[close[0]], close[:-1]]) * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(opens, close) * np.exp(np.abs(rng.normal(0, 0.008, n)))
    low = np.minimum(opens, close) * np.exp(-np.abs(rng.normal(0, 0.008, n)))
    dates = np.busday_offset(np.datetime64("2010-01-04"), np.arange(n), roll="forward")
    ohlc = np.stack([opens, high, low], axis=1)
    return PriceSeries("ohlc", dates, close, rng.uniform(1e3, 2e3, n), [], ohlc)


def tamper_after(series, row):
    """Every price (open, high, low, close) and volume after ``row`` replaced by something else."""
    close, volume, ohlc = series.close.copy(), series.volume.copy(), series.ohlc.copy()
    jump = np.exp(np.linspace(0.5, 3.0, len(close) - row - 1))
    close[row + 1 :] *= jump
    ohlc[row + 1 :] *= jump[:, None] * np.array([1.1, 1.3, 0.7])
    volume[row + 1 :] *= 50
    return PriceSeries(series.name, series.dates, close, volume, [], ohlc)


@pytest.mark.parametrize("origin", [F.first_origin(LOOKBACK), 150, 300, 418])
def test_every_feature_up_to_the_origin_ignores_later_prices(origin):
    series = ohlc_series()
    original, tampered = F.prepare(series), F.prepare(tamper_after(series, origin))
    origins = np.arange(F.first_origin(LOOKBACK), origin + 1)
    a, b = F.windows(original, origins, LOOKBACK), F.windows(tampered, origins, LOOKBACK)
    assert a.shape == (len(origins), LOOKBACK, len(F.FEATURES))
    np.testing.assert_array_equal(a, b)
    for name, values in original.per_row.items():
        np.testing.assert_array_equal(values[: origin + 1], tampered.per_row[name][: origin + 1], err_msg=name)
    if origin + 1 < len(series):
        # The tampering reaches every per-row feature after the origin: the check above can fail.
        for name in F.VOL_FEATURES:
            assert not np.array_equal(original.per_row[name][origin + 1 :], tampered.per_row[name][origin + 1 :])


def test_garch_forecast_at_an_origin_ignores_later_prices():
    series = ohlc_series()
    original, tampered = F.prepare(series), F.prepare(tamper_after(series, 250))
    origins = np.array([240, 245, 250])  # refit at 240, recursion through 241..250
    garch = GarchForecaster(refit_every=20, window=200)
    np.testing.assert_array_equal(
        garch.forecast(original, origins, HORIZON),
        GarchForecaster(refit_every=20, window=200).forecast(tampered, origins, HORIZON),
    )
    assert garch.refits == 1
    later = np.array([260])
    assert not np.array_equal(
        garch.forecast(original, later, HORIZON), GarchForecaster(20, 200).forecast(tampered, later, HORIZON)
    )


def test_range_estimators_on_a_hand_made_day():
    # One day: open 100, high 110, low 95, close 105, after a close of 98.
    series = PriceSeries(
        "day",
        np.array(["2020-01-02", "2020-01-03"], dtype="datetime64[D]"),
        np.array([98.0, 105.0]),
        None,
        [],
        np.array([[98.0, 98.0, 98.0], [100.0, 110.0, 95.0]]),
    )
    data = F.prepare(series)
    o, h, lo, c = np.log([100.0, 110.0, 95.0, 105.0])
    daily = F.daily_variances(series, data.log_price, data.returns)
    assert daily["parkinson"][1] == pytest.approx((h - lo) ** 2 / (4 * np.log(2)))
    assert daily["garman_klass"][1] == pytest.approx(0.5 * (h - lo) ** 2 - (2 * np.log(2) - 1) * (c - o) ** 2)
    assert daily["rogers_satchell"][1] == pytest.approx((h - c) * (h - o) + (lo - c) * (lo - o))
    assert daily["gap"][1] == pytest.approx(np.log(100 / 98))
    np.testing.assert_allclose(F.trailing_mean(np.arange(6.0), 3), [0, 0.5, 1, 2, 3, 4])


def test_closes_only_keep_the_units_and_old_scalers_keep_their_features():
    series = ohlc_series()
    closes_only = F.prepare(PriceSeries("c", series.dates, series.close, None))
    x = F.windows(closes_only, np.array([200]), LOOKBACK)
    assert np.all(np.isfinite(x)) and np.all(x[..., F.FEATURES.index("gap")] == 0)
    old = F.Scaler.from_json({"mean": [0.0] * 4, "std": [1.0] * 4})
    assert old.features == ("return", "vol_path", "vol_regime", "volume")
    assert F.windows(closes_only, np.array([200]), LOOKBACK, old.features).shape == (1, LOOKBACK, 4)


def test_garch_fit_recovers_a_persistent_process():
    rng = np.random.default_rng(4)
    variance, returns = 1e-4, []
    for _ in range(1500):
        returns.append(np.sqrt(variance) * rng.standard_t(6) / np.sqrt(1.5))
        variance = 2e-6 + 0.08 * returns[-1] ** 2 + 0.9 * variance
    fit = fit_garch(np.array(returns), 1499)
    assert 0.03 < fit.alpha < 0.15 and 0.8 < fit.beta < 0.97 and 3 < fit.nu < 12
    z = fit.z()
    assert z[0] < 0 == z[1] < z[2] and abs(z[0]) < 1.2816  # a unit-variance t is narrower at 10/90%


def test_model_blended_with_garch_at_an_origin_ignores_later_prices():
    from nlpsuite.tasks.stock.backtest import EmpiricalQuantileForecaster, blend_with_garch, recalibrate

    series = ohlc_series()
    original, tampered = F.prepare(series), F.prepare(tamper_after(series, 300))

    def blend():  # the shape StockTask forecasts with: recalibrated forecaster, then the GARCH average
        inner = recalibrate(EmpiricalQuantileForecaster(100), 150, LOOKBACK)
        return blend_with_garch(inner, GarchForecaster(refit_every=20, window=200), 0.5)

    origins = np.array([250, 290, 300])
    np.testing.assert_array_equal(
        blend().forecast(original, origins, HORIZON), blend().forecast(tampered, origins, HORIZON)
    )
    later = np.array([310])
    assert not np.array_equal(blend().forecast(original, later, HORIZON), blend().forecast(tampered, later, HORIZON))


def test_optional_garch_vol_feature_ignores_later_prices():
    series = ohlc_series()
    origin = 330  # between refits (320, 340): the fit at 320 and the recursion through 330
    original, tampered = F.prepare(series), F.prepare(tamper_after(series, origin))
    origins = np.arange(F.first_origin(LOOKBACK), origin + 1)
    a = F.windows(original, origins, LOOKBACK, ("return", "garch_vol"))
    np.testing.assert_array_equal(a, F.windows(tampered, origins, LOOKBACK, ("return", "garch_vol")))
    vol, other = original.per_row["garch_vol"], tampered.per_row["garch_vol"]
    np.testing.assert_array_equal(vol[: origin + 1], other[: origin + 1])
    assert not np.array_equal(vol[origin + 1 :], other[origin + 1 :])  # the check can fail
    assert np.all(vol[:100] == original.vol_fast[:100]) and np.all(np.isfinite(a))
