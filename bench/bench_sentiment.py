"""Sentiment scoring throughput: short texts per second at batch 256 on this machine.

Rows: the compiled inference function alone (token ids in, probabilities out), the whole
``task.predict`` (tokenising, batching by length, the compiled call), and, for comparison,
``model.predict`` called once per batch. Uses ``saved_models/sentiment-en`` / ``-zh`` when present,
else an untrained model of the same shape (speed does not depend on the weights).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

NAME = "sentiment"
BATCH = 256
ROOT = Path(__file__).resolve().parents[1]
SENTENCE = (
    "the film is a charming and often affecting journey but its plot feels thin and the acting "
    "never quite lands yet the music and cast make it worth seeing"
)
WORDS = tuple(SENTENCE.split())
HAN = "这个酒店房间很干净服务也不错就是早餐一般位置方便价格合理下次还会再来"


def _task(name: str, bidirectional: bool = True) -> tuple[Any, str]:
    import nlpsuite
    from nlpsuite.data.tokenize import default_tokenizer
    from nlpsuite.data.vocab import Vocabulary
    from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask, build_model

    folder = ROOT / "saved_models" / name
    if (folder / "config.json").exists():
        return nlpsuite.load(folder), "saved"
    language = name.rsplit("-", 1)[-1]
    config = SentimentConfig(bidirectional=bidirectional, pooling="attention", units=128)
    vocab = Vocabulary.build([list(HAN), WORDS])
    assets = {"tokenizer": default_tokenizer(language), "vocab": vocab, "labels": ["neg", "pos"]}
    return SentimentTask(config, build_model(len(vocab), 2, config), assets), "untrained"


def _texts(language: str, count: int, rng: np.random.Generator) -> list[str]:
    """SST-like lengths (median ~10 words) or ~40-character Chinese reviews."""
    if language == "zh":
        return ["".join(rng.choice(list(HAN), size=rng.integers(20, 60))) for _ in range(count)]
    return [" ".join(rng.choice(WORDS, size=rng.integers(4, 20))) for _ in range(count)]


def _rates(fn: Any, items: int, repeats: int) -> dict[str, float]:
    """Best and median texts/s over ``repeats`` timed calls; the best (timeit's convention) is the
    least disturbed by other processes on a shared machine."""
    fn()  # warm-up: tracing/compilation is paid once, not per call
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        rates.append(items / (time.perf_counter() - start))
    return {"texts/s best": max(rates), "texts/s median": float(np.median(rates))}


def run(quick: bool = False) -> list[dict]:
    import keras

    from nlpsuite.data.tokenize import pad

    rng = np.random.default_rng(0)
    repeats = 1 if quick else 7
    rows = []
    for name in ("sentiment-en",) if quick else ("sentiment-en", "sentiment-zh"):
        task, weights = _task(name)
        texts = _texts(name.rsplit("-", 1)[-1], BATCH * (1 if quick else 4), rng)
        ids = task.encode(texts)
        batches = [pad(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]
        forward = task.inference_function()

        def compiled(forward=forward, batches=batches) -> None:
            for batch in batches:
                keras.ops.convert_to_numpy(forward(batch))

        def end_to_end(task=task, texts=texts) -> None:
            task.predict(texts)

        mean_tokens = float(np.mean([len(x) for x in ids]))
        common = {"model": name, "weights": weights, "batch": BATCH, "mean tokens": mean_tokens}
        rows.append({**common, "path": "compiled forward", **_rates(compiled, len(texts), repeats)})
        rows.append({**common, "path": "task.predict", **_rates(end_to_end, len(texts), repeats)})
        if not quick:
            model = task.model

            def keras_predict(model=model, batches=batches) -> None:
                for batch in batches:
                    model.predict(batch, batch_size=BATCH, verbose=0)

            rows.append(
                {
                    **common,
                    "path": "model.predict per batch",
                    **_rates(keras_predict, len(texts), repeats),
                }
            )
    for row in rows:
        row["target 2,000/s (best)"] = "met" if row["texts/s best"] >= 2000 else "missed"
    return rows
