"""Nothing dated after an origin reaches its forecast, its training windows or its scaler."""

import numpy as np
import pytest

from nlpsuite.data.prices import PriceSeries
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F

LOOKBACK, HORIZON = 20, 5


def random_series(n=400, seed=0, volume=True):
    rng = np.random.default_rng(seed)
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    dates = np.busday_offset(np.datetime64("2010-01-04"), np.arange(n), roll="forward")
    return PriceSeries("synthetic", dates, close, rng.uniform(1e3, 2e3, n) if volume else None)


def tamper_after(series, row):
    """The same series with every price and volume after ``row`` replaced by something else."""
    close, volume = series.close.copy(), series.volume.copy()
    close[row + 1 :] *= np.exp(np.linspace(0.5, 3.0, len(close) - row - 1))
    volume[row + 1 :] *= 50
    return PriceSeries(series.name, series.dates, close, volume)


def test_features_and_baselines_at_an_origin_ignore_the_future():
    series = random_series()
    origin = np.array([250])
    original, tampered = F.prepare(series), F.prepare(tamper_after(series, 250))
    np.testing.assert_array_equal(F.windows(original, origin, LOOKBACK), F.windows(tampered, origin, LOOKBACK))
    for make in B.BASELINES:
        forecaster = make(100, 5)
        np.testing.assert_array_equal(
            forecaster.forecast(original, origin, HORIZON),
            forecaster.forecast(tampered, origin, HORIZON),
        )
    # ...while the outcomes do change, so the comparison above is not vacuous.
    assert not np.allclose(F.targets(original, origin, HORIZON)[0], F.targets(tampered, origin, HORIZON)[0])


def test_training_windows_end_before_the_cutoff_and_the_scaler_sees_only_them():
    series = random_series()
    bank = B.WindowBank.build([F.prepare(series)], LOOKBACK, HORIZON)
    cutoff = series.dates[300]
    count = bank.upto(cutoff)
    assert count > 0 and np.all(bank.end_dates[:count] < cutoff) and np.all(bank.end_dates[count:] >= cutoff)
    tampered_bank = B.WindowBank.build([F.prepare(tamper_after(series, 299))], LOOKBACK, HORIZON)
    assert tampered_bank.upto(cutoff) == count
    np.testing.assert_array_equal(bank.x[:count], tampered_bank.x[:count])
    np.testing.assert_array_equal(bank.y_unit[:count], tampered_bank.y_unit[:count])
    a, b = F.Scaler.fit(bank.x[:count]), F.Scaler.fit(tampered_bank.x[:count])
    np.testing.assert_array_equal(a.mean, b.mean)
    assert not np.allclose(F.Scaler.fit(bank.x).mean, F.Scaler.fit(tampered_bank.x).mean)


def test_empirical_quantiles_match_a_direct_computation():
    data = F.prepare(random_series())
    origins = np.array([30, 150, 399])
    q = B.EmpiricalQuantileForecaster(window=100).forecast(data, origins, HORIZON)
    for i, origin in enumerate(origins):
        for h in (1, 3, 5):
            moves = [data.log_price[s] - data.log_price[s - h] for s in range(max(h, origin - 99), origin + 1)]
            np.testing.assert_allclose(q[i, h - 1], np.quantile(moves, B.QUANTILES))


def test_point_baselines():
    data = F.prepare(random_series())
    origin = np.array([200])
    assert np.all(B.NaiveForecaster().forecast(data, origin, HORIZON) == 0)
    seasonal = B.SeasonalNaiveForecaster(5).forecast(data, origin, HORIZON)[0, :, 1]
    # h = 1..5 all look back one week: the price at rows 196..200.
    np.testing.assert_allclose(seasonal, data.log_price[196:201] - data.log_price[200])
    drift = B.DriftForecaster().forecast(data, origin, HORIZON)[0, :, 1]
    slope = (data.log_price[200] - data.log_price[0]) / 200
    np.testing.assert_allclose(drift, slope * np.arange(1, 6))


def test_scores_on_hand_made_numbers():
    y = np.array([0.01, -0.02, 0.03, 0.0])
    q = np.array([[-0.01, 0.0, 0.02], [-0.01, 0.01, 0.02], [-0.01, 0.01, 0.02], [-0.01, 0.0, 0.01]])
    row = B.score_horizon(y, q, naive_mae=float(np.mean(np.abs(y))))
    assert row["mae"] == pytest.approx(np.mean([0.01, 0.03, 0.02, 0.0]))
    assert row["mase"] == pytest.approx(row["mae"] / 0.015)
    assert row["coverage_80"] == pytest.approx(0.5)  # -0.02 and 0.03 fall outside
    assert row["directional_accuracy"] == pytest.approx(1 / 3)  # 0.0 outcome excluded; only -0.02 wrong
    assert row["up_share"] == pytest.approx(2 / 3)
