"""The one fit path every task uses: seeds, strategy scope, callbacks, progress, early stopping, checkpoints,
the wall-clock budget and the model card's training facts (``TrainingRun`` ties them together for
``Task.train``).

Checkpoints live in ``<out>.ckpt/``: an interrupted ``nlpsuite train ... --resume`` continues from
the last finished epoch with the optimizer state; a run that finishes deletes them. ``fit`` uses
``model.fit`` with ``keras.callbacks.BackupAndRestore`` everywhere except under
``MultiWorkerMirroredStrategy``, where Keras 3's ``model.fit`` fails (keras-team/keras#20585): there
``fit`` runs its own step loop (``_fit_multiworker``: ``strategy.run`` inside a ``tf.function``),
with the same callbacks, progress lines and resumable checkpoints.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "TrainingRun",
    "backup_callback",
    "checkpoint_dir_for",
    "count_parameters",
    "cpu_name",
    "epoch_timer",
    "fit",
    "hardware_description",
    "make_dev_metric_callback",
    "progress_verbosity",
    "set_seed",
    "software_description",
    "strategy_scope",
    "training_info",
]


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and the Keras backend.

    Example:
    >>> import numpy as np
    >>> set_seed(7); first = np.random.rand()
    >>> set_seed(7); first == np.random.rand()
    True
    """
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows.

    Example:
    >>> isinstance(cpu_name(), str) and cpu_name() != ""
    True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_description() -> str:
    """E.g. ``2 CPU cores (AMD EPYC ...), no GPU`` — goes in model cards and bench results.

    Example:
    >>> import os
    >>> hardware_description().startswith(f"{os.cpu_count()} CPU cores (")
    True
    """
    from nlpsuite import distribute

    accelerators = [d for d in distribute.devices() if not d.startswith("CPU")]
    accel = ", ".join(accelerators) if accelerators else "no GPU"
    return f"{os.cpu_count()} CPU cores ({cpu_name()}), {accel}"


def software_description() -> str:
    """Python, Keras and backend versions, for model cards.

    Example:
    >>> import keras
    >>> f"Keras {keras.__version__}" in software_description()
    True
    """
    import keras

    parts = [
        f"Python {platform.python_version()}",
        f"Keras {keras.__version__}",
        f"backend {keras.backend.backend()}",
    ]
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        parts.append(f"TensorFlow {tf.__version__}")
    return ", ".join(parts)


def progress_verbosity() -> int:
    """Keras's live progress bar on a terminal; one line per epoch in logs and CI.

    Example:
    >>> progress_verbosity()  # stdout is captured here, not a terminal: one line per epoch
    2
    """
    return 1 if sys.stdout.isatty() else 2


def make_dev_metric_callback(
    metric_fn: Callable[[], float],
    name: str,
    patience: int,
    mode: str = "max",
    restore_best: bool = True,
) -> Any:
    """A callback that scores the dev set with ``metric_fn`` after each epoch.

    It writes the score into the epoch logs (so progress and History show it), stops training after
    ``patience`` epochs without improvement, and restores the best weights at the end. Used for
    early stopping on metrics Keras cannot compute per batch (entity F1, BLEU).
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


def epoch_timer(max_minutes: float = 0.0) -> Any:
    """A Keras callback that records seconds per step and the load average of every epoch.

    It only hooks epoch boundaries, never ``on_train_batch_end``, because a batch hook turns off
    Keras's asynchronous callback dispatch for the whole run. The budget is therefore checked per
    epoch: training stops at the end of the first epoch after which one more epoch (as long as the
    last one, dev scoring included) would cross it. Keep epochs short (``steps_per_epoch``) when a
    budget matters. ``timer.budget_check`` is the second callback that does the check; ``fit``
    places it after every other callback.

    Args:
        max_minutes: wall-clock budget for the run in minutes (0 = none), checked per epoch.

    Its ``summary()`` is what a model card shows: median seconds per step, mean and peak
    1-minute load average while training, and the number of optimizer steps.

    Example:

    >>> timer = epoch_timer(max_minutes=30)
    >>> timer.summary()["steps"]
    0
    """
    import keras

    class _Timer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.budget = max_minutes * 60.0
            self.epochs: list[dict[str, float]] = []
            self.stopped_by_budget = False

        def _iterations(self) -> int:
            optimizer = getattr(self.model, "optimizer", None)
            return int(keras.ops.convert_to_numpy(optimizer.iterations)) if optimizer is not None else 0

        def on_train_begin(self, logs: dict | None = None) -> None:
            self.start = time.perf_counter()
            self.cycle_start = self.start

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch_start = time.perf_counter()
            self.iterations_start = self._iterations()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            now = time.perf_counter()
            steps = self._iterations() - self.iterations_start
            self.epochs.append(
                {
                    "seconds": now - self.epoch_start,
                    "steps": steps,
                    "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
                }
            )

        def summary(self) -> dict[str, Any]:
            timed = [e for e in self.epochs if e["steps"] > 0]
            # The first epoch includes tracing/compilation; leave it out when there are others.
            steady = timed[1:] if len(timed) > 1 else timed
            per_step = [e["seconds"] / e["steps"] for e in steady]
            loads = [e["load"] for e in self.epochs]
            return {
                "steps": int(sum(e["steps"] for e in self.epochs)),
                "seconds_per_step": round(float(np.median(per_step)), 4) if per_step else None,
                "load_average_mean": round(float(np.mean(loads)), 2) if loads else None,
                "load_average_max": round(float(np.max(loads)), 2) if loads else None,
                "stopped_by_budget": self.stopped_by_budget,
                "max_minutes": max_minutes,
            }

    class _BudgetCheck(keras.callbacks.Callback):
        """Runs last in the epoch, after dev-metric callbacks, so their time counts in the cycle."""

        def __init__(self, timer: _Timer) -> None:
            super().__init__()
            self.timer = timer

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            timer = self.timer
            now = time.perf_counter()
            cycle = now - timer.cycle_start
            timer.cycle_start = now
            if timer.budget > 0 and (now - timer.start) + cycle > timer.budget:
                timer.stopped_by_budget = True
                self.model.stop_training = True
                print(
                    f"time budget: stopping after epoch {epoch + 1} ({(now - timer.start) / 60:.1f} of "
                    f"{max_minutes:g} min used; one more epoch takes about {cycle / 60:.1f} min)",
                    flush=True,
                )

    timer = _Timer()
    timer.budget_check = _BudgetCheck(timer)
    return timer


def checkpoint_dir_for(out: str | os.PathLike) -> Path:
    """Where a training run keeps its resumable checkpoints: ``<out>.ckpt`` beside the output folder.

    Example:
    >>> checkpoint_dir_for("saved_models/ner-en").as_posix()
    'saved_models/ner-en.ckpt'
    """
    out = Path(out)
    return out.parent / f"{out.name}.ckpt"


def strategy_scope(strategy: Any = None) -> contextlib.AbstractContextManager:
    """``strategy.scope()``, or a scope that does nothing when there is no strategy (the default device).

    Example:
    >>> with strategy_scope(None):  # no strategy: the default device
    ...     pass
    >>> from nlpsuite.distribute import get_strategy
    >>> import keras
    >>> with strategy_scope(get_strategy("cpu")):
    ...     layer = keras.layers.Dense(2)
    """
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


class TrainingRun:
    """One ``Task.train`` call's shared plumbing: strategy scope, fit, early stopping, checkpoints, card facts.

    ``Task.train`` makes one and hands it to the task's ``_train``, which builds the model under
    ``run.scope()``, trains it with ``run.fit(...)`` and describes it with ``run.info(...)``. The clock
    starts when the run is made, so the card's training time covers data loading and preprocessing too.

    Args:
        config: the task's config; ``epochs``, ``patience`` and ``max_minutes`` are read from it.
        strategy: a strategy from ``nlpsuite.distribute.get_strategy``, or None for the default device.
        callbacks: more Keras callbacks, run after the task's early stopping.
        out: the folder the model will be saved to; checkpoints go to ``<out>.ckpt`` (None = keep none).
        resume: continue from the checkpoint an interrupted run left in ``<out>.ckpt``.

    Example:

    >>> from nlpsuite.tasks.base import TaskConfig
    >>> run = TrainingRun(TaskConfig(epochs=1))
    >>> with run.scope():
    ...     pass
    >>> run.checkpoint_dir is None
    True
    """

    def __init__(
        self,
        config: Any,
        strategy: Any = None,
        callbacks: Sequence[Any] = (),
        out: str | os.PathLike | None = None,
        resume: bool = False,
    ) -> None:
        from nlpsuite.errors import OptionError

        if resume and out is None:
            raise OptionError("resume", resume, "needs out, the folder whose <out>.ckpt checkpoints to continue")
        self.config = config
        self.strategy = strategy
        self.callbacks = list(callbacks)
        self.checkpoint_dir = checkpoint_dir_for(out) if out is not None else None
        self.resume = resume
        self.history: Any = None
        self.monitor: str | None = None
        self.mode = "min"
        self._side_dirs: list[Path] = []
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Wall time since the run started."""
        return time.perf_counter() - self._start

    def scope(self) -> contextlib.AbstractContextManager:
        """The scope to build and compile the model in (the strategy's, or a null one)."""
        return strategy_scope(self.strategy)

    def side_dir(self, name: str) -> Path | None:
        """``<out>.ckpt-<name>``: a folder for state a resumed run needs besides the weights (vocabularies).

        None when the run keeps no checkpoints. The folder is removed once ``fit`` has finished.
        """
        if self.checkpoint_dir is None:
            return None
        path = self.checkpoint_dir.parent / f"{self.checkpoint_dir.name}-{name}"
        self._side_dirs.append(path)
        return path

    def fit(
        self,
        model: Any,
        train: Any,
        validation: Any = None,
        *,
        monitor: str | None = "val_loss",
        mode: str = "min",
        dev_metric: Callable[[], float] | None = None,
        callbacks: Sequence[Any] = (),
        **kwargs: Any,
    ) -> Any:
        """Trains ``model`` with :func:`fit`, stopping early on ``monitor``; returns the ``History``.

        Args:
            model: the compiled model.
            train: the training data (what ``model.fit`` takes as ``x``).
            validation: ``validation_data`` for ``model.fit`` (None = none).
            monitor: the logged value early stopping watches (None = no early stopping); the best epoch's
                weights are restored at the end.
            mode: ``min`` or ``max``: which way ``monitor`` improves.
            dev_metric: a function that scores the dev set after each epoch; its value is logged as
                ``monitor`` (for scores Keras cannot compute per batch: entity F1, BLEU).
            callbacks: the task's own callbacks for this fit, run before early stopping (so the epoch's
                dev score sees what they did).
            **kwargs: more ``model.fit`` arguments (``shuffle``, ``steps_per_epoch``, ``y``, ...).
        """
        self.monitor, self.mode = monitor, mode
        self.history = fit(
            model,
            train,
            validation,
            epochs=self.config.epochs,
            callbacks=[*callbacks, *self._early_stopping(dev_metric), *self.callbacks],
            checkpoint_dir=self.checkpoint_dir,
            resume=self.resume,
            max_minutes=self.config.max_minutes,
            **kwargs,
        )
        for path in self._side_dirs:  # finished: nothing left to resume
            shutil.rmtree(path, ignore_errors=True)
        return self.history

    def _early_stopping(self, dev_metric: Callable[[], float] | None) -> list[Any]:
        import keras

        if self.monitor is None:
            return []
        if dev_metric is not None:
            return [make_dev_metric_callback(dev_metric, self.monitor, self.config.patience, self.mode)]
        return [
            keras.callbacks.EarlyStopping(
                self.monitor, mode=self.mode, patience=self.config.patience, restore_best_weights=True
            )
        ]

    def logged(self, name: str) -> list[float]:
        """The values ``name`` took epoch by epoch in the last ``fit`` (empty when it was not logged)."""
        return list(self.history.history.get(name, [])) if self.history is not None else []

    def best(self) -> tuple[float, int] | None:
        """``(best value, its epoch from 0)`` of the early-stopping monitor, or None when it was not logged."""
        values = self.logged(self.monitor) if self.monitor else []
        if not values:
            return None
        epoch = int(np.argmax(values) if self.mode == "max" else np.argmin(values))
        return float(values[epoch]), epoch

    def info(self, *, data: str, split: str, model: Any, **facts: Any) -> dict[str, Any]:
        """The model card's training facts (see :func:`training_info`): time, epochs and speed of this run,
        and ``best_dev`` (``{"metric", "value", "epoch"}``, the early-stopping monitor's best), which
        retraining scripts compare to choose between models without looking at the test split."""
        best = self.best()
        if best is not None:
            facts = {"best_dev": {"metric": self.monitor, "value": best[0], "epoch": best[1] + 1}, **facts}
        return training_info(
            data=data,
            split=split,
            seconds=self.seconds,
            model=model,
            epochs_run=len(self.logged("loss")),
            history=self.history,
            **facts,
        )


def backup_callback(checkpoint_dir: str | os.PathLike, resume: bool) -> Any:
    """``BackupAndRestore`` in ``checkpoint_dir``; without ``resume`` an old backup is cleared first.

    Args:
        checkpoint_dir: the folder of the backups (``checkpoint_dir_for(out)``).
        resume: keep a backup an interrupted run left there, so ``fit`` continues from it.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("run.ckpt").mkdir(), Path("run.ckpt/old").write_text("stale")
    >>> callback = backup_callback("run.ckpt", resume=False)
    >>> type(callback).__name__, list(Path("run.ckpt").iterdir())
    ('EpochBackup', [])
    """
    import keras

    checkpoint_dir = Path(checkpoint_dir)
    if not resume and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)

    class EpochBackup(keras.callbacks.BackupAndRestore):
        # Saves once per epoch only; dropping the batch hooks keeps Keras's asynchronous callback
        # dispatch on (any overridden ``on_train_batch_end`` turns it off for every batch).
        on_train_batch_begin = keras.callbacks.Callback.on_train_batch_begin
        on_train_batch_end = keras.callbacks.Callback.on_train_batch_end

    return EpochBackup(backup_dir=str(checkpoint_dir), delete_checkpoint=True)


def fit(
    model: Any,
    train: Any,
    validation: Any = None,
    *,
    epochs: int,
    callbacks: Sequence[Any] = (),
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    verbose: int | None = None,
    max_minutes: float = 0.0,
    **kwargs: Any,
) -> Any:
    """``model.fit`` with the suite's defaults: progress, resumable checkpoints, early stopping.

    ``max_minutes`` is the run's wall-clock budget (0 = none), checked per epoch (see
    :func:`epoch_timer`). The returned ``History`` carries ``history.timing``: seconds per step,
    the load average while training and the step count, for the model card.

    A model built under ``MultiWorkerMirroredStrategy`` trains through our own step loop instead
    (see the module docstring); the arguments and the returned ``History`` are the same.
    """
    verbose = progress_verbosity() if verbose is None else verbose
    timer = epoch_timer(max_minutes)
    # The timer first (its epoch time excludes later callbacks), the budget check last (it sees
    # the whole cycle, dev scoring included).
    callbacks = [timer, *callbacks, timer.budget_check]
    strategy = _multiworker_strategy_of(model)
    if strategy is not None:
        history = _fit_multiworker(
            model,
            train,
            validation,
            strategy=strategy,
            epochs=epochs,
            callbacks=callbacks,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            verbose=verbose,
            **kwargs,
        )
    else:
        all_callbacks = list(callbacks)
        if checkpoint_dir is not None:
            all_callbacks.append(backup_callback(checkpoint_dir, resume))
        with _uneven_first_batch_guard(model, train):
            history = model.fit(
                train,
                validation_data=validation,
                epochs=epochs,
                callbacks=all_callbacks,
                verbose=verbose,
                **kwargs,
            )
    history.timing = timer.summary()
    return history


@contextlib.contextmanager
def _uneven_first_batch_guard(model: Any, train: Any) -> Iterator[None]:
    """Works around keras-team/keras#19246 under a multi-replica tf.distribute strategy.

    Before training, Keras 3 averages the first batch over the replicas (``strategy.reduce("MEAN", ...)``) only
    to learn its shapes, which fails with "Inputs to operation AddN ... must have the same size and shape" when
    the batch does not split evenly (a short bucket of length-bucketed batches, say). We build the model from the
    first global batch ourselves, which is what Keras then does with the average, and skip that step during fit.
    """
    strategy = getattr(model, "_distribute_strategy", None)
    first = _first_batch(train) if strategy is not None and strategy.num_replicas_in_sync > 1 else None
    if first is None or not hasattr(model, "_symbolic_build"):
        yield
        return
    with strategy.scope():
        model._symbolic_build(data_batch=first)
    model._maybe_symbolic_build = lambda *args, **kwargs: None  # instance attribute: this fit only
    try:
        yield
    finally:
        del model._maybe_symbolic_build


def _first_batch(data: Any) -> Any:
    """The first batch of a ``tf.data.Dataset`` or a PyDataset-like sequence, as a tuple; else None."""
    import tensorflow as tf

    if isinstance(data, tf.data.Dataset):
        batch = next(iter(data.take(1)), None)
    elif _is_batch_sequence(data):
        batch = data[0] if len(data) else None
    else:
        return None
    return tuple(batch) if isinstance(batch, list) else batch


# --------------------------------------------------------------------- the multi-worker step loop


def _multiworker_strategy_of(model: Any) -> Any:
    """The ``MultiWorkerMirroredStrategy`` ``model`` was built under, or None."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    strategy = getattr(model, "_distribute_strategy", None) or tf.distribute.get_strategy()
    return strategy if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) else None


_LOOP_OPTIONS = ("y", "batch_size", "shuffle", "steps_per_epoch", "validation_steps", "validation_freq")


def _fit_multiworker(
    model: Any,
    train: Any,
    validation: Any,
    *,
    strategy: Any,
    epochs: int,
    callbacks: Sequence[Any],
    checkpoint_dir: str | os.PathLike | None,
    resume: bool,
    verbose: int,
    **kwargs: Any,
) -> Any:
    """``fit`` under MultiWorkerMirroredStrategy: a ``strategy.run`` loop with Keras callbacks."""
    import keras
    import tensorflow as tf

    from nlpsuite.errors import NlpsuiteError

    unsupported = sorted(set(kwargs) - set(_LOOP_OPTIONS))
    if unsupported:
        raise NlpsuiteError(
            f"--strategy multiworker: fit option(s) {', '.join(unsupported)} are not supported "
            f"by the multi-worker loop (supported: {', '.join(_LOOP_OPTIONS)})"
        )
    if getattr(model, "optimizer", None) is None:
        raise NlpsuiteError("--strategy multiworker: compile the model (optimizer and loss) before fit")
    if kwargs.get("y") is not None:  # fit(model, x, y=y, batch_size=...), as model.fit(x, y) takes it
        train = (train, kwargs["y"])
    train_data = _InputData(
        train,
        strategy,
        kwargs.get("batch_size"),
        kwargs.get("shuffle", True),
        kwargs.get("steps_per_epoch"),
    )
    val_data = None
    if validation is not None:
        val_data = _InputData(validation, strategy, kwargs.get("batch_size"), False, kwargs.get("validation_steps"))
    validation_freq = int(kwargs.get("validation_freq", 1))
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
    loop = _StepLoop(model, strategy)
    checkpoint = _WorkerCheckpoint(model, checkpoint_dir, resume)
    start = checkpoint.restore()
    if start:
        print(
            f"resuming from the checkpoint in {checkpoint.directory}: epoch {start + 1} of {epochs}",
            flush=True,
        )
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(
        [*callbacks, history],
        add_history=False,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=train_data.steps,
        model=model,
    )
    model.stop_training = False
    logs: dict[str, float] = {}
    try:
        callback_list.on_train_begin()
        for epoch in range(start, epochs):
            callback_list.on_epoch_begin(epoch)
            logs = loop.train_epoch(train_data, callback_list)
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                logs.update({f"val_{k}": v for k, v in loop.evaluate(val_data).items()})
            callback_list.on_epoch_end(epoch, logs)
            checkpoint.save(epoch + 1)
            if loop.any_worker_stops(bool(model.stop_training)):
                break
        callback_list.on_train_end(logs)
    except (
        tf.errors.UnavailableError,
        tf.errors.DeadlineExceededError,
        tf.errors.AbortedError,
        tf.errors.CancelledError,
    ) as exc:
        # What a dead or unreachable peer looks like from a collective: heartbeat loss or a timeout.
        raise NlpsuiteError(_lost_worker_message(exc, checkpoint)) from None
    checkpoint.finish()
    model.history = history
    return history


def _lost_worker_message(exc: Exception, checkpoint: _WorkerCheckpoint) -> str:
    import re

    from nlpsuite import distribute

    me = distribute.task_identity()
    peers = [(kind, int(index)) for kind, index in re.findall(r"/job:(\w+)/replica:\d+/task:(\d+)", str(exc))]
    lost = next((peer for peer in peers if peer != me), None)
    if lost is None:
        who = "a peer worker"
    else:
        address = distribute.task_address(*lost)
        who = f"{lost[0]} {lost[1]}" + (f" ({address})" if address else "")
    cause = _failure_cause(exc)
    if checkpoint.directory is None:
        todo = "rerun to train again (no checkpoint directory was given)"
    else:
        todo = (
            f"rerun with --resume to continue from epoch {checkpoint.saved_epochs + 1} "
            f"(checkpoint in {checkpoint.directory})"
        )
    return f"{who} is unreachable ({cause}); {todo}"


def _failure_cause(exc: Exception) -> str:
    import re

    import tensorflow as tf

    text = str(exc)
    if "heartbeat" in text:
        return "it stopped sending heartbeats"
    if isinstance(exc, tf.errors.DeadlineExceededError):
        return "a collective timed out; see NLPSUITE_COLLECTIVE_TIMEOUT"
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = re.sub(r"\{\{[^}]*\}\}\s*", "", first)  # TensorFlow's {{function_node ...}} prefix
    return f"{type(exc).__name__}: {first[:160]}"


class _InputData:
    """Training or validation input as an endless stream of global batches, spread over the replicas.

    Accepts a ``tf.data.Dataset`` of global batches, a ``keras.utils.PyDataset`` (or any sequence of
    batches with ``__len__``/``__getitem__``) or a tuple of arrays with ``batch_size``. An epoch is
    ``steps`` batches of one long-lived iterator: making a distributed iterator costs seconds, so we
    make one, not one per epoch. Every worker reads the whole input and keeps its replicas' slices
    of each global batch (as tf.distribute's DATA sharding does), so the input must yield the same
    batches in the same order on every worker: seed its shuffling.
    """

    def __init__(self, data: Any, strategy: Any, batch_size: int | None, shuffle: bool, steps: int | None) -> None:
        from nlpsuite.errors import NlpsuiteError

        dataset, count = _as_stream(data, batch_size, shuffle)
        if count is None and not steps:
            raise NlpsuiteError("--strategy multiworker: an endless dataset needs fit(..., steps_per_epoch=N)")
        self.steps = min(int(steps), count) if steps and count else int(steps or count)
        self.distributed = strategy.distribute_datasets_from_function(lambda context: _replica_slices(dataset, context))
        self._iterator = None

    def iterator(self) -> Any:
        if self._iterator is None:
            self._iterator = iter(self.distributed)
        return self._iterator


def _as_stream(data: Any, batch_size: int | None, shuffle: bool) -> tuple[Any, int | None]:
    """``(endless dataset of global batches, batches per pass or None when the input is endless)``."""
    import tensorflow as tf

    from nlpsuite.errors import NlpsuiteError

    if isinstance(data, tf.data.Dataset):
        count = _count_batches(data)
        return (data.repeat() if count is not None else data), count
    if _is_batch_sequence(data):
        return _sequence_stream(data), len(data)
    if isinstance(data, (tuple, list)) and data:
        if not batch_size:
            raise NlpsuiteError("--strategy multiworker: array inputs need fit(..., batch_size=N)")
        rows = len(tf.nest.flatten(data[0])[0])
        dataset = tf.data.Dataset.from_tensor_slices(tuple(data))
        if shuffle:  # a fixed seed: every worker must see the same order
            dataset = dataset.shuffle(rows, seed=0, reshuffle_each_iteration=True)
        return dataset.batch(int(batch_size)).repeat(), -(-rows // int(batch_size))
    raise NlpsuiteError(
        f"--strategy multiworker: cannot train on {type(data).__name__}; pass a tf.data.Dataset of "
        "batches, a keras.utils.PyDataset or an (x, y) tuple of arrays"
    )


def _is_batch_sequence(data: Any) -> bool:
    """A ``keras.utils.PyDataset`` or another indexable sequence of batches (not an array of examples)."""
    import tensorflow as tf

    if isinstance(data, (np.ndarray, tf.Tensor, tuple, list, dict, str)):
        return False
    return hasattr(data, "__getitem__") and hasattr(data, "__len__")


def _sequence_stream(batches: Any) -> Any:
    """An endless ``tf.data.Dataset`` over a PyDataset-like sequence (shapes may vary batch to batch).

    The generator itself calls ``on_epoch_end`` after each pass, so a reshuffle always falls between
    two passes, however far tf.data prefetches ahead.
    """
    import tensorflow as tf

    def spec(value: Any) -> Any:
        value = np.asarray(value)
        return tf.TensorSpec([None] * value.ndim, tf.as_dtype(value.dtype))

    signature = tf.nest.map_structure(spec, _as_tuple(batches[0]))

    def generate() -> Any:
        while True:
            for index in range(len(batches)):
                yield tf.nest.map_structure(np.asarray, _as_tuple(batches[index]))
            if hasattr(batches, "on_epoch_end"):
                batches.on_epoch_end()

    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def _as_tuple(batch: Any) -> Any:
    return tuple(batch) if isinstance(batch, list) else batch


def _count_batches(dataset: Any) -> int | None:
    import tensorflow as tf

    count = int(dataset.cardinality())
    if count == tf.data.INFINITE_CARDINALITY:
        return None
    if count == tf.data.UNKNOWN_CARDINALITY:
        return int(dataset.reduce(np.int64(0), lambda total, _: total + 1))
    return count


def _replica_slices(dataset: Any, context: Any) -> Any:
    """This worker's share of each global batch: one element per local replica, in replica order."""
    import tensorflow as tf

    total = context.num_replicas_in_sync
    local = total // context.num_input_pipelines
    first = context.input_pipeline_id * local

    def split(*element: Any) -> Any:
        batch = element[0] if len(element) == 1 else element
        rows = tf.shape(tf.nest.flatten(batch)[0])[0]
        share = (rows + total - 1) // total

        def piece(replica: Any) -> Any:
            start = (first + tf.cast(replica, tf.int32)) * share
            return tf.nest.map_structure(lambda t: t[start : start + share], batch)

        return tf.data.Dataset.range(local).map(piece)

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return dataset.flat_map(split).with_options(options)


class _StepLoop:
    """The ``tf.function``-compiled train and eval steps around ``strategy.run``.

    Each replica's loss is the compiled loss (``model.compute_loss``, which includes
    ``model.losses``) over its slice of the global batch. Keras divides that by the replica count
    under tf.distribute; we undo it and weight the replica's mean by its share of the global batch
    with ``tf.nn.compute_average_loss``, so the summed gradients are those of the global-batch mean
    even when the last batch is short.
    """

    def __init__(self, model: Any, strategy: Any) -> None:
        import tensorflow as tf

        self.model = model
        self.strategy = strategy
        self._train = tf.function(self._distributed(self._train_replica))
        self._eval = tf.function(self._distributed(self._eval_replica))

    def _distributed(self, replica_fn: Callable) -> Callable:
        strategy = self.strategy

        def step(iterator: Any) -> Any:
            loss, count = strategy.run(replica_fn, args=(next(iterator),))
            return strategy.reduce("SUM", loss, axis=None), strategy.reduce("SUM", count, axis=None)

        return step

    def _replica_loss(self, data: Any, training: bool) -> Any:
        import keras
        import tensorflow as tf

        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        rows = tf.shape(tf.nest.flatten(x)[0])[0]
        context = tf.distribute.get_replica_context()
        global_rows = context.all_reduce("SUM", rows)
        y_pred = self.model(x, training=training)
        replica_mean = self.model.compute_loss(x, y, y_pred, sample_weight, training=training)
        replica_mean = tf.cast(replica_mean, "float32") * self.strategy.num_replicas_in_sync
        per_example = tf.fill([rows], replica_mean)
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=tf.maximum(global_rows, 1))
        self.model.compute_metrics(x, y, y_pred, sample_weight)
        return loss, tf.cast(rows, "float32")

    def _train_replica(self, data: Any) -> Any:
        import tensorflow as tf

        model = self.model
        with tf.GradientTape() as tape:
            loss, rows = self._replica_loss(data, training=True)
            scaled = model.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, model.trainable_weights)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_weights, strict=True))
        return loss, rows

    def _eval_replica(self, data: Any) -> Any:
        return self._replica_loss(data, training=False)

    def train_epoch(self, data: _InputData, callback_list: Any) -> dict[str, float]:
        self.model.reset_metrics()
        iterator = data.iterator()
        total, rows = 0.0, 0.0
        for step in range(data.steps):
            callback_list.on_train_batch_begin(step)
            loss, count = self._train(iterator)
            total += float(loss) * float(count)
            rows += float(count)
            callback_list.on_train_batch_end(step, {"loss": total / max(rows, 1.0)})
        return {"loss": total / max(rows, 1.0), **self._metric_results()}

    def evaluate(self, data: _InputData) -> dict[str, float]:
        self.model.reset_metrics()
        iterator = data.iterator()
        total, rows = 0.0, 0.0
        for _ in range(data.steps):
            loss, count = self._eval(iterator)
            total += float(loss) * float(count)
            rows += float(count)
        return {"loss": total / max(rows, 1.0), **self._metric_results()}

    def _metric_results(self) -> dict[str, float]:
        """Compiled metrics summed over every replica (Keras metric variables are sync-on-read sums)."""
        results = {}
        for name, value in self.model.get_metrics_result().items():
            if name != "loss":
                results[name] = float(np.asarray(value))
        return results

    def any_worker_stops(self, stop: bool) -> bool:
        """Workers agree on early stopping, or the ones that go on would wait for the others forever."""
        import tensorflow as tf

        votes = self.strategy.run(lambda: tf.constant(1.0 if stop else 0.0))
        return float(self.strategy.reduce("SUM", votes, axis=None)) > 0


class _WorkerCheckpoint:
    """Per-epoch ``tf.train.Checkpoint`` of the model, optimizer and epoch count, as tf.distribute documents.

    Every worker saves (saving may read synchronised variables, a collective step), but only the
    chief writes to ``checkpoint_dir``; the others write to a temporary folder beside it and delete
    it. A resumed run reads the chief's checkpoint on every worker, so on several machines
    ``checkpoint_dir`` must be shared storage.
    """

    def __init__(self, model: Any, checkpoint_dir: str | os.PathLike | None, resume: bool) -> None:
        import tensorflow as tf

        from nlpsuite import distribute

        self.directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.resume = resume
        self.chief = distribute.is_chief()
        self.saved_epochs = 0
        self.epoch = tf.Variable(0, dtype="int64", trainable=False, name="epoch")
        self.checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer, epoch=self.epoch)
        self.manager = None
        if self.directory is not None:
            kind, index = distribute.task_identity()
            write_dir = (
                self.directory if self.chief else (self.directory.parent / f".{self.directory.name}.{kind}-{index}")
            )
            self.write_dir = write_dir
            if self.chief and not resume and self.directory.exists():
                shutil.rmtree(self.directory)
            self.manager = tf.train.CheckpointManager(self.checkpoint, str(write_dir), max_to_keep=1)

    def restore(self) -> int:
        """Loads the chief's last checkpoint when resuming; returns the number of epochs it had finished."""
        import tensorflow as tf

        if self.directory is None or not self.resume:
            return 0
        latest = tf.train.latest_checkpoint(str(self.directory))
        if latest is None:
            return 0
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as exc:
            from nlpsuite.errors import NlpsuiteError

            raise NlpsuiteError(
                f"the checkpoint in {self.directory} does not fit this model ({str(exc)[:120]}); "
                "rerun without --resume to start over"
            ) from None
        self.saved_epochs = int(self.epoch.numpy())
        return self.saved_epochs

    def save(self, epochs_done: int) -> None:
        if self.manager is None:
            return
        self.epoch.assign(epochs_done)
        self.manager.save(checkpoint_number=epochs_done)
        if not self.chief:
            shutil.rmtree(self.write_dir, ignore_errors=True)
        self.saved_epochs = epochs_done

    def finish(self) -> None:
        """A finished run needs no checkpoint (as BackupAndRestore's ``delete_checkpoint``)."""
        if self.directory is not None and self.chief:
            shutil.rmtree(self.directory, ignore_errors=True)


def count_parameters(model: Any) -> int:
    """The number of trainable weights of ``model``.

    Example:
    >>> import keras
    >>> count_parameters(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))  # 3 * 2 + 2
    8
    """
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def training_info(
    *,
    data: str,
    split: str,
    seconds: float,
    model: Any,
    epochs_run: int | None = None,
    data_notes: Sequence[str] = (),
    notes: Sequence[str] = (),
    history: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """The facts a model card needs, in the shape ``render_model_card`` reads.

    ``history`` (what :func:`fit` returned) adds its timing: seconds per step and load average.

    Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> info = training_info(data="tiny.tsv", split="train", seconds=12.34, model=model, epochs_run=1)
    >>> info["parameters"], info["training_seconds"], info["data"]
    (8, 12.3, 'tiny.tsv')
    """
    timing = getattr(history, "timing", None)
    if timing:
        extra = {"timing": timing, **extra}
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
