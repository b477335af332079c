"""``ensemble``: members built side by side, trained on a summed loss, served as their averaged probabilities."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import nlpsuite
from nlpsuite.errors import OptionError
from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask, build_model
from nlpsuite.tasks.sentiment.model import averaged, build_members, compiled_model

from .conftest import TINY

IDS = np.array([[2, 3, 4, 0], [5, 0, 0, 0], [6, 7, 8, 9]], dtype="int32")
SMALL = {"embedding_dim": 4, "units": 6, "pooling": "attention_max", "bidirectional": True, "dropout": 0.1,
         "token_dropout": 0.1, "attention_units": 4}


def test_ensemble_serves_the_mean_of_its_members():
    config = SentimentConfig(ensemble=3, **SMALL)
    members = build_members(20, 3, config)
    assert len(members.outputs) == 3
    model = averaged(members)
    assert len(model.outputs) == 1
    out = keras.ops.convert_to_numpy(model(IDS))
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    each = [keras.ops.convert_to_numpy(p) for p in members(IDS)]
    np.testing.assert_allclose(out, np.mean(each, axis=0), rtol=1e-5, atol=1e-7)
    assert not np.allclose(each[0], each[1])  # independent initialisations, not one member three times
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
    assert {"embedding", "embedding_m2", "embedding_m3", "classifier_m3", "pooled_m2"} <= set(names)
    seeds = [model.get_layer(n).seed for n in ("token_dropout", "token_dropout_m2", "token_dropout_m3")]
    assert len(set(seeds)) == 3
    assert len(build_model(20, 3, config).outputs) == 1


def test_ensemble_trains_one_loss_per_member():
    model = compiled_model(20, 2, SentimentConfig(ensemble=3, **SMALL))
    assert len(model.outputs) == 3 and model.loss == ["sparse_categorical_crossentropy"] * 3


def test_single_model_is_unchanged():
    config = SentimentConfig(**SMALL)
    model = build_model(20, 3, config)
    assert model.name == "sentiment_classifier"
    assert [layer.name for layer in model.layers] == [
        "token_ids", "token_dropout", "embedding", "embedding_dropout", "encoder", "attention_pooling",
        "max_pooling", "pooled", "output_dropout", "classifier",
    ]
    assert model.get_layer("token_dropout").seed == config.seed
    assert compiled_model(20, 3, config).loss == "sparse_categorical_crossentropy"


def test_ensemble_must_be_at_least_one():
    with pytest.raises(OptionError, match="ensemble must be at least 1"):
        SentimentConfig(ensemble=0).validate()


def test_ensemble_trains_saves_and_loads(en_data, tmp_path):
    config = SentimentConfig(**{**TINY, "epochs": 2, "patience": 2, "ensemble": 2})
    task = SentimentTask.train(en_data, config, out=None)
    assert len(task.model.outputs) == 1 and "classifier_m2" in [layer.name for layer in task.model.layers]
    texts = ["the acting was wonderful", "a dull , tedious plot"]
    before = task.class_probabilities(texts)
    task.save(tmp_path / "ensemble")
    loaded = nlpsuite.load(tmp_path / "ensemble")  # safe_mode=True: only registered layers
    assert loaded.config.ensemble == 2
    np.testing.assert_allclose(loaded.class_probabilities(texts), before, atol=1e-5)
    assert [r["label"] for r in loaded.predict(texts)] == [task.labels[i] for i in before.argmax(-1)]
    assert "An ensemble of 2" in (tmp_path / "ensemble" / "MODEL_CARD.md").read_text()


def test_ensemble_average_stays_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = build_model(20, 2, SentimentConfig(ensemble=2, **SMALL))
        out = model(IDS)
    finally:
        keras.config.set_dtype_policy("float32")
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out).sum(-1), 1.0, rtol=1e-6)
