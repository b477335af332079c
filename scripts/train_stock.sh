#!/usr/bin/env bash
# make train-stock: fits the stock forecaster on the four bundled tickers (outcomes to 2007-12-31),
# runs its walk-forward backtest with refits, then backtests the saved model on 2008-2013 without
# refitting and writes metrics.json + MODEL_CARD.md. The recipe is StockConfig's defaults: a GRU 16
# (dropout 0.3, L2 1e-3) over 60 days of the 17 return / range / gap / volume features, conformal
# recalibration on 1,000 trailing origins, GARCH(1,1)-t refitted every 20 days as the baseline to beat
# (pinball_ratio_garch in metrics.json), and the forecast averaged with GARCH's and HAR-X's quantiles
# (a HAR regression of the log range variance with market, leverage and calendar regressors) at the
# weights that are best on the dev period, once per group of horizons 1 | 2-5 | 6-10 | 11-20
# (choose_garch_weight, choose_har_weight, blend_per_horizon; every horizon's in assets/garch_weight.json,
# horizon 1's as garch_weight and har_weight; --set garch_feature=true also feeds GARCH's volatility to
# the network).
#   OUT=/tmp/stock bash scripts/train_stock.sh --set units=16   # other folder, extra options
#   RESUME=1         continue an interrupted run from its checkpoint (<out>.ckpt)
#   STOCK_MINUTES    wall-clock budget of the final fit in minutes (default 0 = until early stopping)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-saved_models/stock}
DATA=bokeh:AAPL,bokeh:MSFT,bokeh:IBM,bokeh:GOOG
RESUME_FLAG=()
[ "${RESUME:-0}" = 1 ] && RESUME_FLAG=(--resume)

"$PY" -m nlpsuite train stock --data "$DATA" --out "$OUT" --set max_minutes="${STOCK_MINUTES:-0}" \
  "${RESUME_FLAG[@]}" "$@"
"$PY" -m nlpsuite evaluate --model "$OUT" --data "$DATA" --save
