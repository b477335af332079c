"""``Recalibrated``: conformal recalibration of a forecaster's outer quantiles on a trailing window.

At origin ``T`` and horizon ``h`` the calibration set is the ``window`` most recent origins whose
outcome is already known, ``T' = T - h - window + 1 .. T - h`` (their ``T' + h <= T``). For each
outer quantile ``tau`` (10% and 90%) the forecast moves by the ``tau``-quantile of the residuals
``y - q_tau`` over that set, measured in units of ``features.unit`` (so a calm spell and a crisis
count alike): a band that has been too narrow lately widens, one too wide narrows. The median is
left alone (shifting it would chase noise and cost MASE). This is split-conformal quantile
regression on a rolling window, per series, using rows ``<= T`` only.

Example:

>>> import numpy as np
>>> from nlpsuite.data.prices import PriceSeries
>>> from nlpsuite.tasks.stock import features as F
>>> from nlpsuite.tasks.stock.backtest import EmpiricalQuantileForecaster
>>> rng = np.random.default_rng(0)
>>> dates = np.busday_offset(np.datetime64("2020-01-01"), np.arange(600), roll="forward")
>>> data = F.prepare(PriceSeries("demo", dates, 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 600)))))
>>> wrapped = Recalibrated(EmpiricalQuantileForecaster(100), window=200, first_origin=F.first_origin(20))
>>> q = wrapped.forecast(data, np.array([500, 598]), horizon=3)
>>> q.shape, bool(np.all(np.diff(q, axis=-1) > 0))
((2, 3, 3), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nlpsuite.tasks.stock import features as F

__all__ = ["Recalibrated", "trailing_quantile"]

# The outer quantiles move (10% and 90% at indices 0 and 2); the median (index 1) stays.
OUTER = ((0, 0.1), (2, 0.9))
MIN_GAP = 1e-6


class Recalibrated:
    """Wraps a forecaster; same name and output, outer quantiles recalibrated (see the module).

    Args:
        inner: any forecaster (``forecast(data, origins, horizon) -> [n, horizon, 3]``).
        window: calibration origins per forecast.
        first_origin: the earliest row ``inner`` can forecast.
        min_samples: below this many calibration origins the forecast is left as it is.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.tasks.stock._examples import random_walk_data
    >>> from nlpsuite.tasks.stock.backtest import EmpiricalQuantileForecaster
    >>> data = random_walk_data(400)
    >>> inner = EmpiricalQuantileForecaster(window=50)
    >>> wrapped = Recalibrated(inner, window=100, first_origin=60, min_samples=20)
    >>> before, after = inner.forecast(data, np.array([390]), 1), wrapped.forecast(data, np.array([390]), 1)
    >>> wrapped.name, after.shape, bool(after[0, 0, 0] <= after[0, 0, 2])
    ('empirical', (1, 1, 3), True)
    """

    point = False

    def __init__(self, inner: Any, window: int = 500, first_origin: int = 0, min_samples: int = 50) -> None:
        self.inner = inner
        self.name = inner.name
        self.window = int(window)
        self.first_origin = int(first_origin)
        self.min_samples = int(min_samples)

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        origins = np.asarray(origins, dtype=np.int64)
        if len(origins) == 0:
            return np.zeros((0, horizon, 3))
        start = max(self.first_origin, int(origins.min()) - self.window - horizon)
        rows = np.arange(start, int(origins.max()) + 1)
        q = self.inner.forecast(data, rows, horizon)
        unit = F.unit(data, rows, horizon)
        y, valid = F.targets(data, rows, horizon)
        at = origins - start
        out = q[at].copy()
        for h in range(1, horizon + 1):
            for k, tau in OUTER:
                residual = np.where(valid[:, h - 1], (y[:, h - 1] - q[:, h - 1, k]) / unit[:, h - 1], np.nan)
                shift = trailing_quantile(residual, at - h, self.window, tau, self.min_samples)
                out[:, h - 1, k] += shift * unit[at, h - 1]
        # Keep the quantiles ordered around the untouched median.
        mid = out[..., 1]
        out[..., 0] = np.minimum(out[..., 0], mid - MIN_GAP)
        out[..., 2] = np.maximum(out[..., 2], mid + MIN_GAP)
        return out


def trailing_quantile(values: np.ndarray, ends: np.ndarray, window: int, tau: float, min_samples: int) -> np.ndarray:
    """``quantile(values[end - window + 1 : end + 1], tau)`` ignoring NaN, per ``end``; 0 where
    fewer than ``min_samples`` values exist.

    Args:
        values: per-row residuals (NaN where the outcome is unknown).
        ends: the last row of each window.
        window: rows per window.
        tau: the quantile level.
        min_samples: fewest non-NaN values for a quantile.

    Example:

    >>> trailing_quantile(np.arange(10.0), np.array([1, 9]), window=4, tau=0.5, min_samples=2).tolist()
    [0.5, 7.5]
    """
    ends = np.asarray(ends, dtype=np.int64)
    out = np.zeros(len(ends))
    # Full windows without NaN (the usual case: every calibration outcome is known) in one call.
    full = ends >= window - 1
    if full.any():
        view = np.lib.stride_tricks.sliding_window_view(values, window)[ends[full] - window + 1]
        clean = ~np.isnan(view).any(axis=1)
        index = np.flatnonzero(full)
        out[index[clean]] = np.quantile(view[clean], tau, axis=1)
        full[index[~clean]] = False
    for i in np.flatnonzero(~full):
        sample = values[max(0, ends[i] - window + 1) : ends[i] + 1] if ends[i] >= 0 else values[:0]
        sample = sample[~np.isnan(sample)]
        if len(sample) >= min_samples:
            out[i] = np.quantile(sample, tau)
    return out
