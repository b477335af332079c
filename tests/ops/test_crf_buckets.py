"""Eager TensorFlow CRF calls compiled by XLA per padded bucket give the unpadded results, gradients included."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.ops import crf as crf_ops
from nlpsuite.ops import crf_decode, crf_log_likelihood, crf_log_norm
from nlpsuite.ops.buckets import bucket_size

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the XLA buckets are TensorFlow's")


def test_bucket_sizes():
    assert [bucket_size(n) for n in (0, 1, 7, 8, 9, 17, 64, 65, 128)] == [8, 8, 8, 8, 16, 32, 64, 128, 128]
    assert [bucket_size(n) for n in (129, 256, 257)] == [256, 256, 384]


def _case(dtype: str, batch: int = 4, time: int = 5, tags: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    lengths = np.array([0, time, 2, time + 3, 1, 3][:batch], "int32")  # empty, full, and past the time axis
    values = [rng.normal(size=s).astype(dtype) for s in ((batch, time, tags), (tags, tags), (tags,), (tags,))]
    return values, rng.integers(0, tags, size=(batch, time + 2)).astype("int32"), lengths  # tags longer than time


def _values_and_gradients(fn, values):
    import tensorflow as tf

    tensors = [tf.constant(v) for v in values]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = fn(*tensors)
        # Row weights, so a gradient leaking between rows shows.
        loss = tf.reduce_sum(out * tf.cast(tf.range(1, tf.shape(out)[0] + 1), out.dtype))
    return [out.numpy()] + [g.numpy() for g in tape.gradient(loss, tensors)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_xla_bucket_values_and_gradients_equal_the_uncompiled_functions(dtype):
    values, tags, lengths = _case(dtype)
    unary = crf_ops._unary_log_likelihood.__wrapped__, crf_ops._unary_decode.__wrapped__
    pairs = {
        "log_likelihood": (
            lambda x, t, s, e: crf_log_likelihood(x, tags, lengths, t, s, e)[0],
            lambda x, t, s, e: unary[0](x, tags, lengths, t, s, e),
        ),
        "decode score": (
            lambda x, t, s, e: crf_decode(x, t, lengths, s, e)[1],
            lambda x, t, s, e: unary[1](x, t, lengths, s, e)[1],
        ),
    }
    tol = 1e-5 if dtype == "float32" else 1e-10
    for name, (public, plain) in pairs.items():
        want = _values_and_gradients(plain, values)
        for _ in range(2):  # a bucket's first call runs the relaxed graph, the second XLA
            got = _values_and_gradients(public, values)
            for part, (g, w) in enumerate(zip(got, want, strict=True)):
                np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{name} part {part}")
    x, trans, start, end = values
    tags_xla = crf_decode(x, trans, lengths, start, end)[0].numpy()
    tags_plain = unary[1](x, trans, lengths, start, end)[0].numpy()
    np.testing.assert_array_equal(tags_xla, tags_plain)
    assert crf_ops._unary_decode.compiled_by_backend["tensorflow"].compiled_signatures >= 1


def test_one_compilation_per_bucket():
    compiled = crf_ops._unary_log_norm
    (x, trans, _, _), _, lengths = _case("float32", batch=3, time=5, tags=3)
    for _ in range(2):
        crf_log_norm(x, lengths, trans)
    traces = compiled.compiled_by_backend["tensorflow"].compiled_signatures
    # Another batch size and length in the same (8, 8) bucket: no new compilation, and its own values.
    (x, trans, _, _), _, lengths = _case("float32", batch=6, time=7, tags=3, seed=1)
    got = crf_log_norm(x, lengths, trans).numpy()
    assert compiled.compiled_by_backend["tensorflow"].compiled_signatures == traces
    want = compiled.__wrapped__(x, lengths, trans).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert got.shape == (6,) and got[0] == 0.0


def test_variables_get_their_gradients_through_the_xla_path():
    import tensorflow as tf

    (x, trans, start, end), tags, lengths = _case("float32", seed=2)
    variables = [tf.Variable(trans), keras.Variable(start), keras.Variable(end)]
    want = _values_and_gradients(
        lambda t, s, e: crf_ops._unary_log_likelihood.__wrapped__(x, tags, lengths, t, s, e), [trans, start, end]
    )
    for _ in range(2):  # the relaxed graph, then XLA
        with tf.GradientTape() as tape:
            ll = crf_log_likelihood(x, tags, lengths, *variables)[0]
            loss = tf.reduce_sum(ll * tf.range(1.0, 5.0))
        got = [ll.numpy()] + [g.numpy() for g in tape.gradient(loss, variables)]
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
