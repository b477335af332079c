"""``StockTask``: multi-horizon quantile forecasts of daily prices, with honest backtests.

```python
task = StockTask.train("bokeh:AAPL,bokeh:MSFT,bokeh:IBM,bokeh:GOOG")   # final fit + walk-forward
task.evaluate("bokeh:AAPL")          # rolling origins after the training cutoff, no refits
task.predict(["bokeh:IBM"], horizon=5)
```
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nlpsuite import training
from nlpsuite.data import prices
from nlpsuite.errors import NlpsuiteError, OptionError, check_choice
from nlpsuite.tasks.base import Task, TaskConfig
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.combination import (
    WEIGHT_GRID,
    blend,
    choose_weights,
    choose_weights_by_horizon,
    describe_weights,
    horizon_groups,
    mean_pinball,
)
from nlpsuite.tasks.stock.garch import GarchForecaster
from nlpsuite.tasks.stock.har import HarMarketForecaster
from nlpsuite.tasks.stock.model import build_model, compile_model

__all__ = ["StockConfig", "StockTask", "blend_weights", "feature_names", "walk_forward"]

# The blend's members as reports name them: the network first, then the ``blend`` order.
BLEND_NAMES = ("model", "GARCH", "HAR-X")

BUNDLED = ",".join(prices.BOKEH_PREFIX + t for t in prices.BOKEH_TICKERS)


@dataclasses.dataclass
class StockConfig(TaskConfig):
    """Options of the stock forecaster (``--set KEY=VALUE``).

    Args:
        lookback: trading days the model sees before each origin.
        horizon: forecast steps (trading days), 1..horizon.
        units: recurrent units.
        cell: ``gru`` or ``lstm``.
        num_layers: stacked recurrent layers.
        dropout: dropout after the encoder.
        l2: L2 weight on the quantile head (pulls the median towards the naive forecast).
        median_scale: multiplies the head's learned median; below 1 it shrinks the median towards
            the naive forecast more strongly than the band.
        train_end: last date whose outcomes the saved model may train on (``YYYY-MM-DD``; empty =
            all); ``evaluate`` scores only origins after it.
        dev_fraction: the last part of the training period (by date) used for early stopping.
        walk_forward: also run the walk-forward backtest with refits during ``train``.
        refit_every: trading days between walk-forward refits.
        min_train_days: rows of the earliest series before the first walk-forward origin.
        initial_epochs: epochs of the first walk-forward fit.
        refit_epochs: epochs of each warm-started walk-forward refit.
        jit_compile: XLA-compile the train step (on by default: ~1.5x faster for this small GRU on
            CPU).
        refit_samples: windows drawn per refit (half the most recent, half from the rest); 0 = all.
        baseline_window: trailing days of the empirical-quantile baseline.
        season: rows per season of the seasonal-naive baseline (5 = a trading week).
        features: comma-separated input features (names in ``features.KNOWN_FEATURES``); empty =
            the default ones (``features.FEATURES``).
        garch_feature: also feed the model ``garch_vol``, GARCH(1,1)-t's next-day volatility
            forecast made at each row (``garch.conditional_vol``; GARCH fits over every series, so
            off by default).
        garch_refit_every: rows between refits of the GARCH(1,1)-t baseline (0 = no GARCH).
        garch_window: trailing days each GARCH fit sees.
        conformal_window: trailing origins whose known outcomes recalibrate the model's 10% and
            90% quantiles at every forecast (``conformal.Recalibrated``; 0 = off).
        garch_weight: weight of GARCH(1,1)-t's quantiles in the final forecast, averaged quantile by
            quantile with the (recalibrated) model's (``combination.Blended``; 0 = the model alone).
            0.35 minimises the h = 1 pinball loss of the committed model's dev period (2007
            origins, outcomes up to ``train_end``), a rule fixed before the test period was scored
            (``python -m bench.stock_combination``); test scores never chose it.
        choose_garch_weight: at training, replace ``garch_weight`` by the weight (0, 0.05, .., 1)
            with the lowest h = 1 pinball loss on the new model's own dev period (the same rule; kept
            in ``assets/garch_weight.json`` and the saved config). Off = use ``garch_weight`` as given.
        har_weight: weight of HAR-X's quantiles in the final forecast (``har.HarMarketForecaster``: a
            walk-forward HAR regression of the log daily range variance with market, leverage and
            calendar regressors, refitted at every forecast, nothing saved); the model's weight is
            ``1 - garch_weight - har_weight``. 0 = off (a config saved without it loads as 0). Its
            market columns average the other series of the run (``evaluate`` and the walk-forward:
            every series given); ``predict`` forecasts each input alone, so there they are the
            series' own values.
        choose_har_weight: at training, choose ``har_weight`` on the dev period too, jointly with
            ``garch_weight`` when ``choose_garch_weight`` is on (every pair of 0, 0.05, .., 1 summing to
            at most 1; the same h = 1 pinball rule; kept in ``assets/garch_weight.json``). Off = use
            ``har_weight`` as given.
        blend_per_horizon: at training, choose the weights once per group of horizons (1 | 2-5 |
            6-10 | 11-20, ``combination.horizon_groups``, by the dev pinball loss over the group's
            horizons) instead of once at h = 1 for all, so that HAR-X, strong a few days ahead and weak
            after, carries weight only where it helps. The weights of every horizon are kept in
            ``assets/garch_weight.json`` (``garch_weight_by_horizon``, ``har_weight_by_horizon``) and
            used by ``predict``, ``evaluate`` and the walk-forward; ``garch_weight`` and ``har_weight``
            then hold horizon 1's. Read only at training: a model saved with one pair (before this
            option, or with it off, or with both weights set by hand) uses that pair at every horizon.

    Example:
    >>> config = StockConfig(lookback=20, horizon=5)
    >>> config.validate()
    >>> StockConfig(train_end="31/12/2007").validate()
    Traceback (most recent call last):
    ...
    nlpsuite.errors.OptionError: train_end must be a date YYYY-MM-DD (or empty for none) (got '31/12/2007')
    """

    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 5e-4
    patience: int = 6
    jit_compile: bool = True
    lookback: int = 60
    horizon: int = 20
    units: int = 16
    cell: str = "gru"
    num_layers: int = 1
    dropout: float = 0.3
    l2: float = 1e-3
    median_scale: float = 1.0
    train_end: str = "2007-12-31"
    dev_fraction: float = 0.15
    walk_forward: bool = True
    refit_every: int = 20
    min_train_days: int = 750
    initial_epochs: int = 10
    refit_epochs: int = 1
    refit_samples: int = 2048
    baseline_window: int = 500
    season: int = 5
    features: str = ""
    garch_feature: bool = False
    garch_refit_every: int = 20
    garch_window: int = 1000
    conformal_window: int = 1000
    # Chosen on the saved model's 2007 dev period at h = 1 (bench/results/stock_combination.json).
    garch_weight: float = 0.35
    choose_garch_weight: bool = True
    # 0 so that a config saved before HAR-X loads unchanged; training chooses it (choose_har_weight).
    har_weight: float = 0.0
    choose_har_weight: bool = True
    blend_per_horizon: bool = True

    def validate(self) -> None:
        super().validate()
        self.require_at_least(1, "lookback", "horizon", "units", "refit_every", "baseline_window", "season")
        check_choice("cell", self.cell, ("gru", "lstm"))
        if self.conformal_window < 0:
            raise OptionError("conformal_window", self.conformal_window, "must be 0 (off) or a number of origins")
        if self.garch_refit_every < 0 or self.garch_window < 100:
            raise OptionError(
                "garch_window", self.garch_window,
                "GARCH refits every 0 (off) or more days, on a window of at least 100 days",
            )
        if not 0.0 <= self.garch_weight <= 1.0:
            raise OptionError("garch_weight", self.garch_weight, "must be in [0, 1] (0 = the model alone)")
        if not 0.0 <= self.har_weight <= 1.0:
            raise OptionError("har_weight", self.har_weight, "must be in [0, 1] (0 = no HAR-X)")
        if self.garch_weight + self.har_weight > 1.0 + 1e-9:
            raise OptionError(
                "har_weight", self.har_weight,
                f"plus garch_weight {self.garch_weight} must be at most 1 (the rest is the model's weight)",
            )
        if self.garch_weight and not self.garch_refit_every:
            raise OptionError(
                "garch_weight", self.garch_weight, "needs GARCH: set garch_refit_every above 0 or garch_weight=0"
            )
        feature_names(self)
        if not 0 < self.dev_fraction < 0.5:
            raise OptionError("dev_fraction", self.dev_fraction, "must be in (0, 0.5)")
        _parse_date(self.train_end, "train_end")


def _parse_date(text: str, field: str) -> np.datetime64 | None:
    if not text:
        return None
    try:
        return np.datetime64(text, "D")
    except ValueError:
        raise OptionError(field, text, "must be a date YYYY-MM-DD (or empty for none)") from None


def _load(data: str | os.PathLike | Sequence[str], lookback: int, horizon: int) -> list[F.Prepared]:
    series = prices.read_many(data if isinstance(data, (list, tuple)) else str(data))
    for s in series:
        prices.require_length(
            s,
            F.first_origin(lookback) + horizon + 1,
            f"lookback {lookback} + warm-up {F.WARMUP} + horizon {horizon}",
        )
    return [F.prepare(s) for s in series]


class StockTask(Task):
    """Quantile (10/50/90%) forecasts of log returns 1..``horizon`` trading days ahead from a
    GRU/LSTM.

    Assets: ``scaler`` (feature means/stds of the training windows), ``training`` (cutoff and
    series) and ``walk_forward`` (the walk-forward backtest run at training time).

    Example:

    One epoch on a synthetic random walk (no walk-forward backtest), then a 3-day forecast:

    >>> import numpy as np
    >>> from pathlib import Path
    >>> close = 50 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 400)))
    >>> dates = np.busday_offset(np.datetime64("2015-01-01"), np.arange(400), roll="forward")
    >>> _ = Path("prices.csv").write_text("Date,Close\\n" + "".join(f"{d},{c:.4f}\\n" for d, c in zip(dates, close)))
    >>> config = StockConfig(units=8, lookback=20, horizon=5, epochs=1, jit_compile=False, walk_forward=False,
    ...                      train_end="2016-03-31", baseline_window=100, patience=1)
    >>> task = StockTask.train("prices.csv", config)  # Keras logs the epoch
    2/2 - ... - loss: ... - val_loss: ...
    >>> forecast = task.predict(["prices.csv"], horizon=3)[0]["forecast"]
    >>> [day["date"] for day in forecast], all(day["q10"] <= day["q50"] <= day["q90"] for day in forecast)
    (['2016-07-14', '2016-07-15', '2016-07-18'], True)
    """

    name: ClassVar[str] = "stock"
    config_class: ClassVar[type] = StockConfig
    default_data: ClassVar[str] = BUNDLED

    # ------------------------------------------------------------------------------------ training

    @classmethod
    def _train(
        cls, data: str | os.PathLike | Sequence[str], config: StockConfig, run: training.TrainingRun
    ) -> StockTask:
        datas = _load(data, config.lookback, config.horizon)
        if config.walk_forward:
            _check_walk_forward(datas, config)  # before the final fit, not after it
        model, scaler, split = _fit_final(datas, config, run)
        choice = None
        if (config.choose_garch_weight and config.garch_refit_every) or config.choose_har_weight:
            choice = _choose_weights(datas, config, model, scaler, np.datetime64(split["dev_start"]))
            config = dataclasses.replace(config, garch_weight=choice["garch_weight"], har_weight=choice["har_weight"])
        names = [d.name for d in datas]
        assets = {
            "scaler": scaler.to_json(),
            "training": {"series": names, "train_end": config.train_end, **split},
        }
        if choice is not None:
            assets["garch_weight"] = choice
        walk = _run_walk_forward(datas, config, assets) if config.walk_forward else None
        notes = [
            f"Features ({len(scaler.features)}): daily log returns, EWMA volatility path and regime, "
            "volume, overnight gaps, Parkinson / Garman-Klass / Rogers-Satchell range volatility over "
            "5/20/60 days; no price levels. Targets and inputs are in units of the origin's own EWMA "
            "volatility, so the model applies to any ticker.",
            "Quantiles 10/50/90% of the h-day log return, h = 1..horizon; they cannot cross (median + softplus gaps).",
        ]
        garch_weights, har_weights = blend_weights(config, assets)
        if garch_weights.any() or har_weights.any() or choice is not None:
            notes.append(
                f"Forecasts average the (recalibrated) model's quantiles with GARCH(1,1)-t's and HAR-X's "
                f"(a HAR regression of the log daily range variance with market, leverage and calendar "
                f"regressors), weights {describe_weights(BLEND_NAMES, [garch_weights, har_weights])}, "
                f"{_choice_note(choice) if choice is not None else 'set by hand'}."
            )
        if walk is not None:
            assets["walk_forward"] = walk
            notes += [_walk_note(walk), _walk_table(walk)]
        task = cls(config, model, assets)
        task.info = run.info(
            data=", ".join(names),
            split=split["description"],
            model=model,
            data_notes=[
                f"{d.name}: {len(d)} rows {d.dates[0]}..{d.dates[-1]}; " + "; ".join(d.series.notes) for d in datas
            ],
            notes=notes,
            title="stock quantile forecaster",
            summary=(
                f"{config.cell.upper()} {config.units} over {config.lookback} trading days -> "
                f"10/50/90% quantiles of the log return 1..{config.horizon} days ahead."
            ),
        )
        return task

    # ---------------------------------------------------------------------------------- evaluation

    def evaluate(self, data: str | os.PathLike | Sequence[str], split: str = "test") -> dict[str, Any]:
        """Rolling-origin backtest of the saved model on ``data`` without refitting.

        ``split="test"`` scores origins after ``train_end`` only (every outcome unseen in training);
        ``split="all"`` scores every origin (in-sample for the series the model trained on).
        """
        after = self.config.train_end or "the training data"
        if split not in ("test", "all"):
            raise OptionError("split", split, f"must be 'test' (origins after {after}) or 'all'")
        config = self.config
        datas = _load(data, config.lookback, config.horizon)
        cutoff = _parse_date(self.assets.get("training", {}).get("train_end", config.train_end), "train_end")
        # HAR-X's market columns read every series given here, as in the walk-forward at training.
        baselines = B.make_baselines(
            config.baseline_window, config.season, config.garch_refit_every, config.garch_window, har_datas=datas
        )
        # The model's blend reuses the baselines' GARCH fits (one fit per refit row for both) and HAR-X.
        garch = next((f for f in baselines if f.name == "garch"), None)
        har = next(f for f in baselines if f.name == "har_x")
        forecasters = [self.forecaster(garch, har), *baselines]
        parts = []
        for d in datas:
            rows = np.arange(F.first_origin(config.lookback), len(d) - 1)
            if split == "test" and cutoff is not None:
                rows = rows[d.dates[rows] > cutoff]
            if len(rows):
                parts.append(B.collect(d, rows, config.horizon, forecasters))
        if not parts:
            raise NlpsuiteError(
                f"{', '.join(d.name for d in datas)}: no origins after the model's training "
                f"cutoff {cutoff}; evaluate with split='all' to score the whole series (in-sample for "
                "the series it trained on) or give later data"
            )
        report = B.full_report(B.Forecasts.concat(parts), config.horizon)
        report = {
            "split": split,
            "train_end": str(cutoff) if cutoff is not None else "",
            "data": ", ".join(d.name for d in datas),
            "refits": 0,
            **_weights_report(*self.blend_weights()),
            **report,
            "units": "log price (0.01 ~ 1% of the price); mase = mae / naive mae, same origins",
            "notes": [n for d in datas for n in d.series.notes],
        }
        if "walk_forward" in self.assets:
            report["walk_forward_at_training"] = self.assets["walk_forward"]
        return report

    def blend_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """GARCH's and HAR-X's weights in the forecast at horizons 1..``horizon`` (see ``blend_weights``)."""
        return blend_weights(self.config, self.assets)

    def forecaster(self, garch: Any = None, har: Any = None) -> Any:
        """The saved model as a backtest forecaster: recalibrated when ``conformal_window > 0``, then
        averaged with GARCH(1,1)-t's quantiles and HAR-X's at each horizon's weights
        (``blend_weights``; ``combination.blend``).

        Args:
            garch: a ``GarchForecaster`` to share, e.g. the backtest's baseline (default a new one).
            har: a ``HarMarketForecaster`` built on every series of the run, so that its market
                columns see the others (default one on no other series: each series alone).
        """
        config = self.config
        model = B.ModelForecaster(self.model, F.Scaler.from_json(self.assets["scaler"]), config.lookback)
        model = B.recalibrate(model, config.conformal_window, config.lookback)
        garch_weights, har_weights = self.blend_weights()
        if garch_weights.any() and garch is None:
            garch = GarchForecaster(config.garch_refit_every, config.garch_window)
        if har_weights.any() and har is None:
            har = HarMarketForecaster([])
        return blend(model, [(garch, garch_weights), (har, har_weights)])

    # ---------------------------------------------------------------------------------- prediction

    def predict(
        self, inputs: list[Any], horizon: int | None = None, history: int = 0, **options: Any
    ) -> list[dict[str, Any]]:
        """Quantile price forecasts after the last row of each input (a CSV path or
        ``bokeh:TICKER``).

        Args:
            inputs: CSV paths or ``bokeh:TICKER`` names.
            horizon: trading days to forecast, 1..``config.horizon`` (default all).
            history: also return the last ``history`` closes as ``history: [{"date", "close"}]``.

        Forecast dates are the next business days (Monday to Friday; exchange holidays are not
        known). Each input is forecast alone: HAR-X's market columns (``har_weight``) fall back to
        the series' own range terms, as they add nothing without other tickers.
        """
        if options:
            raise NlpsuiteError(f"unknown option(s) {', '.join(options)} for stock predict; known: horizon, history")
        horizon = self.config.horizon if horizon is None else horizon
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= self.config.horizon:
            raise NlpsuiteError(
                f"horizon={horizon!r}: give a whole number of trading days from 1 to {self.config.horizon}"
            )
        if isinstance(history, bool) or not isinstance(history, int) or history < 0:
            raise NlpsuiteError(f"history={history!r}: give a whole number of rows (0 for none)")
        results = []
        for source in inputs:
            source = str(source).strip()
            if not source:
                continue
            series = prices.read_prices(source)
            prices.require_length(
                series,
                F.first_origin(self.config.lookback) + 1,
                f"a forecast (lookback {self.config.lookback} + warm-up {F.WARMUP})",
            )
            result = self.forecast_series(series, horizon, source)
            if history:
                result["history"] = [
                    {"date": str(d), "close": float(c)}
                    for d, c in zip(series.dates[-history:], series.close[-history:], strict=True)
                ]
            results.append(result)
        return results

    def forecast_series(self, series: prices.PriceSeries, horizon: int, label: str) -> dict[str, Any]:
        """The forecast after the last row of ``series`` (see ``predict``)."""
        data = F.prepare(series)
        q = self.forecaster().forecast(data, np.array([len(data) - 1]), self.config.horizon)
        last = float(series.close[-1])
        dates = np.busday_offset(series.dates[-1], np.arange(1, horizon + 1), roll="forward")
        forecast = [
            {
                "date": str(d),
                **{f"q{round(100 * tau)}": last * float(np.exp(v)) for tau, v in zip(B.QUANTILES, row, strict=True)},
            }
            for d, row in zip(dates, q[0, :horizon], strict=True)
        ]
        return {
            "input": label,
            "last_date": str(series.dates[-1]),
            "last_close": last,
            "forecast": forecast,
            "notes": series.notes,
        }

    # ------------------------------------------------------------------------------------- saving

    def save_assets(self, directory: Path) -> None:
        for key, value in self.assets.items():
            (directory / f"{key}.json").write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load_assets(cls, directory: Path) -> dict[str, Any]:
        assets = {}
        for path in sorted(directory.glob("*.json")):
            try:
                assets[path.stem] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise NlpsuiteError(f"{path} is unreadable ({exc}); retrain with `make train-stock`") from None
        if "scaler" not in assets:
            raise NlpsuiteError(f"{directory / 'scaler.json'} is missing; retrain with `make train-stock`")
        return assets


# ------------------------------------------------------------------------------------- helpers


def _check_walk_forward(datas: list[F.Prepared], config: StockConfig) -> None:
    if not B.block_starts(datas, config.lookback, config.min_train_days, config.refit_every):
        longest = max(len(d) for d in datas)
        raise OptionError(
            "min_train_days", config.min_train_days,
            f"must be below the longest series' length ({longest} rows) for the walk-forward backtest "
            "(or set walk_forward to false)",
        )


def feature_names(config: StockConfig) -> tuple[str, ...]:
    """The model's input features: ``config.features`` or, when empty, every default one
    (``features.FEATURES``); ``garch_feature`` appends ``garch_vol``.

    Example:
    >>> feature_names(StockConfig(features="return, vol_path"))
    ('return', 'vol_path')
    >>> len(feature_names(StockConfig(features=""))) == len(F.FEATURES)
    True
    >>> feature_names(StockConfig(features="return", garch_feature=True))
    ('return', 'garch_vol')
    """
    names = tuple(n.strip() for n in config.features.split(",") if n.strip()) or F.FEATURES
    unknown = [n for n in names if n not in F.KNOWN_FEATURES]
    if unknown:
        raise OptionError(
            "features", config.features,
            f"unknown {', '.join(unknown)}; choose from {', '.join(F.KNOWN_FEATURES)} "
            "(comma-separated) or leave empty for all the default ones",
        )
    if config.garch_feature and "garch_vol" not in names:
        names = (*names, "garch_vol")
    return names


def _new_model(config: StockConfig, strategy: Any = None) -> Any:
    with training.strategy_scope(strategy):
        model = build_model(
            config.lookback,
            config.horizon,
            B.QUANTILES,
            units=config.units,
            cell=config.cell,
            num_layers=config.num_layers,
            dropout=config.dropout,
            l2=config.l2,
            median_scale=config.median_scale,
            num_features=len(feature_names(config)),
        )
        jit = config.jit_compile or "auto"
        return compile_model(model, B.QUANTILES, config.learning_rate, jit_compile=jit)


def _fit_final(
    datas: list[F.Prepared], config: StockConfig, run: training.TrainingRun
) -> tuple[Any, F.Scaler, dict[str, Any]]:
    """Fits the model to be saved on outcomes dated up to ``train_end``, early-stopping on a later dev period."""
    bank = B.WindowBank.build(datas, config.lookback, config.horizon, feature_names(config))
    cutoff = _parse_date(config.train_end, "train_end")
    usable = bank.upto(cutoff + 1) if cutoff is not None else len(bank.end_dates)
    if usable < 200:
        raise OptionError(
            "train_end", config.train_end,
            f"leaves only {usable} training windows (200 needed); give longer series or a later date",
        )
    # Dev = the last dev_fraction of origins; train = windows whose outcomes all precede the first dev origin.
    origin_dates = np.sort(bank.origin_dates[:usable])
    dev_start = origin_dates[int(len(origin_dates) * (1 - config.dev_fraction))]
    dev = np.flatnonzero(bank.origin_dates[:usable] >= dev_start)
    train = np.flatnonzero(bank.end_dates[:usable] < dev_start)
    if config.max_train_examples:
        train = train[-config.max_train_examples :]
    scaler = F.Scaler.fit(bank.x[train], feature_names(config))
    x_train, y_train = scaler.transform(bank.x[train]), bank.y_unit[train]
    x_dev, y_dev = scaler.transform(bank.x[dev]), bank.y_unit[dev]
    model = _new_model(config, run.strategy)
    run.fit(model, x_train, (x_dev, y_dev), y=y_train, batch_size=config.batch_size, shuffle=True)
    split = {
        "description": (
            f"train: outcomes dated {bank.end_dates[train].min()}.."
            f"{bank.end_dates[train].max()} ({len(train)} windows); "
            f"dev (early stopping): origins {dev_start}.."
            f"{str(bank.end_dates[:usable].max())} ({len(dev)} windows); test: origins after "
            f"{config.train_end or 'none'} (evaluate)"
        ),
        "train_windows": int(len(train)),
        "dev_windows": int(len(dev)),
        "dev_start": str(dev_start),
    }
    return model, scaler, split


def blend_weights(config: StockConfig, assets: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """GARCH's and HAR-X's weights in the forecast at horizons 1..``config.horizon``, each ``[horizon]``
    (the network's is the rest): those chosen per horizon at training (``blend_per_horizon``;
    ``assets["garch_weight"]``'s ``*_by_horizon`` lists), else ``config``'s one pair at every horizon
    (a model saved before per-horizon weights, or with them off or set by hand).

    Args:
        config: the model's config.
        assets: the model's assets.

    Example:
    >>> config = StockConfig(horizon=3, garch_weight=0.1, har_weight=0.35)
    >>> [w.tolist() for w in blend_weights(config, {})]  # one pair: the same weights at every horizon
    [[0.1, 0.1, 0.1], [0.35, 0.35, 0.35]]
    >>> chosen = {"garch_weight_by_horizon": [0.1, 0.2, 0.2], "har_weight_by_horizon": [0.35, 0.0, 0.0]}
    >>> [w.tolist() for w in blend_weights(config, {"garch_weight": chosen})]
    [[0.1, 0.2, 0.2], [0.35, 0.0, 0.0]]
    """
    chosen = assets.get("garch_weight") or {}
    weights = []
    for key in ("garch_weight", "har_weight"):
        by_horizon = chosen.get(f"{key}_by_horizon")
        if by_horizon is None:
            weights.append(np.full(config.horizon, float(getattr(config, key))))
            continue
        if len(by_horizon) != config.horizon:
            raise NlpsuiteError(
                f"assets/garch_weight.json: {key}_by_horizon holds {len(by_horizon)} weights for a "
                f"{config.horizon}-day horizon; retrain with `make train-stock`"
            )
        weights.append(np.asarray(by_horizon, dtype=np.float64))
    return weights[0], weights[1]


def _weights_report(garch: np.ndarray, har: np.ndarray) -> dict[str, Any]:
    """The blend weights in ``evaluate``'s metrics: horizon 1's under the old keys, every horizon's in
    lists, and a compact line for the model card."""
    return {
        "garch_weight": float(garch[0]),
        "har_weight": float(har[0]),
        "garch_weight_by_horizon": garch.tolist(),
        "har_weight_by_horizon": har.tolist(),
        "blend_weights": describe_weights(BLEND_NAMES, [garch, har]),
    }


def _choice_note(choice: dict[str, Any]) -> str:
    """How the weights were chosen, for the model card: the h = 1 losses, and each group's relative ones."""
    note = (
        f"chosen on the dev period's {choice['origins']} h=1 outcomes, pinball {choice['pinball']:.5f} vs the "
        f"model's {choice['pinball_model']:.5f}, GARCH's {choice['pinball_garch']:.5f} and HAR-X's "
        f"{choice['pinball_har']:.5f}"
    )
    groups = [g for g in choice.get("by_group", []) if g["horizons"] != "1"]
    if not groups:
        return note + " (the same weights at every horizon)"
    return note + "; per horizon group (blend_per_horizon), dev pinball relative to the model's: " + "; ".join(
        f"h{g['horizons']} {g['ratio']:.4f} (GARCH alone {g['ratio_garch']:.4f}, HAR-X alone {g['ratio_har']:.4f})"
        for g in groups
    )


def _choose_weights(
    datas: list[F.Prepared], config: StockConfig, model: Any, scaler: F.Scaler, dev_start: np.datetime64
) -> dict[str, Any]:
    """``garch_weight`` and ``har_weight`` with the lowest pinball loss on the dev origins (outcomes up to
    ``train_end``), over the simplex grid of ``combination.choose_weights``: at h = 1 for every horizon,
    or with ``blend_per_horizon`` once per group of horizons (``combination.choose_weights_by_horizon``);
    a weight whose ``choose_*`` option is off stays as configured.

    The dev period only decided when to stop training, so the model was never fitted on these
    outcomes; none of them is a test outcome (each horizon's outcomes are cut at ``train_end``).
    """
    pick_garch = config.choose_garch_weight and config.garch_refit_every
    grids = (
        WEIGHT_GRID if pick_garch else (config.garch_weight,),
        WEIGHT_GRID if config.choose_har_weight else (config.har_weight,),
    )
    y, valid, members = _dev_forecasts(datas, config, model, scaler, dev_start)
    if not len(y):
        nan = float("nan")
        pair = (0.0 if pick_garch else config.garch_weight, 0.0 if config.choose_har_weight else config.har_weight)
        return {"garch_weight": pair[0], "har_weight": pair[1], "origins": 0, **_by_horizon([pair] * config.horizon),
                "pinball": nan, "pinball_model": nan, "pinball_garch": nan, "pinball_har": nan}
    others = [members["garch"], members["har"]]
    if config.blend_per_horizon:
        by_horizon, groups = choose_weights_by_horizon(
            y, valid, members["model"], others, grids, horizon_groups(config.horizon)
        )
    else:
        by_horizon, groups = [], []
    # Horizon 1 (every dev origin has its outcome): the choice itself without blend_per_horizon, and the
    # loss of every pair (the first group's choice is the same one).
    h1 = valid[:, 0]
    best, losses = choose_weights(y[h1, 0], members["model"][h1, 0], [o[h1, 0] for o in others], grids)
    garch_weight, har_weight = by_horizon[0] if by_horizon else best
    solo = {name: mean_pinball(y[h1, 0], q[h1, 0]) if q.any() else float("nan") for name, q in members.items()}
    record = {
        "garch_weight": garch_weight,
        "har_weight": har_weight,
        **_by_horizon(by_horizon or [best] * config.horizon),
        "origins": int(h1.sum()),
        "pinball": losses[garch_weight, har_weight],
        "pinball_model": solo["model"],
        "pinball_garch": solo["garch"],
        "pinball_har": solo["har"],
        # JSON keys: "garch_weight,har_weight".
        "pinball_by_weight": {f"{g:g},{h:g}": loss for (g, h), loss in losses.items()},
    }
    if groups:
        nan = float("nan")
        record["by_group"] = [
            {
                "horizons": g["horizons"],
                "garch_weight": g["weights"][0],
                "har_weight": g["weights"][1],
                "outcomes": g["outcomes"],
                "ratio": g["ratio"],
                "ratio_garch": g["ratio_alone"][0] if members["garch"].any() else nan,
                "ratio_har": g["ratio_alone"][1],
            }
            for g in groups
        ]
    return record


def _by_horizon(pairs: list[tuple[float, float]]) -> dict[str, list[float]]:
    return {"garch_weight_by_horizon": [g for g, _ in pairs], "har_weight_by_horizon": [h for _, h in pairs]}


def _dev_forecasts(
    datas: list[F.Prepared], config: StockConfig, model: Any, scaler: F.Scaler, dev_start: np.datetime64
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Outcomes ``y [n, horizon]`` at the dev origins (those whose h = 1 outcome is dated up to
    ``train_end``), ``valid [n, horizon]`` marking the outcomes that exist and are dated up to
    ``train_end``, and each member's quantiles there ``{name: [n, horizon, 3]}`` (``model``: the
    recalibrated network, ``garch``, ``har``: HAR-X over every series; all 0 = none)."""
    cutoff = _parse_date(config.train_end, "train_end")
    horizon = config.horizon
    forecaster = B.recalibrate(B.ModelForecaster(model, scaler, config.lookback), config.conformal_window,
                               config.lookback)
    members = {
        "model": forecaster,
        "garch": GarchForecaster(config.garch_refit_every, config.garch_window) if config.garch_refit_every else None,
        "har": HarMarketForecaster(datas),
    }
    ys, valids, quantiles = [], [], {name: [] for name in members}
    for data in datas:
        rows = np.arange(F.first_origin(config.lookback), len(data) - 1)
        known = data.dates[rows + 1] <= cutoff if cutoff is not None else np.ones(len(rows), bool)
        rows = rows[(data.dates[rows] >= dev_start) & known]
        if not len(rows):
            continue
        y, valid = F.targets(data, rows, horizon)
        if cutoff is not None:  # an h-day outcome after train_end is a test outcome: never read
            ahead = np.minimum(rows[:, None] + np.arange(1, horizon + 1), len(data) - 1)
            valid &= data.dates[ahead] <= cutoff
        ys.append(np.where(valid, y, 0.0))
        valids.append(valid)
        for name, member in members.items():
            quantiles[name].append(
                member.forecast(data, rows, horizon) if member is not None else np.zeros((len(rows), horizon, 3))
            )
    if not ys:
        return np.zeros((0, horizon)), np.zeros((0, horizon), bool), {}
    return np.concatenate(ys), np.concatenate(valids), {name: np.concatenate(q) for name, q in quantiles.items()}


def walk_forward(
    datas: list[F.Prepared], config: StockConfig, assets: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    """The walk-forward backtest with refits that ``train`` runs (``kwargs`` go to ``backtest.walk_forward``),
    blended at the weights of ``blend_weights(config, assets)`` (default: ``config``'s pair at every horizon)."""
    garch_weights, har_weights = blend_weights(config, assets or {})
    return B.walk_forward(
        datas,
        lookback=config.lookback,
        horizon=config.horizon,
        make_model=lambda: _new_model(config),
        min_train=config.min_train_days,
        refit_every=config.refit_every,
        initial_epochs=config.initial_epochs,
        refit_epochs=config.refit_epochs,
        refit_samples=config.refit_samples,
        batch_size=config.batch_size,
        baseline_window=config.baseline_window,
        season=config.season,
        garch_refit_every=config.garch_refit_every,
        garch_window=config.garch_window,
        features=feature_names(config),
        conformal_window=config.conformal_window,
        garch_weight=garch_weights,
        har_weight=har_weights,
        seed=config.seed,
        **kwargs,
    )


def _run_walk_forward(datas: list[F.Prepared], config: StockConfig, assets: dict[str, Any]) -> dict[str, Any]:
    result = walk_forward(datas, config, assets)
    report = B.full_report(result.forecasts, config.horizon)
    return {
        "refit_every": config.refit_every,
        "refits": result.refits,
        "seconds": round(result.seconds, 1),
        "series": [d.name for d in datas],
        **report,
    }


def _walk_note(walk: dict[str, Any]) -> str:
    return (
        f"Walk-forward backtest with {walk['refits']} refits (every {walk['refit_every']} days), "
        f"origins {walk['first_origin']}..{walk['last_origin']}: MASE h1 {walk['mase_h1']:.3f}, "
        f"80% coverage "
        f"{walk['coverage_80_min']:.3f}-{walk['coverage_80_max']:.3f} over horizons, pinball h1 "
        f"{walk.get('pinball_ratio_h1', float('nan')):.3f} x the empirical-quantile baseline and "
        f"{walk.get('pinball_ratio_garch_h1', float('nan')):.3f} x GARCH(1,1)-t."
    )


def _walk_table(walk: dict[str, Any]) -> str:
    """A Markdown section (one note, rendered as is by the model card) with per-horizon scores."""
    lines = [
        "### Walk-forward backtest (refits during training)",
        "",
        "| horizon | MASE | dir. acc. | up share | 80% cov. | cov. baseline | cov. GARCH | pinball / baseline "
        "| pinball / GARCH |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for h in ("1", "2", "5", "10", "20"):
        row = walk["by_horizon"].get(h)
        if row:
            lines.append(
                f"| {h} | {row['mase']:.3f} | {row['directional_accuracy']:.3f} | "
                f"{row['up_share']:.3f} | {row['coverage_80']:.3f} | "
                f"{row['coverage_80_baseline']:.3f} | {row.get('coverage_80_garch', nan):.3f} | "
                f"{row['pinball_ratio']:.3f} | {row.get('pinball_ratio_garch', nan):.3f} |"
            )
    for name, part in walk.get("by_series", {}).items():
        lines.append(
            f"| {name} h1 | {part['mase_h1']:.3f} | {part['directional_accuracy_h1']:.3f} | | "
            f"{part['coverage_80_h1']:.3f} | | | {part['pinball_ratio_h1']:.3f} | "
            f"{part.get('pinball_ratio_garch_h1', nan):.3f} |"
        )
    return "\n".join(lines)
