"""NER inference speed: one 30-token sentence after warm-up, and sentences/s at batch 256.

Uses the committed ``saved_models/ner-en`` and ``ner-zh`` when present; otherwise an untrained network of the
default architecture (speed does not depend on the weights) over the test fixtures' vocabulary. Timing goes
through ``NerTask.predict``/``tag`` and the compiled inference function, as an app call does.
Targets (issue 3): <= 20 ms per sentence, >= 1,000 sentences/s at batch 256.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

NAME = "ner"
ROOT = Path(__file__).resolve().parent.parent
SENTENCE_EN = (
    "The European Union 's foreign ministers met in Brussels on Monday , and Angela Merkel told "
    "Reuters that Germany would support the new trade deal with Japan next year ."
)
SENTENCE_ZH = "张伟先生，中国国籍，无境外居留权，现任北京华为技术有限公司董事长兼总经理。"


def _task(name: str) -> tuple[Any, str]:
    import nlpsuite

    directory = ROOT / "saved_models" / name
    if (directory / "config.json").exists():
        return nlpsuite.load(directory), f"saved_models/{name}"
    return _untrained(name), "untrained default architecture (no saved model)"


def _untrained(name: str) -> Any:
    from nlpsuite.data import conll
    from nlpsuite.tasks.ner import NerConfig, NerTask
    from nlpsuite.tasks.ner import model as ner_model
    from nlpsuite.tasks.ner.preprocess import NerPreprocessor

    zh = name.endswith("zh")
    folder = ROOT / "tests" / "fixtures" / "ner" / ("zh" if zh else "en")
    sentences = conll.read_conll(conll.find_split(folder, "train"))
    config = NerConfig(language="zh" if zh else "en", bigrams=zh)
    preprocessor = NerPreprocessor.build(
        sentences,
        scheme="BIOES",
        data_scheme="BMES" if zh else "BIO",
        language=config.language,
        use_bigrams=zh,
        use_chars=not zh,
    )
    return NerTask(
        config, ner_model.build_model(config, preprocessor), {"preprocessor": preprocessor}
    )


def _tokens(sentence: str, n: int, language: str) -> list[str]:
    from nlpsuite.data.text import tokenize

    tokens = [t.text for t in tokenize(sentence, language)]
    return (tokens * (n // len(tokens) + 1))[:n]


def _latency(task: Any, text: str, repeats: int) -> float:
    task.predict([text])  # warm-up: traces and compiles the inference function
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task.predict([text])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _throughput(task: Any, sentences: list[list[str]], repeats: int) -> float:
    task.tag(sentences[:256])  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        task.tag(sentences)
    return repeats * len(sentences) / (time.perf_counter() - start)


def run(quick: bool = False) -> list[dict]:
    """One row per model; ``quick`` times ner-en only, without XLA, with a few repeats (a smoke test)."""
    rows = []
    models = (("ner-en", SENTENCE_EN, "en"), ("ner-zh", SENTENCE_ZH, "zh"))
    for name, sentence, language in models[:1] if quick else models:
        task, source = _task(name)
        if quick:
            task.config.predict_jit = False
        task.config.predict_batch_size = 256
        tokens = _tokens(sentence, 30, language)
        text = " ".join(tokens) if language == "en" else "".join(tokens)
        latency = _latency(task, text, 3 if quick else 50)
        batch = [tokens] * (256 if quick else 1024)
        speed = _throughput(task, batch, 1 if quick else 3)
        rows.append(
            {
                "model": name,
                "weights": source,
                "xla_predict": bool(task.config.predict_jit),
                "latency_ms_30_tokens": round(latency, 2),
                "target_ms": 20.0,
                "sentences_per_s_batch256": round(speed, 1),
                "target_per_s": 1000.0,
                "meets_targets": latency <= 20.0 and speed >= 1000.0,
            }
        )
    return rows
