"""LSTM vs GRU vs RWKV vs Transformer on the poetry-en task: size, training speed, quality, and the
cost of generating one character at positions 100, 1,000 and 5,000.

Reads the trained running-text models ``saved_models/poetry-en-<architecture>`` (written by
``scripts/train_architectures.sh``) and ``saved_models/poetry-en`` (entered under its own
architecture unless a ``poetry-en-<that architecture>`` folder exists); a missing model is skipped
with a note. Writes ``bench/results/architectures.json``::

    {"architectures": {name: {"parameters", "train_tokens_per_s", "test_nats_per_char",
                              "generation": {"100"|"1000"|"5000": {"chars_per_s", "peak_memory_mb"}},
                              "state_bytes_per_sequence", ...}},
     "notes": [...]}

How each figure is measured:

- ``train_tokens_per_s``: training steps on random windows of the model's ``seq_len`` and
  ``batch_size`` (its own compile settings), timed after two warm-up steps, on this machine now.
  ``trained_tokens_per_s`` is the same figure from the model card (tokens seen / training seconds).
- ``test_nats_per_char``: the model's ``metrics.json`` (``evaluate`` on the test split); models
  without one are evaluated on ``tinyshakespeare`` when the data is present.
- generation: one stream, sampled with the task's sampler, every architecture through the same
  Keras step engine (``engine="keras"``: one traced call per character, so the figures compare the
  architectures, not NumPy against a framework), timed on a second pass after an untimed one has
  traced every cache shape. ``chars_per_s`` is timed over the ``WINDOW`` characters before each
  position, the fastest of ``REPEATS`` timed passes; ``peak_memory_mb`` is the process's peak
  resident memory while generating up to that position, above its resident memory when the stream started (Linux
  ``VmHWM``, reset through ``/proc/self/clear_refs``).
- ``state_bytes_per_sequence``: the step state carried for one sequence at position 5,000 (the
  recurrent state; the Transformer's position and key/value caches, in their power-of-two capacity),
  with ``state_bytes_by_position`` for each position.

``quick=True`` measures tiny untrained models of every architecture at short positions instead (a
smoke test of this script; nothing is written).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

NAME = "architectures"
ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(os.environ.get("NLPSUITE_MODELS_DIR", ROOT / "saved_models"))
ARCHITECTURES = ("lstm", "gru", "rwkv", "transformer")
POSITIONS = (100, 1000, 5000)
WINDOW = 200  # characters timed before each position
REPEATS = 3  # timed passes; each position reports its fastest (a shared 2-core CPU only ever slows a pass)
TRAIN_STEPS = 10


def _resident_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
        return True
    except OSError:
        return False


def find_models(models_dir: Path = MODELS) -> tuple[dict[str, Path], list[str]]:
    """``({architecture: folder}, notes)`` for the trained running-text models present."""
    import json

    found: dict[str, Path] = {}
    notes = []
    for architecture in ARCHITECTURES:
        folder = models_dir / f"poetry-en-{architecture}"
        if (folder / "config.json").exists():
            found[architecture] = folder
    base = models_dir / "poetry-en" / "config.json"
    if base.exists():
        config = json.loads(base.read_text(encoding="utf-8"))["config"]
        architecture = config.get("architecture") or config.get("cell", "lstm")
        found.setdefault(architecture, base.parent)
    for architecture in ARCHITECTURES:
        if architecture not in found:
            notes.append(
                f"{architecture}: skipped, no saved_models/poetry-en-{architecture}; train it with "
                "scripts/train_architectures.sh"
            )
    return found, notes


def _tiny_tasks() -> dict[str, Any]:
    from nlpsuite.data.vocab import Vocabulary
    from nlpsuite.tasks.poetry import PoetryConfig, PoetryTask
    from nlpsuite.tasks.poetry.preprocess import CharCodec

    codec = CharCodec(Vocabulary(["<pad>", "<unk>", *[chr(c) for c in range(32, 127)], "\n"]), "text")
    tasks = {}
    for architecture in ARCHITECTURES:
        config = PoetryConfig(architecture=architecture, units=16, num_layers=1, num_heads=2, embedding_dim=8)
        config.seq_len, config.batch_size = 16, 4
        tasks[architecture] = PoetryTask(config, PoetryTask._build(len(codec), config), {"codec": codec})
    return tasks


def train_tokens_per_s(task: Any, steps: int) -> float:
    """Training throughput of ``task``'s architecture at its own batch and window sizes (a copy of
    the model; the saved weights are not touched)."""
    import keras
    import numpy as np

    config = task.config
    model = task._build(len(task.codec), config)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        # XLA as in training (JAX + jit, scripts/train_poetry.sh); TensorFlow's XLA cannot compile the
        # recurrent layers' while loops, so on that backend the step runs as a plain graph.
        jit_compile=bool(config.jit_compile) and keras.backend.backend() != "tensorflow",
    )
    rng = np.random.default_rng(0)
    shape = (config.batch_size, config.seq_len)
    x, y = (rng.integers(2, len(task.codec), shape).astype("int32") for _ in range(2))
    for _ in range(2):
        model.train_on_batch(x, y)  # traces / compiles the train step
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * x.size / (time.perf_counter() - start)


def generation_costs(task: Any, positions: tuple[int, ...], window: int, repeats: int = 1) -> dict[str, Any]:
    """``{"generation": {str(position): {"chars_per_s", "peak_memory_mb"}}, "state_bytes_by_position"}``
    for one sampled stream through the Keras step engine."""
    import numpy as np

    from nlpsuite.tasks.poetry.generate import sample
    from nlpsuite.tasks.poetry.model import build_step_model, compile_step, state_bytes, zero_states

    step = compile_step(build_step_model(task.model), "keras")
    last = max(positions)

    def stream(timed: bool) -> dict[str, Any]:
        rng = np.random.default_rng(0)
        states = zero_states(task.model)
        ids = np.array([task.codec.id("\n")], "int32")
        marks = {max(p - window, 0) for p in positions}
        start_rss = _resident_kib("VmRSS")
        can_reset = timed and _reset_peak()
        times, results, sizes = {0: time.perf_counter()}, {}, {}
        for position in range(1, last + 1):
            logits, states = step(ids, states)
            ids = np.array([sample(np.asarray(logits)[0], rng, task.codec.free, 0.8)], "int32")
            if position in marks:
                times[position] = time.perf_counter()
            if position in positions:
                peak = _resident_kib("VmHWM") if can_reset else None
                chars = position - max(position - window, 0)
                results[str(position)] = {
                    "chars_per_s": round(chars / (time.perf_counter() - times[max(position - window, 0)]), 1),
                    "peak_memory_mb": None
                    if peak is None or start_rss is None
                    else round(max(peak - start_rss, 0) / 1024, 2),
                }
                sizes[str(position)] = state_bytes(states)
        return {"generation": results, "state_bytes_by_position": sizes}

    # An untimed pass first traces the step for every cache capacity the timed pass will meet (a
    # Transformer's cache changes shape at 65, 129, ... positions; each shape is traced once).
    stream(timed=False)
    passes = [stream(timed=True) for _ in range(repeats)]
    best = passes[0]
    for position, cost in best["generation"].items():
        cost["chars_per_s"] = max(p["generation"][position]["chars_per_s"] for p in passes)
    return best


def _test_nats(folder: Path | None, task: Any) -> tuple[float | None, str | None]:
    import json

    metrics = folder / "metrics.json" if folder else None
    if metrics and metrics.exists():
        values = json.loads(metrics.read_text(encoding="utf-8"))
        if values.get("split", "test") == "test" and "loss_nats_per_char" in values:
            return values["loss_nats_per_char"], None
    if folder is None:
        return None, None
    try:
        return task.evaluate("tinyshakespeare")["loss_nats_per_char"], None
    except Exception as error:  # noqa: BLE001  (a missing dataset is a note, not a failed benchmark)
        return None, f"{folder.name}: no test score ({error})"


def _card_tokens_per_s(task: Any) -> float | None:
    info, config = task.info or {}, task.config
    seconds = info.get("training_seconds")
    if not seconds or not info.get("epochs_run"):
        return None
    return round(info["epochs_run"] * config.steps_per_epoch * config.batch_size * config.seq_len / seconds, 1)


def measure(quick: bool = False) -> dict[str, Any]:
    """The ``architectures.json`` payload."""
    import nlpsuite

    if quick:
        tasks = {name: (task, None) for name, task in _tiny_tasks().items()}
        notes = ["quick: tiny untrained models, short positions"]
        positions, window, steps, repeats = (20, 60, 120), 20, 2, 1
    else:
        folders, notes = find_models()
        tasks = {name: (nlpsuite.load(folder), folder) for name, folder in folders.items()}
        positions, window, steps, repeats = POSITIONS, WINDOW, TRAIN_STEPS, REPEATS
    results: dict[str, Any] = {}
    for name, (task, folder) in tasks.items():
        nats, note = _test_nats(folder, task)
        if note:
            notes.append(note)
        costs = generation_costs(task, positions, window, repeats)
        results[name] = {
            "model": folder.name if folder else "untrained",
            "parameters": int(task.model.count_params()),
            "train_tokens_per_s": round(train_tokens_per_s(task, steps), 1),
            "trained_tokens_per_s": _card_tokens_per_s(task),
            "training_seconds": (task.info or {}).get("training_seconds"),
            "dev_curve": (task.info or {}).get("dev_curve"),
            "test_nats_per_char": nats,
            **costs,
            "state_bytes_per_sequence": costs["state_bytes_by_position"][str(max(positions))],
        }
    import keras

    return {"architectures": results, "positions": list(positions), "window": window,
            "timed_passes": repeats, "backend": keras.backend.backend(), "notes": notes}


def run(quick: bool = False) -> dict[str, Any]:
    """The table rows (one per architecture and position) and the ``architectures.json`` keys."""
    payload = measure(quick)
    rows = []
    for name, entry in payload["architectures"].items():
        for position, cost in entry["generation"].items():
            rows.append(
                {
                    "architecture": name,
                    "parameters": entry["parameters"],
                    "test_nats_per_char": entry["test_nats_per_char"],
                    "train_tokens_per_s": entry["train_tokens_per_s"],
                    "position": int(position),
                    "chars_per_s": cost["chars_per_s"],
                    "peak_memory_mb": cost["peak_memory_mb"],
                    "state_bytes": entry["state_bytes_by_position"][position],
                }
            )
    for note in payload["notes"]:
        print(f"note: {note}")
    return {"rows": rows, **payload}
