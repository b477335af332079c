"""HashedNgramBag: which n-grams it reads, the mean over them, and its gradient reaching the table."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.layers import HashedNgramBag

pytestmark = pytest.mark.backend_agnostic


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_hashes_are_the_rolling_hash_of_each_window_and_padding_is_masked():
    bag = HashedNgramBag(buckets=97, output_dim=2, max_order=3)
    hashes, real = (_numpy(x) for x in bag.ngram_hashes(np.array([[5, 6, 7, 0]], "int32")))
    bigram = (5 * 1009 + 6) % 97
    trigram = (bigram * 1009 + 7) % 97
    # orders 1 (4 windows), 2 (3 windows), 3 (2 windows), concatenated
    assert hashes.shape == real.shape == (1, 9)
    assert hashes[0, 4] == bigram and hashes[0, 7] == trigram
    assert real.tolist() == [[True, True, True, False, True, True, False, True, False]]


def test_output_is_the_mean_of_the_real_ngram_embeddings():
    bag = HashedNgramBag(buckets=31, output_dim=3, max_order=2)
    ids = np.array([[4, 9, 0]], "int32")
    out = _numpy(bag(ids))
    table = _numpy(bag.embedding.embeddings)
    expected = (table[4] + table[9] + table[(4 * 1009 + 9) % 31]) / 3
    np.testing.assert_allclose(out[0], expected, rtol=1e-5)


def test_the_bag_does_not_depend_on_trailing_padding_and_an_empty_text_gives_zeros():
    bag = HashedNgramBag(buckets=64, output_dim=4, max_order=2)
    short = _numpy(bag(np.array([[3, 8]], "int32")))
    padded = _numpy(bag(np.array([[3, 8, 0, 0, 0]], "int32")))
    np.testing.assert_allclose(short, padded, rtol=1e-6)
    assert not _numpy(bag(np.array([[0, 0]], "int32"))).any()


def test_a_classifier_on_the_bag_learns_a_bigram_that_no_unigram_separates():
    # "not good" vs "good not": the same words, only the bigram tells the classes apart.
    keras.utils.set_random_seed(0)
    ids = np.array([[2, 3], [3, 2]] * 16, "int32")
    labels = np.array([0, 1] * 16)
    inputs = keras.Input((None,), dtype="int32")
    outputs = keras.layers.Dense(2, activation="softmax")(HashedNgramBag(257, 8, max_order=2)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(ids, labels, epochs=30, batch_size=32, verbose=0)
    assert (model.predict(ids[:2], verbose=0).argmax(-1) == [0, 1]).all()
