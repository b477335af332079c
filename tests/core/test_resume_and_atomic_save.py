"""Single-device resume and the end-to-end atomic save.

Resume: ``training.fit`` (the one fit path every task uses) is interrupted after epoch 1 and
rerun with ``resume=True`` from a model built with *different* initial weights; it must end with
the weights of an uninterrupted run. Only a real restore of the weights, the optimizer's moments and
step count, and the epoch counter gives that: a rerun from scratch keeps the other initial weights,
and one that forgets the epoch trains an extra epoch.

Atomic save: a ``nlpsuite train --out EXISTING`` that fails while writing leaves the old folder
byte-identical and no temporary folder beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import pytest

from nlpsuite import cli, training
from nlpsuite.errors import NlpsuiteError

EPOCHS = 3
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class Interrupt(Exception):
    pass


class StopAtEpoch(keras.callbacks.Callback):
    """Raises when ``epoch`` (0-based) begins: epochs before it have finished and been backed up."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupt(f"stopped at epoch {epoch + 1}")


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 1)) + 0.1 * rng.normal(size=(96, 1))).astype("float32")
    return x, y


def _model(seed: int) -> keras.Model:
    training.set_seed(seed)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def _fit(model, checkpoint_dir, **kwargs):
    x, y = _data()
    # shuffle=False: the batch order of an epoch must not depend on how many epochs ran in this process.
    return training.fit(model, x, y=y, epochs=EPOCHS, batch_size=16, shuffle=False, verbose=0,
                        checkpoint_dir=checkpoint_dir, **kwargs)


def test_interrupted_then_resumed_fit_matches_an_uninterrupted_one(tmp_path):
    reference = _model(seed=0)
    _fit(reference, tmp_path / "reference.ckpt")

    interrupted = _model(seed=0)
    with pytest.raises(Interrupt):
        _fit(interrupted, tmp_path / "run.ckpt", callbacks=[StopAtEpoch(1)])
    assert (tmp_path / "run.ckpt").exists()  # the epoch-1 backup is kept for the resume

    resumed = _model(seed=99)  # other initial weights: only the checkpoint can bring back the run's
    assert not np.allclose(resumed.get_weights()[0], reference.get_weights()[0])
    history = _fit(resumed, tmp_path / "run.ckpt", resume=True)
    assert history.epoch == [1, 2]  # epochs 2 and 3 only
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations) == EPOCHS * 6
    # The same float32 operations on the same batches from bit-equal restored state: equal to
    # round-off. 1e-6 leaves room for a different summation order of the restored Adam slots, far
    # below what one lost epoch or lost moments change (checked below).
    for got, want in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert not (tmp_path / "run.ckpt").exists()  # a finished run deletes its checkpoint

    # The tolerance discriminates: restarting from scratch with fresh moments lands elsewhere.
    fresh = _model(seed=0)
    _fit(fresh, tmp_path / "fresh.ckpt", initial_epoch=1)
    assert max(np.max(np.abs(a - b)) for a, b in zip(fresh.get_weights(), reference.get_weights(), strict=True)) > 1e-3


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _train_argv(out: Path) -> list[str]:
    return ["train", "sentiment", "--data", str(FIXTURES / "sentiment" / "en"), "--out", str(out),
            "--epochs", "1", "--set", "embedding_dim=4", "--set", "units=4", "--set", "attention_units=4"]


@pytest.fixture
def existing(tmp_path) -> Path:
    """A model folder from an earlier run (any files: the point is that none of them change)."""
    out = tmp_path / "models" / "sentiment-en"
    (out / "assets").mkdir(parents=True)
    (out / "config.json").write_text('{"task": "sentiment", "config": {}}\n')
    (out / "model.keras").write_bytes(os.urandom(4096))
    (out / "assets" / "vocab.json").write_text('["<pad>", "<unk>", "good"]')
    (out / "metrics.json").write_text('{"accuracy": 0.91}\n')
    return out


@pytest.mark.parametrize("failure", [NlpsuiteError("disk full"), KeyboardInterrupt()])
def test_a_train_that_fails_while_saving_leaves_the_old_folder_byte_identical(existing, monkeypatch, capsys,
                                                                              failure):
    from nlpsuite.tasks.sentiment import SentimentTask

    before = _snapshot(existing)
    original = SentimentTask.save_assets

    def save_half_then_fail(self, directory):
        original(self, directory)  # the new model and some assets are written ...
        raise failure  # ... then the disk fills up, or the user presses Ctrl-C

    monkeypatch.setattr(SentimentTask, "save_assets", save_half_then_fail)
    code = cli.main(_train_argv(existing))
    assert code == (130 if isinstance(failure, KeyboardInterrupt) else 2)
    assert "error:" in capsys.readouterr().err
    assert _snapshot(existing) == before
    assert sorted(p.name for p in existing.parent.iterdir()) == ["sentiment-en"]  # no temp folders left
