"""Under the JAX backend the same ``--strategy`` names map to ``keras.distribution.DataParallel``.

Runs in a subprocess with ``KERAS_BACKEND=jax`` and the host CPU split into two XLA devices.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import jax, keras
    import tensorflow as tf  # only tf.data, for the input pipeline
    from nlpsuite import distribute, training
    from nlpsuite.errors import NlpsuiteError

    def train(name, checkpoint_dir):
        strategy = distribute.get_strategy(name)
        keras.utils.set_random_seed(7)
        rng = np.random.default_rng(0)
        x = rng.integers(1, 20, size=(64, 12)).astype("int32")
        y = (x % 3 == 0).astype("int32")
        with strategy.scope():
            model = keras.Sequential([
                keras.layers.Input((12,), dtype="int32"),
                keras.layers.Embedding(20, 8),
                keras.layers.GRU(8, return_sequences=True),
                keras.layers.Dense(2),
            ])
            model.compile(optimizer=keras.optimizers.SGD(0.1),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
        history = training.fit(model, batches, epochs=3, verbose=0, checkpoint_dir=checkpoint_dir)
        kernel = model.layers[0].embeddings.value
        return {"loss": history.history["loss"], "replicas": strategy.num_replicas_in_sync,
                "weight_devices": len(kernel.sharding.device_set),
                "distribution": type(keras.distribution.distribution()).__name__}

    one = train("cpu", sys.argv[1] + "/one")
    two = train("mirrored", sys.argv[1] + "/two")
    errors = {}
    for name in ("tpu", "multiworker"):
        try:
            distribute.get_strategy(name)
        except NlpsuiteError as exc:
            errors[name] = str(exc)
    print(json.dumps({"devices": len(jax.local_devices()), "one": one, "two": two, "errors":
    errors}))
    """
)


def test_mirrored_maps_to_data_parallel_over_two_jax_devices(tmp_path):
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["devices"] == 2
    assert out["one"]["replicas"] == 1 and out["one"]["distribution"] == "NoneType"
    assert out["two"]["replicas"] == 2 and out["two"]["distribution"] == "DataParallel"
    assert out["two"]["weight_devices"] == 2  # variables live (replicated) on both devices
    # The global batch is split over the two devices: the same optimisation as one device.
    for a, b in zip(out["one"]["loss"], out["two"]["loss"], strict=True):
        assert abs(a - b) < 1e-4 * max(1.0, abs(a)), (out["one"]["loss"], out["two"]["loss"])
    assert out["two"]["loss"][-1] < out["two"]["loss"][0]
    assert "JAX sees no TPU" in out["errors"]["tpu"]
    assert "KERAS_BACKEND=tensorflow" in out["errors"]["multiworker"]
