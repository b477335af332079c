"""MaskedMaxPooling against a NumPy maximum over each row's real steps."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.layers import MaskedMaxPooling

pytestmark = pytest.mark.backend_agnostic


def test_matches_numpy_over_the_real_steps_only():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    lengths = [6, 2, 1]
    mask = np.arange(6)[None, :] < np.array(lengths)[:, None]
    # Padded steps hold the largest values, so a pooling that looked at them would pick them.
    x[~mask] = 100.0
    expected = np.stack([x[i, :n].max(axis=0) for i, n in enumerate(lengths)])
    got = keras.ops.convert_to_numpy(MaskedMaxPooling()(x, mask=mask))
    np.testing.assert_allclose(got, expected, rtol=0, atol=0)


def test_negative_features_beat_padding_and_the_mask_comes_from_an_embedding():
    ids = np.array([[3, 4, 0, 0]], "int32")
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(
        6, 2, mask_zero=True, embeddings_initializer=keras.initializers.Constant(-5.0)
    )(inputs)
    model = keras.Model(inputs, MaskedMaxPooling()(embedded))
    assert keras.ops.convert_to_numpy(model(ids)).tolist() == [[-5.0, -5.0]]


def test_float16_padding_never_wins():
    x = np.full((1, 3, 2), -60000.0, "float16")
    x[0, 2] = 0.0
    got = keras.ops.convert_to_numpy(MaskedMaxPooling(dtype="float16")(x, mask=np.array([[True, True, False]])))
    assert got.tolist() == [[-60000.0, -60000.0]]
