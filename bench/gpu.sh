#!/usr/bin/env bash
# Training throughput on one GPU: every synthetic model and app task x {float32, mixed precision} x {XLA off,
# on}, plus CPU baselines for the NER models. Prints steps/s, sequences/s and tokens/s, the GPU/CPU and
# mixed/float32 ratios, and writes bench/results/training_gpu.json (with the card's name).
#
#   bash bench/gpu.sh              # 300 timed steps per synthetic model (tasks: ~300 batches on their fixtures)
#   STEPS=100 bash bench/gpu.sh    # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
exec "$PY" -m bench.bench_training --gpu --steps "${STEPS:-300}" "$@"
