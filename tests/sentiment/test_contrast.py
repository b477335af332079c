"""Contrast rules: which clause decides, Hu et al.'s projection, the teacher's targets, and the task serving them."""

from __future__ import annotations

import numpy as np
import pytest

import nlpsuite
from nlpsuite.errors import OptionError
from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask
from nlpsuite.tasks.sentiment.contrast import RuleTeacher, dominant_clause, rule_projected, rule_projection
from nlpsuite.tasks.sentiment.model import compiled_model

from .conftest import TINY


def _clause(text: str, language: str = "en") -> str | None:
    tokens = text.split()
    span = dominant_clause(tokens, language)
    return None if span is None else " ".join(tokens[slice(*span)])


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("a gripping film , though the ending drags a little .", "a gripping film"),
        ("slow to start , but a moving ending", "a moving ending"),
        ("although the plot is thin , the cast is superb", "the cast is superb"),
        ("funny , even though it runs long", "funny"),
        ("Good acting BUT a weak script", "a weak script"),  # compared lower-cased
        ("but", None),  # a connective with no words on either side
        ("the film is good but", None),
        ("but the film is good", None),  # no first clause: nothing to contrast
        ("nothing to contrast here", None),
    ],
)
def test_dominant_clause_follows_the_rule_table(text, clause):
    assert _clause(text) == clause


def test_other_languages_have_no_rules():
    assert dominant_clause(["这", "部", "电影", "很", "好", "但是", "太", "长"], "zh") is None


def test_removed_tokens_count_as_no_words():
    # Occlusion replaces a token by padding (read back as ""): a clause of removed tokens is no clause.
    assert dominant_clause(["good", "but", "", ""], "en") is None


def test_projection_moves_towards_the_clause_and_strength_zero_changes_nothing():
    sentence = np.array([[0.7, 0.3], [0.5, 0.5]])
    clause = np.array([[0.1, 0.9], [0.5, 0.5]])
    np.testing.assert_allclose(rule_projection(sentence, clause, 0.0), sentence)
    q = rule_projection(sentence, clause, 6.0)
    assert q[0, 1] > 0.9 and np.allclose(q[1], [0.5, 0.5]) and np.allclose(q.sum(-1), 1.0)
    # a confident clause must not underflow into NaN
    assert np.isfinite(rule_projection(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), 500.0)).all()


def test_rule_projected_changes_only_texts_with_a_clause():
    def network(texts):
        return np.array([[0.0, 1.0] if 9 in x else [1.0, 0.0] for x in texts])

    probabilities = np.array([[0.8, 0.2], [0.8, 0.2]])
    out = rule_projected(probabilities, [np.array([3, 9]), np.array([3, 9])], [(1, 2), None], network, 6.0)
    assert out[0, 1] > 0.5 and np.allclose(out[1], probabilities[1])
    assert np.allclose(probabilities, [[0.8, 0.2], [0.8, 0.2]])  # the input is not modified


def test_teacher_leaves_texts_without_a_rule_and_the_first_epoch_on_gold_labels():
    def network(texts):
        return np.array([[0.1, 0.9]] * len(texts))

    teacher = RuleTeacher(np.array([0, 0]), 2, [np.array([3, 4]), np.array([5])], [(1, 2), None], network,
                          strength=6.0, imitation=0.6)
    targets = teacher.targets  # the array the dataset reads: updated in place
    np.testing.assert_array_equal(targets, [[1, 0], [1, 0]])
    teacher.on_epoch_end(0)
    assert teacher.targets is targets
    assert 0.0 < targets[0, 1] <= 0.6 and np.allclose(targets.sum(-1), 1.0)
    np.testing.assert_array_equal(targets[1], [1, 0])


def test_rule_options_are_checked():
    with pytest.raises(OptionError, match="rule_imitation"):
        SentimentConfig(contrast_rules=True, rule_imitation=1.5).validate()
    with pytest.raises(OptionError, match="rule_strength"):
        SentimentConfig(contrast_rules=True, rule_strength=-1.0).validate()


def test_rules_train_on_target_distributions():
    assert compiled_model(30, 2, SentimentConfig(embedding_dim=4, units=4, contrast_rules=True)).loss == \
        "categorical_crossentropy"


def test_a_rule_model_trains_serves_the_projection_names_the_clause_and_reloads(en_data, tmp_path):
    config = SentimentConfig(**{**TINY, "epochs": 2, "contrast_rules": True})
    task = SentimentTask.train(en_data, config, out=None)
    texts = ["a wonderful cast , but a dull , tedious plot", "the acting was wonderful"]
    ids = task.encode(texts)
    network = task._network_probabilities(ids)
    served = task.class_probabilities(texts)
    clause = task._network_probabilities(task.encode(["a dull , tedious plot"]))
    np.testing.assert_allclose(served[0], rule_projection(network[:1], clause, config.rule_strength)[0], atol=1e-5)
    np.testing.assert_allclose(served[1], network[1], atol=1e-6)  # no connective: the network's answer
    first, second = task.predict(["the acting was wonderful , though the plot was dull", texts[1]])
    assert first["deciding_clause"] == "the acting was wonderful" and "deciding_clause" not in second
    task.save(tmp_path / "rules")
    loaded = nlpsuite.load(tmp_path / "rules")
    assert loaded.config.contrast_rules
    np.testing.assert_allclose(loaded.class_probabilities(texts), served, atol=1e-5)



def test_the_dataset_reads_targets_when_it_makes_a_batch():
    # The teacher rewrites its targets in place after an epoch; the next pass over the dataset must see them.
    from nlpsuite.tasks.sentiment.data import make_dataset

    targets = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    dataset = make_dataset([np.array([3, 4]), np.array([5])], targets, 2, shuffle=True, seed=0)
    first = {tuple(np.asarray(x)[i][:2]): np.asarray(y)[i].tolist() for x, y in dataset for i in range(2)}
    targets[:] = [[0.25, 0.75], [0.5, 0.5]]
    second = {tuple(np.asarray(x)[i][:2]): np.asarray(y)[i].tolist() for x, y in dataset for i in range(2)}
    assert first == {(3, 4): [1.0, 0.0], (5, 0): [0.0, 1.0]}
    assert second == {(3, 4): [0.25, 0.75], (5, 0): [0.5, 0.5]}
