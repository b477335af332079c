"""Forecasters (the model and the baselines), scoring, and the rolling-origin backtests.

Every forecaster answers the same question through the same code path: at origin rows ``T`` of a
series, the 10/50/90% quantiles of ``y[h] = log(close[T+h] / close[T])`` for ``h = 1..horizon``,
shaped ``[origins, horizon, 3]``. Errors are therefore in log-price units (0.01 ~ 1% of the price),
which pools across tickers of any price level.

Baselines, all causal (rows ``<= T`` only):

- ``naive``: no change (``y = 0``), the random-walk forecast; MASE is MAE over this one's MAE.
- ``drift``: ``h`` times the mean daily log return since the series began.
- ``seasonal_naive``: the move of the same weekday a week (5 trading days) earlier.
- ``empirical``: the 10/50/90% quantiles of the trailing 500 days' ``h``-day log returns.
- ``garch``: GARCH(1,1) with Student-t shocks, refitted every 20 days on the trailing 1,000 days
  (``garch.GarchForecaster``); the interval model a practitioner would pick, and the one to beat
  on pinball loss.
- ``har_x``: HAR-X alone (``har.HarMarketForecaster``), the blend's third member, in ``evaluate`` and
  the walk-forward (which have every series of the run for its market columns).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.combination import blend
from nlpsuite.tasks.stock.conformal import Recalibrated
from nlpsuite.tasks.stock.garch import GarchForecaster
from nlpsuite.tasks.stock.har import HarMarketForecaster

__all__ = [
    "DriftForecaster",
    "EmpiricalQuantileForecaster",
    "Forecasts",
    "ModelForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "WalkForwardResult",
    "WindowBank",
    "blend_with_garch",
    "block_starts",
    "collect",
    "full_report",
    "make_baselines",
    "pinball",
    "predict_array",
    "recalibrate",
    "score",
    "score_horizon",
    "summarise",
    "walk_forward",
]

QUANTILES = (0.1, 0.5, 0.9)
LOW, MID, HIGH = 0, 1, 2


# ------------------------------------------------------------------------------------- forecasters


class NaiveForecaster:
    """Tomorrow's price is today's: every quantile is ``y = 0``.

    Example:
    >>> import numpy as np
    >>> NaiveForecaster().forecast(None, np.array([10, 11]), horizon=2).shape  # zero log return, every quantile
    (2, 2, 3)
    """

    name = "naive"
    point = True

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        return np.zeros((len(origins), horizon, 3))


class DriftForecaster:
    """``h`` times the mean daily log return from the first row to ``T``.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock.features import prepare
    >>> close = np.exp(0.01 * np.arange(30))  # +1% a day
    >>> data = prepare(PriceSeries("trend", np.datetime64("2024-01-01") + np.arange(30), close))
    >>> np.round(DriftForecaster().forecast(data, np.array([20]), horizon=2)[0, :, 1], 4).tolist()
    [0.01, 0.02]
    """

    name = "drift"
    point = True

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        origins = np.asarray(origins)
        slope = (data.log_price[origins] - data.log_price[0]) / np.maximum(origins, 1)
        point = slope[:, None] * np.arange(1, horizon + 1)[None, :]
        return np.repeat(point[..., None], 3, axis=-1)


class SeasonalNaiveForecaster:
    """The price ``h`` rows ahead is the price of the same weekday in the latest week seen.

    Args:
        season: rows per season (5 trading days = one week).

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock.features import prepare
    >>> close = np.exp(np.tile([0.0, 0.1], 10))  # a two-day season
    >>> data = prepare(PriceSeries("zigzag", np.datetime64("2024-01-01") + np.arange(20), close))
    >>> np.round(SeasonalNaiveForecaster(season=2).forecast(data, np.array([10]), horizon=2)[0, :, 1], 4).tolist()
    [0.1, 0.0]
    """

    name = "seasonal_naive"
    point = True

    def __init__(self, season: int = 5) -> None:
        self.season = season

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        origins = np.asarray(origins)
        h = np.arange(1, horizon + 1)
        back = origins[:, None] + h[None, :] - self.season * np.ceil(h / self.season).astype(int)[None, :]
        point = data.log_price[np.maximum(back, 0)] - data.log_price[origins][:, None]
        return np.repeat(point[..., None], 3, axis=-1)


class EmpiricalQuantileForecaster:
    """Quantiles of the trailing ``window`` rows' ``h``-day log returns (fewer early in a series).

    Args:
        window: trailing rows whose ``h``-day returns form the sample.
        min_samples: below this many past ``h``-day returns the forecast is the naive one with a
            zero band.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock.features import prepare
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> q = EmpiricalQuantileForecaster(window=100).forecast(data, np.array([250]), horizon=1)[0, 0]
    >>> bool(q[0] < q[1] < q[2]), bool(np.isclose(q[1], np.median(np.diff(data.log_price)[150:250])))
    (True, True)
    """

    name = "empirical"
    point = False

    def __init__(self, window: int = 500, min_samples: int = 20) -> None:
        self.window = window
        self.min_samples = min_samples

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        origins = np.asarray(origins, dtype=np.int64)
        out = np.zeros((len(origins), horizon, 3))
        lp = data.log_price
        for h in range(1, horizon + 1):
            moves = lp[h:] - lp[:-h]  # moves[s - h]: the h-day return ending at row s
            # Origins with a full trailing window take the fast path (np.quantile over a strided
            # view).
            full = origins - h + 1 >= self.window
            if full.any():
                view = np.lib.stride_tricks.sliding_window_view(moves, self.window)
                out[full, h - 1] = np.quantile(view[origins[full] - h - self.window + 1], QUANTILES, axis=1).T
            for i in np.flatnonzero(~full):
                sample = moves[max(0, origins[i] - h - self.window + 1) : max(0, origins[i] - h + 1)]
                if len(sample) >= self.min_samples:
                    out[i, h - 1] = np.quantile(sample, QUANTILES)
        return out


class ModelForecaster:
    """The trained network: scaled windows in, quantiles in units of ``s_T * sqrt(h)`` out.

    Args:
        model: the Keras model (``model.build_model``).
        scaler: the feature scaler fitted on its training windows.
        lookback: window length the model was built for.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock.features import Scaler, prepare, windows
    >>> from nlpsuite.tasks.stock.model import build_model
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> model = build_model(lookback=20, horizon=3, quantiles=QUANTILES, units=4)
    >>> scaler = Scaler.fit(windows(data, np.arange(100, 200), 20))
    >>> forecast = ModelForecaster(model, scaler, lookback=20).forecast(data, np.array([250, 260]), horizon=3)
    >>> forecast.shape, bool((np.diff(forecast, axis=-1) >= 0).all())  # quantiles never cross
    ((2, 3, 3), True)
    """

    name = "model"
    point = False

    def __init__(self, model: Any, scaler: F.Scaler, lookback: int) -> None:
        self.model = model
        self.scaler = scaler
        self.lookback = lookback

    def forecast(self, data: F.Prepared, origins: np.ndarray, horizon: int) -> np.ndarray:
        origins = np.asarray(origins, dtype=np.int64)
        if len(origins) == 0:
            return np.zeros((0, horizon, 3))
        x = self.scaler.transform(F.windows(data, origins, self.lookback, self.scaler.features))
        normalised = predict_array(self.model, x)[:, :horizon]
        return normalised * F.unit(data, origins, horizon)[..., None]


def recalibrate(forecaster: Any, window: int, lookback: int) -> Any:
    """``forecaster`` wrapped in conformal recalibration on ``window`` trailing origins (0 = as is).

    Example:

    >>> recalibrate(NaiveForecaster(), 0, 60).name, type(recalibrate(EmpiricalQuantileForecaster(), 250, 60)).__name__
    ('naive', 'Recalibrated')
    """
    return Recalibrated(forecaster, window, F.first_origin(lookback)) if window else forecaster


def blend_with_garch(forecaster: Any, garch: Any, weight: float) -> Any:
    """``forecaster``'s quantiles averaged with ``garch``'s, weight ``weight`` on GARCH (0 = as is).

    See ``combination.Blended``; the blend keeps ``forecaster``'s name, so it is scored as the model.

    Example:

    >>> blend_with_garch(NaiveForecaster(), None, 0.0).name  # weight 0: the forecaster itself
    'naive'
    >>> blend = blend_with_garch(NaiveForecaster(), GarchForecaster(), 0.4)
    >>> type(blend).__name__, blend.name, blend.weight
    ('Blended', 'naive', 0.4)
    """
    return blend(forecaster, [(garch, weight)])


def predict_array(model: Any, x: np.ndarray, batch_size: int = 2048, pad_to: int = 64) -> np.ndarray:
    """Model outputs as float64 NumPy, without a progress bar.

    Chunks are zero-padded to a multiple of ``pad_to`` rows, so an XLA-compiled predict function sees
    a handful of shapes instead of recompiling for every block size of a walk-forward.

    Args:
        model: a Keras model.
        x: the inputs.
        batch_size: rows per ``predict_on_batch`` call.
        pad_to: chunks are zero-padded to a multiple of this.

    Example:
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> predict_array(model, np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "float32"), pad_to=4).ravel().tolist()
    [3.0, 7.0, 11.0]
    """
    parts = []
    for i in range(0, len(x), batch_size):
        chunk = x[i : i + batch_size]
        padded = -(-len(chunk) // pad_to) * pad_to
        if padded != len(chunk):
            chunk = np.concatenate([chunk, np.zeros((padded - len(chunk), *chunk.shape[1:]), chunk.dtype)])
        parts.append(np.asarray(model.predict_on_batch(chunk), dtype=np.float64)[: min(batch_size, len(x) - i)])
    return np.concatenate(parts, axis=0)


BASELINES: tuple[Callable[[int, int], Any], ...] = (
    lambda window, season: NaiveForecaster(),
    lambda window, season: DriftForecaster(),
    lambda window, season: SeasonalNaiveForecaster(season),
    lambda window, season: EmpiricalQuantileForecaster(window),
)


def make_baselines(
    window: int = 500,
    season: int = 5,
    garch_refit_every: int = 20,
    garch_window: int = 1000,
    har_datas: Sequence[F.Prepared] | None = None,
) -> list[Any]:
    """Every baseline forecaster: ``BASELINES`` plus GARCH (``garch_refit_every=0`` leaves it out) and
    HAR-X alone (``har_x``, with ``har_datas``).

    Args:
        window: trailing days of the empirical-quantile baseline.
        season: rows per season of the seasonal-naive baseline.
        garch_refit_every: rows between GARCH refits (0 = no GARCH).
        garch_window: trailing days each GARCH fit sees.
        har_datas: every series of the run, for HAR-X's market columns (``har.HarMarketForecaster``);
            None = no HAR-X.

    Example:

    >>> [f.name for f in make_baselines()]
    ['naive', 'drift', 'seasonal_naive', 'empirical', 'garch']
    >>> make_baselines(har_datas=[])[-1].name
    'har_x'
    """
    made = [make(window, season) for make in BASELINES]
    if garch_refit_every:
        made.append(GarchForecaster(garch_refit_every, garch_window))
    if har_datas is not None:
        made.append(HarMarketForecaster(list(har_datas)))
    return made


# ------------------------------------------------------------------------------------------ scoring


def pinball(y: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Mean pinball loss over the three quantiles, per element of ``y`` (``q`` has a last axis of
    3).

    Example:
    >>> import numpy as np
    >>> pinball(np.array([1.0]), np.array([[0.0, 1.0, 2.0]])).tolist()  # (0.1 * 1 + 0 + 0.1 * 1) / 3
    [0.06666666666666667]
    """
    taus = np.asarray(QUANTILES)
    error = y[..., None] - q
    return np.mean(np.maximum(taus * error, (taus - 1) * error), axis=-1)


def score_horizon(
    y: np.ndarray, q: np.ndarray, naive_mae: float | None = None, point: bool = False
) -> dict[str, float]:
    """Metrics of one horizon: ``y`` ``[n]`` outcomes, ``q`` ``[n, 3]`` quantiles (log-price
    units).

    Args:
        y: ``[n]`` outcomes.
        q: ``[n, 3]`` quantiles (10/50/90%).
        naive_mae: the naive forecast's MAE, for ``mase``.
        point: a point forecaster (no coverage, width or pinball).

    Example:
    >>> import numpy as np
    >>> y = np.array([0.01, -0.02, 0.03, 0.0])
    >>> q = np.array([[-0.02, 0.0, 0.02]] * 4)
    >>> scores = score_horizon(y, q, naive_mae=0.015)
    >>> scores["mae"], scores["mase"], scores["coverage_80"], scores["n"]
    (0.015, 1.0, 0.75, 4)
    """
    if len(y) == 0:
        return {"n": 0}
    error = y - q[:, MID]
    moved = y != 0
    result = {
        "n": int(len(y)),
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "directional_accuracy": float(np.mean(np.sign(q[moved, MID]) == np.sign(y[moved]))) if moved.any() else 0.0,
        "up_share": float(np.mean(y[moved] > 0)) if moved.any() else 0.0,
    }
    if naive_mae is not None:
        result["mase"] = result["mae"] / naive_mae if naive_mae > 0 else float("nan")
    if not point:
        result["coverage_80"] = float(np.mean((q[:, LOW] <= y) & (y <= q[:, HIGH])))
        result["width_80"] = float(np.mean(q[:, HIGH] - q[:, LOW]))
        result["pinball"] = float(np.mean(pinball(y, q)))
    return result


@dataclass
class Forecasts:
    """Outcomes and every forecaster's quantiles at a set of origins (possibly from several series).

    Args:
        series: series name of each origin.
        dates: origin dates.
        y: ``[n, horizon]`` outcomes; ``valid`` marks those that exist.
        valid: ``[n, horizon]``.
        quantiles: forecaster name -> ``[n, horizon, 3]``.

    Example:
    >>> import numpy as np
    >>> dates = np.array(["2024-01-02", "2024-01-03"], "datetime64[D]")
    >>> forecasts = Forecasts(np.array(["a", "b"], dtype=object), dates, np.zeros((2, 1)), np.ones((2, 1), bool),
    ...                       {"naive": np.zeros((2, 1, 3))})
    >>> merged = Forecasts.concat([forecasts, forecasts])
    >>> len(merged.y), merged.select(merged.series == "a").series.tolist()
    (4, ['a', 'a'])
    """

    series: np.ndarray
    dates: np.ndarray
    y: np.ndarray
    valid: np.ndarray
    quantiles: dict[str, np.ndarray]

    @classmethod
    def concat(cls, parts: Sequence[Forecasts]) -> Forecasts:
        parts = [p for p in parts if len(p.y)]
        if not parts:
            raise NlpsuiteError("no origin to forecast: every series is shorter than lookback + warm-up + horizon")
        names = parts[0].quantiles.keys()
        return cls(
            np.concatenate([p.series for p in parts]),
            np.concatenate([p.dates for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.valid for p in parts]),
            {k: np.concatenate([p.quantiles[k] for p in parts]) for k in names},
        )

    def select(self, mask: np.ndarray) -> Forecasts:
        return Forecasts(
            self.series[mask],
            self.dates[mask],
            self.y[mask],
            self.valid[mask],
            {k: v[mask] for k, v in self.quantiles.items()},
        )


def collect(data: F.Prepared, origins: np.ndarray, horizon: int, forecasters: Sequence[Any]) -> Forecasts:
    """Runs every forecaster at ``origins`` of one series, with the outcomes.

    Args:
        data: one prepared series.
        origins: the rows forecast from.
        horizon: days ahead.
        forecasters: objects with ``name`` and ``forecast(data, origins, horizon)``.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock.features import prepare
    >>> data = prepare(PriceSeries.random_walk(300))
    >>> forecasts = collect(data, np.array([200, 298]), 2, [NaiveForecaster(), DriftForecaster()])
    >>> sorted(forecasts.quantiles), forecasts.valid.tolist()  # row 300 does not exist
    (['drift', 'naive'], [[True, True], [True, False]])
    """
    origins = np.asarray(origins, dtype=np.int64)
    y, valid = F.targets(data, origins, horizon)
    quantiles = {f.name: f.forecast(data, origins, horizon) for f in forecasters}
    return Forecasts(np.full(len(origins), data.name, dtype=object), data.dates[origins], y, valid, quantiles)


POINT_BASELINES = ("naive", "drift", "seasonal_naive")


def score(forecasts: Forecasts, horizon: int) -> dict[str, Any]:
    """``by_horizon`` for the model (with the naive MAE and the empirical and GARCH baselines'
    pinball beside it) and ``baselines`` with each baseline's own ``by_horizon``.

    Args:
        forecasts: outcomes and quantiles (``collect``), with a ``model`` forecaster among them.
        horizon: days ahead.

    Example:
    >>> from nlpsuite.tasks.stock._examples import baseline_forecasts
    >>> report = score(baseline_forecasts(horizon=1), 1)  # the empirical baseline scored as the model
    >>> sorted(report["baselines"]), round(report["by_horizon"]["1"]["mase"], 4) > 0
    (['naive'], True)
    """
    by_horizon: dict[str, dict[str, float]] = {}
    baselines: dict[str, dict[str, dict[str, float]]] = {name: {} for name in forecasts.quantiles if name != "model"}
    for h in range(1, horizon + 1):
        mask = forecasts.valid[:, h - 1]
        y = forecasts.y[mask, h - 1]
        if len(y) == 0:
            continue
        naive_mae = float(np.mean(np.abs(y)))
        for name in baselines:
            q = forecasts.quantiles[name][mask, h - 1]
            baselines[name][str(h)] = score_horizon(y, q, naive_mae, point=name in POINT_BASELINES)
        if "model" in forecasts.quantiles:
            row = score_horizon(y, forecasts.quantiles["model"][mask, h - 1], naive_mae)
            row["mae_naive"] = naive_mae
            # The model beside the interval baselines: empirical quantiles (keys ``*_baseline``,
            # ratio ``pinball_ratio``) and GARCH(1,1)-t (keys ``*_garch``).
            for name, suffix, ratio_key in (("empirical", "baseline", "pinball_ratio"),
                                            ("garch", "garch", "pinball_ratio_garch")):
                if name in baselines:
                    other = baselines[name][str(h)]
                    for key in ("pinball", "coverage_80", "width_80"):
                        row[f"{key}_{suffix}"] = other[key]
                    row[ratio_key] = row["pinball"] / other["pinball"]
            by_horizon[str(h)] = row
    return {"by_horizon": by_horizon, "baselines": baselines}


def summarise(by_horizon: dict[str, dict[str, float]]) -> dict[str, float]:
    """A few headline numbers (horizon 1 and the mean over horizons) for the CLI and model card.

    Example:
    >>> row = {"mase": 1.0, "mae": 0.01, "directional_accuracy": 0.5, "coverage_80": 0.8}
    >>> summary = summarise({"1": row, "2": {**row, "coverage_80": 0.7}})
    >>> summary["mase_h1"], round(summary["coverage_80_mean"], 4), summary["coverage_80_min"]
    (1.0, 0.75, 0.7)
    """
    if not by_horizon:
        return {}
    rows = list(by_horizon.values())
    first = by_horizon.get("1", rows[0])
    summary = {
        "mase_h1": first["mase"],
        "mae_h1": first["mae"],
        "directional_accuracy_h1": first["directional_accuracy"],
        "coverage_80_h1": first.get("coverage_80", float("nan")),
        "coverage_80_mean": float(np.mean([r["coverage_80"] for r in rows])),
        "coverage_80_min": float(np.min([r["coverage_80"] for r in rows])),
        "coverage_80_max": float(np.max([r["coverage_80"] for r in rows])),
        "mase_mean": float(np.mean([r["mase"] for r in rows])),
    }
    if "pinball_ratio" in first:
        summary["pinball_ratio_h1"] = first["pinball_ratio"]
        summary["pinball_ratio_mean"] = float(np.mean([r["pinball_ratio"] for r in rows]))
    if "pinball_ratio_garch" in first:
        summary["pinball_ratio_garch_h1"] = first["pinball_ratio_garch"]
        summary["pinball_ratio_garch_mean"] = float(np.mean([r["pinball_ratio_garch"] for r in rows]))
    return summary


def full_report(forecasts: Forecasts, horizon: int) -> dict[str, Any]:
    """Pooled scores, headline numbers and one block per series.

    Args:
        forecasts: outcomes and quantiles (``collect``; ``Forecasts.concat`` for several series).
        horizon: days ahead.

    Example:
    >>> from nlpsuite.tasks.stock._examples import baseline_forecasts
    >>> report = full_report(baseline_forecasts(horizon=2), 2)  # the empirical baseline reported as the model
    >>> report["origins"], report["first_origin"], sorted(report["by_horizon"])
    (140, '2020-05-30', ['1', '2'])
    """
    pooled = score(forecasts, horizon)
    report: dict[str, Any] = {
        **summarise(pooled["by_horizon"]),
        "origins": int(len(forecasts.y)),
        "first_origin": str(forecasts.dates.min()),
        "last_origin": str(forecasts.dates.max()),
        "by_horizon": pooled["by_horizon"],
        "baselines": pooled["baselines"],
    }
    names = list(dict.fromkeys(forecasts.series.tolist()))
    if len(names) > 1:
        report["by_series"] = {}
        for name in names:
            part = score(forecasts.select(forecasts.series == name), horizon)
            report["by_series"][name] = {
                **summarise(part["by_horizon"]),
                "origins": int(np.sum(forecasts.series == name)),
                "by_horizon": part["by_horizon"],
            }
    return report


# ------------------------------------------------------------------------------------ walk-forward


@dataclass
class WindowBank:
    """Every training-eligible window of several series, ordered by the date its last target is
    known.

    The training set at any cutoff date is then a prefix (``upto``), so a refit never sees an
    outcome dated on or after the cutoff.
    """

    x: np.ndarray
    y_unit: np.ndarray
    origin_dates: np.ndarray
    end_dates: np.ndarray

    @classmethod
    def build(
        cls, datas: Sequence[F.Prepared], lookback: int, horizon: int, features: Sequence[str] = F.FEATURES
    ) -> WindowBank:
        xs, ys, starts, ends = [], [], [], []
        for data in datas:
            origins = np.arange(F.first_origin(lookback), len(data) - horizon)
            if len(origins) == 0:
                continue
            xs.append(F.windows(data, origins, lookback, features))
            y, _ = F.targets(data, origins, horizon)
            ys.append((y / F.unit(data, origins, horizon)).astype(np.float32))
            starts.append(data.dates[origins])
            ends.append(data.dates[origins + horizon])
        if not xs:
            no_dates = np.zeros(0, dtype="datetime64[D]")
            return cls(
                np.zeros((0, lookback, len(features)), np.float32),
                np.zeros((0, horizon), np.float32),
                no_dates,
                no_dates,
            )
        end_dates = np.concatenate(ends)
        order = np.argsort(end_dates, kind="stable")
        return cls(
            np.concatenate(xs)[order],
            np.concatenate(ys)[order],
            np.concatenate(starts)[order],
            end_dates[order],
        )

    def upto(self, cutoff: np.datetime64) -> int:
        """How many windows have every target dated strictly before ``cutoff``."""
        return int(np.searchsorted(self.end_dates, cutoff, side="left"))


def block_starts(datas: Sequence[F.Prepared], lookback: int, min_train: int, refit_every: int) -> list[np.datetime64]:
    """Refit dates: from row ``min_train`` of the earliest series, every ``refit_every`` trading
    dates.

    Args:
        datas: the prepared series.
        lookback: window length (the first origin is ``first_origin(lookback)``).
        min_train: rows of the earliest series before the first refit.
        refit_every: trading dates between refits.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.prices import PriceSeries
    >>> from nlpsuite.tasks.stock.features import prepare
    >>> data = prepare(PriceSeries("demo", np.datetime64("2020-01-01") + np.arange(400), np.ones(400)))
    >>> [str(d) for d in block_starts([data], lookback=20, min_train=300, refit_every=40)]
    ['2020-10-27', '2020-12-06', '2021-01-15']
    """
    usable = [d for d in datas if len(d) > min_train]
    if not usable:
        return []
    start = min(d.dates[min_train] for d in usable)
    calendar = np.unique(np.concatenate([d.dates[F.first_origin(lookback) : -1] for d in datas]))
    calendar = calendar[calendar >= start]
    return list(calendar[::refit_every])


@dataclass
class WalkForwardResult:
    """What ``walk_forward`` returns: every block's forecasts, the refit count and time, the last model.

    Args:
        forecasts: outcomes and quantiles at every walk-forward origin.
        refits: how many times the model was refitted.
        seconds: wall-clock time of the whole walk.
        model: the model of the last block.
        scaler: the feature scaler of the last block.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.tasks.stock.features import Scaler
    >>> empty = Forecasts(np.array([], object), np.array([], "datetime64[D]"), np.zeros((0, 1)),
    ...                   np.zeros((0, 1), bool), {})
    >>> WalkForwardResult(empty, refits=0, seconds=0.0, model=None, scaler=Scaler(np.zeros(1), np.ones(1))).refits
    0
    """

    forecasts: Forecasts
    refits: int
    seconds: float
    model: Any
    scaler: F.Scaler


def walk_forward(
    datas: Sequence[F.Prepared],
    *,
    lookback: int,
    horizon: int,
    make_model: Callable[[], Any],
    min_train: int = 750,
    refit_every: int = 20,
    initial_epochs: int = 20,
    refit_epochs: int = 2,
    refit_samples: int = 4096,
    batch_size: int = 128,
    baseline_window: int = 500,
    season: int = 5,
    garch_refit_every: int = 20,
    garch_window: int = 1000,
    features: Sequence[str] = F.FEATURES,
    conformal_window: int = 0,
    garch_weight: float | Sequence[float] = 0.0,
    har_weight: float | Sequence[float] = 0.0,
    seed: int = 1234,
    log: Callable[[str], None] = print,
) -> WalkForwardResult:
    """Rolling-origin backtest with an expanding window, refitting every ``refit_every`` trading
    days.

    At each refit date ``D`` the model trains (warm-started after the first fit) on windows whose
    every target is dated before ``D``, then forecasts the origins in ``[D, next refit date)``. The
    scaler is fitted once, on the first training set, which every later training set contains.
    The baselines forecast the same origins; GARCH refits on its own cadence (``garch_refit_every``
    rows of each series, 0 = no GARCH), reusing its fits across blocks. With ``conformal_window``
    the model's outer quantiles are recalibrated on the trailing origins (forecast by the current
    model, outcomes known before the origin). With ``garch_weight`` the (recalibrated) model's
    quantiles are then averaged with GARCH's, and with ``har_weight`` with HAR-X's
    (``har.HarMarketForecaster`` over all of ``datas``; ``combination.blend``; a weight is one number
    or one per horizon), as ``StockTask`` forecasts. HAR-X alone is a baseline too (``har_x``).
    """
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    bank = WindowBank.build(datas, lookback, horizon, features)
    starts = block_starts(datas, lookback, min_train, refit_every)
    if not starts:
        longest = max((len(d) for d in datas), default=0)
        raise OptionError("min_train", min_train, f"must be below the longest series' length ({longest} rows)")
    model, scaler = make_model(), None
    others = make_baselines(baseline_window, season, garch_refit_every, garch_window, har_datas=datas)
    # The blend shares the baselines' GARCH, so each fit is made once for both, and their HAR-X.
    garch = next((f for f in others if f.name == "garch"), None)
    if np.any(garch_weight) and garch is None:
        garch = GarchForecaster(window=garch_window)
    har = next(f for f in others if f.name == "har_x")
    parts: list[Forecasts] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else np.datetime64("9999-12-31")
        count = bank.upto(start)
        if count == 0:
            continue
        if scaler is None:
            scaler = F.Scaler.fit(bank.x[:count], features)
            x_all = scaler.transform(bank.x)
            _fit(model, x_all[:count], bank.y_unit[:count], initial_epochs, batch_size, rng)
        else:
            _fit(
                model,
                x_all[:count],
                bank.y_unit[:count],
                refit_epochs,
                batch_size,
                rng,
                refit_samples,
            )
        forecaster = recalibrate(ModelForecaster(model, scaler, lookback), conformal_window, lookback)
        forecaster = blend(forecaster, [(garch, garch_weight), (har, har_weight)])
        for data in datas:
            rows = np.arange(F.first_origin(lookback), len(data) - 1)
            in_block = rows[(data.dates[rows] >= start) & (data.dates[rows] < end)]
            if len(in_block):
                parts.append(collect(data, in_block, horizon, [forecaster, *others]))
        if k % 20 == 0 or k == len(starts) - 1:
            log(
                f"walk-forward: refit {k + 1}/{len(starts)} at {start} on {count} windows "
                f"({time.perf_counter() - started:.0f} s)"
            )
    return WalkForwardResult(Forecasts.concat(parts), len(starts), time.perf_counter() - started, model, scaler)


def _fit(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    samples: int = 0,
) -> None:
    if samples and len(x) > samples:
        # The most recent windows always, plus a uniform draw from the older ones: recency without
        # forgetting.
        recent = np.arange(len(x) - samples // 2, len(x))
        older = rng.choice(len(x) - samples // 2, samples - samples // 2, replace=False)
        pick = np.concatenate([older, recent])
        x, y = x[pick], y[pick]
    # Whole batches only (dropping the oldest few windows): one batch shape, so XLA compiles the
    # train step once instead of at every refit.
    keep = len(x) - len(x) % batch_size if len(x) >= batch_size else len(x)
    x, y = x[len(x) - keep :], y[len(y) - keep :]
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
