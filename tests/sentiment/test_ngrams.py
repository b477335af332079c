"""N-gram bag options: beside the encoder (one classifier) or as a fastText member averaged in."""

from __future__ import annotations

import numpy as np
import pytest

import nlpsuite
from nlpsuite.errors import OptionError
from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask, build_model
from nlpsuite.tasks.sentiment.model import averaged, build_members, compiled_model

from .conftest import TINY

SMALL = {"embedding_dim": 4, "units": 4, "ngram_order": 2, "ngram_buckets": 64, "ngram_dim": 3}
IDS = np.array([[2, 3, 4, 0], [5, 0, 0, 0]], "int32")


def test_the_bag_beside_the_encoder_keeps_one_classifier():
    model = build_model(20, 2, SentimentConfig(**SMALL))
    names = [layer.name for layer in model.layers]
    assert "ngram_bag" in names and "encoder_and_ngrams" in names and len(model.outputs) == 1


def test_the_bag_as_a_member_is_averaged_with_the_recurrent_classifier():
    config = SentimentConfig(**SMALL, ngram_member=True)
    members = build_members(20, 2, config)
    assert config.members == 2 and len(members.outputs) == 2
    served = build_model(20, 2, config)
    assert "encoder_and_ngrams" not in [layer.name for layer in served.layers]
    assert compiled_model(20, 2, config).loss == ["sparse_categorical_crossentropy"] * 2
    outputs = members.predict(IDS, verbose=0)
    np.testing.assert_allclose(averaged(members).predict(IDS, verbose=0), np.mean(outputs, 0), atol=1e-6)


def test_a_member_needs_ngram_orders_and_a_positive_step_scale():
    with pytest.raises(OptionError, match="ngram_member"):
        SentimentConfig(ngram_member=True).validate()
    with pytest.raises(OptionError, match="ngram_step_scale"):
        SentimentConfig(**SMALL, ngram_member=True, ngram_step_scale=0.0).validate()


def test_an_ngram_member_model_trains_and_reloads_in_safe_mode(en_data, tmp_path):
    config = SentimentConfig(**{**TINY, "epochs": 1, "ngram_order": 2, "ngram_buckets": 512, "ngram_dim": 8,
                                "ngram_member": True, "ngram_step_scale": 20.0})
    task = SentimentTask.train(en_data, config, out=None)
    texts = ["the acting was wonderful", "a dull , tedious plot"]
    before = task.class_probabilities(texts)
    task.save(tmp_path / "ngrams")
    loaded = nlpsuite.load(tmp_path / "ngrams")
    np.testing.assert_allclose(loaded.class_probabilities(texts), before, atol=1e-5)
    assert "ngram_step_scale" in [layer.name for layer in loaded.model.layers]
    assert "classifier of its own" in (tmp_path / "ngrams" / "MODEL_CARD.md").read_text()
