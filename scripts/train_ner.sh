#!/usr/bin/env bash
# Trains and evaluates the committed NER models (what `make train-ner` runs).
#
#   ner-en: CoNLL-2003 English; train on train.txt, early stopping on valid.txt, metrics on test.txt.
#   ner-zh: Resume NER (Chinese); train on train.char.bmes, early stopping on dev, metrics on test.
#
# Environment:
#   OUT_DIR        where the model folders go (default saved_models)
#   NER_MODELS     which to build (default "ner-en ner-zh")
#   NER_MINUTES    training-time budget per model, in minutes (default 40; 0 = none)
#   NLPSUITE_DATA_DIR  folder holding ner/conll2003 and ner/resume (see `nlpsuite info`)
#   RESUME=1       continue interrupted trainings from their checkpoints
set -euo pipefail

OUT_DIR="${OUT_DIR:-saved_models}"
MODELS="${NER_MODELS:-ner-en ner-zh}"
MINUTES="${NER_MINUTES:-40}"
# The checkout's virtual environment when there is one (what `make install` builds).
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
RESUME_FLAG=()
[ "${RESUME:-0}" = 1 ] && RESUME_FLAG=(--resume)

train_one() {
  local name="$1" data="$2"
  shift 2
  echo "== training ${name} on ${data} -> ${OUT_DIR}/${name}"
  "${PYTHON}" -m nlpsuite train ner --data "${data}" --out "${OUT_DIR}/${name}" \
    --set "max_minutes=${MINUTES}" "${RESUME_FLAG[@]}" "$@"
  "${PYTHON}" -m nlpsuite evaluate --model "${OUT_DIR}/${name}" --data "${data}" --split test --save
}

for name in ${MODELS}; do
  case "${name}" in
    ner-en)
      # Words (lowercased) + character CNN + casing -> BiLSTM 2x100 -> CRF (BIOES), no external vectors.
      # Session 7: seed 1 was the best of four seeds on dev (the card has them).
      train_one ner-en conll2003 --epochs 40 --batch-size 64 \
        --set language=en --set word_dim=100 --set char_encoder=cnn --set char_dim=30 \
        --set char_output_dim=50 --set units=100 --set dropout=0.5 --set optimizer=adam \
        --set learning_rate=0.0015 --set patience=6 --set seed=1
      ;;
    ner-zh)
      # Characters + character bigrams + softword (jieba B/M/E/S) + casing -> BiLSTM 2x100 -> CRF (BIOES);
      # Resume is BMES. Session 7: softword (embedding 50) raised dev F1 by 0.68 on average over three
      # paired seeds; seed 2 was the best of them on dev (the card has the table).
      train_one ner-zh resume --epochs 60 --batch-size 32 \
        --set language=zh --set word_dim=100 --set bigram_dim=50 --set units=100 --set dropout=0.4 \
        --set optimizer=adam --set learning_rate=0.002 --set patience=8 \
        --set softword=true --set softword_dim=50 --set seed=2
      ;;
    *)
      echo "unknown NER model ${name}; use ner-en or ner-zh" >&2
      exit 2
      ;;
  esac
done
