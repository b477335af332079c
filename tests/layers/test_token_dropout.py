"""TokenDropout: the replaced share, padding untouched, identity at inference."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.layers import TokenDropout

pytestmark = pytest.mark.backend_agnostic


def test_replaces_about_rate_of_the_real_tokens_and_never_padding():
    ids = np.tile(np.array([[4, 5, 6, 7, 8, 9, 0, 0]], "int32"), (500, 1))
    out = keras.ops.convert_to_numpy(TokenDropout(0.3, oov_id=1, seed=0)(ids, training=True))
    real = ids != 0
    replaced = out[real] == 1
    # 3,000 real tokens: a binomial share within 5 standard deviations of 0.3.
    assert abs(replaced.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / real.sum())
    kept = out[real][~replaced]
    np.testing.assert_array_equal(kept, ids[real][~replaced])
    assert (out[~real] == 0).all()


def test_inference_and_rate_zero_pass_ids_through():
    ids = np.array([[3, 2, 0]], "int32")
    assert keras.ops.convert_to_numpy(TokenDropout(0.9)(ids)).tolist() == [[3, 2, 0]]
    assert keras.ops.convert_to_numpy(TokenDropout(0.0)(ids, training=True)).tolist() == [[3, 2, 0]]
