"""CRF speed: log-likelihood + Viterbi decode, per call and in sequences per second, on CPU.

Batch 64, length 50, 9 and 17 tags (CoNLL BIO and BIOES sizes), for the current Keras backend:
``eager`` (called from Python one call at a time, as a tensorflow-addons user calls
``crf_log_likelihood`` then ``crf_decode``; on TensorFlow each runs under XLA, compiled once per
padded batch x length bucket by `nlpsuite.ops.buckets.BucketedXla`, from the bucket's second call
on), ``jit`` (``tf.function(jit_compile=True)`` on TensorFlow,
``jax.jit`` on JAX), and a plain NumPy forward algorithm + Viterbi, vectorised over the batch, as
the reference. ``ms/call`` is the wall time of one log-likelihood + decode call on the whole batch;
``vs_numpy`` is throughput relative to NumPy (> 1 is faster). Every implementation is timed after
three warm-up calls (tracing and compiling are not speed); ``warmup_s`` is what those three took.

When pytorch-crf is installed (``pip install -e ".[bench]"``), ``pytorch-crf`` is timed on the same
inputs as the peer a tensorflow-addons user would compare with (``torchcrf.CRF`` forward +
``decode``, eager, no start/end scores, its threads set to TensorFlow's); its results must agree with
ours, and ``time_vs_pytorch_crf`` is each row's time per call over pytorch-crf's (<= 1.0 means at
least as fast). The JSON's ``eager_vs_pytorch_crf`` holds the ratio that issue 17 targets (the
eager row over pytorch-crf, per tag count, <= 1.0 wanted), and the run prints it on its own line.
Without pytorch-crf the peer is skipped and the JSON says so in ``note``.

    python -m bench crf                      # TensorFlow
    KERAS_BACKEND=jax python -m bench crf    # JAX
    python -m bench crf --quick              # smoke test: 17 tags, a small batch, few calls
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

NAME = "crf"
BATCH, LENGTH = 64, 50
QUICK_BATCH, QUICK_LENGTH = 8, 10
PEER_MISSING = "pytorch-crf is not installed (pip install -e '.[bench]'): the pytorch-crf peer was skipped"


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


def _inputs(num_tags: int, batch: int = BATCH, length: int = LENGTH, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, length, num_tags)).astype("float32")
    tags = rng.integers(0, num_tags, size=(batch, length)).astype("int32")
    lengths = rng.integers(length // 2, length + 1, size=batch).astype("int32")
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


WARMUP_CALLS = 3  # eager TensorFlow: a bucket's first call traces a graph, its second compiles XLA


def _seconds_per_call(fn: Callable, args: tuple, iterations: int) -> tuple[float, float]:
    """``(best seconds per call, seconds of the warm-up calls)``."""
    start = time.perf_counter()
    for _ in range(WARMUP_CALLS):
        fn(*args)
    warmup = time.perf_counter() - start
    best = float("inf")
    for _ in range(3 if iterations > 2 else 1):
        start = time.perf_counter()
        for _ in range(iterations):
            fn(*args)
        best = min(best, time.perf_counter() - start)
    return best / iterations, warmup


def _check_agrees(result: tuple, reference: tuple) -> None:
    # A fast wrong answer is not a result.
    np.testing.assert_allclose(result[0], reference[0], rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(result[1], reference[1])


def _rows_for(num_tags: int, args: tuple, iterations: int, backend: str) -> tuple[list[dict], bool]:
    """The rows of one tag count, and whether pytorch-crf was there to compare with."""
    reference = numpy_log_likelihood_and_decode(*args)
    implementations = {"numpy": numpy_log_likelihood_and_decode}
    for mode in ("eager", "jit"):
        fn = _keras_fn(backend, compiled=mode == "jit")
        if fn is not None:
            implementations[f"{backend} {mode}"] = fn
    peer = _pytorch_crf_fn(num_tags, args[3])
    if peer is not None:
        implementations["pytorch-crf eager"] = peer
    seconds, warmups = {}, {}
    for name, fn in implementations.items():
        seconds[name], warmups[name] = _seconds_per_call(fn, args, iterations)
        _check_agrees(fn(*args), reference)  # after the warm-up: the compiled path is checked too
    rows = [_row(num_tags, args[0].shape, name, s, seconds["numpy"], warmups[name]) for name, s in seconds.items()]
    if peer is not None:
        for row, s in zip(rows, seconds.values(), strict=True):
            row["time_vs_pytorch_crf"] = round(s / seconds["pytorch-crf eager"], 2)
    return rows, peer is not None


def run(quick: bool = False) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    backend = keras.backend.backend()
    _match_torch_threads()
    iterations = 2 if quick else 20
    sizes = (QUICK_BATCH, QUICK_LENGTH) if quick else (BATCH, LENGTH)
    rows, peer_found = [], True
    for num_tags in (17,) if quick else (9, 17):
        tag_rows, found = _rows_for(num_tags, _inputs(num_tags, *sizes), iterations, backend)
        rows += tag_rows
        peer_found = peer_found and found
    if not peer_found:
        print(f"note: {PEER_MISSING}")
        return {"rows": rows, "note": PEER_MISSING}
    ratios = {
        f"{row['tags']} tags": row["time_vs_pytorch_crf"] for row in rows if row["implementation"] == f"{backend} eager"
    }
    for tags, ratio in ratios.items():
        # The target is set at 64 x 50: at --quick sizes per-call overhead dominates both.
        verdict = "quick sizes, not the target's" if quick else ("meets" if ratio <= 1.0 else "misses") + " <= 1.0"
        print(f"{backend} eager / pytorch-crf time, {sizes[0]} x {sizes[1]} x {tags}: {ratio:.2f} ({verdict})")
    return {"rows": rows, "eager_vs_pytorch_crf": ratios}


def _match_torch_threads() -> None:
    # Same cores for both peers: torch defaults to every core, TensorFlow's op pools may differ.
    try:
        import tensorflow as tf
        import torch
    except ImportError:
        return
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count() or 1
    torch.set_num_threads(threads)


def _row(num_tags: int, shape: tuple, implementation: str, seconds: float, numpy_seconds: float, warmup: float) -> dict:
    batch, length = shape[:2]
    return {
        "tags": num_tags,
        "batch x length": f"{batch} x {length}",
        "implementation": implementation,
        "ms/call": round(1000 * seconds, 2),
        "sequences/s": round(batch / seconds, 1),
        "vs_numpy": round(numpy_seconds / seconds, 2),
        "warmup_s": round(warmup, 2),
    }


if __name__ == "__main__":
    for row in run(quick=False)["rows"]:
        print(row)
