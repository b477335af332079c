"""Known bug, kept visible: the compiled CRF scans fail after a retrace with another number of tags.

``_compiled`` wraps the pairwise functions in ``tf.function(reduce_retracing=True)``. Called on two `CRF`
layer outputs with different tag counts, the second call traces with relaxed shapes and ``tf.scan``
rejects its initial state (TensorFlow only; JAX passes): ``Input tensor ... enters the loop with shape
(1,), but has shape (None,) after one iteration``. Run alone it fails; in the full suite it can pass,
because which signature the relaxed trace gets depends on the shapes traced before it. So the xfail is
not strict (a strict one made the suite's result depend on test order); the marker goes once the
compile path is fixed.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from nlpsuite.layers import CRF
from nlpsuite.layers.crf import split_crf_output
from nlpsuite.ops import crf_pairwise_marginals

pytestmark = pytest.mark.backend_agnostic


@pytest.mark.xfail(
    keras.backend.backend() == "tensorflow",  # JAX's jit retraces exactly and passes
    strict=False,  # order-dependent: see the module docstring
    reason="tf.function(reduce_retracing=True) relaxes the tag axis and tf.scan rejects the loop state",
)
def test_marginals_after_a_call_with_another_tag_count():
    for num_tags, length in ((5, 3), (2, 2)):
        potentials, mask = split_crf_output(CRF(num_tags)(np.ones((1, length, num_tags), "float32")))
        marginals = np.asarray(crf_pairwise_marginals(potentials, mask))
        np.testing.assert_allclose(marginals.sum(-1), np.ones((1, length)), rtol=1e-5)
