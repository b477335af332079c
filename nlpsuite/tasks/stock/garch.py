"""``GarchForecaster``: the GARCH(1,1) Student-t baseline, the classical interval model to beat.

Every ``refit_every`` rows of a series (rows ``R`` with ``R % refit_every == 0``) a GARCH(1,1) with a
constant mean and standardised Student-t shocks is fitted by maximum likelihood (the ``arch``
package) to the daily log returns of the trailing ``window`` rows up to and including ``R``. An
origin ``T`` uses the latest fit at or before it, ``R = T - T % refit_every``: between refits the
parameters stay fixed and only the variance recursion ``s2[t+1] = omega + alpha * e[t]^2 + beta *
s2[t]`` runs on through the returns of rows ``R+1..T``. Nothing after ``T`` is touched.

Quantiles of the ``h``-day log return: ``h * mu + sqrt(V_h) * z_tau``, where ``V_h`` is the sum of
the variance forecasts for days ``T+1..T+h`` (``E[s2[T+j]] = omega + (alpha + beta) * s2[T+j-1]``)
and ``z_tau`` the quantile of the fitted standardised Student-t. For ``h > 1`` that keeps the one-day
shape for the sum of ``h`` days, whose tails are in truth a little thinner (closer to normal); the
choice is deterministic and cheap (no simulation), and the backtest reports the resulting coverage
per horizon, so any miscalibration it causes is visible.

Example:

>>> import numpy as np
>>> from nlpsuite.data.prices import PriceSeries
>>> from nlpsuite.tasks.stock import features as F
>>> rng = np.random.default_rng(0)
>>> dates = np.busday_offset(np.datetime64("2020-01-01"), np.arange(400), roll="forward")
>>> data = F.prepare(PriceSeries("demo", dates, 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))))
>>> q = GarchForecaster(refit_every=50, window=300).forecast(data, np.array([350, 399]), horizon=5)
>>> q.shape, bool(np.all(np.diff(q, axis=-1) > 0))
((2, 5, 3), True)
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np

from nlpsuite.errors import OptionError
from nlpsuite.tasks.stock import features as F

__all__ = ["GarchFit", "GarchForecaster", "conditional_vol", "fit_garch", "one_day_variance", "quantiles"]

QUANTILES = (0.1, 0.5, 0.9)
# arch's optimiser is best conditioned for returns in percent.
SCALE = 100.0


@dataclass(frozen=True)
class GarchFit:
    """Parameters of one fit (returns in percent) and the variance it forecasts for row ``row + 1``.

    Args:
        row: the last row of the fitted returns (``R``).
        mu: constant mean.
        omega: variance intercept.
        alpha: weight of yesterday's squared shock.
        beta: weight of yesterday's variance.
        nu: Student-t degrees of freedom (> 2; ``inf`` for the normal fallback).
        next_variance: ``s2[R+1]`` given rows ``<= R``.

    Example:
    >>> fit = GarchFit(row=0, mu=0.0, omega=0.01, alpha=0.05, beta=0.9, nu=float("inf"), next_variance=1.0)
    >>> np.round(fit.z(), 4).tolist()  # normal shocks
    [-1.2816, 0.0, 1.2816]
    >>> np.round(GarchFit(0, 0.0, 0.01, 0.05, 0.9, 5.0, 1.0).z(), 4).tolist()  # Student-t, scaled to unit variance
    [-1.1432, 0.0, 1.1432]
    """

    row: int
    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float
    next_variance: float

    def z(self, quantiles: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """Quantiles of the unit-variance shock distribution."""
        from scipy import stats

        q = np.asarray(quantiles)
        if not np.isfinite(self.nu):
            return stats.norm.ppf(q)
        return stats.t.ppf(q, self.nu) * np.sqrt((self.nu - 2.0) / self.nu)


def fit_garch(returns: np.ndarray, row: int) -> GarchFit:
    """GARCH(1,1)-t by maximum likelihood on ``returns`` (daily log returns, rows ``..row``).

    Falls back to RiskMetrics (``mu = 0``, ``alpha = 0.06``, ``beta = 0.94``, normal shocks) when the
    optimiser fails or returns non-finite parameters, so one bad window cannot stop a backtest.

    Args:
        returns: daily log returns, oldest first.
        row: the series row of the last return (kept in the fit).

    Example:

    >>> fit = fit_garch(np.random.default_rng(1).standard_t(5, 800) * 0.01, row=800)
    >>> fit.row, bool(0 <= fit.alpha < 1 and 0 <= fit.beta < 1 and fit.next_variance > 0)
    (800, True)
    """
    from arch import arch_model

    y = np.asarray(returns, dtype=np.float64) * SCALE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist="t", rescale=False)
            result = model.fit(disp="off", show_warning=False)
        mu, omega, alpha, beta, nu = (float(v) for v in result.params.to_numpy())
        variance = float(result.conditional_volatility[-1]) ** 2
        shock = y[-1] - mu
        fit = GarchFit(row, mu, omega, alpha, beta, nu, omega + alpha * shock * shock + beta * variance)
        if all(np.isfinite([mu, omega, alpha, beta, nu, fit.next_variance])) and fit.next_variance > 0:
            return fit
    except (ValueError, np.linalg.LinAlgError, RuntimeError):
        pass
    return _riskmetrics(y, row)


def _riskmetrics(y: np.ndarray, row: int) -> GarchFit:
    variance = float(np.mean(y[: min(len(y), 20)] ** 2)) or 1e-4
    for r in y[1:]:
        variance = 0.94 * variance + 0.06 * r * r
    return GarchFit(row, 0.0, 0.0, 0.06, 0.94, float("inf"), max(variance, 1e-8))


class GarchForecaster:
    """GARCH(1,1)-t quantiles of the ``h``-day log return, refitted every ``refit_every`` rows.

    Args:
        refit_every: rows between refits; between them the variance recursion runs on with the
            latest parameters.
        window: trailing rows (daily returns) each fit sees.
        min_returns: fewer past returns than this at an origin -> a zero band (like the empirical
            baseline early in a series).

    Fits are cached by refit row and the exact returns they saw, so the walk-forward's blocks and
    several calls on the same series never refit the same window twice.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock import features as F
    >>> rng = np.random.default_rng(0)
    >>> data = F.prepare(PriceSeries("demo", np.datetime64("2020-01-01") + np.arange(400),
    ...                              50 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))))
    >>> q = GarchForecaster(refit_every=100, window=300).forecast(data, np.array([399]), horizon=4)[0]
    >>> bool(np.all(np.diff(q[:, 2] - q[:, 0]) > 0))  # the 80% band widens with the horizon
    True
    """

    name = "garch"
    point = False

    def __init__(self, refit_every: int = 20, window: int = 1000, min_returns: int = 100) -> None:
        if refit_every < 1:
            raise OptionError("refit_every", refit_every, "must be at least 1")
        if window < 2:
            raise OptionError("window", window, "must be at least 2")
        self.refit_every = int(refit_every)
        self.window = int(window)
        self.min_returns = int(min_returns)
        self._fits: dict[tuple[int, bytes], GarchFit] = {}
        self.refits = 0

    def fit_at(self, data: F.Prepared, row: int) -> GarchFit:
        """The fit on the returns of rows ``max(1, row - window + 1)..row`` (row 0 has no return)."""
        sample = data.returns[max(1, row - self.window + 1) : row + 1]
        key = (row, hashlib.blake2b(sample.tobytes(), digest_size=16).digest())
        if key not in self._fits:
            self._fits[key] = fit_garch(sample, row)
            self.refits += 1
        return self._fits[key]

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        """``[len(origins), horizon, 3]`` quantiles of ``log(close[T+h] / close[T])``."""
        origins = np.asarray(origins, dtype=np.int64)
        out = np.zeros((len(origins), horizon, 3))
        refit_rows = origins - origins % self.refit_every
        for row in np.unique(refit_rows):
            chosen = np.flatnonzero(refit_rows == row)
            if row < self.min_returns:
                continue  # too little history: naive with a zero band
            fit = self.fit_at(data, int(row))
            out[chosen] = quantiles(fit, data.returns, origins[chosen], horizon)
        return out


def one_day_variance(fit: GarchFit, returns: np.ndarray, last: int) -> np.ndarray:
    """``s2[t+1]`` for ``t = fit.row..last`` (percent units), running the recursion on ``returns``.

    Args:
        fit: the parameters and ``s2[row + 1]``.
        returns: the series' daily log returns (all rows; only ``row + 1..last`` are read).
        last: the last row whose return enters.

    Example:

    >>> fit = GarchFit(row=0, mu=0.0, omega=0.1, alpha=0.1, beta=0.8, nu=8.0, next_variance=1.0)
    >>> one_day_variance(fit, np.array([0.0, 0.02]), last=1).round(3).tolist()
    [1.0, 1.3]
    """
    variance = np.empty(last - fit.row + 1)
    variance[0] = fit.next_variance
    shocks = (returns[fit.row + 1 : last + 1] * SCALE - fit.mu) ** 2
    for k, shock in enumerate(shocks, start=1):
        variance[k] = fit.omega + fit.alpha * shock + fit.beta * variance[k - 1]
    return variance


def conditional_vol(data: F.Prepared, refit_every: int = 20, window: int = 1000, min_returns: int = 100) -> np.ndarray:
    """Per row ``t``: GARCH(1,1)-t's forecast, made at ``t``, of the next day's volatility (log-return units).

    The same fits as ``GarchForecaster`` (every ``refit_every`` rows on the trailing ``window``
    returns, the variance recursion run on between refits), so row ``t`` uses rows ``<= t`` only.
    Rows before the first fit (fewer than ``min_returns`` returns) get the EWMA volatility
    ``data.vol_fast``. The ``garch_vol`` input feature (``features.OPTIONAL_FEATURES``).

    Args:
        data: the prepared series.
        refit_every: rows between fits.
        window: trailing returns each fit sees.
        min_returns: rows before the first fit.

    Example:

    >>> from nlpsuite.data.prices import PriceSeries
    >>> data = F.prepare(PriceSeries.random_walk(300))
    >>> vol = conditional_vol(data, refit_every=100, window=200)
    >>> vol.shape, bool(vol[50] == data.vol_fast[50]), bool(0.001 < vol[250] < 0.1)
    ((300,), True, True)
    """
    forecaster = GarchForecaster(refit_every, window, min_returns)
    out = data.vol_fast.astype(np.float64).copy()
    first = -(-min_returns // refit_every) * refit_every  # the first refit row with enough returns
    for row in range(first, len(data), refit_every):
        last = min(row + refit_every, len(data)) - 1
        out[row : last + 1] = np.sqrt(one_day_variance(forecaster.fit_at(data, row), data.returns, last)) / SCALE
    return out


def quantiles(fit: GarchFit, returns: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Quantiles at ``origins`` (all ``>= fit.row``) from one fit, in log-return units.

    Args:
        fit: the GARCH fit.
        returns: the series' daily log returns.
        origins: rows to forecast from, none before ``fit.row``.
        horizon: days ahead, 1..horizon.

    Example:

    >>> fit = GarchFit(row=0, mu=0.0, omega=0.0, alpha=0.0, beta=1.0, nu=float("inf"), next_variance=1.0)
    >>> quantiles(fit, np.zeros(3), np.array([0]), horizon=4)[0, :, 2].round(4).tolist()  # 1% a day
    [0.0128, 0.0181, 0.0222, 0.0256]
    """
    path = one_day_variance(fit, returns, int(origins.max()))
    step = np.empty((len(origins), horizon))
    step[:, 0] = path[origins - fit.row]
    for j in range(1, horizon):
        step[:, j] = fit.omega + (fit.alpha + fit.beta) * step[:, j - 1]
    total = np.cumsum(step, axis=1)
    h = np.arange(1, horizon + 1)[None, :, None]
    return (h * fit.mu + np.sqrt(total)[..., None] * fit.z()[None, None, :]) / SCALE
