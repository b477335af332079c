"""Device and strategy selection: one flag, every device (docs/scale.md).

``get_strategy(name)`` returns an object with ``scope()`` and ``num_replicas_in_sync`` whatever the backend:

- TensorFlow: a ``tf.distribute.Strategy``. ``auto`` = all local GPUs mirrored when there are several, else the
  default strategy; ``cpu``/``gpu`` = one device; ``mirrored`` = MirroredStrategy over the local GPUs (or the
  logical CPUs made by ``split_cpu``); ``tpu`` = TPUClusterResolver + TPUStrategy; ``multiworker`` =
  MultiWorkerMirroredStrategy configured by ``TF_CONFIG`` (trained by ``training.fit``'s own step loop).
- JAX: the same names map to ``keras.distribution.DataParallel`` over all local devices (``tpu`` and
  ``mirrored`` included: JAX sees TPU cores and GPUs as local devices); ``cpu`` uses one device; ``gpu`` and
  ``tpu`` fail clearly when JAX sees no such device; ``multiworker`` is TensorFlow-only.
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
from typing import Any

from nlpsuite.errors import NlpsuiteError

__all__ = [
    "backend",
    "devices",
    "get_strategy",
    "is_chief",
    "multiworker_strategy",
    "set_mixed_precision",
    "split_cpu",
    "task_address",
    "task_identity",
    "tf_config",
]

STRATEGIES = ("auto", "cpu", "gpu", "mirrored", "tpu", "multiworker")


def backend() -> str:
    """The Keras backend's name (``tensorflow``, ``jax`` or ``torch``).

    Example:
    >>> import keras
    >>> backend() == keras.backend.backend()
    True
    """
    import keras

    return keras.backend.backend()


def split_cpu(count: int) -> None:
    """Makes TensorFlow see the CPU as ``count`` logical devices (multi-device tests without GPUs).

    Must run before TensorFlow initialises its devices; later calls that ask for the same count are
    no-ops.

    Args:
        count: the number of logical CPU devices wanted.

    Raises:
        NlpsuiteError: TensorFlow already initialised its devices with another count.

    Example:
    >>> import tensorflow as tf
    >>> _ = tf.config.list_logical_devices()  # devices are initialised now: the split can no longer change
    >>> count = len(tf.config.list_logical_devices("CPU"))
    >>> split_cpu(count)  # asking for what is already there is a no-op
    >>> split_cpu(count + 1)
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: cannot split the CPU into ... devices: TensorFlow is already initialised; ...
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
                f"cannot split the CPU into {count} devices: TensorFlow is already initialised; call split_cpu() first"
            ) from None


def set_mixed_precision(enabled: bool) -> str:
    """Sets the global Keras dtype policy; returns its name.

    float16 on GPUs (tensor cores, with loss scaling done by the Keras optimizer), bfloat16
    elsewhere (TPUs and recent CPUs). Layers that need float32 (the CRF, the final softmax) ask for
    it explicitly.

    Args:
        enabled: False sets ``float32`` back.

    Example:
    >>> import keras
    >>> set_mixed_precision(True) in ("mixed_float16", "mixed_bfloat16")
    True
    >>> keras.config.dtype_policy().compute_dtype, keras.config.dtype_policy().variable_dtype  # doctest: +ELLIPSIS
    ('...float16', 'float32')
    >>> set_mixed_precision(False)
    'float32'
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
    """Human-readable list of the devices the current backend sees.

    Example:
    >>> any(d.startswith("CPU:") for d in devices())
    True
    """
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

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


def get_strategy(name: str = "auto") -> Any:
    """Returns the strategy for ``name`` (one of ``STRATEGIES``) on the current Keras backend.

    Args:
        name: ``auto``, ``cpu``, ``gpu``, ``mirrored``, ``tpu`` or ``multiworker`` (see the module docstring).

    Returns:
        An object with ``scope()`` and ``num_replicas_in_sync``.

    Example:
    >>> strategy = get_strategy("cpu")
    >>> strategy.num_replicas_in_sync
    1
    >>> get_strategy("cluster")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: unknown strategy 'cluster'; choose one of: auto, cpu, gpu, mirrored, tpu, multiworker
    """
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

    # Both must configure the runtime before anything initialises it (listing logical devices does).
    if name == "multiworker":
        return multiworker_strategy()
    if name == "tpu":
        return _tpu_strategy()
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
    raise AssertionError(name)  # every name in STRATEGIES is handled above


def _tpu_strategy() -> Any:
    """TPUStrategy over the TPU named by ``TPU_NAME``: unset (``local``) on a Cloud TPU VM, else the TPU's
    name or ``grpc://`` address (TPU Node)."""
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME") or "local")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    # Off Google Cloud the resolver fails in several ways: no name (ValueError), the GCE metadata
    # server
    # unreachable (URLError, an OSError), no TPU behind the address (OpError, RuntimeError).
    except (ValueError, RuntimeError, OSError, ImportError, tf.errors.OpError) as exc:
        cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise NlpsuiteError(
            f"--strategy tpu: no TPU found ({cause}); run on a Cloud TPU VM "
            "or set TPU_NAME to the TPU's name or grpc:// address (see docs/scale.md)"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def multiworker_strategy() -> Any:
    """MultiWorkerMirroredStrategy from ``TF_CONFIG``, with a clear error when it is missing or malformed.

    A dead peer is noticed by the coordination service's heartbeat (``NLPSUITE_HEARTBEAT_TIMEOUT``
    seconds, default 30) and every collective gives up after ``NLPSUITE_COLLECTIVE_TIMEOUT`` seconds
    (default 600), so a lost worker ends the run with an error instead of a hang; ``training.fit``
    turns it into a message that says how to resume. The collective timeout must exceed the longest
    step any worker may lag behind (tracing, a dev-set evaluation), hence its generous default.

    Example:
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"TF_CONFIG": ""}):
    ...     multiworker_strategy()
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: --strategy multiworker needs TF_CONFIG (cluster.worker addresses ...
    """
    import tensorflow as tf

    spec = tf_config()
    if spec is None:
        raise NlpsuiteError(
            "--strategy multiworker needs TF_CONFIG (cluster.worker addresses and this task's "
            "index); "
            "see docs/scale.md, 'Several machines'"
        )
    _configure_heartbeat(spec, _seconds_from_env("NLPSUITE_HEARTBEAT_TIMEOUT", 30.0))
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=_seconds_from_env("NLPSUITE_COLLECTIVE_TIMEOUT", 600.0)
    )
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def tf_config() -> dict[str, Any] | None:
    """The parsed ``TF_CONFIG`` (None when unset); a clear error when it is malformed.

    Example:
    >>> import os
    >>> from unittest import mock
    >>> cluster = '{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 1}}'
    >>> with mock.patch.dict(os.environ, {"TF_CONFIG": cluster}):
    ...     tf_config()["cluster"]["worker"]
    ['a:2222', 'b:2222']
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        spec = json.loads(raw)
        workers = spec["cluster"]["worker"]
        int(spec["task"]["index"])
        if not isinstance(workers, list) or not workers:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise NlpsuiteError(
            'TF_CONFIG is malformed; expected {"cluster": {"worker": ["host:port", ...]}, '
            '"task": {"type": "worker", "index": N}}'
        ) from None
    return spec


def task_identity() -> tuple[str, int]:
    """This process's ``(task type, index)`` in the ``TF_CONFIG`` cluster; ``("worker", 0)`` without one.

    Example:
    >>> import os
    >>> from unittest import mock
    >>> cluster = '{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 1}}'
    >>> with mock.patch.dict(os.environ, {"TF_CONFIG": cluster}):
    ...     task_identity(), task_address("worker", 0), is_chief()
    (('worker', 1), 'a:2222', False)
    """
    raw = os.environ.get("TF_CONFIG")
    try:
        task = json.loads(raw).get("task", {}) if raw else {}
        return str(task.get("type", "worker")), int(task.get("index", 0))
    except (ValueError, TypeError, AttributeError):
        return "worker", 0


def task_address(task_type: str, index: int) -> str | None:
    """The ``host:port`` of a cluster task from ``TF_CONFIG``, if known.

    Example:
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"TF_CONFIG": '{"cluster": {"worker": ["a:2222"]}}'}):
    ...     task_address("worker", 0), task_address("worker", 5)
    ('a:2222', None)
    """
    try:
        return json.loads(os.environ["TF_CONFIG"])["cluster"][task_type][index]
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def _seconds_from_env(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
        if value <= 0:
            raise ValueError
    except ValueError:
        raise NlpsuiteError(f"{name}={text!r}: expected a positive number of seconds") from None
    return value


def _configure_heartbeat(spec: dict[str, Any], seconds: float) -> None:
    """Sets the coordination service's heartbeat timeout before the strategy starts it.

    MultiWorkerMirroredStrategy configures the service itself (with TensorFlow's default heartbeat)
    unless one is configured already; we configure it the same way with our timeout. There is no
    public API for this, so if the private one moves the strategy's own defaults apply.
    """
    try:
        from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
        from tensorflow.python.eager import context

        if context.context().coordination_service is not None:
            return
        cluster = spec["cluster"]
        jobs = [
            coordination_config_pb2.CoordinatedJob(name=job, num_tasks=len(cluster[job]))
            for job in ("chief", "worker")
            if job in cluster
        ]
        leader = "chief" if "chief" in cluster else "worker"
        context.context().configure_coordination_service(
            service_type="standalone",
            service_leader=f"/job:{leader}/replica:0/task:0",
            heartbeat_timeout_in_ms=int(seconds * 1000),
            coordinated_jobs=jobs,
        )
    except (ImportError, AttributeError, TypeError, ValueError):
        pass


def _jax_strategy(name: str) -> Any:
    import jax
    import keras

    local = jax.local_devices()
    if name == "gpu" and not any(d.platform == "gpu" for d in local):
        raise NlpsuiteError("--strategy gpu: JAX sees no GPU; use --strategy cpu or auto")
    if name == "tpu" and not any(d.platform == "tpu" for d in local):
        raise NlpsuiteError(
            "--strategy tpu: JAX sees no TPU; run on a Cloud TPU VM with jax[tpu] installed (see docs/scale.md)"
        )
    if name == "multiworker":
        raise NlpsuiteError(
            "--strategy multiworker uses tf.distribute; run with KERAS_BACKEND=tensorflow "
            "(JAX multi-host runs use jax.distributed.initialize and --strategy auto)"
        )
    if name == "cpu" or len(local) == 1:
        keras.distribution.set_distribution(None)  # undo an earlier get_strategy's DataParallel
        return _SingleDevice(1, str(local[0]))
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=local))
    return _SingleDevice(len(local))


def is_chief() -> bool:
    """True on the worker that writes saved models and checkpoints (index 0, or no cluster).

    Example:
    >>> import os
    >>> from unittest import mock
    >>> cluster = '{"cluster": {"chief": ["c:2222"], "worker": ["a:2222"]}, "task": {"type": "worker", "index": 0}}'
    >>> with mock.patch.dict(os.environ, {"TF_CONFIG": cluster}):
    ...     is_chief()  # with a chief in the cluster, worker 0 is not it
    False
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        task = json.loads(raw).get("task", {})
    except ValueError:
        return True
    return (
        task.get("type", "worker") in ("chief", "worker")
        and int(task.get("index", 0)) == 0
        and (task.get("type") == "chief" or "chief" not in json.loads(raw).get("cluster", {}))
    )
