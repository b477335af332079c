#!/usr/bin/env bash
# `make train-all`: the training queue. Trains the committed models one after another, never two at
# once (a 2-core CPU shared by two trainings runs each 5-25x slower), each with its own wall-clock
# budget and early stopping, then evaluates each on its held-out split (`evaluate --save`).
#
#   QUEUE="translation-spa-en sentiment poetry-en"  which entries, in order (default: all, below)
#   RESUME=1         continue interrupted entries from their checkpoints (<out>.ckpt)
#   OUT_ROOT=DIR     where model folders go (default saved_models)
#
# Each entry runs its `scripts/train_<app>.sh` (the same recipe `make train-<app>` runs), with that
# script's budget variables. The queue holds the machine-wide lock that `../shared/tools/heavy` uses
# (HEAVY_LOCK, default /tmp/nlpsuite-heavy.lock), so a benchmark or a second queue started through
# it waits instead of running alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
QUEUE=${QUEUE:-"translation-spa-en translation-zh-en sentiment-en sentiment-zh poetry-en poetry-zh ner-en ner-zh stock"}

if [ -z "${NLPSUITE_QUEUE_LOCKED:-}" ]; then
  lock=${HEAVY_LOCK:-$(dirname "$(mktemp -u)")/nlpsuite-heavy.lock}
  exec 9>>"$lock"
  if ! flock -n 9; then
    echo "train-all: waiting for: $(cat "$lock.who" 2>/dev/null || echo 'another heavy job')" >&2
    flock 9
  fi
  echo "pid $$ since $(date +%H:%M:%S): make train-all ($QUEUE)" > "$lock.who"
  export NLPSUITE_QUEUE_LOCKED=1
fi

for entry in $QUEUE; do
  echo "== $(date +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg): $entry"
  case "$entry" in
    translation-spa-en) ONLY=spa-en bash scripts/train_translation.sh ;;
    translation-zh-en)  ONLY=zh-en bash scripts/train_translation.sh ;;
    sentiment)          bash scripts/train_sentiment.sh ;;
    sentiment-en)       ONLY=en bash scripts/train_sentiment.sh ;;
    sentiment-zh)       ONLY=zh bash scripts/train_sentiment.sh ;;
    poetry-en)          ONLY=en bash scripts/train_poetry.sh ;;
    poetry-zh)          ONLY=zh bash scripts/train_poetry.sh ;;
    ner-en)             NER_MODELS=ner-en bash scripts/train_ner.sh ;;
    ner-zh)             NER_MODELS=ner-zh bash scripts/train_ner.sh ;;
    stock)              bash scripts/train_stock.sh ;;
    *) echo "train-all: unknown entry '$entry'" >&2; exit 2 ;;
  esac
  echo "== $(date +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg): $entry done"
done
