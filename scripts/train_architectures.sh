#!/usr/bin/env bash
# LSTM vs RWKV vs Transformer on Tiny Shakespeare: the same task, data, codec, loss, metrics and sampler,
# the same parameter count (±10%) and the same wall-clock budget, trained one after another on this CPU.
#
#   saved_models/poetry-en-lstm         the poetry-en recipe: 2x256 LSTM, embedding 64 (the size reference)
#   saved_models/poetry-en-rwkv         RWKV-4, 4 blocks, width chosen by match_parameters
#   saved_models/poetry-en-transformer  decoder-only Transformer, 4 layers x 4 heads, width by match_parameters
#   then `python -m bench architectures` -> bench/results/architectures.json (the RNN lab's measured tab)
#
#   ONLY="lstm rwkv transformer"   which models, in this order (default these three; gru also known)
#   MINUTES=30                      wall-clock budget of EACH run (the same for all)
#   TARGET=N                        parameter count to match (default: the LSTM recipe's own count)
#   SKIP_BENCH=1                    do not run the benchmark at the end
#   RESUME=1                        continue interrupted runs from their checkpoints (<out>.ckpt)
#
# The recurrent entry may instead be saved_models/poetry-en itself when its size and budget match: the
# benchmark uses poetry-en for an architecture that has no poetry-en-<architecture> folder.
#
# Settings per architecture (why):
#   - every run: 128-character windows, batch 64, 200 batches per epoch, patience 8, JAX + XLA when JAX
#     is installed (see train_poetry.sh for the measured choice), the same seed.
#   - lstm: learning rate 0.003, dropout 0.2 (the poetry-en recipe).
#   - rwkv: learning rate 0.002, dropout 0.1 before the output layer; 4 blocks so that the width
#     (about 128 at 0.9M parameters) stays above the embedding size.
#   - transformer: learning rate 0.001 (attention is less tolerant of large steps without warm-up),
#     dropout 0.1 inside the decoder layers; it is scored in windows of 128 characters (its training
#     window), the recurrent models over whole streams.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
OUT="${OUT_ROOT:-saved_models}"
ONLY=${ONLY:-lstm rwkv transformer}
MINUTES=${MINUTES:-30}
RESUME_FLAG=()
[ "${RESUME:-0}" = 1 ] && RESUME_FLAG=(--resume)

if [ -z "${TRAIN_BACKEND:-}" ]; then
  if "$PYTHON" -c "import jax" 2>/dev/null; then TRAIN_BACKEND=jax; else TRAIN_BACKEND=tensorflow; fi
fi
JIT=()
[ "$TRAIN_BACKEND" = jax ] && JIT=(--jit-compile)

COMMON=(--data tinyshakespeare --epochs 200 --batch-size 64 "${JIT[@]}" "${RESUME_FLAG[@]}"
  --set seq_len=128 --set steps_per_epoch=200 --set patience=8 --set seed=1234 --set "max_minutes=$MINUTES")
LSTM=(--set architecture=lstm --set units=256 --set num_layers=2 --set embedding_dim=64
  --set dropout=0.2 --set learning_rate=0.003)

if [ -z "${TARGET:-}" ]; then
  TARGET=$("$PYTHON" -c "
from nlpsuite.data import registry
from nlpsuite.tasks.poetry import PoetryConfig, preprocess
from nlpsuite.tasks.poetry.preprocess import CharCodec
from nlpsuite.tasks.poetry.sizing import parameter_count
config = PoetryConfig(architecture='lstm', units=256, num_layers=2, embedding_dim=64)
data = preprocess.load_corpus(registry.resolve('tinyshakespeare'), config.forms, config.simplified, 0)
print(parameter_count(len(CharCodec.build(data, config.max_vocab, config.min_count)), config))")
fi
echo "matching $TARGET parameters; $MINUTES minutes per model; backend $TRAIN_BACKEND"

for ARCH in $ONLY; do
  case "$ARCH" in
    lstm) SETTINGS=("${LSTM[@]}") ;;
    rwkv) SETTINGS=(--set architecture=rwkv --set num_layers=4 --set match_parameters="$TARGET"
            --set dropout=0.1 --set learning_rate=0.002) ;;
    transformer) SETTINGS=(--set architecture=transformer --set num_layers=4 --set num_heads=4
            --set match_parameters="$TARGET" --set dropout=0.1 --set learning_rate=0.001) ;;
    gru) SETTINGS=(--set architecture=gru --set num_layers=2 --set embedding_dim=64 --set match_parameters="$TARGET"
            --set dropout=0.2 --set learning_rate=0.003) ;;
    *) echo "error: unknown architecture $ARCH in ONLY (lstm, gru, rwkv, transformer)" >&2; exit 2 ;;
  esac
  echo "== poetry-en-$ARCH"
  KERAS_BACKEND="$TRAIN_BACKEND" "$PYTHON" -m nlpsuite train poetry --out "$OUT/poetry-en-$ARCH" \
    "${COMMON[@]}" "${SETTINGS[@]}"
  "$PYTHON" -m nlpsuite evaluate --model "$OUT/poetry-en-$ARCH" --data tinyshakespeare --save
done

[ "${SKIP_BENCH:-0}" = 1 ] || "$PYTHON" -m bench architectures
