"""Forecast combination for the committed stock model, without retraining: model + GARCH(1,1)-t quantiles.

    python -m bench.stock_combination                        # saved_models/stock on the four bundled tickers
    python -m bench.stock_combination --model /tmp/stock --out /tmp/combination.json
    python -m bench.stock_combination --quick                # two tickers, ~5 years each, seconds (smoke test)

Every forecaster is run once at every origin of every series (the saved model with and without its conformal
recalibration, GARCH(1,1)-t refitted every 20 days on 1,000 days as in ``nlpsuite evaluate``, the empirical
baseline, a HAR model of the log daily range variance, and HAR-X (``nlpsuite.tasks.stock.har``): the same HAR
plus market (the other tickers' ranges), leverage and calendar regressors, with one ablation per group), then:

- **selection (validation, before the test period)**: the weight ``w`` of GARCH in
  ``(1 - w) * model + w * GARCH`` is chosen on the model's dev period (origins from the saved ``dev_start`` to
  ``train_end`` whose outcomes are all dated on or before ``train_end``: early stopping only, never fitted on),
  by the mean pinball loss at h = 1 over a grid 0, 0.05, .., 1 (``combination.choose_weight``); the three-way
  weights likewise at h = 1, and once per group of horizons as training chooses them
  (``combination.choose_weights_by_horizon``, ``StockConfig.blend_per_horizon``);
- **test**: the blend with that weight is scored on the origins after ``train_end`` exactly as ``nlpsuite
  evaluate`` scores the model (``backtest.full_report``: pinball ratio to GARCH per horizon, coverage per
  horizon and per ticker, MASE).

The test-period loss curve over the whole grid is written too, marked as a diagnostic: it shows how far the
validation choice is from the best weight in hindsight and is never used to choose anything. Results go to
``bench/results/stock_combination.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "results" / "stock_combination.json"


class Stored:
    """Forecasts computed once per series, served by row (so wrappers can re-read them for free)."""

    point = False

    def __init__(self, name: str, arrays: dict[str, tuple[int, np.ndarray]]) -> None:
        self.name = name
        self.arrays = arrays  # series name -> (first row, [rows, horizon, 3])

    def forecast(self, data: Any, origins: np.ndarray, horizon: int) -> np.ndarray:
        first, values = self.arrays[data.name]
        return values[np.asarray(origins) - first, :horizon]


HAR_X_GROUPS = ("market", "leverage", "calendar")
HAR_MEMBERS = ("har", "har_x", *(f"har_{group}" for group in HAR_X_GROUPS))


def _stored_members(
    task: Any, datas: list, horizon: int, log: Any, garch: tuple | None = None
) -> tuple[dict[str, Stored], dict[str, Any]]:
    """Every member's forecasts at every origin of every series, computed once; and the live forecasters
    (their fitted HAR coefficients are read for the diagnostics)."""
    from nlpsuite.tasks.stock import backtest as B
    from nlpsuite.tasks.stock import features as F
    from nlpsuite.tasks.stock.har import HarMarketForecaster, HarRangeForecaster

    config = task.config
    refit_every, window = garch or (config.garch_refit_every, config.garch_window)
    raw = B.ModelForecaster(task.model, F.Scaler.from_json(task.assets["scaler"]), config.lookback)
    members = {
        "model_raw": raw,
        "model": B.recalibrate(raw, config.conformal_window, config.lookback),
        "garch": B.make_baselines(garch_refit_every=refit_every, garch_window=window)[-1],
        "empirical": B.EmpiricalQuantileForecaster(config.baseline_window),
        "har": HarRangeForecaster(),
        "har_x": HarMarketForecaster(datas),
        # Ablations: plain HAR plus one group each, to see which information carries the gain.
        **{f"har_{g}": HarMarketForecaster(datas, **{k: k == g for k in HAR_X_GROUPS}) for g in HAR_X_GROUPS},
    }
    arrays: dict[str, dict] = {name: {} for name in members}
    first = F.first_origin(config.lookback)
    for data in datas:
        rows = np.arange(first, len(data) - 1)
        for name, forecaster in members.items():
            started = time.perf_counter()
            arrays[name][data.name] = (first, forecaster.forecast(data, rows, horizon))
            log(f"{data.name} {name}: {len(rows)} origins, {time.perf_counter() - started:.1f} s")
    return {name: Stored(name, values) for name, values in arrays.items()}, members


def _collect(datas: list, members: dict[str, Any], horizon: int, mask_of: Any, first: int) -> Any:
    """``backtest.Forecasts`` of ``members`` (one must be named ``model``) at the origins ``mask_of`` picks."""
    from nlpsuite.tasks.stock import backtest as B
    from nlpsuite.tasks.stock import features as F

    parts = []
    for data in datas:
        rows = np.arange(first, len(data) - 1)
        rows = rows[mask_of(data, rows)]
        if len(rows):
            y, valid = F.targets(data, rows, horizon)
            quantiles = {name: f.forecast(data, rows, horizon) for name, f in members.items()}
            names = np.full(len(rows), data.name, dtype=object)
            parts.append(B.Forecasts(names, data.dates[rows], y, valid, quantiles))
    return B.Forecasts.concat(parts)


def _headline(report: dict) -> dict:
    keys = ("pinball_ratio_garch_h1", "pinball_ratio_garch_mean", "pinball_ratio_h1", "coverage_80_h1",
            "coverage_80_min", "coverage_80_max", "mase_h1")
    out = {k: round(report[k], 4) for k in keys if k in report}
    out["pinball_h1"] = round(report["by_horizon"]["1"]["pinball"], 6)
    out["pinball_garch_h1"] = round(report["by_horizon"]["1"]["pinball_garch"], 6)
    out["coverage_80_by_horizon"] = [round(r["coverage_80"], 3) for r in report["by_horizon"].values()]
    out["by_series"] = {
        name: {
            "pinball_ratio_garch_h1": round(part.get("pinball_ratio_garch_h1", float("nan")), 4),
            "coverage_80_h1": round(part["coverage_80_h1"], 3),
            "coverage_80_min": round(part["coverage_80_min"], 3),
            "coverage_80_max": round(part["coverage_80_max"], 3),
        }
        for name, part in report.get("by_series", {}).items()
    }
    return out


def run(model_dir: str, data: str, quick: bool = False, log: Any = print) -> dict:
    import nlpsuite
    from nlpsuite.data import prices
    from nlpsuite.tasks.stock import backtest as B
    from nlpsuite.tasks.stock import features as F
    from nlpsuite.tasks.stock.combination import WEIGHT_GRID, Blended, choose_weight
    from nlpsuite.tasks.stock.conformal import Recalibrated

    started = time.perf_counter()
    task = nlpsuite.load(model_dir)
    config, horizon = task.config, task.config.horizon
    series = prices.read_many(data)
    if quick:  # two tickers, so that HAR-X's market columns (the other series) are exercised too
        series = [s.until(1400) for s in series[:2]]
    datas = [F.prepare(s) for s in series]
    train_end = np.datetime64(task.assets["training"]["train_end"], "D")
    dev_start = np.datetime64(task.assets["training"]["dev_start"], "D")
    if quick:  # the smoke run's series end early: a pseudo split inside them
        train_end, dev_start = datas[0].dates[-250], datas[0].dates[-500]
    first = F.first_origin(config.lookback)
    stored, live = _stored_members(task, datas, horizon, log, garch=(60, 300) if quick else None)

    def dev_rows(d: Any, rows: np.ndarray) -> np.ndarray:
        return (d.dates[rows] >= dev_start) & (d.dates[rows] <= train_end)

    def test_rows(d: Any, rows: np.ndarray) -> np.ndarray:
        return d.dates[rows] > train_end

    # ---- selection on the dev period: outcomes dated on or before train_end only
    dev = _collect(datas, stored, horizon, dev_rows, first)
    selection: dict[str, Any] = {"period": f"origins {dev_start}..{train_end}, outcomes <= {train_end}"}
    per_h_weights = []
    for h in range(1, horizon + 1):
        known = dev.valid[:, h - 1] & _outcome_dates_ok(datas, dev, h, train_end)
        args = (dev.y[known, h - 1], dev.quantiles["model"][known, h - 1], dev.quantiles["garch"][known, h - 1])
        best, losses = choose_weight(*args)
        per_h_weights.append(best)
        if h == 1:
            selection.update(h1_origins=int(known.sum()), weight=best, dev_pinball_by_weight=losses)
            raw_best, _ = choose_weight(dev.y[known, 0], dev.quantiles["model_raw"][known, 0], args[2])
            selection["weight_blend_then_conformal"] = raw_best
            har_args = (dev.y[known, 0], dev.quantiles["har"][known, 0])
            selection["dev_pinball_h1"] = {
                name: float(np.mean(B.pinball(har_args[0], dev.quantiles[name][known, 0])))
                for name in ("model", "model_raw", "garch", "empirical", *HAR_MEMBERS)
            }
            selection["three_way_best_garch_har"] = _three_way(*args, har_args[1])
            selection["three_way_best_garch_har_x"] = _three_way(*args, dev.quantiles["har_x"][known, 0])
    selection["weight_by_horizon"] = per_h_weights
    by_group = _three_way_by_group(datas, dev, horizon, train_end)
    selection["three_way_by_group_garch_har_x"] = by_group
    w = selection["weight"]
    log(f"dev: chosen GARCH weight {w} (by horizon {per_h_weights})")

    # ---- test: the candidates, scored as `nlpsuite evaluate` scores the model
    garch, model, raw, har = stored["garch"], stored["model"], stored["model_raw"], stored["har"]
    wg3, wh3 = (float(v) for v in selection["three_way_best_garch_har"].split(","))
    wgx, whx = (float(v) for v in selection["three_way_best_garch_har_x"].split(","))
    candidates = {
        # The network alone (recalibrated); the committed model forecasts a three-way blend (below).
        "network alone (conformal)": model,
        f"blend conformal model + GARCH, w={w} (dev)": Blended(model, garch, w),
        "blend conformal model + GARCH, w=0.5 (equal)": Blended(model, garch, 0.5),
        f"conformal of blend raw model + GARCH, w={selection['weight_blend_then_conformal']} (dev)": Recalibrated(
            Blended(raw, garch, selection["weight_blend_then_conformal"]), config.conformal_window or 1000, first
        ),
        "har (alone)": har,
        f"three-way model/GARCH/HAR {1 - wg3 - wh3:.2f}/{wg3}/{wh3} (dev)": _blend3(model, garch, har, wg3, wh3),
        "har-x (alone)": stored["har_x"],
        f"three-way model/GARCH/HAR-X {1 - wgx - whx:.2f}/{wgx}/{whx} (dev)": _blend3(
            model, garch, stored["har_x"], wgx, whx
        ),
        "three-way model/GARCH/HAR-X, weights per horizon group (dev)": _blend3(
            model, garch, stored["har_x"], by_group["garch_weight_by_horizon"], by_group["har_weight_by_horizon"]
        ),
    }
    results = {}
    for label, forecaster in candidates.items():
        members = {"model": forecaster, "garch": garch, "empirical": stored["empirical"]}
        report = B.full_report(_collect(datas, members, horizon, test_rows, first), horizon)
        results[label] = _headline(report)
        log(f"test: {label}: {results[label]['pinball_ratio_garch_h1']} x GARCH at h=1, "
            f"{results[label]['pinball_ratio_garch_mean']} mean; coverage {results[label]['coverage_80_min']}"
            f"-{results[label]['coverage_80_max']}")
    test = _collect(datas, {"model": model, "garch": garch, **{n: stored[n] for n in HAR_MEMBERS}}, horizon,
                    test_rows, first)
    ok = test.valid[:, 0]
    hindsight = {
        float(g): float(np.mean(B.pinball(test.y[ok, 0], (1 - g) * test.quantiles["model"][ok, 0]
                                          + g * test.quantiles["garch"][ok, 0])))
        / float(np.mean(B.pinball(test.y[ok, 0], test.quantiles["garch"][ok, 0])))
        for g in WEIGHT_GRID
    }
    # Where the h = 1 loss is: the median's share cannot shrink (the naive forecast is near optimal), so any
    # gain must come from the 10% and 90% quantiles.
    by_quantile = {
        name: [float(np.mean(np.maximum(tau * e, (tau - 1) * e))) / 3
               for tau, e in zip(B.QUANTILES, (test.y[ok, 0, None] - test.quantiles[name][ok, 0]).T, strict=True)]
        for name in ("model", "garch", "har", "har_x")
    }
    garch_h1 = float(np.mean(B.pinball(test.y[ok, 0], test.quantiles["garch"][ok, 0])))
    # Each HAR variant alone at h = 1 on the test origins (pooled), as a ratio to GARCH: which group helps.
    har_ratios = {
        name: float(np.mean(B.pinball(test.y[ok, 0], test.quantiles[name][ok, 0]))) / garch_h1
        for name in HAR_MEMBERS
    }
    log("test h=1 x GARCH, HAR variants alone: " + ", ".join(f"{k} {v:.4f}" for k, v in har_ratios.items()))
    _, _, columns = live["har_x"].regressors(datas[0])
    coefficients = dict(zip(columns, np.mean(live["har_x"].coefficients, axis=0).round(4).tolist(), strict=True))
    return {
        "model": model_dir,
        "diagnostic_h1_pinball_by_quantile_10_50_90": by_quantile,
        "diagnostic_only_oracle_h1_ratio": _oracle(datas, test, first),
        "diagnostic_only_test_h1_ratio_har_variants": har_ratios,
        "diagnostic_har_x_mean_coefficients": coefficients,
        "data": data if not quick else f"{','.join(s.name for s in series)} (quick: 1,400 rows each)",
        "quick": quick,
        "selection_on_dev": selection,
        "test": results,
        "diagnostic_only_test_h1_ratio_by_weight": hindsight,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": os.getloadavg()[0],
    }


def _three_way(y: np.ndarray, model: np.ndarray, garch: np.ndarray, third: np.ndarray) -> str:
    """The dev-best ``"w_garch,w_third"`` of ``(1 - wg - wt) * model + wg * garch + wt * third`` (h = 1
    quantiles ``[n, 3]``) by mean pinball loss, on the simplex grid of step 0.05 that training uses
    (``combination.choose_weights``)."""
    from nlpsuite.tasks.stock.combination import WEIGHT_GRID, choose_weights

    (wg, wt), _ = choose_weights(y, model, [garch, third], [WEIGHT_GRID, WEIGHT_GRID])
    return f"{wg:g},{wt:g}"


def _three_way_by_group(datas: list, dev: Any, horizon: int, train_end: np.datetime64) -> dict[str, Any]:
    """The dev-best GARCH and HAR-X weights per group of horizons (``combination.choose_weights_by_horizon``,
    the rule training applies with ``blend_per_horizon``), each horizon's outcomes cut at ``train_end``."""
    from nlpsuite.tasks.stock.combination import (
        WEIGHT_GRID,
        choose_weights_by_horizon,
        describe_weights,
        horizon_groups,
    )

    valid = np.stack([dev.valid[:, h - 1] & _outcome_dates_ok(datas, dev, h, train_end)
                      for h in range(1, horizon + 1)], axis=1)
    q = dev.quantiles
    weights, groups = choose_weights_by_horizon(np.where(valid, dev.y, 0.0), valid, q["model"],
                                                [q["garch"], q["har_x"]], [WEIGHT_GRID, WEIGHT_GRID],
                                                horizon_groups(horizon))
    garch, har = [g for g, _ in weights], [h for _, h in weights]
    return {
        "weights": describe_weights(("model", "GARCH", "HAR-X"), [garch, har]),
        "garch_weight_by_horizon": garch,
        "har_weight_by_horizon": har,
        "groups": [{**g, "weights": list(g["weights"])} for g in groups],
    }


def _blend3(model: Any, garch: Any, third: Any, wg: Any, wt: Any) -> Any:
    """``(1 - wg - wt) * model + wg * garch + wt * third`` (``combination.blend``, as ``StockTask`` forecasts;
    a weight is one number or one per horizon)."""
    from nlpsuite.tasks.stock.combination import blend

    return blend(model, [(garch, wg), (third, wt)])


def _oracle(datas: list, test: Any, first: int) -> float:
    """Infeasible ceiling (look-ahead, never a forecaster): h = 1 quantiles ``z * sqrt(v[T+1])`` from the
    next day's own range variance ``v = GK + gap^2``, ``z`` the 10/50/90% quantiles of ``r / sqrt(v)`` over
    the origins before the test period; as a ratio to GARCH's pinball. It bounds what a perfect range-based
    volatility forecast could gain."""
    from nlpsuite.tasks.stock import backtest as B
    from nlpsuite.tasks.stock import features as F

    losses, garch = [], []
    for data in datas:
        if data.series.ohlc is None:
            continue
        daily = F.daily_variances(data.series, data.log_price, data.returns)
        sd = np.sqrt(np.maximum(daily["garman_klass"] + daily["gap"] ** 2, 1e-10))
        at = np.flatnonzero(test.series == data.name)
        rows = np.searchsorted(data.dates, test.dates[at])
        keep = rows + 1 < len(data)
        at, rows = at[keep], rows[keep]
        past = np.arange(first, rows.min())
        z = np.quantile(data.returns[past + 1] / sd[past + 1], B.QUANTILES)
        losses.append(B.pinball(test.y[at, 0], sd[rows + 1, None] * z))
        garch.append(B.pinball(test.y[at, 0], test.quantiles["garch"][at, 0]))
    if not losses:
        return float("nan")
    return float(np.mean(np.concatenate(losses)) / np.mean(np.concatenate(garch)))


def _outcome_dates_ok(datas: list, forecasts: Any, h: int, last: np.datetime64) -> np.ndarray:
    """Whether each origin's ``h``-day outcome is dated on or before ``last`` (pre-test outcomes only)."""
    ok = np.zeros(len(forecasts.y), dtype=bool)
    by_name = {d.name: d for d in datas}
    for name, data in by_name.items():
        at = np.flatnonzero(forecasts.series == name)
        rows = np.searchsorted(data.dates, forecasts.dates[at])
        ahead = np.minimum(rows + h, len(data) - 1)
        ok[at] = (rows + h < len(data)) & (data.dates[ahead] <= last)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stock_combination", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="saved_models/stock")
    parser.add_argument("--data", default="bokeh:AAPL,bokeh:MSFT,bokeh:IBM,bokeh:GOOG")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON output (default {RESULTS}; none with --quick)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.model, args.data, quick=args.quick)
    out = args.out or (None if args.quick else RESULTS)
    if out:
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    print(json.dumps(result["test"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
