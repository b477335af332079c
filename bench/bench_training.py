"""Training throughput per model and task, on 1 and 2 logical CPU devices (and on GPUs via bench/gpu.sh).

Each configuration runs in its own process: ``split_cpu`` and the mixed-precision policy must be set
before
TensorFlow starts. Two kinds of rows:

- synthetic models built from ``nlpsuite.layers`` at the NER / sentiment default sizes
  (``bilstm_crf``, ``gru_classifier``): random token ids, ``model.fit`` for ``--steps`` timed steps
  after a warm-up;
- the app tasks (``ner``, ``sentiment``, ...), each trained by its own ``Task.train`` on its test
  fixture with default hyper-parameters; a callback times the training batches after the first epoch
  (tracing).

    python -m bench training                       # the CPU table: every model, 1 and 2 logical
    devices python -m bench.bench_training --child --model ner --devices 1 --steps 200   # one
    configuration
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NAME = "training"
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

# name -> (vocabulary, sequence length, batch size, builder kind); sizes are the tasks' defaults.
SYNTHETIC = {
    "bilstm_crf": {"vocab": 20000, "length": 32, "batch": 32, "tags": 9, "dim": 100, "units": 100},
    "gru_classifier": {
        "vocab": 20000,
        "length": 64,
        "batch": 64,
        "classes": 2,
        "dim": 128,
        "units": 128,
    },
}
# ``run(quick=True)``: the same shapes of model, small enough for a smoke test.
QUICK = {
    "bilstm_crf": {"vocab": 50, "length": 8, "batch": 8, "tags": 3, "dim": 8, "units": 8},
    "gru_classifier": {"vocab": 50, "length": 8, "batch": 8, "classes": 2, "dim": 8, "units": 8},
}
# task -> (training data, options). Test fixtures, so the bench runs without the shared data (stock: the
# bokeh-sampledata package); the options only make a fixture fit (poetry's sequences) or leave out work that
# is not training (stock's walk-forward backtest).
TASKS: dict[str, tuple[str, dict[str, str]]] = {
    "ner": (str(FIXTURES / "ner" / "en"), {}),
    "sentiment": (str(FIXTURES / "sentiment" / "en"), {}),
    "translation": (str(FIXTURES / "translation" / "anki_sample.txt"), {}),
    "poetry": (str(FIXTURES / "poetry" / "tiny.txt"), {"seq_len": "16", "steps_per_epoch": "4"}),
    "stock": ("bokeh:AAPL", {"walk_forward": "false"}),
}


# ------------------------------------------------------------------------------------------ synthetic models


def build_synthetic(name: str, spec: dict[str, int]) -> Any:
    import keras

    from nlpsuite.layers.crf import CRF, CRFLoss
    from nlpsuite.layers.recurrent import recurrent_stack

    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(spec["vocab"], spec["dim"], mask_zero=name == "bilstm_crf")(tokens)
    if name == "bilstm_crf":
        x = recurrent_stack(spec["units"], bidirectional=True)(x)
        model = keras.Model(tokens, CRF(spec["tags"])(keras.layers.Dense(spec["tags"])(x)))
        loss = CRFLoss()
    else:
        x = recurrent_stack(spec["units"], cell="gru", return_sequences=False)(x)
        out = keras.layers.Dense(spec["classes"], activation="softmax", dtype="float32")(x)
        model = keras.Model(tokens, out)
        loss = keras.losses.SparseCategoricalCrossentropy()
    return model, loss


def synthetic_batches(name: str, spec: dict[str, int]) -> Any:
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    rows = spec["batch"] * 8
    x = rng.integers(1, spec["vocab"], size=(rows, spec["length"])).astype("int32")
    if name == "bilstm_crf":
        y = rng.integers(0, spec["tags"], size=(rows, spec["length"])).astype("int32")
    else:
        y = rng.integers(0, spec["classes"], size=(rows,)).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(spec["batch"]).repeat().prefetch(2)


def measure_synthetic(
    name: str, strategy: Any, steps: int, jit_compile: bool, spec: dict[str, int] | None = None
) -> dict[str, Any]:
    import keras

    spec = spec or SYNTHETIC[name]
    with strategy.scope():
        model, loss = build_synthetic(name, spec)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, jit_compile=jit_compile)
    batches = synthetic_batches(name, spec)
    model.fit(batches, steps_per_epoch=min(5, steps), epochs=1, verbose=0)  # trace and warm up
    start = time.perf_counter()
    model.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    sequences = steps * spec["batch"]
    return {
        "batch": spec["batch"],
        "steps": steps,
        "seconds": seconds,
        "sequences": sequences,
        "tokens": sequences * spec["length"],
        "xla": bool(model.jit_compile),
    }


# ------------------------------------------------------------------------------------------------- app tasks


def task_available(task: str) -> bool:
    from nlpsuite.tasks.base import get_task_class

    data = TASKS[task][0]
    if not data.startswith("bokeh:") and not Path(data).exists():
        return False
    try:
        get_task_class(task)
    except ImportError:
        return False
    return True


def tokens_per_sequence(task: str, config: Any) -> float | None:
    """Tokens (characters for poetry) per training sequence, where a task's unit is one we can count."""
    if task == "poetry":
        return float(config.seq_len)
    if task != "ner":
        return None
    from nlpsuite.data import conll

    sentences = conll.read_conll(Path(TASKS["ner"][0]) / "train.txt")
    return sum(len(s.tokens) for s in sentences) / max(1, len(sentences))


def measure_task(task: str, strategy: Any, steps: int, mixed: bool, jit_compile: bool) -> dict[str, Any]:
    """Trains ``task`` by its own ``Task.train`` and times ``steps`` training batches after the first epoch."""
    import keras

    from nlpsuite.cli import apply_overrides
    from nlpsuite.tasks.base import get_task_class

    task_class = get_task_class(task)
    data, options = TASKS[task]
    meter = _BatchMeter(steps)

    class Meter(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            meter.epoch = epoch

        def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
            meter.begin()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if meter.end():
                self.model.stop_training = True

    # An epoch has at least one batch, so steps + 1 epochs are enough; the meter stops training sooner.
    epochs = str(steps + 1)
    overrides = {"epochs": epochs, "patience": epochs, "mixed_precision": str(mixed), "jit_compile": str(jit_compile)}
    config = apply_overrides(task_class.config_class(), {**overrides, **options})
    with tempfile.TemporaryDirectory() as out:
        trained = task_class.train(data, config, strategy=strategy, callbacks=[Meter()], out=Path(out) / task)
    sequences = meter.batches * config.batch_size
    tokens_each = tokens_per_sequence(task, config)
    return {
        "batch": config.batch_size,
        "steps": meter.batches,
        "seconds": meter.seconds,
        "sequences": sequences,
        "tokens": sequences * tokens_each if tokens_each else None,
        "xla": bool(getattr(trained.model, "jit_compile", False)),
    }


class _BatchMeter:
    """Sums training-batch wall time after the first epoch (which includes tracing), up to ``limit`` batches."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.epoch = 0
        self.batches = 0
        self.seconds = 0.0
        self._start = 0.0

    def begin(self) -> None:
        self._start = time.perf_counter()

    def end(self) -> bool:
        """Records a batch; True once ``limit`` batches are timed."""
        if self.epoch >= 1:
            self.seconds += time.perf_counter() - self._start
            self.batches += 1
        return self.batches >= self.limit


# ------------------------------------------------------------------------------------------ one process


def child(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_training --child")
    parser.add_argument("--model", required=True, help=f"one of {[*SYNTHETIC, *TASKS]}")
    parser.add_argument("--devices", type=int, default=1, help="logical CPU devices (mirrored when > 1)")
    parser.add_argument("--strategy", default=None, help="override: cpu|gpu|mirrored|auto")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--mixed-precision", action="store_true")
    parser.add_argument("--jit-compile", action="store_true")
    args = parser.parse_args(argv)

    from nlpsuite import distribute, training

    if args.devices > 1:
        distribute.split_cpu(args.devices)
    policy = distribute.set_mixed_precision(args.mixed_precision)
    strategy_name = args.strategy or ("mirrored" if args.devices > 1 else "cpu")
    strategy = distribute.get_strategy(strategy_name)
    training.set_seed(0)
    if args.model in SYNTHETIC:
        result = measure_synthetic(args.model, strategy, args.steps, args.jit_compile)
    else:
        result = measure_task(args.model, strategy, args.steps, args.mixed_precision, args.jit_compile)
    return row(args.model, strategy_name, strategy.num_replicas_in_sync, policy, args.jit_compile, result)


def row(model: str, strategy: str, replicas: int, policy: str, xla: bool, result: dict) -> dict[str, Any]:
    """A table row. ``xla`` is what was asked; ``xla_used`` what Keras compiled (it turns XLA off for models
    with cuDNN recurrent layers, and ``auto`` off under tf.distribute)."""
    seconds = max(result["seconds"], 1e-9)
    return {
        "model": model,
        "strategy": strategy,
        "replicas": replicas,
        "precision": policy,
        "xla": xla,
        "xla_used": result.get("xla", False),
        "batch": result["batch"],
        "steps": result["steps"],
        "steps_per_s": result["steps"] / seconds,
        "sequences_per_s": result["sequences"] / seconds,
        "tokens_per_s": result["tokens"] / seconds if result["tokens"] else "",
        # Other processes share the CPU on a busy machine; the load says how much to trust the row.
        "load_1m": round(os.getloadavg()[0], 1),
    }


def run_child(
    model: str, devices: int, steps: int, extra: tuple[str, ...] = (), timeout: float = 900
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.bench_training",
        "--child",
        "--model",
        model,
        "--devices",
        str(devices),
        "--steps",
        str(steps),
        *extra,
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"model": model, "replicas": devices, "error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"model": model, "replicas": devices, "error": last[:160]}
    return json.loads(lines[-1])


def run(quick: bool = False) -> list[dict[str, Any]]:
    """The CPU table: each model with 1 and 2 logical devices (quick: synthetic models, 1 device, in-process)."""
    if quick:
        from nlpsuite import distribute

        strategy = distribute.get_strategy("cpu")
        return [
            row(
                name,
                "cpu",
                1,
                "float32",
                False,
                measure_synthetic(name, strategy, 2, False, QUICK[name]),
            )
            for name in QUICK
        ]
    models = [*SYNTHETIC, *(task for task in TASKS if task_available(task))]
    return [run_child(model, devices, steps=30 if model in SYNTHETIC else 12) for model in models for devices in (1, 2)]


# ------------------------------------------------------------------------------------ the GPU table


GPU_VARIANTS = (
    (False, False),
    (True, False),
    (False, True),
    (True, True),
)  # (mixed precision, XLA)


def gpu_table(steps: int) -> list[dict[str, Any]]:
    """Every model on one GPU with and without mixed precision and XLA, plus CPU baselines (bench/gpu.sh)."""
    models = [*SYNTHETIC, *(task for task in TASKS if task_available(task))]
    rows = []
    for model in models:
        for mixed, xla in GPU_VARIANTS:
            flags = (
                "--strategy",
                "gpu",
                *(["--mixed-precision"] if mixed else []),
                *(["--jit-compile"] if xla else []),
            )
            rows.append(run_child(model, 1, steps, flags))
            print(json.dumps(rows[-1]), flush=True)
    for model in ("bilstm_crf", "ner"):
        if model in models:  # the ">= 5x CPU tokens/s for NER" comparison
            rows.append(run_child(model, 1, max(10, steps // 10), ("--strategy", "cpu")))
            print(json.dumps(rows[-1]), flush=True)
    return rows


def speedups(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for model in ("bilstm_crf", "ner"):
        cpu = [r for r in rows if r.get("model") == model and r.get("strategy") == "cpu"]
        gpu = [
            r
            for r in rows
            if r.get("model") == model
            and r.get("strategy") == "gpu"
            and r.get("precision") == "float32"
            and not r.get("xla")
        ]
        if cpu and gpu and cpu[0].get("tokens_per_s") and gpu[0].get("tokens_per_s"):
            lines.append(
                f"{model}: GPU float32 {gpu[0]['tokens_per_s'] / cpu[0]['tokens_per_s']:.1f}x "
                "the CPU tokens/s (target >= 5x)"
            )
        mixed = [
            r
            for r in rows
            if r.get("model") == model
            and r.get("strategy") == "gpu"
            and r.get("precision", "").startswith("mixed")
            and not r.get("xla")
        ]
        if gpu and mixed and gpu[0].get("steps_per_s") and mixed[0].get("steps_per_s"):
            lines.append(
                f"{model}: mixed precision {mixed[0]['steps_per_s'] / gpu[0]['steps_per_s']:.2f}x "
                "the float32 steps/s (target >= 1x)"
            )
    return lines


def gpu_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/gpu.sh")
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    import tensorflow as tf

    from bench.__main__ import RESULTS, format_table
    from nlpsuite.training import hardware_description, software_description

    if not tf.config.list_physical_devices("GPU"):
        print(
            "error: TensorFlow sees no GPU; the GPU table stays pending (run bench/gpu.sh on a GPU machine)",
            file=sys.stderr,
        )
        return 2
    rows = gpu_table(args.steps)
    print(format_table(rows))
    summary = speedups(rows)
    print("\n".join(summary))
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "name": "training_gpu",
        "hardware": hardware_description(),
        "software": software_description(),
        "date": time.strftime("%Y-%m-%d"),
        "steps": args.steps,
        "rows": rows,
        "summary": summary,
    }
    (RESULTS / "training_gpu.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "--child" in sys.argv:
        print(json.dumps(child([a for a in sys.argv[1:] if a != "--child"])), flush=True)
    elif "--gpu" in sys.argv:
        sys.exit(gpu_main([a for a in sys.argv[1:] if a != "--gpu"]))
    else:
        from bench.__main__ import main

        sys.exit(main(["training", *sys.argv[1:]]))
