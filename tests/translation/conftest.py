"""Shared fixtures: a toy 'reverse the words' language and one small model trained on it (once)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "translation"
WORDS = ["ba", "ko", "mi", "tu", "la", "ne", "si", "ro", "pe", "da"]
# Small enough to train in seconds, big enough to learn reversal: checked by test_toy_language.
TOY_SETTINGS = [
    "direction=toy-en", "source_vocabulary_size=40", "target_vocabulary_size=40", "max_length=12",
    "embedding_dim=32", "units=64", "attention_units=32", "dropout=0.0", "label_smoothing=0.0",
    "dev_fraction=0.05", "test_fraction=0.05", "dev_bleu_sentences=100", "steps_per_epoch=70",
    "learning_rate=0.01", "beam_size=3",
]


def toy_pairs(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """(source, target) where the target is the source's words in reverse order."""
    rng = random.Random(seed)
    pairs, seen = [], set()
    while len(pairs) < count:
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 7))]
        source = " ".join(words)
        if source not in seen:
            seen.add(source)
            pairs.append((source, " ".join(reversed(words))))
    return pairs


@pytest.fixture(scope="session")
def toy_file(tmp_path_factory) -> Path:
    """An Anki-style file, English (here: the reversed side) first, source second."""
    path = tmp_path_factory.mktemp("toy") / "toy.txt"
    path.write_text("".join(f"{target}\t{source}\n" for source, target in toy_pairs(2500)),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def toy_model_dir(toy_file, tmp_path_factory) -> Path:
    """A toy model trained once through the CLI (``nlpsuite train translation``)."""
    from nlpsuite import cli

    out = tmp_path_factory.mktemp("models") / "translation-spa-en"
    argv = ["train", "translation", "--data", str(toy_file), "--out", str(out), "--epochs", "4",
            "--batch-size", "32"]
    for setting in TOY_SETTINGS:
        argv += ["--set", setting]
    assert cli.main(argv) == 0
    return out


@pytest.fixture(scope="session")
def toy_task(toy_model_dir):
    import nlpsuite

    return nlpsuite.load(toy_model_dir)
