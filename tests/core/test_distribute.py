"""The multi-device path, proven on CPU by splitting it into two logical devices."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from nlpsuite import distribute
    distribute.split_cpu(2)
    import keras

    def train(strategy_name):
        strategy = distribute.get_strategy(strategy_name)
        keras.utils.set_random_seed(7)
        rng = np.random.default_rng(0)
        x = rng.integers(1, 20, size=(64, 12))
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
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        return history.history["loss"], strategy.num_replicas_in_sync

    one, n1 = train("cpu")
    two, n2 = train("mirrored")
    print(json.dumps({"one": one, "two": two, "replicas": [n1, n2]}))
    """
)


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
                    reason="tf.distribute path")
def test_mirrored_on_two_logical_cpus_matches_one_device():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == [1, 2]
    for a, b in zip(out["one"], out["two"], strict=True):
        assert abs(a - b) < 1e-3 * max(1.0, abs(a)), (out["one"], out["two"])
    assert out["one"][-1] < out["one"][0]  # it trained


def test_is_chief(monkeypatch):
    from nlpsuite import distribute

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.is_chief()
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}}))
    assert not distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    assert distribute.is_chief()


def test_multiworker_without_tf_config_is_a_clear_error(monkeypatch):
    from nlpsuite import distribute
    from nlpsuite.errors import NlpsuiteError

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(NlpsuiteError, match="TF_CONFIG"):
        distribute.multiworker_strategy()
