"""Tiny sentiment data and one tiny English model, trained once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sentiment"
# Small and fast, yet enough to learn the fixtures' sentiment words in a few epochs.
TINY = {
    "embedding_dim": 16,
    "units": 16,
    "attention_units": 8,
    "bidirectional": True,
    "pooling": "attention",
    "learning_rate": 0.02,
    "batch_size": 32,
    "epochs": 6,
    "patience": 6,
    "dev_fraction": 0.1,
}


@pytest.fixture(scope="session")
def en_data() -> Path:
    return FIXTURES / "en"


@pytest.fixture(scope="session")
def zh_data() -> Path:
    return FIXTURES / "zh"


@pytest.fixture(scope="session")
def tiny_task(en_data):
    from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask

    return SentimentTask.train(en_data, SentimentConfig(**TINY), out=None)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, tiny_task) -> Path:
    """A ``saved_models``-style folder holding the tiny model as ``sentiment-en``."""
    root = tmp_path_factory.mktemp("sentiment-models")
    tiny_task.save(root / "sentiment-en")
    return root
