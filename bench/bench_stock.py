"""Walk-forward backtest speed: the four bundled tickers, ~10 years of daily origins, a warm-started
refit every 20 days, with every baseline (GARCH(1,1)-t refitted every 20 days on 1,000 days
included), the conformal recalibration, and the forecast averaged with GARCH's and HAR-X's quantiles as
a trained model forecasts (weights 0.1 / 0.4, the dev-period choice in
``bench/results/stock_combination.json``; training re-chooses them on its own dev period).

Target: the full backtest in at most 5 minutes on the project's CPU. ``quick`` runs 6 months of
one ticker's origins with a tiny model, so the smoke test takes seconds.
"""

from __future__ import annotations

import os
import time

NAME = "stock"
# The three-way blend's weights chosen on the 2007 dev period (bench/results/stock_combination.json).
BLEND = {"garch_weight": 0.1, "har_weight": 0.4}


def run(quick: bool = False) -> list[dict]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from nlpsuite import training
    from nlpsuite.data import prices
    from nlpsuite.tasks.stock import backtest
    from nlpsuite.tasks.stock import features as F
    from nlpsuite.tasks.stock.task import StockConfig, walk_forward

    tickers = ("AAPL",) if quick else prices.BOKEH_TICKERS
    series = [prices.read_prices(f"bokeh:{t}") for t in tickers]
    if quick:
        series = [s.until(1000) for s in series]
        config = StockConfig(
            units=8,
            lookback=20,
            horizon=5,
            initial_epochs=1,
            refit_epochs=1,
            refit_every=60,
            min_train_days=880,
            refit_samples=512,
            jit_compile=False,
            garch_refit_every=60,
            conformal_window=100,
            **BLEND,
        )
    else:
        config = StockConfig(**BLEND)
    training.set_seed(config.seed)
    datas = [F.prepare(s) for s in series]
    start_cpu = time.process_time()
    result = walk_forward(datas, config, log=lambda _: None)
    cpu = time.process_time() - start_cpu
    report = backtest.full_report(result.forecasts, config.horizon)
    h1 = report["by_horizon"]["1"]
    years = (result.forecasts.dates.max() - result.forecasts.dates.min()).astype(int) / 365.25
    return [
        {
            "tickers": ",".join(tickers),
            "origins": report["origins"],
            "years": round(float(years), 1),
            "refits": result.refits,
            "model": f"{config.cell.upper()} {config.units}, lookback {config.lookback}",
            "seconds": round(result.seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "target_seconds": 300,
            "meets_target": result.seconds <= 300,
            "mase_h1": round(h1["mase"], 4),
            "coverage_80_h1": round(h1["coverage_80"], 4),
            "pinball_ratio_h1": round(h1["pinball_ratio"], 4),
            "pinball_ratio_garch_h1": round(h1["pinball_ratio_garch"], 4),
            "coverage_80_garch_h1": round(h1["coverage_80_garch"], 4),
        }
    ]
