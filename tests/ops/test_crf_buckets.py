"""Eager TensorFlow CRF calls compiled by XLA per padded bucket give the unpadded results, gradients included.

The shapes and dtype (float64, 4 tags, batch and time <= 8) are those of `test_crf_ops.py`: one
bucket, so the XLA compilations are shared within a test process.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.ops import crf as crf_ops
from nlpsuite.ops import crf_decode, crf_log_likelihood, crf_log_norm
from nlpsuite.ops.buckets import bucket_size

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the XLA buckets are TensorFlow's")

TOL = 1e-10  # float64: XLA and the graph differ only in rounding


def test_bucket_sizes():
    assert [bucket_size(n) for n in (0, 1, 7, 8, 9, 17, 64, 65, 128)] == [8, 8, 8, 8, 16, 32, 64, 128, 128]
    assert [bucket_size(n) for n in (129, 256, 257)] == [256, 256, 384]


def _case(batch: int = 4, time: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    lengths = np.array([0, time, 2, time + 3, 1, 3][:batch], "int32")  # empty, full, and past the time axis
    values = [rng.normal(size=s) for s in ((batch, time, 4), (4, 4), (4,), (4,))]
    return values, rng.integers(0, 4, size=(batch, time + 2)), lengths  # tags longer than time


def _values_and_gradients(fn, values):
    import tensorflow as tf

    tensors = [v if isinstance(v, tf.Variable | keras.Variable) else tf.constant(v) for v in values]
    with tf.GradientTape() as tape:
        tape.watch([t for t in tensors if isinstance(t, tf.Tensor)])
        out = fn(*tensors)
        # Row weights, so a gradient leaking between rows shows.
        loss = tf.reduce_sum(out * tf.cast(tf.range(1, tf.shape(out)[0] + 1), out.dtype))
    return [out.numpy()] + [g.numpy() for g in tape.gradient(loss, tensors)]


def _assert_close(got, want):
    for part, (g, w) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL, err_msg=f"part {part}")


def test_xla_bucket_values_and_gradients_equal_the_uncompiled_functions():
    values, tags, lengths = _case()
    plain_ll, plain_decode = crf_ops._unary_log_likelihood.__wrapped__, crf_ops._unary_decode.__wrapped__
    want = _values_and_gradients(lambda x, t, s, e: plain_ll(x, tags, lengths, t, s, e), values)
    for _ in range(2):  # a bucket's first call runs the relaxed graph, the second XLA
        _assert_close(
            _values_and_gradients(lambda x, t, s, e: crf_log_likelihood(x, tags, lengths, t, s, e)[0], values), want
        )
        tags_out, best = crf_decode(*values[:2], lengths, *values[2:])
        want_tags, want_best = plain_decode(*values[:2], lengths, *values[2:])
        np.testing.assert_array_equal(tags_out.numpy(), want_tags.numpy())
        np.testing.assert_allclose(best.numpy(), want_best.numpy(), rtol=TOL, atol=TOL)
    assert crf_ops._unary_log_likelihood.compiled_by_backend["tensorflow"].compiled_signatures >= 1
    assert crf_ops._unary_decode.compiled_by_backend["tensorflow"].compiled_signatures >= 1


def test_variables_get_their_gradients_through_the_xla_path():
    import tensorflow as tf

    (x, trans, start, end), tags, lengths = _case(seed=2)
    want = _values_and_gradients(
        lambda t, s, e: crf_ops._unary_log_likelihood.__wrapped__(x, tags, lengths, t, s, e), [trans, start, end]
    )
    variables = [tf.Variable(trans), keras.Variable(start), keras.Variable(end)]
    for _ in range(2):  # the relaxed graph, then XLA
        _assert_close(
            _values_and_gradients(lambda t, s, e: crf_log_likelihood(x, tags, lengths, t, s, e)[0], variables), want
        )


def test_one_compilation_per_bucket():
    compiled = crf_ops._unary_log_norm
    (x, trans, _, _), _, lengths = _case(batch=3, time=5)
    for _ in range(2):
        crf_log_norm(x, lengths, trans)
    traces = compiled.compiled_by_backend["tensorflow"].compiled_signatures
    # Another batch size and length in the same (8, 8) bucket: no new compilation, and its own values.
    (x, trans, _, _), _, lengths = _case(batch=6, time=7, seed=1)
    got = crf_log_norm(x, lengths, trans).numpy()
    assert compiled.compiled_by_backend["tensorflow"].compiled_signatures == traces
    np.testing.assert_allclose(got, compiled.__wrapped__(x, lengths, trans).numpy(), rtol=TOL, atol=TOL)
    assert got.shape == (6,) and got[0] == 0.0
