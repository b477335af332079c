"""Tiny training, the predict contract, explanations, saving and the attention-pooling layer."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import nlpsuite
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.sentiment import AttentionPooling, SentimentConfig, SentimentTask, build_model

EXAMPLES = ["the acting was wonderful and the music superb", "a dull , tedious plot"]


def test_tiny_model_learns_the_fixture(tiny_task, en_data):
    metrics = tiny_task.evaluate(en_data)
    assert metrics["accuracy"] >= 0.9
    assert {"accuracy", "macro_f1", "ece", "confusion_matrix"} <= set(metrics)
    assert 0.0 <= metrics["ece"] <= 1.0 and 0.0 <= metrics["macro_f1"] <= 1.0
    assert sum(map(sum, metrics["confusion_matrix"]["rows_true_columns_predicted"])) == 60
    json.dumps(metrics)  # metrics.json must be plain JSON


def test_predict_contract(tiny_task):
    results = tiny_task.predict(EXAMPLES)
    assert [r["label"] for r in results] == ["positive", "negative"]
    for text, result in zip(EXAMPLES, results, strict=True):
        assert set(result) == {"text", "label", "probabilities"} and result["text"] == text
        assert set(result["probabilities"]) == {"negative", "positive"}
        assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert result["label"] == max(result["probabilities"], key=result["probabilities"].get)


def test_predict_rejects_empty_inputs_and_unknown_options(tiny_task):
    with pytest.raises(NlpsuiteError, match="input 2 is empty"):
        tiny_task.predict(["fine", "  "])
    with pytest.raises(NlpsuiteError, match="unknown predict option"):
        tiny_task.predict(["fine"], beam_size=3)


def test_masking_top_attributed_tokens_hurts_more_than_random_tokens(tiny_task):
    """Faithfulness: removing the k most-contributing tokens must lower the predicted class's
    probability more than removing k random tokens (averaged over texts and draws)."""
    texts = [
        "the story was quite charming and the cast brilliant with a script",
        "its plot is really awful and the acting was weak and the music",
        "this film with a cast and music was delightful and good",
        "a movie with scenes and a script that was boring and horrible",
        "the acting was excellent and the story quite great",
        "the film was terrible and the plot was dull",
    ]
    rng = np.random.default_rng(0)
    k = 2
    top_drops, random_drops = [], []
    for result in tiny_task.predict(texts, explain=True):
        contributions = [c["score"] for c in result["contributions"]]
        assert [c["token"] for c in result["contributions"]] == tiny_task.tokens(result["text"])
        label = tiny_task.labels.index(result["label"])
        before = result["probabilities"][result["label"]]
        top = list(np.argsort(contributions)[::-1][:k])
        after_top = tiny_task.class_probabilities([result["text"]], [top])[0, label]
        top_drops.append(before - after_top)
        draws = [list(rng.choice(len(contributions), k, replace=False)) for _ in range(10)]
        after_random = tiny_task.class_probabilities([result["text"]] * 10, draws)[:, label]
        random_drops.append(before - after_random.mean())
    assert np.mean(top_drops) > np.mean(random_drops) + 0.05
    assert sum(t > r for t, r in zip(top_drops, random_drops, strict=True)) >= 5


def test_contributions_equal_the_occlusion_drop(tiny_task):
    result = tiny_task.predict([EXAMPLES[0]], explain=True)[0]
    label = tiny_task.labels.index(result["label"])
    dropped = tiny_task.class_probabilities([EXAMPLES[0]], [[1]])[0, label]
    expected = result["probabilities"][result["label"]] - dropped
    assert result["contributions"][1]["score"] == pytest.approx(expected, abs=1e-4)


def test_save_and_load_give_the_same_probabilities(tiny_task, models_dir):
    folder = models_dir / "sentiment-en"
    assert {"model.keras", "config.json", "MODEL_CARD.md"} <= {p.name for p in folder.iterdir()}
    assert {"vocab.json", "tokenizer.json", "labels.json"} <= {
        p.name for p in (folder / "assets").iterdir()
    }
    loaded = nlpsuite.load(folder)
    assert isinstance(loaded, SentimentTask)
    np.testing.assert_allclose(
        loaded.class_probabilities(EXAMPLES), tiny_task.class_probabilities(EXAMPLES), atol=1e-5
    )
    card = (folder / "MODEL_CARD.md").read_text()
    assert "removed 0 training rows whose text appears" in card and "Hyper-parameters" in card


def test_evaluate_rejects_labels_unseen_in_training(tiny_task, tmp_path):
    path = tmp_path / "odd.tsv"
    path.write_text("label\tsentence\npositive\tgood\nneutral\tthe film\n")
    with pytest.raises(NlpsuiteError, match=r"line 3: label 'neutral' was not seen in training"):
        tiny_task.evaluate(path)


@pytest.mark.parametrize(
    "options",
    [
        {"num_layers": 2, "cell": "lstm", "dropout": 0.2},
        {"pooling": "mean"},
        {"pooling": "max", "bidirectional": True, "token_dropout": 0.2},
        {"pooling": "attention_max", "bidirectional": True},
        {},
    ],
)
def test_model_options_build(options):
    config = SentimentConfig(embedding_dim=4, units=6, **options)
    model = build_model(20, 3, config)
    out = model(np.array([[2, 3, 4, 0], [5, 0, 0, 0]], dtype="int32"))
    assert tuple(out.shape) == (2, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out).sum(-1), 1.0, rtol=1e-5)
    names = [layer.name for layer in model.layers]
    assert "embedding" in names and "encoder" in names
    assert ("token_dropout" in names) == bool(options.get("token_dropout"))
    if options.get("pooling") == "attention_max":  # both summaries, side by side: 2 x 2 x 6 features
        assert {"attention_pooling", "max_pooling"} <= set(names)
        assert model.get_layer("pooled").output.shape[-1] == 24
    if not options:  # the default: Embedding(vocab, 100) -> GRU(256) -> Dense(classes)
        default = build_model(20, 3, SentimentConfig())
        encoder = default.get_layer("encoder")
        assert default.get_layer("embedding").output_dim == 100
        assert (encoder.cell, encoder.units, encoder.bidirectional) == ("gru", 256, False)


def test_attention_pooling_ignores_padding_and_round_trips():
    pool = AttentionPooling(5)
    x = np.random.default_rng(0).random((2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    y = pool(x, mask=mask)
    x_changed = x.copy()
    x_changed[0, 2:] = 100.0  # padded steps: must not matter
    np.testing.assert_allclose(pool(x_changed, mask=mask), y, rtol=1e-6)
    weights = keras.ops.convert_to_numpy(pool.attention_weights(x, mask))
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)
    assert (weights[0, 2:] == 0).all()
    clone = AttentionPooling.from_config(pool.get_config())
    assert clone.units == 5
    restored = keras.layers.deserialize(keras.layers.serialize(pool))
    assert isinstance(restored, AttentionPooling)


def test_saved_model_has_no_optimizer_state(models_dir, tmp_path):
    import zipfile

    import h5py

    with zipfile.ZipFile(models_dir / "sentiment-en" / "model.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        assert "optimizer" not in weights
