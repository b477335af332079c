"""NER oracles: the reloaded task equals the trained one, and every decoded tag sequence is valid.

The validity rules come from ``tests/oracles/tag_rules.py``, written from the schemes' definitions;
the CRF's own constraint masks are never consulted.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import nlpsuite
from nlpsuite.tasks.ner.model import CRF_LAYER

from ..oracles.tag_rules import violation
from .conftest import FIXTURES, TINY

SENTENCES = [
    "Sarah Jones works for Siemens in Tokyo .",
    "Maria Garcia won the Olympic title .",
    "Officials in London met FIFA officials on Monday .",
    "anna visited kenya",
    "EU",
]


def test_reloaded_task_gives_identical_tags_and_scores(tiny_trained, tiny_model_dir):
    trained, _ = tiny_trained
    loaded = nlpsuite.load(tiny_model_dir)
    assert loaded is not trained and loaded.model is not trained.model
    assert loaded.predict(SENTENCES) == trained.predict(SENTENCES)
    tokens = [s.split() for s in SENTENCES]
    for (ids_a, marg_a), (ids_b, marg_b) in zip(trained._run(tokens, True), loaded._run(tokens, True), strict=True):
        np.testing.assert_array_equal(ids_b, ids_a)
        np.testing.assert_array_equal(marg_b, marg_a)  # the same float32 weights, the same graph: bit-identical
    # The reloaded preprocessor maps words exactly as the trained one (vocabularies, casing, chars).
    assert loaded.preprocessor.to_dict() == trained.preprocessor.to_dict()


# ---------------------------------------------------------------------------------- constraints


def _hostile_sentences(task, count: int = 160, seed: int = 0) -> list[list[str]]:
    """Random vocabulary words, unknown strings, odd casing, punctuation runs, emoji, one-token and
    long sentences."""
    rng = random.Random(seed)
    vocabulary = [w for w in task.preprocessor.words.tokens if not w.startswith("<")]
    junk = ["!!!", "...", "%", "12:30", "1,000,000", "🎉", "北京", "-", "''", "ÆØÅ", "x" * 40, "McDONALD", "(", ")"]
    sentences = [["."], ["EU"], ["-"] * 3, ["北京"] * 5]
    while len(sentences) < count:
        length = rng.choice([1, 2, 3, 5, 8, 13, 30, 70])
        words = []
        for _ in range(length):
            word = rng.choice(vocabulary) if rng.random() < 0.6 else rng.choice(junk)
            words.append(word.upper() if rng.random() < 0.2 else word.title() if rng.random() < 0.3 else word)
        sentences.append(words)
    return sentences


def _make_hostile(task, seed: int = 0) -> None:
    """Large random transition, boundary and emission scores: whatever the network now prefers, only
    the scheme's constraints keep the decoded paths valid."""
    rng = np.random.default_rng(seed)
    crf = task.model.get_layer(CRF_LAYER)
    for weight in (crf.transitions, crf.start_transitions, crf.end_transitions):
        weight.assign(rng.normal(0.0, 20.0, weight.shape).astype("float32"))
    emissions = task.model.get_layer("emissions")
    kernel, bias = emissions.get_weights()
    emissions.set_weights([kernel * 10.0, rng.normal(0.0, 20.0, bias.shape).astype("float32")])


@pytest.fixture(scope="module")
def scheme_models(tiny_model_dir, tmp_path_factory):
    """One saved model per scheme: the session's English BIOES model, plus English BIO and Chinese
    BMES models trained for one epoch (their quality is irrelevant: the weights are replaced)."""
    from nlpsuite.tasks.ner import NerConfig, NerTask

    quick = {**TINY, "epochs": 1, "patience": 1}
    models = {"BIOES": tiny_model_dir}
    for scheme, data, extra in (("BIO", FIXTURES / "en", {}), ("BMES", FIXTURES / "zh", {"bigram_dim": 8})):
        out = tmp_path_factory.mktemp("schemes") / scheme
        NerTask.train(data, NerConfig(**quick, **extra, scheme=scheme), out=out).save(out)
        models[scheme] = out
    return models


@pytest.mark.parametrize("scheme", ["BIOES", "BIO", "BMES"])
def test_every_decoded_sequence_is_valid_under_hostile_weights(scheme_models, scheme):
    task = nlpsuite.load(scheme_models[scheme])
    assert task.preprocessor.scheme == scheme
    crf = task.model.get_layer(CRF_LAYER)
    # The task builds its CRF with the scheme's constraints and every tag's name (they survive saving).
    assert crf.get_config()["constraints"] == scheme.lower()
    assert crf.get_config()["tags"] == list(task.preprocessor.tags.tokens)
    _make_hostile(task)
    sentences = _hostile_sentences(task)
    tagged = task.tag(sentences, scheme=scheme)  # the training scheme: no conversion to repair anything
    assert [len(t) for t in tagged] == [len(s) for s in sentences]
    bad = [(s, t, violation(t, scheme)) for s, t in zip(sentences, tagged, strict=True) if violation(t, scheme)]
    assert not bad, bad[:3]
    # Raw text through predict: entity offsets cover real characters of the input.
    texts = [" ".join(s) for s in sentences[:40]]
    for text, result in zip(texts, task.predict(texts), strict=True):
        for entity in result["entities"]:
            assert text[entity["start"] : entity["end"]] == entity["text"] and entity["text"].strip()


def test_hostile_weights_break_an_unconstrained_decoder(scheme_models):
    """The oracle above has teeth: with the constraint penalties taken out of the same hostile CRF,
    Viterbi picks invalid paths."""
    task = nlpsuite.load(scheme_models["BIOES"])
    _make_hostile(task)
    task.model.get_layer(CRF_LAYER)._penalties = None  # what a CRF built without constraints has
    sentences = _hostile_sentences(task)
    tagged = task.tag(sentences, scheme="BIOES")
    invalid = sum(violation(t, "BIOES") is not None for t in tagged)
    assert invalid > len(sentences) // 4, invalid
