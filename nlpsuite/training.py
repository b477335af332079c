"""Shared pieces of every task's training: seeds, callbacks, progress, early stopping, checkpoints.

Checkpoints use ``keras.callbacks.BackupAndRestore`` in ``<out>.ckpt/``: an interrupted ``nlpsuite train ...
--resume`` continues from the last finished epoch with the optimizer state; a run that finishes deletes them.
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and the Keras backend."""
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_description() -> str:
    """E.g. ``2 CPU cores (AMD EPYC ...), no GPU`` — goes in model cards and bench results."""
    from nlpsuite import distribute

    accelerators = [d for d in distribute.devices() if not d.startswith("CPU")]
    accel = ", ".join(accelerators) if accelerators else "no GPU"
    return f"{os.cpu_count()} CPU cores ({cpu_name()}), {accel}"


def software_description() -> str:
    import keras

    parts = [f"Python {platform.python_version()}", f"Keras {keras.__version__}",
             f"backend {keras.backend.backend()}"]
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        parts.append(f"TensorFlow {tf.__version__}")
    return ", ".join(parts)


def progress_verbosity() -> int:
    """Keras's live progress bar on a terminal; one line per epoch in logs and CI."""
    return 1 if sys.stdout.isatty() else 2


def make_dev_metric_callback(metric_fn: Callable[[], float], name: str, patience: int,
                             mode: str = "max", restore_best: bool = True) -> Any:
    """A callback that scores the dev set with ``metric_fn`` after each epoch.

    It writes the score into the epoch logs (so progress and History show it), stops training after ``patience``
    epochs without improvement, and restores the best weights at the end. Used for early stopping on metrics
    Keras cannot compute per batch (entity F1, BLEU).
    """
    import keras

    class DevMetric(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.best = -np.inf if mode == "max" else np.inf
            self.best_weights = None
            self.best_epoch = -1
            self.wait = 0
            self.history: list[float] = []

        def _better(self, value: float) -> bool:
            return value > self.best if mode == "max" else value < self.best

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            value = float(metric_fn())
            self.history.append(value)
            if logs is not None:
                logs[name] = value
            print(f"epoch {epoch + 1}: {name} = {value:.4f}", flush=True)
            if self._better(value):
                self.best, self.best_epoch, self.wait = value, epoch, 0
                if restore_best:
                    self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= patience:
                    self.model.stop_training = True

        def on_train_end(self, logs: dict | None = None) -> None:
            if restore_best and self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return DevMetric()


def checkpoint_dir_for(out: str | os.PathLike | None, task_name: str) -> Path:
    """Where a training run keeps its resumable checkpoints: ``<out>.ckpt`` beside the output folder."""
    out = Path(out) if out else Path("saved_models") / task_name
    return out.parent / f"{out.name}.ckpt"


def backup_callback(checkpoint_dir: str | os.PathLike, resume: bool) -> Any:
    """``BackupAndRestore`` in ``checkpoint_dir``; without ``resume`` an old backup is cleared first."""
    import keras

    checkpoint_dir = Path(checkpoint_dir)
    if not resume and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    return keras.callbacks.BackupAndRestore(backup_dir=str(checkpoint_dir), delete_checkpoint=True)


def fit(model: Any, train: Any, validation: Any = None, *, epochs: int, callbacks: Sequence[Any] = (),
        checkpoint_dir: str | os.PathLike | None = None, resume: bool = False,
        verbose: int | None = None, **kwargs: Any) -> Any:
    """``model.fit`` with the suite's defaults: progress bar, resumable checkpoints, early-stop callbacks."""
    all_callbacks = list(callbacks)
    if checkpoint_dir is not None:
        all_callbacks.append(backup_callback(checkpoint_dir, resume))
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        callbacks=all_callbacks,
        verbose=progress_verbosity() if verbose is None else verbose,
        **kwargs,
    )


def count_parameters(model: Any) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def training_info(*, data: str, split: str, seconds: float, model: Any, epochs_run: int | None = None,
                  data_notes: Sequence[str] = (), notes: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    """The facts a model card needs, in the shape ``render_model_card`` reads."""
    return {
        "data": data,
        "split": split,
        "training_seconds": round(seconds, 1),
        "epochs_run": epochs_run,
        "hardware": hardware_description(),
        "software": software_description(),
        "parameters": count_parameters(model),
        "data_notes": list(data_notes),
        "notes": list(notes),
        **extra,
    }
