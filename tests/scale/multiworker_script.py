"""One worker of the two-worker tests in ``test_multiworker.py`` (run as a script, ``TF_CONFIG`` set).

Trains a tiny GRU tagger through ``nlpsuite.training.fit`` under ``--strategy multiworker`` and
writes a JSON report (weights, history, replica count) to ``--report``; the chief alone saves the
model to ``--out``. ``--pause-at-epoch N`` makes worker 1 stop at the start of epoch N (after the
checkpoint of epoch N - 1) and wait to be killed; ``--reference`` makes the chief also train the
same model on one device with Keras's own ``model.fit``, the ground truth the two-worker weights
must match.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from nlpsuite import distribute, training
from nlpsuite.errors import NlpsuiteError

LEARNING_RATE = 0.02
BATCH = 16


def arrays(rows: int, length: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(rows)
    x = rng.integers(1, 20, size=(rows, length)).astype("int32")
    return x, (x % 3 == 0).astype("int32")


def build_model() -> keras.Model:
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.layers.Input((None,), dtype="int32"),
            keras.layers.Embedding(20, 8),
            keras.layers.GRU(8, return_sequences=True),
            keras.layers.Dense(2),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def datasets() -> tuple[tf.data.Dataset, tf.data.Dataset]:
    # 40 rows in global batches of 16: the last batch is short (8 rows), which the loop must weight
    # right.
    train = tf.data.Dataset.from_tensor_slices(arrays(40)).batch(BATCH)
    dev = tf.data.Dataset.from_tensor_slices(arrays(16)).batch(BATCH)
    return train, dev


class Pause(keras.callbacks.Callback):
    """Holds this worker at the start of an epoch until the test kills it (a worker lost mid-run)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 == self.epoch:
            print(f"paused at epoch {self.epoch}", flush=True)
            time.sleep(600)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--report", required=True, help="JSON report path; {index} = this worker's index")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--pause-at-epoch", type=int, default=0)
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()

    strategy = distribute.get_strategy("multiworker")
    _, index = distribute.task_identity()
    with strategy.scope():
        model = build_model()
    train, dev = datasets()
    x_dev, y_dev = arrays(16)

    def dev_accuracy() -> float:  # model.predict under the strategy, as the tasks' dev metrics do
        return float(np.mean(np.argmax(model.predict(x_dev, verbose=0), axis=-1) == y_dev))

    callbacks = [training.make_dev_metric_callback(dev_accuracy, "dev_accuracy", patience=10, restore_best=False)]
    if args.pause_at_epoch and index == 1:
        callbacks.append(Pause(args.pause_at_epoch))
    try:
        history = training.fit(
            model,
            train,
            dev,
            epochs=args.epochs,
            callbacks=callbacks,
            checkpoint_dir=args.out + ".ckpt",
            resume=args.resume,
            verbose=2,
        )
    except NlpsuiteError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    report = {
        "index": index,
        "replicas": strategy.num_replicas_in_sync,
        "weights": [w.tolist() for w in model.get_weights()],
        "history": history.history,
        "epochs": history.epoch,
    }
    if distribute.is_chief():
        os.makedirs(args.out, exist_ok=True)
        model.save(os.path.join(args.out, "model.keras"))
        if args.reference:
            report["reference"] = reference_weights(args.epochs)
    with open(args.report.format(index=index), "w") as handle:
        json.dump(report, handle)
    return 0


def reference_weights(epochs: int) -> list:
    """The same model, data and epochs on one device through Keras's own ``model.fit``."""
    model = build_model()
    train, dev = datasets()
    model.fit(train, validation_data=dev, epochs=epochs, verbose=0)
    return [w.tolist() for w in model.get_weights()]


if __name__ == "__main__":
    sys.exit(main())
