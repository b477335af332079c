"""The forecasts the backtest's ``>>>`` examples score: a synthetic series, forecast without training, so
an example shows the scoring call it documents rather than the set-up.
"""

from __future__ import annotations

import numpy as np

from nlpsuite.data.prices import PriceSeries
from nlpsuite.tasks.stock.backtest import EmpiricalQuantileForecaster, Forecasts, NaiveForecaster, collect
from nlpsuite.tasks.stock.features import Prepared, prepare

__all__ = ["baseline_forecasts", "random_walk_data"]


def random_walk_data(days: int = 400) -> Prepared:
    """``PriceSeries.random_walk(days)`` prepared for forecasting (``features.prepare``): the data a
    forecaster's example forecasts from.

    Example:

    >>> data = random_walk_data(300)
    >>> data.series.name, len(data.log_price)
    ('demo', 300)
    """
    return prepare(PriceSeries.random_walk(days))


def baseline_forecasts(horizon: int) -> Forecasts:
    """Forecasts of ``PriceSeries.random_walk(300)`` from origins 150..289, ``horizon`` days ahead, by the
    empirical-quantile baseline under the name ``model`` (so the scoring treats it as the model) beside
    the naive forecaster.

    Example:

    >>> forecasts = baseline_forecasts(horizon=2)
    >>> sorted(forecasts.quantiles), forecasts.y.shape
    (['model', 'naive'], (140, 2))
    """
    stand_in = EmpiricalQuantileForecaster(window=100)
    stand_in.name = "model"
    return collect(random_walk_data(300), np.arange(150, 290), horizon, [stand_in, NaiveForecaster()])
