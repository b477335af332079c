#!/usr/bin/env bash
# Trains and evaluates the committed sentiment models (what `make train-sentiment` runs):
#   saved_models/sentiment-en  SST-2: train minus a carved dev split; test = GLUE SST-2 dev
#   saved_models/sentiment-zh  ChnSentiCorp: train deduplicated against dev; test = its dev split
# Each model trains into a temp folder first and replaces saved_models/<name> only when it is evaluated.
# Resumable: rerun with RESUME=1 after an interruption. ONLY=en|zh trains one of them.
# Up to 15 epochs with early stopping on carved-dev accuracy (patience 3): the committed models of
# session 1 stopped at the 6-epoch cap while still improving.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT_ROOT=${OUT_ROOT:-/tmp/nlpsuite-models}
RESUME_FLAG=()
[ "${RESUME:-0}" = 1 ] && RESUME_FLAG=(--resume)
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
mkdir -p "$OUT_ROOT" saved_models

train_one() {  # name data options...
  local name=$1 data=$2; shift 2
  "$PY" -m nlpsuite train sentiment --data "$data" --out "$OUT_ROOT/$name" "${RESUME_FLAG[@]}" "$@"
  "$PY" -m nlpsuite evaluate --model "$OUT_ROOT/$name" --data "$data" --save
  # Replace the committed model only when the new one scored higher on its dev split while training
  # (best_dev in config.json; the choice is made on dev, not test) and its held-out accuracy did not fall
  # (a retrained model is committed when its metrics improve). A committed model that records no dev score
  # is kept; FORCE=1 replaces it anyway. The new one stays in $OUT_ROOT for inspection.
  if [[ "${FORCE:-0}" == 1 ]] || "$PY" - "$OUT_ROOT/$name" "saved_models/$name" <<'PYEOF'
import json, pathlib, sys
new, old = (pathlib.Path(p) for p in sys.argv[1:])
def read(folder, name):
    return json.loads((folder / name).read_text()) if (folder / name).exists() else {}
def dev(folder):
    return read(folder, "config.json").get("info", {}).get("best_dev", {}).get("value")
new_dev, old_dev = dev(new), dev(old)
new_acc, old_acc = read(new, "metrics.json").get("accuracy"), read(old, "metrics.json").get("accuracy")
better = not old.exists() or (
    None not in (new_dev, old_dev, new_acc, old_acc) and new_dev > old_dev and new_acc >= old_acc
)
print(f"{new.name}: dev {new_dev} (committed {old_dev}), test {new_acc} (committed {old_acc}): "
      f"{'replacing' if better else 'keeping'} the committed model")
sys.exit(0 if better else 1)
PYEOF
  then
    rm -rf "saved_models/$name"
    cp -r "$OUT_ROOT/$name" "saved_models/$name"
  fi
}

if [[ -z "${ONLY:-}" || "${ONLY}" == en ]]; then
  # Session 6: English contrast rules (Hu et al. 2016 rule distillation; they make the page example right)
  # and a fastText member on hashed word 1-2-grams (about +2 points on both SST-2 test sets in two seeds);
  # seed 1 was chosen over 1234 on carved-dev accuracy. The card has the eight runs measured.
  train_one sentiment-en sst2 --epochs 15 --batch-size 64 \
    --set bidirectional=true --set pooling=attention --set units=128 --set dropout=0.4 \
    --set min_count=2 --set patience=3 --set seed=1 --set contrast_rules=true \
    --set ngram_order=2 --set ngram_buckets=131072 --set ngram_member=true
fi
if [[ -z "${ONLY:-}" || "${ONLY}" == zh ]]; then
  # Chosen in session 4 on carved-dev accuracy (10% carve) among six recipes (the card has the table):
  # jieba words over characters, attention over max pooling, lr 5e-4 over 1e-3; word dropout did not help.
  # Every recipe peaks by epoch 2-3 (0.08 s/step, 2.5 min): the data, not the time, limits it.
  # Session 6: a fastText member on hashed jieba 1-2-grams, learning 20x faster (ngram_step_scale), averaged
  # with the BiGRU: carved dev 0.8847 -> 0.9011 (the card has the six n-gram variants measured).
  train_one sentiment-zh chnsenticorp --epochs 30 --batch-size 32 --set tokenizer=jieba \
    --set bidirectional=true --set pooling=attention --set units=128 --set dropout=0.5 \
    --set min_count=2 --set patience=5 --set max_length=256 --set learning_rate=0.0005 \
    --set dev_fraction=0.1 --set max_minutes=10 \
    --set ngram_order=2 --set ngram_buckets=131072 --set ngram_member=true --set ngram_step_scale=20
fi
