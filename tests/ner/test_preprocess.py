"""NER features, batching, pretrained vectors and the network's shape (no training here)."""

from __future__ import annotations

import numpy as np
import pytest

from nlpsuite.data import conll
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.ner.preprocess import (
    CASING,
    NerPreprocessor,
    TrainingBatches,
    bigrams,
    casing,
    embedding_matrix,
    load_vectors,
    normalize_word,
)


@pytest.fixture(scope="module")
def sentences(fixtures):
    return conll.read_conll(fixtures / "en" / "train.txt")


@pytest.fixture(scope="module")
def preprocessor(sentences):
    return NerPreprocessor.build(
        sentences, scheme="BIOES", data_scheme="BIO", language="en", use_bigrams=False
    )


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("1996", "numeric"),
        ("3-1", "mainly_numeric"),
        ("Paris", "initial_upper"),
        ("EU", "all_upper"),
        ("visited", "all_lower"),
        ("iPhone5", "contains_digit"),
        (",", "punct"),
        ("北京", "cjk"),
        ("eBay", "other"),
    ],
)
def test_casing_classes(token, kind):
    assert CASING[casing(token)] == kind


def test_word_normalisation_and_bigrams():
    assert normalize_word("Paris-1996") == "paris-0000"
    assert normalize_word("Paris", lowercase=False) == "Paris"
    assert bigrams(["北", "京", "人"]) == ["北京", "京人", "人</s>"]


def test_vocabularies_and_tags(preprocessor):
    assert preprocessor.tags.tokens[0] == "O" and len(preprocessor.tags) == 1 + 4 * 4
    assert preprocessor.entity_types == ["LOC", "MISC", "ORG", "PER"]
    assert preprocessor.words.lookup("paris") > 1 and preprocessor.words.lookup("zanzibar") == 1
    ids = preprocessor.encode_tags(["B-PER", "I-PER", "O", "B-LOC"], "BIO")
    assert preprocessor.decode_tags(ids) == ["B-PER", "E-PER", "O", "S-LOC"]
    assert preprocessor.decode_tags(ids, "BIO") == ["B-PER", "I-PER", "O", "B-LOC"]
    with pytest.raises(NlpsuiteError, match="'S-ANIMAL' was not in the training data"):
        preprocessor.encode_tags(["B-ANIMAL"], "BIO")


def test_batch_padding(preprocessor):
    batch = preprocessor.batch(
        [["Anna", "visited", "Kenya"], ["Reuters"]], tags=[[1, 0, 5], [9]], pad_to=8
    )
    assert batch.inputs["words"].shape == (2, 8) and batch.inputs["chars"].shape == (2, 8, 7)
    assert batch.inputs["words"][1, 1:].tolist() == [0] * 7 and batch.inputs["casing"][
        1, 0
    ] == casing("Reuters")
    assert batch.tags[1].tolist() == [9] + [-1] * 7  # the CRF loss ignores -1
    assert batch.lengths.tolist() == [3, 1]


def test_round_trip_through_json(preprocessor):
    again = NerPreprocessor.from_dict(preprocessor.to_dict())
    tokens = ["Anna", "visited", "Kenya"]
    assert again.encode_tokens(tokens) == preprocessor.encode_tokens(tokens)
    with pytest.raises(NlpsuiteError, match="retrain"):
        NerPreprocessor.from_dict({"words": {"tokens": ["<pad>"]}})


def test_training_batches_shuffle_and_replace_singletons(preprocessor, sentences):
    batches = TrainingBatches(preprocessor, sentences, "BIO", batch_size=8, unk_replace=1.0, seed=0)
    assert len(batches) == 8
    inputs, tags = batches[0]
    assert inputs["words"].shape == tags.shape and inputs["words"].shape[1] % 8 == 0
    seen = set(
        np.concatenate([batches[i][0]["words"].ravel() for i in range(len(batches))]).tolist()
    )
    assert not seen & set(
        batches.singletons.tolist()
    )  # unk_replace=1: every singleton became <unk>
    first = [batches.order.copy()]
    batches.on_epoch_end()
    first.append(batches.order.copy())
    assert sorted(first[0]) == sorted(first[1]) and not np.array_equal(first[0], first[1])


def test_pretrained_vectors(tmp_path, preprocessor):
    path = tmp_path / "vectors.txt"
    path.write_text(
        "2 3\nParis 1 2 3\nparis 9 9 9\nzanzibar 4 5 6\n", encoding="utf-8"
    )  # word2vec header
    words, vectors = load_vectors(path)
    assert words == ["paris", "zanzibar"] and vectors.shape == (2, 3)
    matrix, found = embedding_matrix(preprocessor.words, words, vectors)
    assert found == 1 and matrix[preprocessor.words.lookup("paris")].tolist() == [1, 2, 3]
    assert not matrix[0].any()
    (tmp_path / "ragged.txt").write_text("a 1 2\nb 1\n", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match=r"ragged\.txt:2: 1 numbers where earlier lines have 2"):
        load_vectors(tmp_path / "ragged.txt")
    with pytest.raises(NlpsuiteError, match="nothing is downloaded"):
        load_vectors(tmp_path / "glove.6B.100d.txt")


def test_network_takes_the_vectors_and_masks_padding(preprocessor):
    import keras

    from nlpsuite.tasks.ner import NerConfig
    from nlpsuite.tasks.ner import model as ner_model

    config = NerConfig(word_dim=3, char_dim=4, char_output_dim=4, units=4, casing_dim=2)
    initial = np.full((len(preprocessor.words), 3), 0.5, "float32")
    model = ner_model.build_model(config, preprocessor, initial)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.get_layer("word_embedding").embeddings), 0.5
    )
    batch = preprocessor.batch([["Anna", "visited", "Kenya"], ["Reuters"]])
    out = keras.ops.convert_to_numpy(model(batch.inputs))
    assert out.shape == (2, 3, len(preprocessor.tags) + 1, len(preprocessor.tags))
    assert out[:, :, -1, 0].tolist() == [
        [1, 1, 1],
        [1, 0, 0],
    ]  # the CRF's mask: padding is not a token
    with pytest.raises(NlpsuiteError, match="cell must be 'lstm' or 'gru'"):
        ner_model.build_model(NerConfig(cell="transformer"), preprocessor)
