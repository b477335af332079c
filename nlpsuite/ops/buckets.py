"""Padded-bucket XLA compilation of sequence functions called eagerly on TensorFlow.

Why buckets: on CPU a CRF scan compiled by XLA runs several times faster than the same scan as a
TensorFlow graph (the graph executor pays per op and per step), but XLA compiles once per concrete
shape, and eager callers (tensorflow-addons style code, tests, a decoder fed batches of varying
length) pass many shapes. Padding the batch and time axes up to a bucket (`bucket_size`) bounds the
compilations to a few per tag count and dtype. The true sequence lengths make the padding
invisible: padded steps lie past every row's length, padded rows have length 0, and both are
sliced off the results, so values (and gradients) are those of the unpadded call.

Why a compiled gradient: a GradientTape around an XLA function call cannot carry the scan's
intermediate values out of XLA ("TensorList crossing the XLA/TF boundary"), so the call is a
`tf.custom_gradient` whose gradient is a second XLA function that recomputes the forward pass and
differentiates it inside XLA.

Why a call count before compiling: a bucket's first call runs the shape-relaxed graph the caller
supplies (one trace for every shape), and only a bucket called again is compiled. Code that calls
one shape in a loop gets XLA from its second call; code that calls many shapes once each (a test
suite) pays no compilation per shape.
"""

from __future__ import annotations

import functools
import inspect
from collections import Counter
from collections.abc import Callable, Sequence

import keras
from keras import ops

__all__ = ["BucketedXla", "bucket_size"]

# Smallest bucket: short batches and sequences share one compilation.
MIN_BUCKET = 8
# Up to here buckets are powers of two (at most 2x padding); beyond, multiples of it (less padding
# on long inputs, at the price of more buckets).
POWER_OF_TWO_UP_TO = 128
# Calls of one bucket signature that run uncompiled before it is compiled.
CALLS_BEFORE_COMPILING = 1


def bucket_size(size: int) -> int:
    """The padded size of an axis of ``size``: a power of two (at least 8) up to 128, then a multiple of 128.

    Args:
        size: the true size (>= 0).

    Example:
    >>> [bucket_size(n) for n in (1, 8, 9, 50, 64, 128, 129, 300)]
    [8, 8, 16, 64, 64, 128, 256, 384]
    """
    if size <= POWER_OF_TWO_UP_TO:
        return max(MIN_BUCKET, 1 << max(size - 1, 0).bit_length())
    return -(-size // POWER_OF_TWO_UP_TO) * POWER_OF_TWO_UP_TO


def _pad(x, batch: int, time: int | None = None):
    """Zero-pads axis 0 of ``x`` to ``batch`` and, when given, axis 1 to ``time``."""
    widths = [[0, batch - x.shape[0]]] + [[0, 0]] * (len(x.shape) - 1)
    if time is not None:
        widths[1] = [0, time - x.shape[1]]
    return ops.pad(x, widths)


def _vector_jacobian_product(fn: Callable, arguments: dict, names: tuple, upstream: list) -> list:
    """Gradients of ``fn``'s float outputs, weighted by ``upstream``, w.r.t. the arguments ``names``."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        watched = [arguments[name] for name in names]
        tape.watch(watched)
        outputs = [output for output in keras.tree.flatten(fn(**arguments)) if output.dtype.is_floating]
    return tape.gradient(outputs, watched, output_gradients=upstream)


def _unpad(x, batch: int, time: int):
    """Slices a result back: batch-major, and time on axis 1 when it has one."""
    return x[:batch, :time] if len(x.shape) > 1 else x[:batch]


class BucketedXla:
    """Runs ``fn`` under ``tf.function(jit_compile=True)`` on inputs padded to buckets.

    ``fn``'s first argument is ``[batch, time, ...]`` floats; every result is ``[batch]`` or
    ``[batch, time, ...]``; and ``fn`` must ignore every step at or past ``lengths`` and return
    per-row results that depend only on the row (so padding rows of length 0 changes nothing).

    Args:
        fn: the function to compile.
        fallback: called instead (same arguments) for a bucket's first ``CALLS_BEFORE_COMPILING`` calls.
        steps: names of the other ``[batch, time]`` arguments, integers (e.g. gold tags; longer
            ones are cut to the time axis of the first argument, as ``fn`` would).
        lengths: name of the ``[batch]`` integer sequence lengths argument.

    Call arguments:
        *args, **kwargs: ``fn``'s arguments, eager tensors or arrays.

    Example:
    >>> import numpy as np
    >>> from keras import ops
    >>> def masked_sum(x, lengths):
    ...     keep = ops.arange(x.shape[1])[None, :] < ops.convert_to_tensor(lengths)[:, None]
    ...     return ops.sum(ops.where(keep, x, 0.0), axis=1)
    >>> fast = BucketedXla(masked_sum, fallback=masked_sum, lengths="lengths")
    >>> [np.asarray(fast(np.ones((2, 5), "float32"), [5, 2])).tolist() for _ in range(2)]
    [[5.0, 2.0], [5.0, 2.0]]
    >>> fast.compiled_signatures  # the second call compiled the (8, 8) bucket
    1
    """

    def __init__(self, fn: Callable, fallback: Callable, steps: Sequence[str] = (), lengths: str = "lengths"):
        import tensorflow as tf

        self._signature = inspect.signature(fn)
        self._first = next(iter(self._signature.parameters))
        self._steps = tuple(steps)
        self._lengths = lengths
        self._fallback = fallback
        self._compiled = tf.function(fn, jit_compile=True, autograph=False)
        self._gradient = tf.function(functools.partial(_vector_jacobian_product, fn), jit_compile=True, autograph=False)
        self._calls: Counter = Counter()

    @property
    def compiled_signatures(self) -> int:
        """How many bucket signatures have been compiled (XLA traces)."""
        return self._compiled.experimental_get_tracing_count()

    def __call__(self, *args, **kwargs):
        import tensorflow as tf

        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        # tf's own conversion: it reads Keras and tf variables as tensors an outer tape has watched.
        arguments = {name: None if v is None else tf.convert_to_tensor(v) for name, v in bound.arguments.items()}
        first = arguments[self._first]
        if len(first.shape) < 2 or not self._paddable(arguments, *first.shape[:2]):
            return self._fallback(*args, **kwargs)  # mismatched shapes: the caller's own error
        batch, time = first.shape[:2]
        padded = self._padded(arguments, bucket_size(batch), bucket_size(time), time)
        signature = tuple(None if t is None else (tuple(t.shape), t.dtype.name) for t in padded.values())
        self._calls[signature] += 1
        if self._calls[signature] <= CALLS_BEFORE_COMPILING:
            return self._fallback(*args, **kwargs)
        outputs = self._differentiable_call(padded)
        return keras.tree.map_structure(lambda x: _unpad(x, batch, time), outputs)

    def _differentiable_call(self, arguments: dict):
        import tensorflow as tf

        names = tuple(name for name, t in arguments.items() if t is not None and t.dtype.is_floating)

        @tf.custom_gradient
        def call(*tensors):
            inputs = {**arguments, **dict(zip(names, tensors, strict=True))}
            # Unwatched inputs: an outer tape recording the XLA call itself would need the scan's
            # intermediates from XLA; `gradient` below stands in for that.
            outputs = self._compiled(**{**inputs, **{name: tf.stop_gradient(inputs[name]) for name in names}})

            def gradient(*upstream):
                flat = keras.tree.flatten(outputs)
                floats = [
                    tf.zeros_like(output) if grad is None else grad
                    for output, grad in zip(flat, upstream, strict=True)
                    if output.dtype.is_floating
                ]
                return self._gradient(inputs, names, floats)

            return outputs, gradient

        return call(*(arguments[name] for name in names))

    def _paddable(self, arguments: dict, batch: int, time: int) -> bool:
        batch_major = [arguments[name] for name in (*self._steps, self._lengths)]
        if any(t is None or len(t.shape) == 0 or t.shape[0] != batch for t in batch_major):
            return False
        return all(len(arguments[name].shape) == 2 and arguments[name].shape[1] >= time for name in self._steps)

    def _padded(self, arguments: dict, batch: int, time: int, true_time: int) -> dict:
        padded = dict(arguments)
        padded[self._first] = _pad(arguments[self._first], batch, time)
        for name in self._steps:  # integer labels (int32 whatever they came as: one signature fewer)
            padded[name] = _pad(ops.cast(arguments[name][:, :true_time], "int32"), batch, time)
        # Lengths past the time axis mean the whole axis, as they do unpadded; padded rows are empty.
        padded[self._lengths] = _pad(ops.minimum(ops.cast(arguments[self._lengths], "int32"), true_time), batch)
        return padded
