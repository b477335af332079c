"""The shape every app task shares, so the CLI, the apps and the tests treat them alike.

```python
task = NerTask.train(data, config, strategy=None, callbacks=())  # a trained task
task.evaluate(data) -> dict          # metrics; the same dict goes to metrics.json
task.predict(inputs, **options) -> list[dict]
task.save(directory)                 # atomic: a temp dir, then rename
nlpsuite.load(directory) -> task     # reads config.json's "task" field and dispatches
```
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, overload

from nlpsuite import training
from nlpsuite.errors import NlpsuiteError, OptionError

__all__ = [
    "ASSETS_DIR",
    "Asset",
    "CONFIG_FILE",
    "MODEL_FILE",
    "RENAMED_OPTIONS",
    "TASK_CLASSES",
    "Task",
    "TaskConfig",
    "atomic_directory",
    "atomic_write_text",
    "config_from_dict",
    "config_to_dict",
    "get_task_class",
    "without_optimizer",
    "load",
    "read_json",
    "card_notes",
    "render_model_card",
]

# Lazy, so `nlpsuite info` and one app never pay for importing every other task.
TASK_CLASSES: dict[str, str] = {
    "ner": "nlpsuite.tasks.ner:NerTask",
    "sentiment": "nlpsuite.tasks.sentiment:SentimentTask",
    "translation": "nlpsuite.tasks.translation:TranslationTask",
    "poetry": "nlpsuite.tasks.poetry:PoetryTask",
    "stock": "nlpsuite.tasks.stock:StockTask",
}

CONFIG_FILE = "config.json"
MODEL_FILE = "model.keras"
ASSETS_DIR = "assets"
METRICS_FILE = "metrics.json"
CARD_FILE = "MODEL_CARD.md"
# Everything below this line of a model card is the user's: refreshing the card keeps it.
CARD_NOTES_MARKER = "<!-- Notes below this line are kept when `nlpsuite evaluate --save` refreshes the card. -->"


def get_task_class(name: str) -> type[Task]:
    """The task class registered under ``name`` (``ner``, ``sentiment``, ...).

    Raises:
        NlpsuiteError: an unknown name, with the known ones.

    Example:
    >>> get_task_class("ner").__name__
    'NerTask'
    >>> get_task_class("pos")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: unknown task 'pos'; choose one of: ner, sentiment, translation, poetry, stock
    """
    if name not in TASK_CLASSES:
        raise NlpsuiteError(f"unknown task {name!r}; choose one of: {', '.join(TASK_CLASSES)}")
    module_name, class_name = TASK_CLASSES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


# ----------------------------------------------------------------------------------------------- config


@dataclasses.dataclass
class TaskConfig:
    """Options every task has. Task configs subclass this and add their own fields.

    Args:
        epochs: passes over the training data (early stopping may end sooner).
        batch_size: the global batch; under a multi-device strategy each replica gets
            ``batch_size / replicas`` (tf.distribute's rule). The learning rate is not rescaled.
        learning_rate: the optimizer's step size.
        seed: seeds Python, NumPy and the backend, for repeatable runs.
        patience: epochs without dev improvement before early stopping.
        strategy: ``auto|cpu|gpu|mirrored|tpu|multiworker`` (see ``nlpsuite.distribute``).
        mixed_precision: ``mixed_float16`` on GPU / ``mixed_bfloat16`` elsewhere; losses stay float32.
        jit_compile: XLA-compile the train step.
        max_train_examples: cap on training examples (0 = all); for quick trials, never for reported models.
        max_minutes: wall-clock budget of the run (0 = none), checked at the end of each epoch: training stops
            when one more epoch would cross it, keeping the best dev epoch's weights as early stopping does.

    Example:
    >>> config = TaskConfig(epochs=2, max_minutes=30)
    >>> config.validate()
    >>> TaskConfig(batch_size=0).validate()
    Traceback (most recent call last):
    ...
    nlpsuite.errors.OptionError: batch_size must be at least 1 (got 0)
    """

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 1234
    patience: int = 3
    strategy: str = "auto"
    mixed_precision: bool = False
    jit_compile: bool = False
    max_train_examples: int = 0
    max_minutes: float = 0.0

    def validate(self) -> None:
        """Raises ``OptionError`` for a value no training can use; task configs add their own checks."""
        self.require_at_least(1, "epochs", "batch_size")
        self.require_at_least(0, "patience", "max_train_examples", "max_minutes")
        if not self.learning_rate > 0:
            raise OptionError("learning_rate", self.learning_rate, "must be above 0")

    def require_at_least(self, minimum: float, *names: str) -> None:
        """Raises ``OptionError`` for the first option of ``names`` whose value is below ``minimum``."""
        for name in names:
            if getattr(self, name) < minimum:
                raise OptionError(name, getattr(self, name), f"must be at least {minimum}")

    def require_fraction(self, *names: str) -> None:
        """Raises ``OptionError`` for the first option of ``names`` outside ``[0, 1)`` (a rate or a share)."""
        for name in names:
            if not 0 <= getattr(self, name) < 1:
                raise OptionError(name, getattr(self, name), "must be in [0, 1)")


# Options renamed since models were committed: config.json files that use an old name still load.
RENAMED_OPTIONS = {"time_limit_minutes": "max_minutes", "time_budget_minutes": "max_minutes"}


def config_to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass as a plain dict (what ``config.json`` stores).

    Example:
    >>> config_to_dict(TaskConfig(epochs=2))["epochs"]
    2
    """
    return dataclasses.asdict(config)


def config_from_dict(config_class: type, values: Mapping[str, Any]) -> Any:
    """Builds a config, rejecting unknown keys with the list of known ones; old option names are mapped to
    their new ones (``RENAMED_OPTIONS``).

    Example:
    >>> config = config_from_dict(TaskConfig, {"epochs": 3, "time_limit_minutes": 20})  # an old name still loads
    >>> config.epochs, config.max_minutes, config.batch_size
    (3, 20, 32)
    >>> config_from_dict(TaskConfig, {"epoch": 3})
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: unknown option(s) epoch for TaskConfig; known: batch_size, epochs, ...
    """
    values = dict(values)
    for old, new in RENAMED_OPTIONS.items():
        if old in values:
            values.setdefault(new, values.pop(old))
    known = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise NlpsuiteError(
            f"unknown option(s) {', '.join(unknown)} for {config_class.__name__}; "
            f"known: {', '.join(sorted(known))}"
        )
    return config_class(**values)


# ------------------------------------------------------------------------------------------ saving


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yields a fresh temp folder beside ``target`` that replaces ``target`` only if the block succeeds.

    A failed or interrupted run leaves whatever was saved at ``target`` untouched.

    Example:
    >>> from pathlib import Path
    >>> with atomic_directory("model") as tmp:
    ...     _ = (tmp / "config.json").write_text("{}")
    >>> sorted(p.name for p in Path("model").iterdir())
    ['config.json']
    >>> try:
    ...     with atomic_directory("model") as tmp:
    ...         raise KeyboardInterrupt  # an interrupted save leaves the old folder as it was
    ... except KeyboardInterrupt:
    ...     pass
    >>> sorted(p.name for p in Path("model").iterdir()), [p.name for p in Path(".").glob(".model.*")]
    (['config.json'], [])
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes a file through a temp file and ``os.replace``, so readers never see half a file.

    Example:
    >>> from pathlib import Path
    >>> atomic_write_text("metrics.json", '{"f1": 0.9}')
    >>> Path("metrics.json").read_text()
    '{"f1": 0.9}'
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file's object; a missing or broken file is an ``NlpsuiteError`` that names it.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("config.json").write_text('{"task": "ner"')
    >>> read_json(Path("config.json"))
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: config.json is not valid JSON (...); retrain or restore the model folder
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NlpsuiteError(f"{path} not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NlpsuiteError(f"{path} is not valid JSON ({exc}); retrain or restore the model folder") from None


# -------------------------------------------------------------------------------------------- tasks

AssetT = TypeVar("AssetT")


class Asset(Generic[AssetT]):
    """A read-only task attribute kept in ``task.assets[key]`` (what ``save_assets`` writes), declared once
    on the task class instead of a property per asset.

    Args:
        key: the key in ``task.assets``.
        doc: what the asset is (``help()`` shows it as the attribute's docstring).

    Example:

    >>> class Tagger(Task):
    ...     labels = Asset[list]("labels", "The tag names, in the order of the model's outputs.")
    >>> Tagger(TaskConfig(), None, {"labels": ["O", "B-PER"]}).labels
    ['O', 'B-PER']
    >>> Tagger.labels.__doc__
    "The tag names, in the order of the model's outputs."
    """

    def __init__(self, key: str, doc: str = "") -> None:
        self.key = key
        self.__doc__ = doc

    @overload
    def __get__(self, task: None, owner: type) -> Asset[AssetT]: ...

    @overload
    def __get__(self, task: Task, owner: type) -> AssetT: ...

    def __get__(self, task: Task | None, owner: type) -> Any:
        return self if task is None else task.assets[self.key]


class Task:
    """Base class of the app tasks.

    Subclasses set ``name`` and ``config_class`` and implement ``_train``, ``evaluate``, ``predict``, and,
    when they keep preprocessing state (vocabularies, tag sets, scalers), ``save_assets``/``load_assets``.

    Args:
        config: the task's config dataclass.
        model: the trained Keras model (saved as ``model.keras``).
        assets: preprocessing state; what ``save_assets`` writes and ``load_assets`` reads.
        info: training facts for the model card (data, split, time, hardware, notes).

    Example:
    >>> import nlpsuite
    >>> from nlpsuite.tasks.base import Task
    >>> issubclass(get_task_class("sentiment"), Task), get_task_class("sentiment").name
    (True, 'sentiment')
    """

    name: ClassVar[str] = ""
    config_class: ClassVar[type] = TaskConfig
    # The dataset the committed model is trained on: what ``train`` and ``nlpsuite train`` use without data.
    default_data: ClassVar[str] = ""

    def __init__(self, config: Any, model: Any, assets: dict[str, Any] | None = None,
                 info: dict[str, Any] | None = None) -> None:
        self.config = config
        self.model = model
        self.assets = assets or {}
        self.info = info or {}

    # -- the API every task implements
    @classmethod
    def train(cls, data: Any = None, config: Any = None, strategy: Any = None,
              callbacks: Sequence[Any] = (), out: str | os.PathLike | None = None, resume: bool = False) -> Task:
        """Trains a new task on ``data`` and returns it (``save`` keeps it).

        Args:
            data: a dataset name (``nlpsuite info`` lists them) or a file/folder path (None = the task's
                ``default_data``, the dataset of its committed model).
            config: the task's config (default: ``config_class()``).
            strategy: a strategy from ``nlpsuite.distribute.get_strategy`` (None = the default device).
            callbacks: more Keras callbacks for the fit.
            out: the folder the task will be saved to; resumable checkpoints go to ``<out>.ckpt`` while it
                trains (None = keep none).
            resume: continue from the checkpoint an interrupted run left in ``<out>.ckpt``.

        The package docstring (``help(nlpsuite)``) and each task class show a runnable train -> save ->
        load -> predict on a tiny file; ``nlpsuite train TASK --data DATA --out DIR`` is the same call.
        """
        config = config if config is not None else cls.config_class()
        config.validate()
        training.set_seed(config.seed)
        run = training.TrainingRun(config, strategy, callbacks, out, resume)
        return cls._train(data if data is not None else cls.default_data, config, run)

    @classmethod
    def _train(cls, data: str | os.PathLike, config: Any, run: training.TrainingRun) -> Task:
        """Data -> preprocessing -> model (built under ``run.scope()``) -> ``run.fit`` -> the task, its
        ``info`` from ``run.info``. ``config`` is validated and the seeds are set."""
        raise NotImplementedError

    def evaluate(self, data: str | os.PathLike, split: str = "test") -> dict[str, Any]:
        raise NotImplementedError

    def predict(self, inputs: list[Any], **options: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def save_assets(self, directory: Path) -> None:
        """Writes preprocessing state under ``directory`` (JSON/text only: nothing that executes on load)."""

    @classmethod
    def load_assets(cls, directory: Path) -> dict[str, Any]:
        return {}

    # -- saving and loading
    def save(self, directory: str | os.PathLike) -> Path:
        """Saves config, model and assets atomically; returns the directory."""
        directory = Path(directory)
        with atomic_directory(directory) as tmp:
            payload = {
                "task": self.name,
                "config": config_to_dict(self.config),
                "info": self.info,
                "nlpsuite_version": _version(),
            }
            (tmp / CONFIG_FILE).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
            self.save_model(tmp)
            (tmp / ASSETS_DIR).mkdir()
            self.save_assets(tmp / ASSETS_DIR)
            (tmp / CARD_FILE).write_text(render_model_card(self.name, self.info, self.config, None),
                                         encoding="utf-8")
        return directory

    def save_model(self, directory: Path) -> None:
        """Saves the network without its optimizer state: Adam's two moments would triple the file, a
        loaded task only predicts, and training restarts read ``<out>.ckpt``, not the saved model."""
        without_optimizer(self.model).save(directory / MODEL_FILE)

    @classmethod
    def load_model(cls, directory: Path) -> Any:
        import keras

        return keras.saving.load_model(directory / MODEL_FILE, safe_mode=True, compile=False)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Task:
        directory = Path(directory)
        payload = read_json(directory / CONFIG_FILE)
        config = config_from_dict(cls.config_class, payload.get("config", {}))
        model = cls.load_model(directory)
        assets = cls.load_assets(directory / ASSETS_DIR)
        return cls(config, model, assets, payload.get("info", {}))

    def write_metrics(self, directory: str | os.PathLike, metrics: Mapping[str, Any]) -> None:
        """Saves ``metrics.json`` beside the model and refreshes the model card with them, keeping the
        notes written below the card's ``CARD_NOTES_MARKER`` line (sweeps, learning curves, caveats)."""
        directory = Path(directory)
        card = render_model_card(self.name, self.info, self.config, metrics)
        atomic_write_text(directory / METRICS_FILE, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
        atomic_write_text(directory / CARD_FILE, card + card_notes(directory / CARD_FILE))


def load(directory: str | os.PathLike) -> Task:
    """Loads any saved task: reads ``config.json``'s ``task`` field and dispatches to its class.

    Args:
        directory: a folder written by ``Task.save``.

    Raises:
        NlpsuiteError: no ``config.json`` (with the make target that trains the model), or an unreadable one.

    Example:
    >>> load("saved_models/ner-en")  # a missing model names the command that builds it
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: no model in ...(config.json missing); run `make train-ner` to build it
    """
    directory = Path(directory)
    if not (directory / CONFIG_FILE).exists():
        hint = _train_hint(directory.name)
        raise NlpsuiteError(f"no model in {directory} (config.json missing); {hint}")
    payload = read_json(directory / CONFIG_FILE)
    name = payload.get("task")
    if not isinstance(name, str):
        raise NlpsuiteError(f"{directory / CONFIG_FILE} has no 'task' field; retrain the model")
    return get_task_class(name).load(directory)


def _train_hint(folder_name: str) -> str:
    app = folder_name.split("-")[0]
    if app in TASK_CLASSES:
        return f"run `make train-{app}` to build it"
    return "train one with `nlpsuite train TASK --out DIR`"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("nlpsuite")
    except Exception:  # not installed (running from a checkout)
        return "unknown"


# ------------------------------------------------------------------------------------- model cards


def render_model_card(name: str, info: Mapping[str, Any], config: Any,
                      metrics: Mapping[str, Any] | None) -> str:
    """A short Markdown model card: data, split, hyper-parameters, training time, hardware, metrics.

    Args:
        name: the task name (the title when ``info`` has none).
        info: training facts (``training_info``).
        config: the task's config dataclass.
        metrics: ``evaluate``'s dict, or None before evaluation.

    Example:
    >>> card = render_model_card("ner", {"title": "English NER", "data": "conll2003", "epochs_run": 3},
    ...                          TaskConfig(epochs=3), {"f1": 0.8461})
    >>> print("\\n".join(line for line in card.splitlines() if line.startswith(("#", "- Ep", "| epochs", "- f1"))))
    # Model card: English NER
    ## Data
    ## Training
    - Epochs run: 3
    ## Hyper-parameters
    | epochs | 3 |
    ## Evaluation (`nlpsuite evaluate`)
    - f1: 0.8461
    """
    lines = [f"# Model card: {info.get('title', name)}", ""]
    if info.get("summary"):
        lines += [info["summary"], ""]
    lines += ["## Data", "", f"- Dataset: {info.get('data', 'unknown')}"]
    if info.get("split"):
        lines.append(f"- Split: {info['split']}")
    for note in info.get("data_notes", []):
        lines.append(f"- {note}")
    lines += ["", "## Training", ""]
    seconds = info.get("training_seconds")
    if seconds is not None:
        lines.append(f"- Training time: {seconds / 60:.1f} min ({seconds:.0f} s)")
    if info.get("epochs_run") is not None:
        lines.append(f"- Epochs run: {info['epochs_run']}")
    timing = info.get("timing") or {}
    if timing.get("seconds_per_step") is not None:
        lines.append(
            f"- Speed: {timing['seconds_per_step']:.3f} s/step (median over epochs after the first), "
            f"{timing['steps']:,} steps; load average while training {timing['load_average_mean']:.2f} "
            f"mean, {timing['load_average_max']:.2f} peak (the training machine has {_training_cores(info)} cores)"
        )
    if timing.get("stopped_by_budget"):
        lines.append(f"- Stopped by its wall-clock budget of {timing['max_minutes']:g} min")
    if info.get("hardware"):
        lines.append(f"- Hardware: {info['hardware']}")
    if info.get("software"):
        lines.append(f"- Software: {info['software']}")
    if info.get("parameters"):
        lines.append(f"- Parameters: {info['parameters']:,}")
    lines += ["", "## Hyper-parameters", "", "| option | value |", "|---|---|"]
    for key, value in (config_to_dict(config) if dataclasses.is_dataclass(config) else {}).items():
        lines.append(f"| {key} | {value} |")
    if metrics:
        lines += ["", "## Evaluation (`nlpsuite evaluate`)", ""]
        for key, value in metrics.items():
            if isinstance(value, (int, float, str)):
                shown = f"{value:.4f}" if isinstance(value, float) else str(value)
                lines.append(f"- {key}: {shown}")
    for note in info.get("notes", []):
        lines += ["", note] if note.startswith("#") else [f"- {note}"]
    lines += ["", CARD_NOTES_MARKER, ""]
    return "\n".join(lines)


def card_notes(card: str | os.PathLike) -> str:
    """The notes below ``CARD_NOTES_MARKER`` in the model card file ``card`` ("" when it has none).

    Args:
        card: a ``MODEL_CARD.md`` path (it need not exist).

    Example:
    >>> import pathlib, tempfile
    >>> card = pathlib.Path(tempfile.mkdtemp()) / "MODEL_CARD.md"
    >>> _ = card.write_text(render_model_card("ner", {}, TaskConfig(), None) + "## Sweep\\nlr 1e-3 won.\\n")
    >>> card_notes(card)
    '## Sweep\\nlr 1e-3 won.\\n'
    """
    path = Path(card)
    if not path.is_file():
        return ""
    _, marker, notes = path.read_text(encoding="utf-8").partition(CARD_NOTES_MARKER + "\n")
    return notes if marker else ""


def _training_cores(info: Mapping[str, Any]) -> int:
    """CPU cores of the machine that trained the model (its hardware note starts with them), not of the one
    refreshing the card: a load average means nothing without them."""
    match = re.match(r"(\d+) CPU cores", str(info.get("hardware", "")))
    return int(match.group(1)) if match else os.cpu_count() or 1


def without_optimizer(model: Any, build_inputs: Any = None) -> Any:
    """The same network and weights, uncompiled, so ``model.save`` writes no optimizer slots.

    ``keras.models.clone_model`` would copy the optimizer too; ``from_config`` builds an uncompiled twin.

    Args:
        model: a built Keras model, compiled or not (an uncompiled one is returned as is).
        build_inputs: inputs to call a subclassed twin on once, so it has weights to set (functional
            models are built by ``from_config``).

    Example:

    >>> import keras, numpy as np
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> model.compile(optimizer="adam", loss="mse")
    >>> twin = without_optimizer(model)
    >>> same = all(np.array_equal(a, b) for a, b in zip(twin.get_weights(), model.get_weights()))
    >>> getattr(twin, "optimizer", None) is None, same
    (True, True)
    """
    if getattr(model, "optimizer", None) is None:
        return model
    twin = type(model).from_config(model.get_config())
    if not twin.built and build_inputs is not None:
        twin(build_inputs)
    twin.set_weights(model.get_weights())
    return twin
