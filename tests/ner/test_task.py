"""NerTask: a tiny model trains on the fixture, evaluates, predicts raw text, tags documents, saves/loads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlpsuite.data import conll
from nlpsuite.errors import NlpsuiteError

from ..oracles.tag_rules import violation


def test_tiny_model_learns_the_fixture(tiny_task, fixtures):
    metrics = tiny_task.evaluate(fixtures / "en", split="test")
    assert set(metrics) >= {"f1", "precision", "recall", "per_type"}
    assert metrics["scheme"] == "BIO" and metrics["entities"] == 28
    assert 0.0 <= metrics["precision"] <= 1.0 and 0.0 <= metrics["recall"] <= 1.0
    assert metrics["f1"] > 0.6, metrics
    assert set(metrics["per_type"]) == {"LOC", "MISC", "ORG", "PER"}
    assert all(
        set(v) == {"precision", "recall", "f1", "support"} for v in metrics["per_type"].values()
    )


def test_predict_returns_entities_with_offsets_and_confidence(tiny_task):
    text = "Sarah Jones works for Siemens in Tokyo ."
    (result,) = tiny_task.predict([text])
    assert result["text"] == text
    found = {(e["text"], e["type"]) for e in result["entities"]}
    assert ("Sarah Jones", "PER") in found
    for entity in result["entities"]:
        assert set(entity) == {"text", "type", "start", "end", "score"}
        assert text[entity["start"] : entity["end"]] == entity["text"]
        assert 0.0 < entity["score"] <= 1.0
    json.dumps(result)  # plain JSON types only


def test_predict_handles_empty_and_batches(tiny_task):
    texts = [
        "",
        "   ",
        "Anna visited Kenya on Monday .",
        "Officials in London met FIFA officials .",
    ] * 5
    results = tiny_task.predict(texts)
    assert len(results) == len(texts)
    assert results[0]["entities"] == [] and results[1]["entities"] == []
    # Batching (predict_batch_size=16) and length sorting must not change a sentence's result.
    assert results[2] == tiny_task.predict([texts[2]])[0]


def test_min_score_filters_and_unknown_options_fail(tiny_task):
    assert tiny_task.predict(["Anna visited Kenya ."], min_score=1.01)[0]["entities"] == []
    with pytest.raises(NlpsuiteError, match="unknown predict option"):
        tiny_task.predict(["x"], beam_size=3)


def test_xla_predict_matches_the_plain_graph(tiny_task):
    texts = ["Sarah Jones works for Siemens in Tokyo .", "Anna visited Kenya on Monday ."]
    plain = tiny_task.predict(texts)
    tiny_task.config.predict_jit = True
    try:
        xla = tiny_task.predict(texts)
    finally:
        tiny_task.config.predict_jit = False
    for a, b in zip(plain, xla, strict=True):
        assert [(e["start"], e["end"], e["type"]) for e in a["entities"]] == [
            (e["start"], e["end"], e["type"]) for e in b["entities"]
        ]
        np.testing.assert_allclose([e["score"] for e in a["entities"]],
                                   [e["score"] for e in b["entities"]], atol=2e-3)


def test_marginal_scores_are_probabilities(tiny_task):
    batch = tiny_task.preprocessor.batch([["Anna", "visited", "Kenya"], ["Reuters"]])
    tags, marginals = tiny_task._inference()(batch.inputs, True)
    assert tags.shape == marginals.shape[:2]
    np.testing.assert_allclose(marginals[0, :3].sum(-1), 1.0, atol=1e-4)
    np.testing.assert_allclose(marginals[1, 1:].sum(-1), 0.0, atol=1e-6)


def test_tag_and_tag_document(tiny_task):
    tags = tiny_task.tag([["Anna", "visited", "Kenya", "."]])
    # A valid BIO sequence (own checker, written from the scheme), not merely four known tags.
    assert len(tags[0]) == 4 and violation(tags[0], "BIO") is None, tags[0]
    doc = tiny_task.tag_document(
        "EU NNP B-ORG\nrejects VBZ O\n\nAnna NNP B-PER\n", source="up.conll"
    )
    assert doc["format"] == "conll" and doc["sentences"] == 2
    rows = [line.split("\t") for line in doc["conll"].splitlines() if line]
    assert [r[:2] for r in rows] == [["EU", "NNP"], ["rejects", "VBZ"], ["Anna", "NNP"]]
    text = tiny_task.tag_document("Anna visited Kenya on Monday.\n\nJohn Smith works for FIFA.\n")
    assert text["format"] == "text" and text["sentences"] == 2
    assert conll.parse_conll(text["conll"])[0].tokens[-1] == "."
    with pytest.raises(NlpsuiteError, match="no text to tag"):
        tiny_task.tag_document("\n \n", fmt="text")


def test_saved_folder_and_reload(tiny_model_dir, tiny_trained):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["task"] == "ner" and config["config"]["language"] == "en"
    assert (tiny_model_dir / "assets" / "preprocessor.json").exists()
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert {"f1", "precision", "recall", "per_type"} <= set(metrics)
    card = (tiny_model_dir / "MODEL_CARD.md").read_text()
    assert "Training time" in card and "Hardware" in card and "f1" in card
    assert not (
        tiny_model_dir.parent / "ner-en.ckpt"
    ).exists()  # checkpoints go after a finished run
    import nlpsuite

    again = nlpsuite.load(tiny_model_dir)
    text = ["Maria Garcia won the Olympic title ."]
    assert again.predict(text) == tiny_trained[0].predict(text)  # the object train returned, in memory


def test_evaluate_on_a_file_and_bad_data(tiny_task, fixtures, tmp_path):
    metrics = tiny_task.evaluate(fixtures / "en" / "valid.txt")
    assert metrics["file"] == "valid.txt" and metrics["sentences"] == 12
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("Anna B-ANIMAL\n", encoding="utf-8")
    assert tiny_task.evaluate(unknown)["per_type"]["ANIMAL"]["recall"] == 0.0
    with pytest.raises(NlpsuiteError, match="not found"):
        tiny_task.evaluate(tmp_path / "missing.txt")
