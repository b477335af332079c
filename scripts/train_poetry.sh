#!/usr/bin/env bash
# `make train-poetry`: trains and evaluates the two committed poetry models.
#
#   saved_models/poetry-zh  Tang regulated verse (tang: 五绝/七绝/五律/七律, simplified), 2x256 LSTM
#   saved_models/poetry-en  Tiny Shakespeare, 2x256 LSTM over 128-character windows
#
# Each run stops after TIME_BUDGET_* minutes (what fitted the 2 shared CPU cores the committed models
# were trained on) and keeps the best dev weights. On a free machine give more, e.g.
# `TIME_BUDGET_ZH=0 TIME_BUDGET_EN=0 make train-poetry` (0 = all epochs, early stopping on dev loss).
# Interrupted? Run again with RESUME=--resume to continue from the last finished epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
NLPSUITE="${NLPSUITE:-.venv/bin/nlpsuite}"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$NLPSUITE" ] || NLPSUITE=nlpsuite
[ -x "$PYTHON" ] || PYTHON=python
OUT="${OUT:-saved_models}"
RESUME="${RESUME:-}"

# JAX's XLA-compiled LSTM step used about a third less CPU time than TensorFlow's while_loop on the
# CPU these models were trained on; TensorFlow (without XLA, which is slower here) when JAX is absent.
if [ -z "${TRAIN_BACKEND:-}" ]; then
  if "$PYTHON" -c "import jax" 2>/dev/null; then TRAIN_BACKEND=jax; else TRAIN_BACKEND=tensorflow; fi
fi
JIT=""
[ "$TRAIN_BACKEND" = jax ] && JIT="--jit-compile"

KERAS_BACKEND="$TRAIN_BACKEND" "$NLPSUITE" train poetry --data tang --out "$OUT/poetry-zh" \
  --epochs 200 --batch-size 64 $JIT $RESUME \
  --set units=256 --set num_layers=2 --set embedding_dim=128 --set max_vocab=4000 \
  --set learning_rate=0.003 --set steps_per_epoch=100 --set patience=8 \
  --set time_budget_minutes="${TIME_BUDGET_ZH:-45}"
"$NLPSUITE" evaluate --model "$OUT/poetry-zh" --data tang --save

KERAS_BACKEND="$TRAIN_BACKEND" "$NLPSUITE" train poetry --data tinyshakespeare --out "$OUT/poetry-en" \
  --epochs 200 --batch-size 64 $JIT $RESUME \
  --set units=256 --set num_layers=2 --set embedding_dim=64 --set seq_len=128 \
  --set learning_rate=0.003 --set steps_per_epoch=100 --set patience=8 \
  --set time_budget_minutes="${TIME_BUDGET_EN:-60}"
"$NLPSUITE" evaluate --model "$OUT/poetry-en" --data tinyshakespeare --save
