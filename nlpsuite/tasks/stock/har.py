"""HAR-X: a walk-forward HAR regression of the log daily range variance, plus market, leverage and
calendar regressors, as a quantile forecaster.

Why it is in the stock task: it reads information neither the network nor GARCH(1,1)-t uses (the
other tickers' ranges, the sign of the last moves, the weekday), and its errors are only partly
correlated with theirs, so averaging its quantiles into the final forecast (``StockConfig.har_weight``,
``combination.blend``) lowers the pinball loss (``bench/results/stock_combination.json``).

Nothing is saved: every forecast refits the regression on the trailing rows of the series it is asked
about, so a loaded model needs no HAR state. The market columns need the other series of the run
(``HarMarketForecaster(datas)``); with a single series (``predict`` on one upload) they are the
series' own values and add nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nlpsuite.tasks.stock import features as F

__all__ = ["HAR_WINDOWS", "HarMarketForecaster", "HarRangeForecaster", "log_har_terms", "range_variance"]

HAR_WINDOWS = (1, 5, 22)


def range_variance(data: F.Prepared) -> np.ndarray:
    """The daily variance proxy ``v_t = GK_t + gap_t^2`` of a prepared series (``r_t^2`` for closes only),
    floored at ``1e-8`` so its log is finite.

    Args:
        data: a prepared series (``features.prepare``).

    Example:

    >>> from nlpsuite.tasks.stock._examples import random_walk_data
    >>> v = range_variance(random_walk_data(100))
    >>> v.shape, bool((v >= 1e-8).all())
    ((100,), True)
    """
    daily = F.daily_variances(data.series, data.log_price, data.returns)
    v = data.returns**2 if data.series.ohlc is None else daily["garman_klass"] + daily["gap"] ** 2
    return np.maximum(v, 1e-8)


def log_har_terms(v: np.ndarray) -> list[np.ndarray]:
    """``log mean v`` over the last 1, 5 and 22 rows at every row (causal: row ``t`` reads rows ``<= t``).

    Args:
        v: ``[rows]`` daily variances (``range_variance``).

    Example:

    >>> terms = log_har_terms(np.array([1.0, np.e**2, 1.0]))
    >>> [round(float(t[1]), 3) for t in terms]  # row 1: log v_1, then log mean of rows 0..1 (twice)
    [2.0, 1.434, 1.434]
    """
    return [np.log(F.trailing_mean(v, w)) for w in HAR_WINDOWS]


class HarRangeForecaster:
    """A HAR regression of the log daily range variance, with empirical standardised quantiles.

    The daily variance proxy is ``v_t = GK_t + gap_t^2`` (Garman-Klass open-to-close range variance
    plus the squared overnight gap; ``r_t^2`` for closes only). Every ``refit_every`` rows ``R`` it
    fits, by least squares on the trailing ``window`` rows with ``t + 1 <= R``, ``log v[t+1] ~
    regressors at t`` (here ``1`` and ``log mean v`` over the last 1, 5 and 22 days; subclasses add
    columns through ``regressors``); ``s_t = exp(fit / 2)``. The ``h``-day quantiles at ``T`` are
    ``s_T * sqrt(h) * z_h`` with ``z_h`` the empirical 10/50/90% quantiles of ``y_h(t) / (s_t
    sqrt(h))`` over the same window (``t + h <= R``), which also absorbs the bias of ``exp(E log v)``.

    Args:
        refit_every: rows between refits (origins are grouped by ``origin - origin % refit_every``).
        window: trailing rows each fit uses.
        min_rows: fewer usable rows than this -> no fit yet (the band is all zeros: "no forecast",
            which ``combination.Blended`` skips).

    Example:

    >>> from nlpsuite.tasks.stock._examples import random_walk_data
    >>> q = HarRangeForecaster().forecast(random_walk_data(600), np.array([100, 500]), 2)
    >>> q.shape, bool((q[0] == 0).all()), bool((q[1, :, 0] < q[1, :, 2]).all())  # row 100: too early to fit
    ((2, 2, 3), True, True)
    """

    name = "har"
    point = False

    def __init__(self, refit_every: int = 20, window: int = 1000, min_rows: int = 250) -> None:
        self.refit_every, self.window, self.min_rows = refit_every, window, min_rows
        self.coefficients: list[np.ndarray] = []  # one row per fit (diagnostics: their mean)
        self._last: tuple[F.Prepared, np.ndarray, int, np.ndarray] | None = None

    def regressors(self, data: F.Prepared) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """``(x [rows, k], v [rows], column names)``: row ``t`` of ``x`` may read rows ``<= t`` only."""
        v = range_variance(data)
        x = np.stack([np.ones(len(v)), *log_har_terms(v)], axis=1)
        return x, v, ["intercept", *(f"log_v_{w}" for w in HAR_WINDOWS)]

    def _fit(self, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """Least squares on the finite rows; ``None`` when too few; the intercept alone when the fit is
        not finite (a degenerate design, e.g. a column equal to another, is handled by lstsq's
        minimum-norm solution)."""
        finite = np.isfinite(y) & np.isfinite(x).all(axis=1)
        if finite.sum() < self.min_rows:
            return None
        beta, *_ = np.linalg.lstsq(x[finite], y[finite], rcond=None)
        if not np.isfinite(beta).all():
            beta = np.zeros(x.shape[1])
            beta[0] = float(np.mean(y[finite]))
        self.coefficients.append(beta)
        return beta

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        origins = np.asarray(origins, dtype=np.int64)
        # The stock forecast's blend and the ``har_x`` baseline ask for the same forecast one after the
        # other (``backtest.collect``): the last answer is kept, with the very series object it was for
        # (held, so no other series can take its place), and served again instead of refitting.
        last = self._last
        if last is not None and last[0] is data and last[2] == horizon and np.array_equal(last[1], origins):
            return last[3].copy()
        out = self._forecast(data, origins, horizon)
        self._last = (data, origins.copy(), horizon, out)
        return out.copy()

    def _forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        out = np.zeros((len(origins), horizon, 3))
        if len(origins) == 0:
            return out
        x, v, _ = self.regressors(data)
        refit_rows = origins - origins % self.refit_every
        for row in np.unique(refit_rows):
            chosen = np.flatnonzero(refit_rows == row)
            lo = max(max(HAR_WINDOWS), row - self.window)
            if row - lo < self.min_rows:
                continue
            t = np.arange(lo, row)  # t + 1 <= row
            beta = self._fit(x[t], np.log(v[t + 1]))
            if beta is None:
                continue
            scale = np.exp(0.5 * x[lo : origins[chosen].max() + 1] @ beta)  # s_t for t = lo..
            for h in range(1, horizon + 1):
                past = np.arange(lo, row - h + 1)  # t + h <= row
                z = (data.log_price[past + h] - data.log_price[past]) / (scale[past - lo] * np.sqrt(h))
                out[chosen, h - 1] = scale[origins[chosen] - lo, None] * np.sqrt(h) * np.quantile(z, (0.1, 0.5, 0.9))
        return out


class HarMarketForecaster(HarRangeForecaster):
    """HAR-X: ``HarRangeForecaster`` plus market, leverage and calendar regressors.

    Every column at row ``t`` reads rows ``<= t`` of its series (and of the other series, rows dated
    ``<=`` the date of ``t``) only. The groups, each switchable (ablations):

    - ``market`` (spillover): for ``w`` in 1, 5, 22, the cross-sectional mean over the OTHER series of
      ``datas`` of their own ``log mean v`` over ``w`` days, on the same date. A series without that
      date is skipped for the day; when none has it (or ``datas`` holds the series alone, as in
      ``StockTask.predict`` on one uploaded file) the series' own value stands in, so the column adds
      nothing that day. Why: volatility is largely a market factor; a shock seen in the other tickers'
      ranges today tends to reach this one tomorrow (the usual HAR spillover result).
    - ``leverage``: for ``w`` in 1, 5, 22, ``log1p(mean over w days of r^2 1[r < 0] / mean v over 22
      days)``, plus ``1[r_t < 0]``. Why: falls raise future volatility more than rises of the same
      size. Why this form: a plain ``r^2 1[r < 0]`` is in variance units inside a log-variance
      regression (a crash day would dominate the least squares) and its log is ``-inf`` on up days;
      the ratio to the recent level is scale-free, and ``log1p`` keeps it 0 on up days.
    - ``calendar``: four dummies for the weekday (Mon..Thu; Friday is the base) of the next weekday
      after the date of ``t``, and a flag that row ``t`` came after a non-trading weekday (a holiday).
      Why: Monday's variance holds the weekend's news, and after a holiday ``v_t`` holds a longer gap.
      Whether the *next* trading day follows a holiday would need the exchange calendar (and would
      reveal unscheduled closures), so it is not used.

    Args:
        datas: every prepared series of the run (the market table is built once from them); a series
            forecast later must be one of them or stands alone in its market columns.
        market: add the market group.
        leverage: add the leverage group.
        calendar: add the calendar group.
        **kwargs: ``HarRangeForecaster``'s options.

    Example:

    >>> from nlpsuite.tasks.stock._examples import random_walk_data
    >>> data = random_walk_data(600)
    >>> har_x = HarMarketForecaster([data])  # one series: the market columns repeat its own
    >>> x, v, names = har_x.regressors(data)
    >>> len(names), bool(np.array_equal(x[:, 4:7], x[:, 1:4]))
    (16, True)
    >>> har_x.forecast(data, np.array([599]), 3).shape
    (1, 3, 3)
    """

    name = "har_x"

    def __init__(
        self,
        datas: list[F.Prepared],
        market: bool = True,
        leverage: bool = True,
        calendar: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.market, self.leverage, self.calendar = market, leverage, calendar
        # Per series: its dates and its own log-HAR terms [rows, 3], computed once for the market columns.
        self._table = {d.name: (d.dates, np.stack(log_har_terms(range_variance(d)), axis=1)) for d in datas}

    def _market_terms(self, data: F.Prepared, own: np.ndarray) -> np.ndarray:
        """``[rows, 3]``: the mean over the other series of their log-HAR terms on ``data``'s dates."""
        total, count = np.zeros_like(own), np.zeros((len(own), 1))
        for name, (dates, terms) in self._table.items():
            if name == data.name:
                continue
            at = np.clip(np.searchsorted(dates, data.dates), 0, len(dates) - 1)
            has = dates[at] == data.dates
            total[has] += terms[at[has]]
            count[has] += 1
        return np.where(count > 0, total / np.maximum(count, 1), own)

    def regressors(self, data: F.Prepared) -> tuple[np.ndarray, np.ndarray, list[str]]:
        x, v, names = super().regressors(data)
        columns: list[np.ndarray] = []
        if self.market:
            columns += list(self._market_terms(data, x[:, 1:4]).T)
            names += [f"market_log_v_{w}" for w in HAR_WINDOWS]
        if self.leverage:
            r = data.returns
            level = F.trailing_mean(v, 22)
            columns += [np.log1p(F.trailing_mean(r**2 * (r < 0), w) / level) for w in HAR_WINDOWS]
            columns.append((r < 0).astype(np.float64))
            names += [*(f"leverage_{w}" for w in HAR_WINDOWS), "last_return_negative"]
        if self.calendar:
            next_day = np.busday_offset(data.dates, 1, roll="forward")
            weekday = (next_day.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-05 was a Monday
            columns += [(weekday == k).astype(np.float64) for k in range(4)]
            after_holiday = np.concatenate([[False], np.busday_count(data.dates[:-1], data.dates[1:]) > 1])
            columns.append(after_holiday.astype(np.float64))
            names += ["next_mon", "next_tue", "next_wed", "next_thu", "after_holiday"]
        return np.column_stack([x, *columns]), v, names
