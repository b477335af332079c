"""Two MultiWorkerMirroredStrategy workers on 127.0.0.1: identical training, a lost worker, a resumed run.

Each worker is a real process with its own ``TF_CONFIG`` (``multiworker_script.py``), so the
collectives, the coordination service's heartbeat and the checkpoints are the production ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .ports import reserve_ports

pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow", reason="tf.distribute path"
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("multiworker_script.py")
HEARTBEAT_S = 10
# Start-up (importing TensorFlow twice on two cores) dominates; a loaded CI machine needs the slack.
START_TIMEOUT_S = 240


def worker_env(ports: list[int], index: int) -> dict[str, str]:
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    return {
        **os.environ,
        "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_NUM_INTRAOP_THREADS": "1",
        "NLPSUITE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_S),
        "PYTHONPATH": str(ROOT),
    }


def launch(tmp: Path, run: str, command: list[str]) -> tuple[list[subprocess.Popen], list[int]]:
    """Starts worker 0 and worker 1 of ``command``; their output goes to ``tmp/<run>-<i>.log``."""
    ports = reserve_ports(2)
    procs = []
    for index in range(2):
        log = open(tmp / f"{run}-{index}.log", "w")  # noqa: SIM115 (closed when the process ends)
        procs.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=worker_env(ports, index),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs, ports


def script_command(tmp: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        str(SCRIPT),
        "--out",
        str(tmp / "model"),
        "--report",
        str(tmp / "report-{index}.json"),
        *args,
    ]


def log(tmp: Path, run: str, index: int) -> str:
    return (tmp / f"{run}-{index}.log").read_text(errors="replace")


def wait_all(procs: list[subprocess.Popen], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    try:
        return [proc.wait(timeout=max(1.0, deadline - time.monotonic())) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def wait_for_line(path: Path, text: str, procs: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if any(proc.poll() is not None for proc in procs):
            break
        time.sleep(0.2)
    for proc in procs:
        proc.kill()
    pytest.fail(f"never saw {text!r} in {path.name}:\n{path.read_text(errors='replace')[-3000:]}")


def reports(tmp: Path) -> list[dict]:
    return [json.loads((tmp / f"report-{i}.json").read_text()) for i in range(2)]


def test_lost_worker_fails_clearly_and_the_rerun_resumes_to_identical_weights(tmp_path):
    # Run 1: worker 1 stops at the start of epoch 3 (after the epoch-2 checkpoint) and is killed
    # there.
    procs, ports = launch(tmp_path, "lost", script_command(tmp_path, "--epochs", "3", "--pause-at-epoch", "3"))
    wait_for_line(tmp_path / "lost-1.log", "paused at epoch 3", procs, START_TIMEOUT_S)
    procs[1].kill()
    # The wait_all timeout only guards against a hang; how fast the chief notices is a speed figure
    # for bench/, not an assertion on a shared CI machine.
    status = wait_all(procs[:1], timeout=120)
    chief_log = log(tmp_path, "lost", 0)
    assert status == [2], chief_log[-3000:]
    error = [line for line in chief_log.splitlines() if line.startswith("error: ")]
    assert error, chief_log[-3000:]
    assert f"worker 1 (127.0.0.1:{ports[1]}) is unreachable" in error[0], error[0]
    assert "rerun with --resume to continue from epoch 3" in error[0], error[0]
    assert not (tmp_path / "model").exists()  # nothing saved from a failed run
    assert (tmp_path / "model.ckpt" / "checkpoint").exists()

    # Run 2: the same command with --resume continues from epoch 3 on both workers and finishes.
    procs, _ = launch(tmp_path, "resumed", script_command(tmp_path, "--epochs", "3", "--resume", "--reference"))
    status = wait_all(procs, timeout=START_TIMEOUT_S)
    logs = [log(tmp_path, "resumed", i) for i in range(2)]
    assert status == [0, 0], "\n----\n".join(text[-3000:] for text in logs)
    for text in logs:
        assert "resuming from the checkpoint" in text and "epoch 3 of 3" in text, text[-3000:]
        assert "Epoch 3/3" in text and "dev_accuracy" in text  # progress lines from the callbacks

    chief, other = reports(tmp_path)
    assert chief["replicas"] == other["replicas"] == 2
    assert chief["epochs"] == [2]  # History holds the epoch this run trained
    assert set(chief["history"]) >= {"loss", "accuracy", "val_loss", "val_accuracy", "dev_accuracy"}
    for mine, theirs in zip(chief["weights"], other["weights"], strict=True):
        np.testing.assert_array_equal(np.array(mine), np.array(theirs))  # bit-identical replicas
    # Two workers (split batches, a short last batch, a checkpoint restore in between) end where
    # Keras's
    # own model.fit on one device ends after the same three epochs.
    for mine, reference in zip(chief["weights"], chief["reference"], strict=True):
        np.testing.assert_allclose(np.array(mine), np.array(reference), atol=2e-5)

    # Only the chief saved a model; the finished run removed the checkpoints, the other worker's
    # included.
    assert (tmp_path / "model" / "model.keras").exists()
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".model", "model")))
    assert leftovers == ["model"], leftovers


NER_FIXTURE = ROOT / "tests" / "fixtures" / "ner" / "en"
TINY_NER = [
    "--set",
    "word_dim=8",
    "--set",
    "char_dim=4",
    "--set",
    "char_output_dim=8",
    "--set",
    "casing_dim=2",
    "--set",
    "units=8",
    "--set",
    "dropout=0.0",
    "--set",
    "unk_replace=0.0",
]


@pytest.mark.skipif(not NER_FIXTURE.exists(), reason="needs the NER task and its fixture")
def test_cli_trains_ner_on_two_workers_and_only_the_chief_saves(tmp_path):
    out = tmp_path / "ner"
    command = [
        sys.executable,
        "-m",
        "nlpsuite",
        "train",
        "ner",
        "--data",
        str(NER_FIXTURE),
        "--out",
        str(out),
        "--strategy",
        "multiworker",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        *TINY_NER,
    ]
    procs, _ = launch(tmp_path, "ner", command)
    status = wait_all(procs, timeout=START_TIMEOUT_S)
    logs = [log(tmp_path, "ner", i) for i in range(2)]
    assert status == [0, 0], "\n----\n".join(text[-3000:] for text in logs)
    # Both workers computed the same global losses and dev scores, epoch by epoch.
    progress = [[line for line in text.splitlines() if "dev_f1" in line and "loss" in line] for text in logs]
    assert len(progress[0]) == 2, logs[0][-3000:]
    strip_times = [[line.split(" - ", 3)[-1] for line in lines] for lines in progress]
    assert strip_times[0] == strip_times[1]
    assert f"saved ner model to {out}" in logs[0] and "saved" not in logs[1]
    assert (out / "model.keras").exists() and (out / "config.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "ner" in p.name and p.is_dir()) == ["ner"]
