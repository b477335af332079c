"""Conformal recalibration: a band that is too narrow widens to ~80% coverage, using the past only."""

import numpy as np

from nlpsuite.data.prices import PriceSeries
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.conformal import Recalibrated, trailing_quantile

HORIZON = 3


class TooNarrow:
    """Normal quantiles on ``features.unit`` shrunk by ``factor``: a forecaster that under-covers."""

    name, point = "model", False

    def __init__(self, factor):
        self.factor = factor

    def forecast(self, data, origins, horizon):
        return F.unit(data, origins, horizon)[..., None] * np.array([-1.2816, 0.0, 1.2816]) * self.factor


def random_walk(n=1500, seed=2):
    rng = np.random.default_rng(seed)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    dates = np.busday_offset(np.datetime64("2001-01-01"), np.arange(n), roll="forward")
    return PriceSeries("walk", dates, close)


def coverage(data, forecaster, origins):
    forecasts = B.collect(data, origins, HORIZON, [forecaster])
    return B.score(forecasts, HORIZON)["by_horizon"]


def test_recalibration_restores_coverage_and_keeps_the_median():
    data = F.prepare(random_walk())
    origins = np.arange(700, len(data) - 1)
    narrow = coverage(data, TooNarrow(0.5), origins)
    fixed = coverage(data, Recalibrated(TooNarrow(0.5), window=400, first_origin=F.first_origin(20)), origins)
    for h in ("1", "3"):
        assert narrow[h]["coverage_80"] < 0.6
        assert 0.75 <= fixed[h]["coverage_80"] <= 0.85, fixed[h]
        assert fixed[h]["pinball"] < narrow[h]["pinball"]
        assert fixed[h]["mae"] == narrow[h]["mae"]  # the median is untouched


def test_recalibration_uses_outcomes_known_at_the_origin_only():
    series = random_walk()
    origin = 900
    tampered = PriceSeries(series.name, series.dates, series.close.copy())
    tampered.close[origin + 1 :] *= np.exp(np.linspace(0.2, 2.0, len(series) - origin - 1))
    wrapped = Recalibrated(TooNarrow(0.5), window=300, first_origin=F.first_origin(20))
    at = np.array([origin - 10, origin])
    np.testing.assert_array_equal(
        wrapped.forecast(F.prepare(series), at, HORIZON), wrapped.forecast(F.prepare(tampered), at, HORIZON)
    )


def test_trailing_quantile_full_and_partial_windows():
    values = np.arange(10.0)
    got = trailing_quantile(values, np.array([-1, 1, 4, 9]), window=4, tau=0.5, min_samples=2)
    np.testing.assert_allclose(got, [0.0, 0.5, 2.5, 7.5])
