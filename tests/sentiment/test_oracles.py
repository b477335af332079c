"""Save/load oracle: the task reloaded from its folder scores every text exactly as the trained task
in memory did (``tiny_task`` is the object ``train`` returned; it is never reloaded)."""

from __future__ import annotations

import numpy as np

import nlpsuite

TEXTS = [
    "the acting was wonderful and the music superb",
    "a dull , tedious plot",
    "zyzzyva qwerty unseenword",  # only unknown words
    "superb " * 80,  # longer than most training texts
    "good",
]


def test_reloaded_task_gives_identical_probabilities_and_explanations(tiny_task, models_dir):
    loaded = nlpsuite.load(models_dir / "sentiment-en")
    assert loaded.model is not tiny_task.model
    trained_p = tiny_task.class_probabilities(TEXTS)
    # Not a constant model: the comparison below would pass for one whose weights were never saved.
    assert np.ptp(trained_p[:, 0]) > 0.1
    np.testing.assert_array_equal(loaded.class_probabilities(TEXTS), trained_p)  # same float32 weights: bit-equal
    assert loaded.predict(TEXTS, explain=True) == tiny_task.predict(TEXTS, explain=True)
    assert loaded.labels == tiny_task.labels
    assert [loaded.encode([t])[0].tolist() for t in TEXTS] == [tiny_task.encode([t])[0].tolist() for t in TEXTS]
