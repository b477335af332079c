"""CRF throughput: log-likelihood + Viterbi decode, sequences per second on CPU.

Batch 64, length 50, 9 and 17 tags (CoNLL BIO and BIOES sizes), for the current Keras backend:
``eager`` (called from Python, as a user would; the scans inside are compiled and cached per
shape by `nlpsuite.ops.crf._compiled`), ``jit`` (``tf.function(jit_compile=True)`` on TensorFlow,
``jax.jit`` on JAX), and a plain NumPy forward algorithm + Viterbi, vectorised over the batch, as
the reference. ``vs_numpy`` is throughput relative to NumPy (> 1 is faster). When pytorch-crf
is installed (``pip install -e ".[torch]"``), ``pytorch-crf`` is timed on the same inputs as the
peer a tensorflow-addons user would compare with (``torchcrf.CRF`` forward + ``decode``, eager,
no start/end scores, its threads set to TensorFlow's), and ``vs_pytorch_crf`` is each row's
throughput relative to it (>= 1 means at least as fast).

    python -m bench crf                      # TensorFlow
    KERAS_BACKEND=jax python -m bench crf    # JAX
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

NAME = "crf"
BATCH, LENGTH = 64, 50


def numpy_log_likelihood_and_decode(x, tags, lengths, transitions):
    """Reference forward algorithm and Viterbi in NumPy (one loop over time, no start/end)."""
    batch, length, _ = x.shape
    rows = np.arange(batch)
    mask = np.arange(length)[None, :] < lengths[:, None]
    # Gold score.
    unary = np.where(mask, x[rows[:, None], np.arange(length)[None, :], tags], 0.0).sum(1)
    binary = np.where(mask[:, 1:], transitions[tags[:, :-1], tags[:, 1:]], 0.0).sum(1)
    alpha = x[:, 0].copy()
    delta = x[:, 0].copy()
    pointers = np.zeros(x.shape, dtype=np.int32)
    for t in range(1, length):
        step = alpha[:, :, None] + transitions[None]
        peak = step.max(1, keepdims=True)
        new_alpha = x[:, t] + (peak[:, 0] + np.log(np.exp(step - peak).sum(1)))
        candidates = delta[:, :, None] + transitions[None]
        new_delta = x[:, t] + candidates.max(1)
        pointers[:, t] = candidates.argmax(1)
        valid = mask[:, t, None]
        alpha = np.where(valid, new_alpha, alpha)
        delta = np.where(valid, new_delta, delta)
    peak = alpha.max(1)
    log_norm = peak + np.log(np.exp(alpha - peak[:, None]).sum(1))
    decoded = np.zeros((batch, length), dtype=np.int32)
    current = delta.argmax(1)
    for t in range(length - 1, -1, -1):
        inside = t < lengths
        decoded[inside, t] = current[inside]
        current = np.where(inside & (t > 0), pointers[rows, t, current], current)
    return unary + binary - log_norm, decoded


def _inputs(num_tags: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, LENGTH, num_tags)).astype("float32")
    tags = rng.integers(0, num_tags, size=(BATCH, LENGTH)).astype("int32")
    lengths = rng.integers(LENGTH // 2, LENGTH + 1, size=BATCH).astype("int32")
    transitions = rng.normal(size=(num_tags, num_tags)).astype("float32")
    return x, tags, lengths, transitions


def _keras_fn(backend: str, compiled: bool) -> Callable:
    from keras import ops

    from nlpsuite.ops import crf_decode, crf_log_likelihood

    def both(x, tags, lengths, transitions):
        ll, _ = crf_log_likelihood(x, tags, lengths, transitions)
        decoded, _ = crf_decode(x, transitions, lengths)
        return ll, decoded

    def run(fn):
        def call(*args):
            ll, decoded = fn(*args)
            return ops.convert_to_numpy(ll), ops.convert_to_numpy(decoded)

        return call

    if not compiled:
        return run(both)
    if backend == "tensorflow":
        import tensorflow as tf

        return run(tf.function(both, jit_compile=True))
    if backend == "jax":
        import jax

        return run(jax.jit(both))
    return None


def _pytorch_crf_fn(num_tags: int, transitions: np.ndarray) -> Callable | None:
    """pytorch-crf's log-likelihood + Viterbi with our transitions; None when it is not installed."""
    try:
        import torch
        from torchcrf import CRF as TorchCRF
    except ImportError:
        return None
    crf = TorchCRF(num_tags, batch_first=True)
    with torch.no_grad():
        crf.transitions.copy_(torch.from_numpy(transitions))
        crf.start_transitions.zero_()
        crf.end_transitions.zero_()

    def both(x, tags, lengths, _transitions):
        mask = torch.from_numpy(np.arange(x.shape[1])[None, :] < lengths[:, None])
        with torch.no_grad():
            ll = crf(torch.from_numpy(x), torch.from_numpy(tags).long(), mask, reduction="none")
            paths = crf.decode(torch.from_numpy(x), mask)
        decoded = np.zeros(tags.shape, np.int32)
        for row, path in enumerate(paths):
            decoded[row, : len(path)] = path
        return ll.numpy(), decoded

    return both


def _throughput(fn: Callable, args: tuple, iterations: int) -> float:
    fn(*args)  # warm-up: tracing and compilation are not throughput
    best = float("inf")
    for _ in range(3 if iterations > 2 else 1):
        start = time.perf_counter()
        for _ in range(iterations):
            fn(*args)
        best = min(best, time.perf_counter() - start)
    return BATCH * iterations / best


def run(quick: bool = False) -> list[dict]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    backend = keras.backend.backend()
    _match_torch_threads()
    iterations = 2 if quick else 20
    rows = []
    for num_tags in (9,) if quick else (9, 17):
        args = _inputs(num_tags)
        reference = numpy_log_likelihood_and_decode(*args)
        base = _throughput(numpy_log_likelihood_and_decode, args, iterations)
        rows.append(_row(num_tags, "numpy", base, base))
        for mode in ("eager", "jit"):
            fn = _keras_fn(backend, compiled=mode == "jit")
            if fn is None:
                continue
            ll, decoded = fn(*args)
            # A fast wrong answer is not a result.
            np.testing.assert_allclose(ll, reference[0], rtol=1e-4, atol=1e-3)
            np.testing.assert_array_equal(decoded, reference[1])
            rows.append(_row(num_tags, f"{backend} {mode}", _throughput(fn, args, iterations), base))
        peer = _pytorch_crf_fn(num_tags, args[3])
        if peer is not None:
            ll, decoded = peer(*args)
            np.testing.assert_allclose(ll, reference[0], rtol=1e-4, atol=1e-3)
            np.testing.assert_array_equal(decoded, reference[1])
            rows.append(_row(num_tags, "pytorch-crf eager", _throughput(peer, args, iterations), base))
            torch_rate = rows[-1]["sequences/s"]
            for row in rows[-4:]:
                if row["tags"] == num_tags:
                    row["vs_pytorch_crf"] = round(row["sequences/s"] / torch_rate, 2)
    return rows


def _match_torch_threads() -> None:
    # Same cores for both peers: torch defaults to every core, TensorFlow's op pools may differ.
    try:
        import tensorflow as tf
        import torch
    except ImportError:
        return
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count() or 1
    torch.set_num_threads(threads)


def _row(num_tags: int, implementation: str, per_second: float, numpy_per_second: float) -> dict:
    return {
        "tags": num_tags,
        "batch x length": f"{BATCH} x {LENGTH}",
        "implementation": implementation,
        "sequences/s": round(per_second, 1),
        "vs_numpy": round(per_second / numpy_per_second, 2),
    }


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
