"""One tiny English NER model, trained once per session on the fixture and shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ner"

# Small enough to train in seconds, big enough to learn the fixture's templates.
TINY = {
    "epochs": 12,
    "batch_size": 8,
    "learning_rate": 0.02,
    "word_dim": 16,
    "char_dim": 8,
    "char_output_dim": 16,
    "casing_dim": 4,
    "units": 16,
    "dropout": 0.0,
    "patience": 12,
    "unk_replace": 0.0,
    "predict_batch_size": 16,
    "predict_jit": False,  # XLA compiles per shape; test_task checks it once
}


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def tiny_trained(tmp_path_factory):
    """The tiny model as ``train`` returned it, in memory (never reloaded): the save/load oracle's
    reference."""
    from nlpsuite.tasks.ner import NerConfig, NerTask

    out = tmp_path_factory.mktemp("models") / "ner-en"
    return NerTask.train(FIXTURES / "en", NerConfig(**TINY), out=out), out


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_trained) -> Path:
    """``<tmp>/models/ner-en``: a trained, saved tiny model (the layout the app expects)."""
    task, out = tiny_trained
    task.save(out)
    task.write_metrics(out, task.evaluate(FIXTURES / "en"))
    return out


@pytest.fixture(scope="session")
def tiny_task(tiny_model_dir):
    import nlpsuite

    return nlpsuite.load(tiny_model_dir)
