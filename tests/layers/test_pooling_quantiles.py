"""AttentionPooling and MonotoneQuantiles against NumPy references."""

from __future__ import annotations

from statistics import NormalDist

import keras
import numpy as np
import pytest

from nlpsuite.layers import AttentionPooling, MonotoneQuantiles

pytestmark = pytest.mark.backend_agnostic


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_attention_pooling_matches_numpy_and_ignores_padding():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    pool = AttentionPooling(4)
    out = _numpy(pool(x, mask=mask))
    kernel, bias, score = (_numpy(w) for w in (pool.kernel, pool.bias, pool.score))
    logits = np.tanh(x @ kernel + bias) @ score
    logits = np.where(mask, logits, -np.inf)
    weights = np.exp(logits - logits.max(1, keepdims=True))
    weights /= weights.sum(1, keepdims=True)
    np.testing.assert_allclose(out, (weights[:, :, None] * x).sum(1), rtol=1e-5, atol=1e-6)
    # Whatever sits at a padded step does not change the result.
    changed = x.copy()
    changed[0, 3:] = 100.0
    np.testing.assert_allclose(_numpy(pool(changed, mask=mask)), out, rtol=1e-5, atol=1e-6)


def test_monotone_quantiles_never_cross_and_start_at_the_normal_quantiles():
    quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
    head = MonotoneQuantiles(horizons=4, quantiles=quantiles, kernel_initializer="zeros")
    out = _numpy(head(np.random.default_rng(2).normal(size=(3, 8)).astype("float32") * 50))
    assert out.shape == (3, 4, 5)
    expected = [NormalDist().inv_cdf(q) for q in quantiles]
    np.testing.assert_allclose(out, np.broadcast_to(expected, out.shape), atol=1e-3)
    trained = MonotoneQuantiles(horizons=4, quantiles=quantiles, kernel_initializer="random_normal")
    wild = _numpy(trained(np.random.default_rng(3).normal(size=(16, 8)).astype("float32") * 100))
    assert np.all(np.diff(wild, axis=-1) > 0)


def test_old_import_paths_still_work():
    from nlpsuite.tasks.sentiment.pooling import AttentionPooling as OldPooling
    from nlpsuite.tasks.stock.quantile_head import MonotoneQuantiles as OldQuantiles

    assert OldPooling is AttentionPooling and OldQuantiles is MonotoneQuantiles
