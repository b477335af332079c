"""Device and strategy selection: one flag, every device.

``get_strategy(name)`` returns an object with ``scope()`` and ``num_replicas_in_sync`` whatever the backend:

- TensorFlow: a ``tf.distribute.Strategy``. ``auto`` = all local GPUs mirrored when there are several, else the
  default strategy; ``cpu``/``gpu`` = one device; ``mirrored`` = MirroredStrategy over the local GPUs (or the
  logical CPUs made by ``split_cpu``); ``tpu`` = TPUClusterResolver + TPUStrategy; ``multiworker`` =
  MultiWorkerMirroredStrategy configured by ``TF_CONFIG``.
- JAX: the same names map to ``keras.distribution.DataParallel`` over all local devices (``tpu`` and ``mirrored``
  included: JAX sees TPU cores and GPUs as local devices); ``cpu`` pins to one device.
- PyTorch: single device only.

Batch sizes are global: tf.distribute splits each batch over the replicas (``per-replica = global / replicas``),
so a run on N devices takes the same optimizer steps as one device with the same batch, and the learning rate is
left unchanged. To keep the per-device batch instead, multiply ``--batch-size`` by N and, by the linear scaling
rule (Goyal et al. 2017), the learning rate too.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

from nlpsuite.errors import NlpsuiteError

STRATEGIES = ("auto", "cpu", "gpu", "mirrored", "tpu", "multiworker")


def backend() -> str:
    import keras

    return keras.backend.backend()


def split_cpu(count: int) -> None:
    """Makes TensorFlow see the CPU as ``count`` logical devices (multi-device tests without GPUs).

    Must run before TensorFlow initialises its devices; later calls that ask for the same count are no-ops.
    """
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise NlpsuiteError(
                f"cannot split the CPU into {count} devices: TensorFlow is already initialised; "
                "call split_cpu() first"
            ) from None


def set_mixed_precision(enabled: bool) -> str:
    """Sets the global Keras dtype policy; returns its name.

    float16 on GPUs (tensor cores, with loss scaling done by the Keras optimizer), bfloat16 elsewhere (TPUs and
    recent CPUs). Layers that need float32 (the CRF, the final softmax) ask for it explicitly.
    """
    import keras

    if not enabled:
        keras.mixed_precision.set_global_policy("float32")
        return "float32"
    policy = "mixed_float16" if _gpu_count() else "mixed_bfloat16"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def _gpu_count() -> int:
    if backend() == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if backend() == "jax":
        import jax

        return len([d for d in jax.devices() if d.platform == "gpu"])
    if backend() == "torch":
        import torch

        return torch.cuda.device_count()
    return 0


def devices() -> list[str]:
    """Human-readable list of the devices the current backend sees."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        return [f"{d.device_type}:{d.name.split(':')[-1]}" for d in tf.config.list_logical_devices()]
    if name == "jax":
        import jax

        return [f"{d.platform.upper()}:{d.id}" for d in jax.devices()]
    if name == "torch":
        import torch

        gpus = [f"GPU:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
        return ["CPU:0", *gpus]
    return ["CPU:0"]


class _SingleDevice:
    """Strategy stand-in for backends without tf.distribute: a scope and a replica count."""

    def __init__(self, replicas: int = 1, device: str | None = None) -> None:
        self.num_replicas_in_sync = replicas
        self.device = device

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        yield


def get_strategy(name: str = "auto") -> Any:
    """Returns the strategy for ``name`` (one of ``STRATEGIES``) on the current Keras backend."""
    if name not in STRATEGIES:
        raise NlpsuiteError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    kind = backend()
    if kind == "tensorflow":
        return _tf_strategy(name)
    if kind == "jax":
        return _jax_strategy(name)
    if name not in ("auto", "cpu", "gpu"):
        raise NlpsuiteError(f"--strategy {name} needs the tensorflow or jax backend (this is {kind})")
    return _SingleDevice()


def _tf_strategy(name: str) -> Any:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "cpu":
        return tf.distribute.OneDeviceStrategy("/cpu:0")
    if name == "gpu":
        if not gpus:
            raise NlpsuiteError("--strategy gpu: TensorFlow sees no GPU; use --strategy cpu or auto")
        return tf.distribute.OneDeviceStrategy(gpus[0].name)
    if name == "mirrored":
        if gpus:
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if name == "tpu":
        return _tpu_strategy()
    return multiworker_strategy()


def _tpu_strategy() -> Any:
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME", ""))
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as exc:
        raise NlpsuiteError(
            f"--strategy tpu: no TPU found ({str(exc).splitlines()[0][:120]}); run on a Cloud TPU VM "
            "or set TPU_NAME to the TPU's name or grpc:// address"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def multiworker_strategy() -> Any:
    """MultiWorkerMirroredStrategy from ``TF_CONFIG``, with a clear error when it is missing or malformed."""
    import tensorflow as tf

    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise NlpsuiteError(
            "--strategy multiworker needs TF_CONFIG (cluster.worker addresses and this task's index); "
            "see the README's 'Several machines' section"
        )
    try:
        spec = json.loads(raw)
        spec["cluster"]["worker"]
        spec["task"]["index"]
    except (ValueError, KeyError, TypeError):
        raise NlpsuiteError(
            'TF_CONFIG is malformed; expected {"cluster": {"worker": [...]}, "task": {"type": "worker", '
            '"index": N}}'
        ) from None
    return tf.distribute.MultiWorkerMirroredStrategy()


def _jax_strategy(name: str) -> Any:
    import jax
    import keras

    local = jax.local_devices()
    if name == "gpu" and not any(d.platform == "gpu" for d in local):
        raise NlpsuiteError("--strategy gpu: JAX sees no GPU; use --strategy cpu or auto")
    if name == "multiworker":
        raise NlpsuiteError(
            "--strategy multiworker uses tf.distribute; run with KERAS_BACKEND=tensorflow "
            "(JAX multi-host runs use jax.distributed.initialize and --strategy auto)"
        )
    if name == "cpu" or len(local) == 1:
        return _SingleDevice(1, str(local[0]))
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=local))
    return _SingleDevice(len(local))


def is_chief() -> bool:
    """True on the worker that writes saved models and checkpoints (index 0, or no cluster)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        task = json.loads(raw).get("task", {})
    except ValueError:
        return True
    return task.get("type", "worker") in ("chief", "worker") and int(task.get("index", 0)) == 0 and (
        task.get("type") == "chief" or "chief" not in json.loads(raw).get("cluster", {})
    )
