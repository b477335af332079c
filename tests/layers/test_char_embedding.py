"""CharEmbedding: shapes, padding invariance, NumPy/sub-layer references, masks, saving."""

import doctest

import keras
import numpy as np
import pytest

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers import char_embedding as char_embedding_module
from nlpsuite.layers.char_embedding import CharEmbedding

pytestmark = pytest.mark.backend_agnostic

# Sentence 0: "abcd" (fills every char slot), "ef", padded word; sentence 1: "g", "hij", "k".
CHARS = np.array(
    [[[1, 2, 3, 4], [5, 6, 0, 0], [0, 0, 0, 0]], [[7, 0, 0, 0], [8, 9, 10, 0], [11, 0, 0, 0]]],
    dtype="int32",
)
WORD_MASK = np.array([[True, True, False], [True, True, True]])
ENCODERS = ["cnn", "bilstm"]


def _layer(encoder, **kwargs):
    return CharEmbedding(num_chars=12, char_dim=5, output_dim=6, encoder=encoder, **kwargs)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_shape_mask_and_zero_vectors_for_empty_words(encoder):
    layer = _layer(encoder)
    vectors = _numpy(layer(CHARS))
    assert vectors.shape == (2, 3, 6)
    assert (vectors[0, 2] == 0.0).all()
    assert (np.abs(vectors[WORD_MASK]).sum(-1) > 0).all()
    np.testing.assert_array_equal(_numpy(layer.compute_mask(CHARS)), WORD_MASK)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_appending_padding_chars_does_not_change_outputs(encoder):
    layer = _layer(encoder)
    padded = np.pad(CHARS, ((0, 0), (0, 0), (0, 3)))
    np.testing.assert_allclose(_numpy(layer(padded)), _numpy(layer(CHARS)), atol=1e-6)


def test_cnn_matches_numpy_masked_max_pool_reference():
    layer = _layer("cnn", kernel_size=3, activation="relu")
    # Make padding's conv output large, so an unmasked max-pool would pick it.
    layer(CHARS)
    kernel, bias = (_numpy(w) for w in layer.char_encoder.weights)
    layer.char_encoder.weights[1].assign(bias + 5.0)
    table = _numpy(layer.embedding.embeddings)
    vectors = _numpy(layer(CHARS))
    for sentence, word in zip(*np.nonzero(WORD_MASK), strict=True):
        ids = CHARS[sentence, word][CHARS[sentence, word] > 0]
        # The word alone, zero-padded one char each side ("same" padding, kernel 3).
        x = np.concatenate([np.zeros((1, 5)), table[ids], np.zeros((1, 5))])
        conv = np.stack([(x[t : t + 3, :, None] * kernel).sum((0, 1)) for t in range(len(ids))])
        expected = np.maximum(conv + bias + 5.0, 0.0).max(axis=0)
        np.testing.assert_allclose(vectors[sentence, word], expected, atol=1e-5)


def test_bilstm_matches_the_bilstm_run_on_unpadded_words():
    layer = _layer("bilstm")
    vectors = _numpy(layer(CHARS))
    table = _numpy(layer.embedding.embeddings)
    for sentence, word in [(0, 1), (1, 1)]:  # "ef" and "hij", both followed by padding
        ids = CHARS[sentence, word][CHARS[sentence, word] > 0]
        alone = _numpy(layer.char_encoder(table[ids][None].astype("float32")))
        np.testing.assert_allclose(vectors[sentence, word], alone[0], atol=1e-5)


def _tagger(char_layer):
    chars = keras.Input((None, None), dtype="int32")
    # The word mask from CharEmbedding must reach the LSTM (and would reach a CRF).
    hidden = keras.layers.LSTM(4, return_sequences=True)(char_layer(chars))
    return keras.Model(chars, keras.layers.Dense(3)(hidden))


@pytest.mark.parametrize("encoder", ENCODERS)
def test_mask_flows_downstream_and_model_reloads_identically(encoder, tmp_path):
    model = _tagger(_layer(encoder, dropout=0.5))
    before = _numpy(model(CHARS))
    # A masked LSTM step repeats the previous output: the padded word copies word 1.
    np.testing.assert_allclose(before[0, 2], before[0, 1], atol=1e-6)

    model.save(tmp_path / "tagger.keras")
    loaded = keras.saving.load_model(tmp_path / "tagger.keras", safe_mode=True)
    np.testing.assert_array_equal(_numpy(loaded(CHARS)), before)


def test_training_step_gives_finite_gradients_for_padded_words():
    # BiLSTM: the riskier encoder (padded words are all-padding rows for the LSTM).
    model = _tagger(_layer("bilstm", dropout=0.2))
    model.compile(optimizer="sgd", loss=keras.losses.MeanSquaredError())
    loss = model.train_on_batch(CHARS, np.ones((2, 3, 3), "float32"))
    assert np.isfinite(loss)
    assert all(np.isfinite(_numpy(w)).all() for w in model.weights)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_get_config_round_trip(encoder):
    layer = _layer(encoder, kernel_size=5, activation="relu", dropout=0.1, name="chars")
    config = layer.get_config()
    clone = CharEmbedding.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(revived, CharEmbedding) and revived.get_config() == config


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(NlpsuiteError, match="encoder must be"):
        CharEmbedding(10, encoder="rnn")
    with pytest.raises(NlpsuiteError, match="even output_dim"):
        CharEmbedding(10, output_dim=7, encoder="bilstm")
    with pytest.raises(NlpsuiteError, match=r"\[batch, words, chars\]"):
        CharEmbedding(10)(np.ones((2, 3), "int32"))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the examples are backend-agnostic: checked under TensorFlow only, to save time",
)
def test_docstring_examples_run():
    failures, tried = doctest.testmod(char_embedding_module)
    assert tried > 0 and failures == 0
