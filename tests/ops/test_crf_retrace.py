"""The CRF scans trace with the tag axis unknown and the batch size known (issue 18).

Eager calls go through ``tf.function(reduce_retracing=True)`` (``nlpsuite.ops.crf._compiled``): a
second call with another tag count retraces with the time and tag axes relaxed to ``None``, and the
batch axis relaxed too only if an earlier call in the process had another batch size. A scan step
that reshaped with ``-1`` lost the known batch size in that trace, and ``tf.scan`` rejected the
carry (``enters the loop with shape (1,), but has shape (None,) after one iteration``), so the
eager test below failed run alone and passed after other tests. The graph tests pin that trace
with an explicit signature, so they fail with the bug whatever ran before.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.layers import CRF
from nlpsuite.layers.crf import split_crf_output
from nlpsuite.ops import crf as crf_ops
from nlpsuite.ops import crf_pairwise_marginals


@pytest.mark.backend_agnostic
def test_marginals_after_a_call_with_another_tag_count():
    for num_tags, length in ((5, 3), (2, 2)):
        potentials, mask = split_crf_output(CRF(num_tags)(np.ones((1, length, num_tags), "float32")))
        marginals = np.asarray(crf_pairwise_marginals(potentials, mask))
        np.testing.assert_allclose(marginals.sum(-1), np.ones((1, length)), rtol=1e-5)


def _zero_tags(x):
    import tensorflow as tf

    return tf.zeros(tf.shape(x)[:2], "int32")


# Each scan-based function, called on tensors whose batch size is known and whose time and tag axes are not.
PAIRWISE = {
    "log_norm": lambda p, m: crf_ops.crf_pairwise_log_norm(p, m),
    "log_likelihood": lambda p, m: crf_ops.crf_pairwise_log_likelihood(p, _zero_tags(m[:, :, None]), m),
    "decode": lambda p, m: crf_ops.crf_pairwise_decode(p, m)[1],
    "nbest_decode": lambda p, m: crf_ops.crf_pairwise_nbest_decode(p, m, 2)[1][:, 0],
    "marginals": lambda p, m: crf_ops.crf_pairwise_marginals(p, m)[:, :, 0],
}
UNARY = {
    "log_likelihood": lambda x, n, t: crf_ops.crf_log_likelihood(x, _zero_tags(x), n, t, t[0], t[1])[0],
    "log_norm": lambda x, n, t: crf_ops.crf_log_norm(x, n, t),
    "decode": lambda x, n, t: crf_ops.crf_decode(x, t, n, t[0], t[1])[1],
}


def _traced(fn, *specs):
    import tensorflow as tf

    return tf.function(fn, input_signature=[tf.TensorSpec(shape, dtype) for shape, dtype in specs], autograph=False)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="relaxed tf.function traces are TensorFlow's")
@pytest.mark.parametrize("name", sorted(PAIRWISE))
def test_pairwise_scans_trace_with_unknown_tag_count(name):
    traced = _traced(PAIRWISE[name], ((1, None, None, None), "float32"), ((1, None), "bool"))
    # Uniform potentials: 3 tags, 2 steps, so 9 paths of score 0.
    out = np.asarray(traced(np.zeros((1, 2, 3, 3), "float32"), np.ones((1, 2), bool)))
    expected = {"log_norm": np.log(9.0), "log_likelihood": -np.log(9.0), "marginals": 1 / 3}.get(name, 0.0)
    np.testing.assert_allclose(out, np.full(out.shape, expected), rtol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="relaxed tf.function traces are TensorFlow's")
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_scans_trace_with_unknown_tag_count(name):
    traced = _traced(UNARY[name], ((1, None, None), "float32"), ((1,), "int32"), ((None, None), "float32"))
    out = np.asarray(traced(np.zeros((1, 3, 2), "float32"), np.array([2], "int32"), np.zeros((2, 2), "float32")))
    # Row of length 2 over 2 tags, all scores 0: 4 paths.
    expected = {"log_norm": np.log(4.0), "log_likelihood": -np.log(4.0)}.get(name, 0.0)
    np.testing.assert_allclose(out, [expected], rtol=1e-6)
