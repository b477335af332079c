"""Model inputs and targets from log returns, daily ranges and volume only, never price levels.

At an origin ``T`` (a row of the series) the model sees the ``lookback`` rows ending at ``T`` and
forecasts ``y[h] = log(close[T + h] / close[T])`` for ``h = 1..horizon``. Everything is measured in
units of the origin's own recent volatility ``s_T`` (an exponentially weighted standard deviation of
daily log returns, computed from rows ``<= T`` only), so one model serves any ticker, and the
targets are ``y[h] / (s_{T,h} * sqrt(h))``, ``s_{T,h}`` reverting from ``s_T`` towards the slow
volatility as ``h`` grows (see ``unit``). Per step of the window the features are:

1. the log return divided by ``s_T``;
2. ``log(s_t / s_T)``: how volatility moved within the window;
3. ``log(s_T / s_long_T)``: today's volatility against its slow (half-life ~115 days) average,
   the regime;
4. log volume minus its mean over the window (0 when the series has no volume);
5. ``gap``: the overnight log gap ``log(open_t / close_{t-1})`` divided by ``s_T``;
6. ``range``: ``log(sqrt(GK_t) / s_T)``, the day's own Garman-Klass volatility;
7. ``{parkinson,garman_klass,rogers_satchell}_{5,20,60}``: ``log(vol / s_T)`` of the three range
   estimators of open-to-close variance, averaged over the trailing 5, 20 and 60 days (daily:
   Parkinson ``hl^2 / (4 ln 2)``; Garman-Klass ``hl^2 / 2 - (2 ln 2 - 1) co^2``; Rogers-Satchell
   ``(h - c)(h - o) + (l - c)(l - o)``, all in logs of the adjusted prices). The range sees the
   day's swings that the close-to-close return misses, so it measures volatility with less noise;
8. ``gap_vol_20``: ``log(vol / s_T)`` of the overnight gaps over the trailing 20 days;
9. ``volume_trend``: mean log volume over the last 5 days minus over the last 60.

Optional (``OPTIONAL_FEATURES``, not in the default set; ``StockConfig.garch_feature`` adds it):

10. ``garch_vol``: ``log(g_t / s_T)``, ``g_t`` GARCH(1,1)-t's forecast made at row ``t`` of the next
    day's volatility (``garch.conditional_vol``: fits every 20 rows on the trailing 1,000 returns,
    the recursion run on between them; computed on first use and kept in ``per_row``).

A series with closes only gets the squared daily return in place of every range estimator and a
zero gap, so the features keep their units. Every per-row value at row ``t`` uses rows ``<= t``
only (trailing means, never centred; ``tests/stock/test_feature_leakage.py`` changes every price
after ``t`` and checks the features up to ``t`` are bit-identical). A :class:`Scaler` then
standardises each feature with a mean and standard deviation fitted on training windows only; it
records the feature names, so a model saved with fewer features still gets exactly those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nlpsuite.data.prices import PriceSeries
from nlpsuite.errors import OptionError

__all__ = [
    "FEATURES",
    "KNOWN_FEATURES",
    "OPTIONAL_FEATURES",
    "Prepared",
    "Scaler",
    "daily_variances",
    "first_origin",
    "origin_scale",
    "per_row_features",
    "prepare",
    "targets",
    "trailing_mean",
    "unit",
    "windows",
]

# RiskMetrics' daily decay (half-life ~11 days) and a slow one (half-life ~115 days).
FAST_DECAY = 0.94
SLOW_DECAY = 0.994
MIN_VOL = 1e-4
# Daily persistence of variance shocks in ``unit``'s term structure.
PERSISTENCE = 0.97
# Rows before the first origin that the volatility estimates need to forget their start value.
WARMUP = 60
ESTIMATORS = ("parkinson", "garman_klass", "rogers_satchell")
WINDOWS = (5, 20, 60)
# Per-row volatilities (log-return units) that enter the window as log(vol / s_T).
VOL_FEATURES = ("range", *(f"{e}_{w}" for e in ESTIMATORS for w in WINDOWS), "gap_vol_20")
# The first four are the original inputs; a model saved with only those still loads (see Scaler).
FEATURES = ("return", "vol_path", "vol_regime", "volume", "gap", *VOL_FEATURES, "volume_trend")
# Costly ones (GARCH fits over the whole series), used only when asked for by name.
OPTIONAL_FEATURES = ("garch_vol",)
KNOWN_FEATURES = FEATURES + OPTIONAL_FEATURES
CLIP = 8.0


@dataclass
class Prepared:
    """Per-row arrays of one series, computed causally (row t uses rows <= t only).

    Args:
        series: the source series.
        log_price: ``log(close)``.
        returns: daily log returns, ``returns[0] = 0``.
        vol_fast: fast EWMA volatility of daily log returns.
        vol_slow: slow EWMA volatility.
        log_volume: ``log1p(volume)`` or None.
        per_row: feature name -> per-row value before the division by ``s_T``: the overnight
            ``gap``, the ``VOL_FEATURES`` volatilities and ``volume_trend``.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> series = PriceSeries.random_walk(300)
    >>> data = prepare(series)
    >>> len(data), data.name, float(data.returns[0]), bool(np.allclose(np.exp(data.log_price), series.close))
    (300, 'demo', 0.0, True)
    """

    series: PriceSeries
    log_price: np.ndarray
    returns: np.ndarray
    vol_fast: np.ndarray
    vol_slow: np.ndarray
    log_volume: np.ndarray | None
    per_row: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.series.name

    @property
    def dates(self) -> np.ndarray:
        return self.series.dates

    def __len__(self) -> int:
        return len(self.log_price)


def _ewm_vol(returns: np.ndarray, decay: float) -> np.ndarray:
    """``sqrt(v_t)``, ``v_t = decay * v_{t-1} + (1 - decay) * r_t^2``, started at the first 20 days'
    mean."""
    variance = np.empty_like(returns)
    # Seeded from rows 1..20: only origins after WARMUP (> 20) are ever used, so nothing leaks
    # backwards.
    current = float(np.mean(returns[1:21] ** 2)) if len(returns) > 1 else MIN_VOL**2
    for t, r in enumerate(returns):
        if t > 0:
            current = decay * current + (1 - decay) * r * r
        variance[t] = current
    return np.maximum(np.sqrt(variance), MIN_VOL)


def trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """``out[t] = mean(x[max(0, t - window + 1) : t + 1])``: row ``t`` sees rows ``<= t`` only.

    Each full window is averaged on its own (not as a difference of running sums), so the value at
    ``t`` is bit-identical whatever follows ``t``.

    Args:
        x: per-row values.
        window: rows per mean (fewer at the start of the series).

    Example:

    >>> trailing_mean(np.array([1.0, 3.0, 5.0, 7.0]), 2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    out = np.empty(len(x), dtype=np.float64)
    head = min(window - 1, len(x))
    out[:head] = np.cumsum(x[:head]) / np.arange(1, head + 1)
    if len(x) >= window:
        out[window - 1 :] = np.lib.stride_tricks.sliding_window_view(x, window).mean(axis=1)
    return out


def daily_variances(series: PriceSeries, log_price: np.ndarray, returns: np.ndarray) -> dict[str, np.ndarray]:
    """Per-day variance estimates: the three range estimators and the squared overnight ``gap``
    (log-return units squared); closes only -> the squared return and a zero gap.

    Args:
        series: the series (its ``ohlc`` when present).
        log_price: ``log(close)``.
        returns: daily log returns.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> series = PriceSeries("closes only", np.datetime64("2024-01-01") + np.arange(3), np.array([1.0, 1.1, 1.0]))
    >>> returns = np.array([0.0, 0.1, -0.1])
    >>> variances = daily_variances(series, np.log(series.close), returns)
    >>> np.round(variances["parkinson"], 4).tolist(), variances["gap"].tolist()
    ([0.0, 0.01, 0.01], [0.0, 0.0, 0.0])
    """
    if series.ohlc is None:
        zero = np.zeros_like(returns)
        return {**{e: returns**2 for e in ESTIMATORS}, "gap": zero}
    lo, lh, ll = (np.log(series.ohlc[:, k]) for k in range(3))
    hl, co = lh - ll, log_price - lo
    gap = np.concatenate([[0.0], lo[1:] - log_price[:-1]])
    return {
        "parkinson": hl**2 / (4 * np.log(2)),
        "garman_klass": np.maximum(0.5 * hl**2 - (2 * np.log(2) - 1) * co**2, 0.0),
        "rogers_satchell": np.maximum((lh - log_price) * (lh - lo) + (ll - log_price) * (ll - lo), 0.0),
        "gap": gap,
    }


def _vol(variance: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(variance, MIN_VOL**2))


def per_row_features(series: PriceSeries, log_price: np.ndarray, returns: np.ndarray) -> dict[str, np.ndarray]:
    """The causal per-row values behind ``gap``, ``VOL_FEATURES`` and ``volume_trend``.

    Args:
        series: the series.
        log_price: ``log(close)``.
        returns: daily log returns.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> series = PriceSeries.random_walk(3)  # closes only: no volume, so a flat volume trend
    >>> log_price = np.log(series.close)
    >>> rows = per_row_features(series, log_price, np.diff(log_price, prepend=log_price[0]))
    >>> sorted(rows) == sorted(["gap", *VOL_FEATURES, "volume_trend"]), rows["volume_trend"].tolist()
    (True, [0.0, 0.0, 0.0])
    """
    daily = daily_variances(series, log_price, returns)
    rows = {"gap": daily["gap"], "range": _vol(daily["garman_klass"])}
    for estimator in ESTIMATORS:
        for window in WINDOWS:
            rows[f"{estimator}_{window}"] = _vol(trailing_mean(daily[estimator], window))
    rows["gap_vol_20"] = _vol(trailing_mean(daily["gap"] ** 2, 20))
    if series.volume is None:
        rows["volume_trend"] = np.zeros_like(returns)
    else:
        log_volume = np.log1p(np.maximum(series.volume, 0.0))
        rows["volume_trend"] = trailing_mean(log_volume, 5) - trailing_mean(log_volume, 60)
    return rows


def prepare(series: PriceSeries) -> Prepared:
    """Computes the causal per-row arrays of ``series``.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> bool((data.vol_fast > 0).all()), sorted(data.per_row)[:2]
    (True, ['gap', 'gap_vol_20'])
    """
    log_price = np.log(series.close)
    returns = np.concatenate([[0.0], np.diff(log_price)])
    log_volume = None if series.volume is None else np.log1p(np.maximum(series.volume, 0.0))
    return Prepared(
        series,
        log_price,
        returns,
        _ewm_vol(returns, FAST_DECAY),
        _ewm_vol(returns, SLOW_DECAY),
        log_volume,
        per_row_features(series, log_price, returns),
    )


def first_origin(lookback: int) -> int:
    """The first row that can be an origin: a full window plus the volatility warm-up.

    Example:
    >>> first_origin(60)  # 60 rows of window after 60 rows of volatility warm-up
    120
    """
    return lookback + WARMUP


def origin_scale(data: Prepared, origins: np.ndarray) -> np.ndarray:
    """``s_T`` at each origin: the unit of the features and targets.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> bool(origin_scale(data, np.array([150]))[0] == data.vol_fast[150])
    True
    """
    return data.vol_fast[origins]


def windows(data: Prepared, origins: np.ndarray, lookback: int, features: Sequence[str] = FEATURES) -> np.ndarray:
    """``[len(origins), lookback, len(features)]`` raw (unscaled) features; rows ``<= T`` only.

    Args:
        data: the prepared series.
        origins: rows ``T`` the windows end at.
        lookback: rows per window.
        features: the feature names, in order.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> x = windows(data, np.array([150, 200]), lookback=10, features=("return", "vol_path"))
    >>> x.shape, bool(np.isclose(x[0, -1, 0], data.returns[150] / data.vol_fast[150]))
    ((2, 10, 2), True)
    """
    origins = np.asarray(origins, dtype=np.int64)
    unknown = [name for name in features if name not in KNOWN_FEATURES]
    if unknown:
        raise OptionError(
            "features", ",".join(features), f"has unknown feature(s) {unknown}; known: {KNOWN_FEATURES}"
        )
    if origins.size == 0:
        return np.zeros((0, lookback, len(features)), dtype=np.float32)
    if origins.min() < lookback - 1 or origins.max() >= len(data):
        raise OptionError(
            "origins", f"{origins.min()}..{origins.max()}",
            f"must lie in [{lookback - 1}, {len(data) - 1}] (a full lookback before, the last row at most)",
        )
    index = origins[:, None] + np.arange(-lookback + 1, 1)[None, :]
    scale = origin_scale(data, origins)[:, None]
    feats = np.empty((len(origins), lookback, len(features)), dtype=np.float64)
    for k, name in enumerate(features):
        feats[..., k] = _feature(data, name, index, origins, scale)
    return feats.astype(np.float32)


def _feature(data: Prepared, name: str, index: np.ndarray, origins: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """One feature over the windows ``index`` (``[origins, lookback]`` rows) in units of ``scale``."""
    if name == "return":
        return np.clip(data.returns[index] / scale, -CLIP, CLIP)
    if name == "vol_path":
        return np.log(data.vol_fast[index] / scale)
    if name == "vol_regime":
        return np.broadcast_to(np.log(scale / data.vol_slow[origins][:, None]), index.shape)
    if name == "volume":
        if data.log_volume is None:
            return np.zeros(index.shape)
        volume = data.log_volume[index]
        return np.clip(volume - volume.mean(axis=1, keepdims=True), -5.0, 5.0)
    if name == "gap":
        return np.clip(data.per_row["gap"][index] / scale, -CLIP, CLIP)
    if name == "garch_vol" and name not in data.per_row:
        from nlpsuite.tasks.stock.garch import conditional_vol  # garch imports this module

        data.per_row[name] = conditional_vol(data)
    if name in VOL_FEATURES or name == "garch_vol":
        return np.clip(np.log(data.per_row[name][index] / scale), -CLIP, CLIP)
    return np.clip(data.per_row[name][index], -5.0, 5.0)  # volume_trend


def targets(data: Prepared, origins: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y, valid)``: ``y[i, h-1] = log(close[T+h] / close[T])`` and whether row ``T+h`` exists.

    Args:
        data: the prepared series.
        origins: the rows ``T`` forecast from.
        horizon: days ahead.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> data = prepare(PriceSeries("demo", np.datetime64("2024-01-01") + np.arange(3), np.array([1.0, 2.0, 4.0])))
    >>> y, valid = targets(data, np.array([1]), horizon=2)
    >>> np.round(y, 4).tolist(), valid.tolist()  # log(4 / 2); row 3 does not exist
    ([[0.6931, 0.0]], [[True, False]])
    """
    origins = np.asarray(origins, dtype=np.int64)
    ahead = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    valid = ahead < len(data)
    y = np.where(
        valid,
        data.log_price[np.minimum(ahead, len(data) - 1)] - data.log_price[origins][:, None],
        0.0,
    )
    return y, valid


def unit(data: Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``s_{T,h} * sqrt(h)``, ``[len(origins), horizon]``: normalised targets times this give log
    returns.

    ``s_{T,h}^2 = w_h * s_T^2 + (1 - w_h) * s_long_T^2`` with ``w_h = PERSISTENCE ** h``: variance
    reverts from today's level towards its slow average the further ahead, as in GARCH. Chosen on
    2003-2007 walk-forward origins (80% coverage at h = 20 went from 0.75 to 0.80), never on the
    2008-2013 test period.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> scale = unit(data, np.array([150]), horizon=2)
    >>> scale.shape, bool(np.isclose(scale[0, 0] ** 2, 0.97 * data.vol_fast[150] ** 2 + 0.03 * data.vol_slow[150] ** 2))
    ((1, 2), True)
    """
    weight = PERSISTENCE ** np.arange(1, horizon + 1)[None, :]
    fast = data.vol_fast[origins][:, None] ** 2
    slow = data.vol_slow[origins][:, None] ** 2
    steps = np.sqrt(np.arange(1, horizon + 1))[None, :]
    return np.sqrt(weight * fast + (1 - weight) * slow) * steps


@dataclass
class Scaler:
    """Per-feature standardisation, fitted on training windows only.

    Args:
        mean: per-feature mean.
        std: per-feature standard deviation (at least 1e-6).
        features: the feature names, in the model's input order.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[1.0, 10.0], [3.0, 30.0]]])
    >>> scaler = Scaler.fit(x, features=("return", "volume"))
    >>> scaler.transform(x).tolist(), Scaler.from_json(scaler.to_json()).features
    ([[[-1.0, -1.0], [1.0, 1.0]]], ('return', 'volume'))
    """

    mean: np.ndarray
    std: np.ndarray
    features: tuple[str, ...] = FEATURES

    @classmethod
    def fit(cls, x: np.ndarray, features: Sequence[str] = FEATURES) -> Scaler:
        flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
        return cls(flat.mean(axis=0), np.maximum(flat.std(axis=0), 1e-6), tuple(features))

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)

    def to_json(self) -> dict[str, list[float]]:
        return {"features": list(self.features), "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_json(cls, payload: dict) -> Scaler:
        mean = np.asarray(payload["mean"], dtype=np.float64)
        # Scalers saved before the names were recorded had the first len(mean) features.
        features = tuple(payload.get("features", FEATURES[: len(mean)]))
        return cls(mean, np.asarray(payload["std"], dtype=np.float64), features)
