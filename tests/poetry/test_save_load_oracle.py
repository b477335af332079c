"""Poetry oracles: save/load against the trained object, and bits per character against a model whose
prediction is known exactly (uniform over its vocabulary: log2(V) bits, perplexity V)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nlpsuite
from nlpsuite.tasks.poetry import PoetryTask
from nlpsuite.tasks.poetry.model import LOGITS

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def trained_and_loaded(zh_trained, zh_model_dir):
    """The session's poem model as trained (in memory) and as reloaded from its saved folder."""
    return zh_trained[0], nlpsuite.load(zh_model_dir)


def test_reloaded_task_writes_the_same_seeded_poems(trained_and_loaded):
    trained, loaded = trained_and_loaded
    assert loaded.model is not trained.model
    assert loaded.codec.vocab.tokens == trained.codec.vocab.tokens
    for form, seed, extra in [("wujue", 1, {}), ("qilv", 2, {"rhyme": True}), ("qijue", 3, {"acrostic": "床花秋月"}),
                              ("wulv", 4, {"temperature": 0.5, "top_k": 5})]:
        options = {"form": form, "seed": seed, **extra}
        assert loaded.predict(["", "床前"], **options) == trained.predict(["", "床前"], **options)
    # The logits themselves, unrounded, on a batch of real ids.
    rng = np.random.default_rng(0)
    ids = rng.integers(1, len(trained.codec), (3, 12))
    np.testing.assert_array_equal(loaded.model.predict_on_batch(ids), trained.model.predict_on_batch(ids))
    # Different seeds give different poems: the model is sampled, not a fixed string.
    texts = {trained.predict([""], form="wujue", seed=s)[0]["text"] for s in range(4)}
    assert len(texts) > 1


def _uniform(task: PoetryTask) -> PoetryTask:
    """The task with its output layer zeroed: every next character has probability 1 / V."""
    output = task.model.get_layer(LOGITS)
    output.set_weights([np.zeros_like(w) for w in output.get_weights()])
    return task


@pytest.mark.parametrize("which", ["poems", "text"])
def test_bits_per_char_of_a_uniform_model_is_log2_of_the_vocabulary(which, zh_model_dir, en_model_dir, poems_json):
    """A published identity rather than the implementation's own formula: a model that spreads its
    probability evenly over V symbols has cross-entropy log2(V) bits and perplexity V."""
    directory, data = {"poems": (zh_model_dir, poems_json), "text": (en_model_dir, FIXTURES / "tiny.txt")}[which]
    task = _uniform(nlpsuite.load(directory))
    vocabulary = len(task.codec)
    metrics = task.evaluate(str(data), split="test")
    assert metrics["bits_per_char"] == pytest.approx(math.log2(vocabulary), rel=1e-5)
    assert metrics["perplexity"] == pytest.approx(vocabulary, rel=1e-5)
    assert metrics["characters"] > 0
