"""The multi-worker step loop's own behaviour, in one worker process (a one-worker TF_CONFIG cluster):
array and PyDataset inputs, dev-metric early stopping, History, and the errors for what it cannot do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .ports import ADDRESS_IN_USE, reserve_ports

pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow", reason="tf.distribute path"
)

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras, numpy as np
    from nlpsuite import distribute, training
    from nlpsuite.errors import NlpsuiteError

    strategy = distribute.get_strategy("multiworker")

    def model():
        keras.utils.set_random_seed(3)
        with strategy.scope():
            m = keras.Sequential([keras.layers.Input((6,), dtype="int32"),
                                  keras.layers.Embedding(10, 4), keras.layers.GRU(4),
                                  keras.layers.Dense(2)])
            m.compile(optimizer=keras.optimizers.Adam(0.05), metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    x = np.random.default_rng(0).integers(1, 10, size=(20, 6)).astype("int32")
    y = (x[:, 0] > 4).astype("int32")
    out = {}

    # x, y= and a validation tuple with batch_size (the stock task's call); a dev metric that never
    # improves stops training after `patience` more epochs.
    m = model()
    stopper = training.make_dev_metric_callback(lambda: 0.5, "dev_score", patience=2)
    history = training.fit(m, x, (x[:8], y[:8]), y=y, epochs=10, batch_size=8, callbacks=[stopper],
                           verbose=0, checkpoint_dir=sys.argv[1] + "/arrays.ckpt")
    out["arrays"] = {"epochs": history.epoch, "keys": sorted(history.history),
                     "loss": history.history["loss"]}

    # A PyDataset whose batches change length, with on_epoch_end reshuffling between passes.
    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.calls = 0
        def __len__(self):
            return 3
        def __getitem__(self, i):
            n = 4 + 2 * i
            return x[:n, : 3 + i], y[:n]
        def on_epoch_end(self):
            self.calls += 1

    with strategy.scope():
        seq = keras.Sequential([keras.layers.Input((None,), dtype="int32"),
                                keras.layers.Embedding(10, 4), keras.layers.GRU(4),
                                keras.layers.Dense(2)])
        seq.compile(optimizer="adam",
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    batches = Batches()
    history = training.fit(seq, batches, epochs=2, verbose=0)
    out["pydataset"] = {"epochs": history.epoch, "passes_ended": batches.calls}

    try:
        training.fit(model(), (x, y), epochs=1, batch_size=8, class_weight={0: 1.0, 1: 2.0})
    except NlpsuiteError as exc:
        out["class_weight"] = str(exc)
    print(json.dumps(out))
    """
)


def test_step_loop_inputs_early_stopping_and_errors(tmp_path):
    for _attempt in range(3):  # a port taken between the check and the worker's bind: try another
        (port,) = reserve_ports(1)
        tf_config = {"cluster": {"worker": [f"127.0.0.1:{port}"]}, "task": {"type": "worker", "index": 0}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=300, env=env,
            cwd=ROOT,
        )
        if result.returncode == 0 or not any(text in result.stderr for text in ADDRESS_IN_USE):
            break
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    arrays = out["arrays"]
    assert arrays["epochs"] == [0, 1, 2]  # best at epoch 1, then 2 epochs without improvement
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "dev_score"} <= set(arrays["keys"])
    assert arrays["loss"][-1] < arrays["loss"][0]
    assert not (tmp_path / "arrays.ckpt").exists()  # a finished run removes its checkpoints
    assert out["pydataset"]["epochs"] == [0, 1]
    assert out["pydataset"]["passes_ended"] >= 1  # reshuffled between the two passes
    assert "class_weight" in out["class_weight"] and "not supported" in out["class_weight"]
