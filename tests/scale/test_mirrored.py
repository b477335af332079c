"""``training.fit`` under MirroredStrategy on two logical CPUs when a batch does not split evenly over the replicas.

Keras 3 fails there by itself (keras-team/keras#19246: "Inputs to operation AddN ... must have the same size and
shape") when the first batch is uneven; ``training.fit`` works around it. The run must match one device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow", reason="tf.distribute path"
)

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from nlpsuite import distribute, training
    distribute.split_cpu(2)
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, size=(41, 10)).astype("int32")
    y = (x % 3 == 0).astype("int32")
    # Batches of 9, 16 and 16 rows: the first and the last cannot split evenly over two replicas.
    batches = tf.data.Dataset.from_tensor_slices((x[:9], y[:9])).batch(9).concatenate(
        tf.data.Dataset.from_tensor_slices((x[9:], y[9:])).batch(16))

    def train(name):
        strategy = distribute.get_strategy(name)
        keras.utils.set_random_seed(7)
        with strategy.scope():
            model = keras.Sequential([keras.layers.Input((10,), dtype="int32"),
                                      keras.layers.Embedding(20, 8), keras.layers.GRU(8, return_sequences=True),
                                      keras.layers.Dense(2)])
            model.compile(optimizer=keras.optimizers.SGD(0.1),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = training.fit(model, batches, epochs=2, verbose=0)
        return history.history["loss"], strategy.num_replicas_in_sync

    one, n1 = train("cpu")
    two, n2 = train("mirrored")
    print(json.dumps({"one": one, "two": two, "replicas": [n1, n2]}))
    """
)


def test_mirrored_fit_with_uneven_batches_matches_one_device():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == [1, 2]
    for a, b in zip(out["one"], out["two"], strict=True):
        assert abs(a - b) < 1e-3 * max(1.0, abs(a)), (out["one"], out["two"])
