"""Linear-chain CRF in `keras.ops`: log-likelihood, Viterbi (1-best and n-best) and marginals.

Everything runs on any Keras backend (TensorFlow, JAX, PyTorch), in log space, vectorised over the
batch with one scan over time (`keras.ops.scan`; `tf.scan` on TensorFlow, see `_scan`), and
traces, gradients included, under `tf.function(jit_compile=True)` and `jax.jit`.

Two levels:

- tensorflow-addons compatible functions (`crf_log_likelihood`, `crf_decode`, `crf_sequence_score`,
  `crf_log_norm`, `crf_unary_score`, `crf_binary_score`, `viterbi_decode`) that take unary
  potentials ``[batch, max_seq_len, num_tags]``, a ``[num_tags, num_tags]`` transition matrix and
  ``sequence_lengths``; `crf_log_likelihood`, `crf_decode` and `crf_marginals` also take optional
  ``start_transitions`` / ``end_transitions`` ``[num_tags]`` (scores for the first and the last
  tag of each sequence).
- "pairwise" functions on the per-step log-potentials ``[batch, time, num_tags, num_tags]``,
  where ``potentials[b, t, i, j]`` scores tag ``j`` at position ``t`` after tag ``i``: emission +
  transition, with start scores folded into the first valid position (the same for every ``i``)
  and end scores into the last. They take a boolean ``mask`` ``[batch, time]`` that may have holes
  or left padding: masked positions are skipped. The CRF layer (`nlpsuite.layers.CRF`) emits this
  form, so its loss needs nothing but the layer's output.

Conventions (shared by both levels):

- a row of length 0 has log-likelihood 0, decode score 0, all-zero tags and all-zero marginals;
- decoded tags at padding positions are 0, and marginals at padding positions are 0 (not uniform),
  so ``marginals.sum(-1)`` is the mask;
- half-precision inputs are computed and returned in float32 (log-space sums in float16 lose
  too much); float32 and float64 stay as they are.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.ops.buckets import BucketedXla

__all__ = [
    "FORBIDDEN_SCORE",
    "CrfDecodeForwardRnnCell",
    "crf_binary_score",
    "crf_constrained_decode",
    "crf_constraint_masks",
    "crf_decode",
    "crf_decode_forward",
    "crf_filtered_inputs",
    "crf_log_likelihood",
    "crf_log_norm",
    "crf_marginals",
    "crf_multitag_sequence_score",
    "crf_nbest_decode",
    "crf_pairwise_decode",
    "crf_pairwise_log_likelihood",
    "crf_pairwise_log_norm",
    "crf_pairwise_marginals",
    "crf_pairwise_nbest_decode",
    "crf_pairwise_potentials",
    "crf_sequence_score",
    "crf_unary_score",
    "sequence_mask",
    "viterbi_decode",
]

# Additive score for a forbidden transition. Finite, so logsumexp and its gradient stay NaN-free,
# and far below any learned score, so exp() of it is exactly 0 in float32.
FORBIDDEN_SCORE = -1e4
# Score of an n-best slot that holds no path (fewer than n paths exist).
_EMPTY_SLOT = -1e9


# --------------------------------------------------------------------------- helpers


def _compute_dtype(x) -> str:
    dtype = keras.backend.standardize_dtype(x.dtype)
    if dtype in ("float32", "float64"):
        return dtype
    return "float32"


def _as_float(x, dtype: str | None = None):
    x = ops.convert_to_tensor(x)
    return ops.cast(x, dtype or _compute_dtype(x))


def sequence_mask(sequence_lengths, maxlen):
    """Boolean ``[batch, maxlen]`` mask, True for positions ``< sequence_lengths``.

    Args:
        sequence_lengths: ``[batch]`` integer lengths.
        maxlen: the length of the time axis.

    Returns:
        A boolean ``[batch, maxlen]`` tensor.

    Example:
    >>> import numpy as np
    >>> np.asarray(sequence_mask([2, 0], 3)).tolist()
    [[True, True, False], [False, False, False]]
    """
    lengths = ops.cast(ops.convert_to_tensor(sequence_lengths), "int32")
    positions = ops.arange(maxlen, dtype="int32")
    return ops.expand_dims(positions, 0) < ops.expand_dims(lengths, 1)


def _boundaries(mask):
    """First and last valid position of each row of a boolean ``[batch, time]`` mask."""
    counts = ops.cumsum(ops.cast(mask, "int32"), axis=1)
    totals = counts[:, -1:]
    is_first = ops.logical_and(mask, ops.equal(counts, 1))
    is_last = ops.logical_and(mask, ops.equal(counts, totals))
    return is_first, is_last


def _num_tags(x):
    """Static size of the last axis, or a scalar tensor where a relaxed trace left it unknown."""
    return x.shape[-1] if x.shape[-1] is not None else ops.shape(x)[-1]


def _time_major(x):
    rank = len(x.shape)
    return ops.transpose(x, [1, 0] + list(range(2, rank)))


def _batch_major(x):
    return _time_major(x)


def _gather_rows(matrix, index):
    """``matrix[b, index[b]]`` for ``matrix`` ``[batch, n]`` and integer ``index`` ``[batch]``."""
    return ops.take_along_axis(matrix, ops.expand_dims(index, 1), axis=1)[:, 0]


def _shift_left(x, fill):
    """``x[1:]`` along time (axis 0) with ``fill`` appended: step ``t`` sees step ``t + 1``."""
    return ops.concatenate([x[1:], ops.expand_dims(fill, 0)], axis=0)


# Set by ``for_export()`` while an export traces the CRF (see ``_scan``).
_FOR_EXPORT = False


@contextlib.contextmanager
def for_export():
    """Traces the CRF the way a LiteRT/ONNX converter can lower it (no zero-step guard).

    A context manager; results are the same, only the traced graph differs.

    Example:
    >>> import numpy as np
    >>> with for_export():
    ...     ll, _ = crf_log_likelihood(np.zeros((1, 2, 2)), [[0, 1]], [2], np.zeros((2, 2)))
    >>> round(float(ll[0]), 4)  # log(1/4): four equally likely paths
    -1.3863
    """
    global _FOR_EXPORT
    previous, _FOR_EXPORT = _FOR_EXPORT, True
    try:
        yield
    finally:
        _FOR_EXPORT = previous


def _scan(step, init, xs, reverse: bool = False):
    """Runs ``carry = step(carry, x)`` over time-major ``xs``; returns ``(final, all carries)``.

    On TensorFlow this is ``tf.scan``: Keras' TensorFlow ``ops.scan`` builds a ``while_loop``
    without ``maximum_iterations``, so its gradient cannot be compiled by XLA, and Keras compiles
    ``model.fit`` with XLA by default on GPUs. Other backends use ``keras.ops.scan``.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if reverse:
            # A forward scan over the time-reversed inputs, reversed back: the same result as
            # ``tf.scan(reverse=True)``, whose reversed TensorArray writes tf2onnx converts wrongly
            # (an exported ONNX decoder would return each path back to front).
            flip = lambda t: tf.reverse(t, axis=[0])  # noqa: E731
            final, carries = _scan(step, init, keras.tree.map_structure(flip, xs))
            return final, keras.tree.map_structure(flip, carries)
        first = keras.tree.flatten(xs)[0]
        steps = first.shape[0]

        def scan():
            return tf.scan(step, xs, initializer=init)

        def no_carries():
            return keras.tree.map_structure(lambda c: tf.zeros(tf.concat([[0], tf.shape(c)], 0), c.dtype), init)

        if steps is None and not _FOR_EXPORT:
            # tf.scan cannot stack zero steps of a shape-relaxed trace; skip it at run time. (Not in an
            # export graph: LiteRT cannot lower a scan inside a cond, and exports never see 0 steps.)
            carries = tf.cond(tf.shape(first)[0] > 0, scan, no_carries)
        elif steps is None:
            carries = scan()
        else:
            carries = scan() if steps else no_carries()

        def last(c, initial):
            if steps == 0:
                return initial  # an empty time axis leaves the initial carry
            if steps is None:
                return tf.cond(tf.shape(c)[0] > 0, lambda: c[-1], lambda: initial)
            return c[-1]

        return keras.tree.map_structure(last, carries, init), carries

    def body(carry, x):
        carry = step(carry, x)
        return carry, carry

    return ops.scan(body, init, xs, reverse=reverse)


def _in_tf_graph(backend: str) -> bool:
    # Already traced (fit, a Keras symbolic call): calling through keeps static shapes exact.
    if backend != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.executing_eagerly()


def _no_steps(sequences) -> bool:
    # A shape-relaxed tf.function cannot stack an empty time axis; eager code handles it.
    shape = getattr(sequences, "shape", None)
    return shape is not None and len(shape) > 1 and shape[1] == 0


def _compiled(
    *static_argnames: str, lengths: str | None = None, steps: Sequence[str] = ()
) -> Callable[[Callable], Callable]:
    """Compiles a function per input signature: `tf.function` on TensorFlow, `jax.jit` on JAX.

    Called eagerly, a scan is slow on both: TensorFlow runs its while-loop op by op (seconds per
    batch), and JAX traces and compiles an eager ``lax.scan`` again on every call (each call builds
    new step closures). Compiled functions are cached per shape, so eager decoding costs one trace.
    Inside an outer ``tf.function``/``jit`` (``model.fit``) the inner one is simply inlined.
    The first argument of a wrapped function is ``[batch, time, ...]``.

    On TensorFlow a function that names its ``lengths`` argument (the tfa-style unary functions,
    whose every step past a row's length is ignored) is compiled by XLA once per padded bucket
    (`nlpsuite.ops.buckets.BucketedXla`, with ``steps`` its other ``[batch, time]`` arguments):
    XLA runs the scans several times faster than a graph, and the buckets bound its compilations.
    The others use one shape-relaxed graph (``reduce_retracing``) for every shape.
    """

    def wrap(fn: Callable) -> Callable:
        compiled: dict[str, Callable] = {}

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            backend = keras.backend.backend()
            if backend not in ("tensorflow", "jax") or _in_tf_graph(backend) or _no_steps(args[0]):
                return fn(*args, **kwargs)
            if backend not in compiled:
                if backend == "jax":
                    import jax

                    compiled[backend] = jax.jit(fn, static_argnames=static_argnames)
                else:
                    import tensorflow as tf

                    relaxed = tf.function(fn, reduce_retracing=True, autograph=False)
                    compiled[backend] = relaxed if lengths is None else BucketedXla(fn, relaxed, steps, lengths)
            return compiled[backend](*args, **kwargs)

        wrapper.compiled_by_backend = compiled  # the tf.function / BucketedXla / jax.jit objects, for trace counts
        return wrapper

    return wrap


# --------------------------------------------------------------------------- pairwise form


@_compiled()
def crf_pairwise_potentials(
    inputs,
    transition_params,
    mask,
    start_transitions=None,
    end_transitions=None,
):
    """Per-step log-potentials ``[batch, time, num_tags, num_tags]`` of a linear-chain CRF.

    ``potentials[b, t, i, j] = inputs[b, t, j] + transition_params[i, j]``, except at the first
    valid position of a row, where the transition is replaced by ``start_transitions[j]`` (or 0),
    and at the last valid position, which also adds ``end_transitions[j]``.

    Args:
        inputs: ``[batch, time, num_tags]`` unary potentials (emission scores).
        transition_params: ``[num_tags, num_tags]``; entry ``[i, j]`` scores tag ``i`` -> ``j``.
        mask: boolean ``[batch, time]``; False positions are padding.
        start_transitions: optional ``[num_tags]`` scores of the first tag.
        end_transitions: optional ``[num_tags]`` scores of the last tag.

    Returns:
        ``[batch, time, num_tags, num_tags]`` log-potentials (float32 for half-precision inputs).

    Example:
    >>> import numpy as np
    >>> inputs = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    >>> transitions = np.array([[0.0, 10.0], [20.0, 30.0]])
    >>> potentials = crf_pairwise_potentials(inputs, transitions, [[True, True]], start_transitions=[-1.0, -2.0])
    >>> np.asarray(potentials)[0, 0].tolist()  # first position: start score + emission, for every i
    [[0.0, 0.0], [0.0, 0.0]]
    >>> np.asarray(potentials)[0, 1].tolist()  # later positions: transition[i, j] + emission[j]
    [[3.0, 14.0], [23.0, 34.0]]
    """
    inputs = _as_float(inputs)
    dtype = inputs.dtype
    mask = ops.cast(mask, "bool")
    is_first, is_last = _boundaries(mask)
    transitions = ops.cast(transition_params, dtype)[None, None, :, :]
    if start_transitions is None:
        start = ops.zeros_like(transitions)
    else:
        start = ops.cast(start_transitions, dtype)[None, None, None, :]
    step = ops.where(is_first[:, :, None, None], start, transitions)
    potentials = step + inputs[:, :, None, :]
    if end_transitions is not None:
        end = ops.cast(end_transitions, dtype)[None, None, None, :]
        potentials = potentials + ops.where(is_last[:, :, None, None], end, ops.zeros_like(end))
    return potentials


def _forward_scan(potentials, mask, tag_indices=None):
    """Forward algorithm; also scores ``tag_indices`` along the way when given.

    Returns ``(log_norm [batch], gold_score [batch] or None, alphas [batch, time, num_tags])``.
    """
    batch = ops.shape(potentials)[0]
    num_tags = _num_tags(potentials)
    dtype = potentials.dtype
    is_first, _ = _boundaries(mask)
    if tag_indices is None:
        tags = ops.zeros(ops.shape(mask), "int32")
    else:
        # Padding labels may be anything (-1, -100...): never read, but they must index safely.
        tags = ops.where(mask, ops.cast(tag_indices, "int32"), 0)

    def step(carry, xs):
        alpha, previous, score = carry
        psi, valid, first, tag = xs
        summed = ops.logsumexp(alpha[:, :, None] + psi, axis=1)
        alpha_next = ops.where(first[:, None], psi[:, 0, :], summed)
        alpha_next = ops.where(valid[:, None], alpha_next, alpha)
        # The batch size, not -1: where a relaxed trace left num_tags unknown, -1 would also hide
        # a known batch size, and tf.scan rejects a carry less specific than its initial value.
        flat = ops.reshape(psi, (batch, num_tags * num_tags))
        gold = _gather_rows(flat, previous * num_tags + tag)
        score = score + ops.where(valid, gold, ops.zeros_like(gold))
        previous = ops.where(valid, tag, previous)
        return alpha_next, previous, score

    init = (
        ops.zeros((batch, num_tags), dtype),
        ops.zeros((batch,), "int32"),
        ops.zeros((batch,), dtype),
    )
    xs = (_time_major(potentials), _time_major(mask), _time_major(is_first), _time_major(tags))
    (alpha, _, score), (alphas, _, _) = _scan(step, init, xs)
    nonempty = ops.any(mask, axis=1)
    log_norm = ops.logsumexp(alpha, axis=1)
    log_norm = ops.where(nonempty, log_norm, ops.zeros_like(log_norm))
    return log_norm, (score if tag_indices is not None else None), _batch_major(alphas)


@_compiled()
def crf_pairwise_log_norm(potentials, mask):
    """Log partition function ``[batch]`` (0 for rows with no valid position).

    Args:
        potentials: ``[batch, time, num_tags, num_tags]`` log-potentials (`crf_pairwise_potentials`).
        mask: boolean ``[batch, time]``; False positions are skipped.

    Returns:
        ``[batch]`` log-sum-exp of the scores of every tag path.

    Example:
    >>> import numpy as np
    >>> log_z = crf_pairwise_log_norm(np.zeros((2, 3, 2, 2)), [[True, True, True], [False, False, False]])
    >>> np.round(np.asarray(log_z), 4).tolist()  # log(2**3) paths of score 0; an empty row gives 0
    [2.0794, 0.0]
    """
    potentials = _as_float(potentials)
    log_norm, _, _ = _forward_scan(potentials, ops.cast(mask, "bool"))
    return log_norm


@_compiled()
def crf_pairwise_log_likelihood(potentials, tag_indices, mask):
    """Log-likelihood ``[batch]`` of ``tag_indices`` ``[batch, time]`` under pairwise potentials.

    Args:
        potentials: ``[batch, time, num_tags, num_tags]`` log-potentials (`crf_pairwise_potentials`).
        tag_indices: ``[batch, time]`` integer gold tags (values at masked positions are ignored).
        mask: boolean ``[batch, time]``; False positions are skipped.

    Returns:
        ``[batch]`` log-probabilities of the gold paths (0 for a row with no valid position).

    Example:
    >>> import numpy as np
    >>> potentials = np.zeros((1, 2, 2, 2)); potentials[0, 1, 0, 1] = np.log(3.0)  # 0 -> 1 is 3x as likely
    >>> ll = crf_pairwise_log_likelihood(potentials, [[0, 1]], [[True, True]])
    >>> round(float(np.exp(ll[0])), 4)  # 3 / (1 + 3 + 1 + 1)
    0.5
    """
    potentials = _as_float(potentials)
    log_norm, score, _ = _forward_scan(potentials, ops.cast(mask, "bool"), tag_indices)
    return score - log_norm


def _argmax(x, axis: int):
    """``int32`` argmax. On TensorFlow ``tf.argmax`` itself: Keras' version adds a sign-bit test for
    ``-0.0`` (bitwise ops, which LiteRT's builtin op set lacks), and Viterbi scores never need it."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.argmax(x, axis=axis, output_type=tf.int32)
    return ops.cast(ops.argmax(x, axis=axis), "int32")


def _identity_pointers(batch, num_tags):
    return ops.broadcast_to(ops.arange(num_tags, dtype="int32")[None, :], (batch, num_tags))


@_compiled()
def crf_pairwise_decode(potentials, mask):
    """Viterbi: ``(tags int32 [batch, time], best_score [batch])``; padding tags are 0.

    Args:
        potentials: ``[batch, time, num_tags, num_tags]`` log-potentials (`crf_pairwise_potentials`).
        mask: boolean ``[batch, time]``; False positions (padding or holes) are skipped.

    Returns:
        ``(tags int32 [batch, time], best_score [batch])``.

    Example:
    >>> import numpy as np
    >>> potentials = crf_pairwise_potentials(
    ...     np.array([[[2.0, 0.0], [0.0, 1.0], [9.0, 9.0]]]), np.array([[0.0, -5.0], [0.0, 0.0]]),
    ...     [[True, True, False]])
    >>> tags, best = crf_pairwise_decode(potentials, [[True, True, False]])
    >>> np.asarray(tags).tolist(), float(best[0])  # 0 -> 1 costs 5, so staying on 0 wins
    ([[0, 0, 0]], 2.0)
    """
    potentials = _as_float(potentials)
    mask = ops.cast(mask, "bool")
    batch = ops.shape(potentials)[0]
    num_tags = _num_tags(potentials)
    is_first, _ = _boundaries(mask)
    identity = _identity_pointers(batch, num_tags)

    def forward(carry, xs):
        delta, _ = carry
        psi, valid, first = xs
        candidates = delta[:, :, None] + psi
        best = ops.max(candidates, axis=1)
        pointers = _argmax(candidates, axis=1)
        best = ops.where(first[:, None], psi[:, 0, :], best)
        # Masked steps keep the scores and point every tag at itself, so backtracking walks
        # straight through padding and holes.
        delta = ops.where(valid[:, None], best, delta)
        moved = ops.logical_and(valid, ops.logical_not(first))[:, None]
        return delta, ops.where(moved, pointers, identity)

    init = (ops.zeros((batch, num_tags), potentials.dtype), identity)
    xs = (_time_major(potentials), _time_major(mask), _time_major(is_first))
    (delta, _), (_, pointers) = _scan(forward, init, xs)

    def backward(next_tag, next_pointers):
        # Tag at t from the tag at t + 1 and the pointers of step t + 1.
        return _gather_rows(next_pointers, next_tag)

    last_tag = _argmax(delta, axis=1)
    _, tags = _scan(backward, last_tag, _shift_left(pointers, identity), reverse=True)
    tags = ops.where(mask, _batch_major(tags), 0)
    nonempty = ops.any(mask, axis=1)
    best_score = ops.max(delta, axis=1)
    best_score = ops.where(nonempty, best_score, ops.zeros_like(best_score))
    return tags, best_score


@_compiled("n_best")
def crf_pairwise_nbest_decode(potentials, mask, n_best: int):
    """List Viterbi: the ``n_best`` highest-scoring paths, best first.

    Returns ``(tags int32 [batch, n_best, time], scores [batch, n_best])``. Where a row has fewer
    than ``n_best`` distinct paths, or fewer allowed ones (a path through a transition scored
    `FORBIDDEN_SCORE` is not allowed), the missing ones get score ``-inf`` (and meaningless tags).

    Args:
        potentials: ``[batch, time, num_tags, num_tags]`` log-potentials (`crf_pairwise_potentials`).
        mask: boolean ``[batch, time]``; False positions are skipped.
        n_best: how many paths to return (at least 1).

    Example:
    >>> import numpy as np
    >>> potentials = crf_pairwise_potentials(np.array([[[1.0, 0.0], [0.0, 3.0]]]), np.zeros((2, 2)), [[True, True]])
    >>> tags, scores = crf_pairwise_nbest_decode(potentials, [[True, True]], 3)
    >>> np.asarray(tags).tolist(), np.asarray(scores).tolist()
    ([[[0, 1], [1, 1], [0, 0]]], [[4.0, 3.0, 1.0]])
    """
    n_best = int(n_best)
    if n_best < 1:
        raise NlpsuiteError(f"crf n-best decode: n_best must be >= 1, got {n_best}.")
    potentials = _as_float(potentials)
    mask = ops.cast(mask, "bool")
    dtype = potentials.dtype
    batch = ops.shape(potentials)[0]
    num_tags = _num_tags(potentials)
    is_first, _ = _boundaries(mask)
    # Slot (tag j, rank r) lives at flat index j * n_best + r.
    identity = ops.broadcast_to(
        ops.reshape(ops.arange(num_tags * n_best, dtype="int32"), (1, num_tags, n_best)),
        (batch, num_tags, n_best),
    )
    empty_ranks = ops.concatenate([ops.zeros((1,), dtype), ops.full((n_best - 1,), _EMPTY_SLOT, dtype)], axis=0)

    def forward(carry, xs):
        delta, _ = carry  # [batch, num_tags, n_best]
        psi, valid, first = xs
        candidates = delta[:, :, :, None] + psi[:, :, None, :]  # [b, i, r, j]
        candidates = ops.reshape(candidates, (batch, num_tags * n_best, num_tags))  # batch: see _forward_scan
        candidates = ops.transpose(candidates, (0, 2, 1))  # [b, j, i*r]
        best, pointers = ops.top_k(candidates, n_best, sorted=True)
        pointers = ops.cast(pointers, "int32")
        start = psi[:, 0, :, None] + empty_ranks[None, None, :]
        best = ops.where(first[:, None, None], start, best)
        delta = ops.where(valid[:, None, None], best, delta)
        keep = ops.logical_and(valid, ops.logical_not(first))[:, None, None]
        return delta, ops.where(keep, pointers, identity)

    init = (ops.zeros((batch, num_tags, n_best), dtype), identity)
    xs = (_time_major(potentials), _time_major(mask), _time_major(is_first))
    (delta, _), (_, pointers) = _scan(forward, init, xs)

    final_scores, final_slots = ops.top_k(ops.reshape(delta, (batch, num_tags * n_best)), n_best)
    final_slots = ops.cast(final_slots, "int32")

    def backward(next_slot, next_pointers):
        flat = ops.reshape(next_pointers, (batch, num_tags * n_best))
        return ops.take_along_axis(flat, next_slot, axis=1)

    shifted = _shift_left(pointers, identity)
    _, slots = _scan(backward, final_slots, shifted, reverse=True)  # [time, batch, n_best]
    tags = ops.transpose(slots // n_best, (1, 2, 0))
    tags = ops.where(mask[:, None, :], tags, 0)
    nonempty = ops.any(mask, axis=1)
    # A row of length 0 has exactly one (empty) path, of score 0.
    empty_row = ops.broadcast_to(empty_ranks[None, :], ops.shape(final_scores))
    scores = ops.where(nonempty[:, None], final_scores, empty_row)
    # Paths through a forbidden transition are not paths.
    scores = ops.where(scores <= FORBIDDEN_SCORE / 2, ops.full_like(scores, -np.inf), scores)
    return tags, scores


@_compiled()
def crf_pairwise_marginals(potentials, mask):
    """Per-token tag posteriors ``[batch, time, num_tags]`` by forward-backward.

    Each valid position sums to 1; padding positions are all 0.

    Args:
        potentials: ``[batch, time, num_tags, num_tags]`` log-potentials (`crf_pairwise_potentials`).
        mask: boolean ``[batch, time]``; False positions are skipped.

    Returns:
        ``[batch, time, num_tags]`` probabilities.

    Example:
    >>> import numpy as np
    >>> inputs = np.log(np.array([[[1.0, 3.0], [1.0, 1.0]]]))  # tag 1 is 3x as likely at step 0
    >>> potentials = crf_pairwise_potentials(inputs, np.zeros((2, 2)), [[True, False]])
    >>> np.round(np.asarray(crf_pairwise_marginals(potentials, [[True, False]])), 4).tolist()
    [[[0.25, 0.75], [0.0, 0.0]]]
    """
    potentials = _as_float(potentials)
    mask = ops.cast(mask, "bool")
    log_norm, _, alphas = _forward_scan(potentials, mask)
    is_first, _ = _boundaries(mask)
    batch = ops.shape(potentials)[0]
    num_tags = _num_tags(potentials)

    def backward(next_beta, xs):
        # beta of position t (indexed by its tag i) from position t + 1.
        psi, valid, first = xs
        summed = ops.logsumexp(psi + next_beta[:, None, :], axis=2)
        update = ops.logical_and(valid, ops.logical_not(first))[:, None]
        return ops.where(update, summed, next_beta)

    init = ops.zeros((batch, num_tags), potentials.dtype)
    never = ops.zeros((batch,), "bool")
    xs = (
        _shift_left(_time_major(potentials), ops.zeros_like(potentials[:, 0])),
        _shift_left(_time_major(mask), never),
        _shift_left(_time_major(is_first), never),
    )
    _, betas = _scan(backward, init, xs, reverse=True)
    log_marginals = alphas + _batch_major(betas) - log_norm[:, None, None]
    marginals = ops.exp(log_marginals)
    return ops.where(mask[:, :, None], marginals, ops.zeros_like(marginals))


# --------------------------------------------------------------------------- tfa-compatible API
#
# The unary form has right padding only (``sequence_lengths``), so the scans below run over every
# step unmasked and the result of each row is read at its last valid step afterwards: fewer ops
# per step than the pairwise form's masked scans, and no ``[batch, time, K, K]`` tensor. Each
# public function is one compiled call (`_compiled`), so eager callers pay one dispatch.


def _unary_inputs(inputs, sequence_lengths):
    inputs = _as_float(inputs)
    if len(inputs.shape) != 3:
        raise NlpsuiteError(
            f"crf: `inputs`/`potentials` must be [batch, max_seq_len, num_tags], got shape {tuple(inputs.shape)}."
        )
    # A length past the time axis means the whole axis (as in `sequence_mask`), and reads no step past it.
    lengths = ops.minimum(ops.cast(ops.convert_to_tensor(sequence_lengths), "int32"), ops.shape(inputs)[1])
    return inputs, lengths, sequence_mask(lengths, ops.shape(inputs)[1])


def _optional(x, dtype):
    return None if x is None else ops.cast(x, dtype)


def _at_length(first, later, index):
    """Row ``b`` of ``[first, *later][index[b]]``: ``first`` ``[batch, K]``, ``later`` time-major."""
    steps = ops.concatenate([first[None], later], axis=0)
    return ops.take_along_axis(_batch_major(steps), index[:, None, None], axis=1)[:, 0]


def _forward_alphas(inputs, transitions):
    """Forward algorithm without a mask: alphas of steps ``1..T-1``, time-major ``[T-1, batch, K]``."""
    transitions = transitions[None]

    def step(alpha, x):
        return ops.logsumexp(alpha[:, :, None] + transitions, axis=1) + x

    _, alphas = _scan(step, inputs[:, 0], _time_major(inputs[:, 1:]))
    return alphas


def _viterbi_forward(inputs, state, transitions):
    """Max-product recursion from ``state`` over every step of time-major-able ``inputs``.

    Returns time-major ``(scores [T, batch, K], pointers int32 [T, batch, K])``, where
    ``pointers[t, b, j]`` is the best previous tag for tag ``j`` at step ``t``.
    """
    transitions = transitions[None]
    batch = ops.shape(inputs)[0]

    def step(carry, x):
        candidates = carry[0][:, :, None] + transitions
        return ops.max(candidates, axis=1) + x, ops.cast(ops.argmax(candidates, axis=1), "int32")

    init = (state, _identity_pointers(batch, _num_tags(inputs)))
    _, (scores, pointers) = _scan(step, init, _time_major(inputs))
    return scores, pointers


def _follow_pointers(pointers, last):
    """Tags ``[batch, T-1]`` from ``pointers`` ``[batch, T-1, K]`` (tag at ``t`` given tag at ``t + 1``).

    Instead of walking back one step at a time, composes the pointer maps by doubling: after round
    ``r`` entry ``t`` maps the tag at ``t + 2**r`` to the tag at ``t``, so ``ceil(log2(T))``
    vectorised gathers replace ``T`` sequential ones. Integer gathers only: the path is exactly
    the one a step-by-step backtrack finds.
    """
    batch, num_tags = ops.shape(pointers)[0], _num_tags(pointers)
    steps = pointers.shape[1] if pointers.shape[1] is not None else ops.shape(pointers)[1]
    identity = _identity_pointers(batch, num_tags)[:, None, :]
    positions = ops.arange(steps, dtype="int32")

    def double(composed, span):
        extended = ops.concatenate([composed, identity], axis=1)
        ahead = ops.take(extended, ops.minimum(positions + span, steps), axis=1)
        return ops.take_along_axis(composed, ahead, axis=2), span * 2

    if isinstance(steps, int):
        span = 1
        while span < steps:
            pointers, span = double(pointers, span)
    else:
        pointers, _ = ops.while_loop(lambda _, span: span < steps, double, (pointers, ops.convert_to_tensor(1)))
    start = ops.broadcast_to(last[:, None, None], (batch, steps, 1))
    return ops.take_along_axis(pointers, start, axis=2)[:, :, 0]


def _gold_score(inputs, tags, lengths, mask, transitions, start, end):
    """Unnormalised score of ``tags`` (already sliced to the time axis and zeroed at padding)."""
    num_tags = _num_tags(inputs)
    picked = ops.take_along_axis(inputs, tags[:, :, None], axis=2)[:, :, 0]
    score = ops.sum(ops.where(mask, picked, ops.zeros_like(picked)), axis=1)
    pairs = ops.take(ops.reshape(transitions, (-1,)), tags[:, :-1] * num_tags + tags[:, 1:])
    score = score + ops.sum(ops.where(mask[:, 1:], pairs, ops.zeros_like(pairs)), axis=1)
    nonempty = lengths > 0
    if start is not None:
        score = score + ops.where(nonempty, ops.take(start, tags[:, 0]), ops.zeros_like(score))
    if end is not None:
        last = _gather_rows(tags, ops.maximum(lengths - 1, 0))
        score = score + ops.where(nonempty, ops.take(end, last), ops.zeros_like(score))
    return score


def _log_norm(inputs, lengths, transitions, start, end):
    if start is not None:
        inputs = ops.concatenate([inputs[:, :1] + start, inputs[:, 1:]], axis=1)
    alpha = _at_length(inputs[:, 0], _forward_alphas(inputs, transitions), ops.maximum(lengths - 1, 0))
    if end is not None:
        alpha = alpha + end
    log_norm = ops.logsumexp(alpha, axis=1)
    return ops.where(lengths > 0, log_norm, ops.zeros_like(log_norm))


def _no_time_steps(inputs) -> bool:
    return inputs.shape[1] == 0


@_compiled(lengths="sequence_lengths", steps=("tag_indices",))
def _unary_log_likelihood(inputs, tag_indices, sequence_lengths, transition_params, start, end):
    inputs, lengths, mask = _unary_inputs(inputs, sequence_lengths)
    if _no_time_steps(inputs):
        return ops.zeros(ops.shape(inputs)[:1], inputs.dtype)
    transitions = ops.cast(transition_params, inputs.dtype)
    start, end = _optional(start, inputs.dtype), _optional(end, inputs.dtype)
    # Labels past the time axis (tfa scores a length-1 batch by its first tag) and at padding
    # (-1, -100...) are never read, but they must index safely.
    tags = ops.cast(tag_indices, "int32")[:, : ops.shape(inputs)[1]]
    tags = ops.where(mask, tags, 0)
    gold = _gold_score(inputs, tags, lengths, mask, transitions, start, end)
    return gold - _log_norm(inputs, lengths, transitions, start, end)


def crf_log_likelihood(
    inputs,
    tag_indices,
    sequence_lengths,
    transition_params=None,
    start_transitions=None,
    end_transitions=None,
):
    """Log-likelihood of tag sequences in a linear-chain CRF (tfa.text.crf_log_likelihood).

    Args:
        inputs: ``[batch, max_seq_len, num_tags]`` unary potentials.
        tag_indices: ``[batch, max_seq_len]`` integer gold tags (padding values are ignored).
        sequence_lengths: ``[batch]`` true lengths (0 allowed: log-likelihood 0).
        transition_params: ``[num_tags, num_tags]``; when None, a Glorot-uniform matrix is drawn
            (as tensorflow-addons does) and returned. It is a plain tensor, not a tracked
            variable: to learn transitions, own the weight (e.g. `nlpsuite.layers.CRF`).
        start_transitions: optional ``[num_tags]`` scores of each row's first tag.
        end_transitions: optional ``[num_tags]`` scores of each row's last tag.

    Returns:
        ``(log_likelihood [batch], transition_params)``.

    Example:
    >>> import numpy as np
    >>> ll, _ = crf_log_likelihood(np.zeros((1, 3, 2)), np.zeros((1, 3)), [3], np.zeros((2, 2)))
    >>> round(float(ll[0]), 4)  # 8 equally likely paths
    -2.0794
    """
    inputs = _as_float(inputs)
    if transition_params is None:
        num_tags = inputs.shape[-1]
        initializer = keras.initializers.GlorotUniform()
        transition_params = initializer((num_tags, num_tags), dtype=inputs.dtype)
    transition_params = ops.cast(transition_params, inputs.dtype)
    log_likelihood = _unary_log_likelihood(
        inputs, tag_indices, sequence_lengths, transition_params, start_transitions, end_transitions
    )
    return log_likelihood, transition_params


@_compiled(lengths="sequence_length")
def _unary_decode(potentials, transition_params, sequence_length, start, end):
    inputs, lengths, mask = _unary_inputs(potentials, sequence_length)
    batch = ops.shape(inputs)[0]
    if _no_time_steps(inputs):
        return ops.zeros((batch, 0), "int32"), ops.zeros((batch,), inputs.dtype)
    transitions = ops.cast(transition_params, inputs.dtype)
    start, end = _optional(start, inputs.dtype), _optional(end, inputs.dtype)
    first = inputs[:, 0] if start is None else inputs[:, 0] + start
    scores, pointers = _viterbi_forward(inputs[:, 1:], first, transitions)
    final = _at_length(first, scores, ops.maximum(lengths - 1, 0))
    if end is not None:
        final = final + end
    last = ops.cast(ops.argmax(final, axis=1), "int32")
    # Past a row's end every tag points at itself, so each row's path starts at its own last tag.
    identity = _identity_pointers(batch, _num_tags(inputs))[:, None, :]
    pointers = ops.where(mask[:, 1:, None], _batch_major(pointers), identity)
    tags = ops.concatenate([_follow_pointers(pointers, last), last[:, None]], axis=1)
    best = ops.max(final, axis=1)
    return ops.where(mask, tags, 0), ops.where(lengths > 0, best, ops.zeros_like(best))


class _CrfDecodeOperation(keras.Operation):
    """`crf_decode` as a Keras operation, so it also applies to symbolic tensors of a functional model."""

    def call(self, potentials, transition_params, sequence_length, start, end):
        return _unary_decode(potentials, transition_params, sequence_length, start, end)

    def compute_output_spec(self, potentials, transition_params, sequence_length, start, end):
        batch, time = potentials.shape[:2]
        return (
            keras.KerasTensor((batch, time), dtype="int32"),
            keras.KerasTensor((batch,), dtype=_compute_dtype(potentials)),
        )


def crf_decode(
    potentials,
    transition_params,
    sequence_length,
    start_transitions=None,
    end_transitions=None,
):
    """Highest-scoring tag sequence (tfa.text.crf_decode).

    Works on concrete tensors, inside ``tf.function``/``jax.jit``, and on the symbolic tensors of
    a Keras functional model.

    Args:
        potentials: ``[batch, max_seq_len, num_tags]`` unary potentials.
        transition_params: ``[num_tags, num_tags]`` transition scores.
        sequence_length: ``[batch]`` true lengths.
        start_transitions / end_transitions: optional ``[num_tags]`` boundary scores.

    Returns:
        ``(decode_tags int32 [batch, max_seq_len], best_score [batch])``; tags past each length
        are 0, and a length-0 row has best score 0.

    Example:
    >>> import numpy as np
    >>> potentials = np.array([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    >>> tags, best = crf_decode(potentials, np.array([[0.0, -1.0], [-1.0, 0.0]]), [2])
    >>> np.asarray(tags).tolist(), round(float(best[0]), 1)
    ([[0, 0, 0]], 1.0)
    """
    args = (potentials, transition_params, sequence_length, start_transitions, end_transitions)
    if any(keras.backend.is_keras_tensor(a) for a in args):
        return _CrfDecodeOperation().symbolic_call(*args)
    return _unary_decode(*args)


def crf_decode_forward(inputs, state, transition_params, sequence_lengths):
    """One Viterbi forward pass (tfa.text.crf_decode_forward).

    Args:
        inputs: ``[batch, steps, num_tags]`` unary potentials of the steps after ``state``.
        state: ``[batch, num_tags]`` scores before the first of those steps.
        transition_params: ``[num_tags, num_tags]`` transition scores.
        sequence_lengths: ``[batch]`` number of valid steps of each row in ``inputs``.

    Returns:
        ``(backpointers int32 [batch, steps, num_tags], last_state [batch, num_tags])``:
        ``backpointers[b, t, j]`` is the best previous tag for tag ``j`` at step ``t`` (0 past a
        row's length), and ``last_state`` holds each row's scores after its last valid step
        (``state`` itself for a length 0).

    Example:
    >>> import numpy as np
    >>> pointers, last = crf_decode_forward(np.zeros((1, 2, 2)), np.array([[0.0, 3.0]]), np.zeros((2, 2)), [1])
    >>> np.asarray(pointers).tolist(), np.asarray(last).tolist()
    ([[[1, 1], [0, 0]]], [[3.0, 3.0]])
    """
    inputs, lengths, mask = _unary_inputs(inputs, sequence_lengths)
    state = ops.cast(state, inputs.dtype)
    scores, pointers = _viterbi_forward(inputs, state, ops.cast(transition_params, inputs.dtype))
    pointers = _batch_major(pointers)
    last_state = _at_length(state, scores, lengths)
    return ops.where(mask[:, :, None], pointers, ops.zeros_like(pointers)), last_state


@keras.saving.register_keras_serializable(package="nlpsuite")
class CrfDecodeForwardRnnCell(keras.layers.Layer):
    """One Viterbi forward step as a Keras RNN cell (tfa.text.crf.CrfDecodeForwardRnnCell).

    Kept for code that names it (e.g. in ``custom_objects``); `crf_decode_forward` runs the same
    step as one compiled scan.

    Args:
        transition_params: ``[num_tags, num_tags]`` transition scores (stored in the config).
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: ``[batch, num_tags]`` unary potentials of one step.
        states: ``[state]``, the ``[batch, num_tags]`` scores before the step.

    Returns:
        ``(backpointers int32 [batch, num_tags], [new_state])``.

    Example:
    >>> import numpy as np
    >>> cell = CrfDecodeForwardRnnCell([[0.0, -2.0], [-1.0, 0.0]])
    >>> pointers, (state,) = cell(np.array([[1.0, 0.0]]), [np.array([[0.0, 1.0]])])
    >>> np.asarray(pointers).tolist(), np.asarray(state).tolist()
    ([[0, 1]], [[1.0, 1.0]])
    """

    def __init__(self, transition_params, **kwargs):
        super().__init__(**kwargs)
        self.transition_params = np.asarray(ops.convert_to_numpy(transition_params), dtype="float32")
        self.state_size = self.output_size = self.transition_params.shape[0]

    def call(self, inputs, states):
        inputs = _as_float(inputs)
        candidates = ops.cast(states[0], inputs.dtype)[:, :, None] + ops.cast(self.transition_params, inputs.dtype)
        pointers = ops.cast(ops.argmax(candidates, axis=1), "int32")
        return pointers, [inputs + ops.max(candidates, axis=1)]

    def get_config(self):
        return {**super().get_config(), "transition_params": self.transition_params.tolist()}


def crf_filtered_inputs(inputs, tag_bitmap):
    """``inputs`` with every tag outside ``tag_bitmap`` set to ``-inf`` (tfa.text.crf_filtered_inputs).

    Args:
        inputs: ``[batch, max_seq_len, num_tags]`` unary potentials.
        tag_bitmap: boolean ``[batch, max_seq_len, num_tags]``, True for the tags allowed at each step.

    Returns:
        A tensor like ``inputs`` (same dtype).

    Example:
    >>> import numpy as np
    >>> np.asarray(crf_filtered_inputs(np.array([[[1.0, 2.0]]]), np.array([[[True, False]]]))).tolist()
    [[[1.0, -inf]]]
    """
    inputs = ops.convert_to_tensor(inputs)
    return ops.where(ops.cast(tag_bitmap, "bool"), inputs, ops.full_like(inputs, -np.inf))


def crf_multitag_sequence_score(inputs, tag_bitmap, sequence_lengths, transition_params):
    """Log of the summed exp-scores of every tag sequence allowed by ``tag_bitmap``.

    (tfa.text.crf_multitag_sequence_score.) With one-hot bitmaps it equals `crf_sequence_score`;
    it is the numerator of the likelihood when several tags are correct at a step.

    Args:
        inputs: ``[batch, max_seq_len, num_tags]`` unary potentials.
        tag_bitmap: boolean ``[batch, max_seq_len, num_tags]``, the tags allowed at each step.
        sequence_lengths: ``[batch]`` true lengths (a length-0 row scores 0).
        transition_params: ``[num_tags, num_tags]``.

    Returns:
        ``[batch]`` scores.

    Example:
    >>> import numpy as np
    >>> x = np.log(np.array([[[1.0, 2.0, 4.0]]]))
    >>> score = crf_multitag_sequence_score(x, np.array([[[True, False, True]]]), [1], np.zeros((3, 3)))
    >>> round(float(np.exp(score[0])), 4)  # 1 + 4
    5.0
    """
    return crf_log_norm(crf_filtered_inputs(inputs, tag_bitmap), sequence_lengths, transition_params)


def crf_constrained_decode(potentials, tag_bitmap, transition_params, sequence_length):
    """`crf_decode` restricted to the tags allowed by ``tag_bitmap`` (tfa.text.crf_constrained_decode).

    Args:
        potentials: ``[batch, max_seq_len, num_tags]`` unary potentials.
        tag_bitmap: boolean ``[batch, max_seq_len, num_tags]``, True for the tags allowed at each step.
        transition_params: ``[num_tags, num_tags]`` transition scores.
        sequence_length: ``[batch]`` true lengths.

    Returns:
        ``(decode_tags int32 [batch, max_seq_len], best_score [batch])``, as `crf_decode`.

    Example:
    >>> import numpy as np
    >>> tags, _ = crf_constrained_decode(np.array([[[5.0, 1.0]]]), np.array([[[False, True]]]), np.zeros((2, 2)), [1])
    >>> np.asarray(tags).tolist()
    [[1]]
    """
    return crf_decode(crf_filtered_inputs(potentials, tag_bitmap), transition_params, sequence_length)


def _unary_form(inputs, transition_params, sequence_lengths, start_transitions, end_transitions):
    inputs, _, mask = _unary_inputs(inputs, sequence_lengths)
    potentials = crf_pairwise_potentials(inputs, transition_params, mask, start_transitions, end_transitions)
    return potentials, mask


def crf_nbest_decode(
    potentials,
    transition_params,
    sequence_length,
    n_best: int,
    start_transitions=None,
    end_transitions=None,
):
    """The ``n_best`` highest-scoring tag sequences, best first.

    Returns ``(tags int32 [batch, n_best, max_seq_len], scores [batch, n_best])``; see
    `crf_pairwise_nbest_decode` for rows with fewer than ``n_best`` paths.

    Args:
        potentials: ``[batch, max_seq_len, num_tags]`` unary potentials.
        transition_params: ``[num_tags, num_tags]`` transition scores.
        sequence_length: ``[batch]`` true lengths.
        n_best: how many paths to return (at least 1).
        start_transitions / end_transitions: optional ``[num_tags]`` boundary scores.

    Example:
    >>> import numpy as np
    >>> tags, scores = crf_nbest_decode(np.array([[[1.0, 0.0], [0.0, 3.0]]]), np.zeros((2, 2)), [2], 2)
    >>> np.asarray(tags).tolist(), np.asarray(scores).tolist()
    ([[[0, 1], [1, 1]]], [[4.0, 3.0]])
    """
    pairwise, mask = _unary_form(potentials, transition_params, sequence_length, start_transitions, end_transitions)
    return crf_pairwise_nbest_decode(pairwise, mask, n_best)


def crf_marginals(
    potentials,
    transition_params,
    sequence_lengths,
    start_transitions=None,
    end_transitions=None,
):
    """Per-token tag posteriors ``[batch, max_seq_len, num_tags]`` by forward-backward.

    Valid positions sum to 1 over tags; positions past each length are all 0.

    Args:
        potentials: ``[batch, max_seq_len, num_tags]`` unary potentials.
        transition_params: ``[num_tags, num_tags]`` transition scores.
        sequence_lengths: ``[batch]`` true lengths.
        start_transitions / end_transitions: optional ``[num_tags]`` boundary scores.

    Example:
    >>> import numpy as np
    >>> marginals = crf_marginals(np.log(np.array([[[1.0, 3.0], [1.0, 1.0]]])), np.zeros((2, 2)), [1])
    >>> np.round(np.asarray(marginals), 4).tolist()
    [[[0.25, 0.75], [0.0, 0.0]]]
    """
    pairwise, mask = _unary_form(potentials, transition_params, sequence_lengths, start_transitions, end_transitions)
    return crf_pairwise_marginals(pairwise, mask)


@_compiled(lengths="sequence_lengths")
def _unary_log_norm(inputs, sequence_lengths, transition_params):
    inputs, lengths, _ = _unary_inputs(inputs, sequence_lengths)
    if _no_time_steps(inputs):
        return ops.zeros(ops.shape(inputs)[:1], inputs.dtype)
    return _log_norm(inputs, lengths, ops.cast(transition_params, inputs.dtype), None, None)


def crf_log_norm(inputs, sequence_lengths, transition_params):
    """Log partition function ``[batch]`` (tfa.text.crf_log_norm); 0 for a length-0 row.

    Args:
        inputs: ``[batch, max_seq_len, num_tags]`` unary potentials.
        sequence_lengths: ``[batch]`` true lengths.
        transition_params: ``[num_tags, num_tags]`` transition scores.

    Example:
    >>> import numpy as np
    >>> np.round(np.asarray(crf_log_norm(np.zeros((2, 3, 2)), [3, 0], np.zeros((2, 2)))), 4).tolist()
    [2.0794, 0.0]
    """
    return _unary_log_norm(inputs, sequence_lengths, transition_params)


def crf_unary_score(tag_indices, sequence_lengths, inputs):
    """Sum of the unary potentials of ``tag_indices`` over each row (tfa.text.crf_unary_score).

    Args:
        tag_indices: ``[batch, max_seq_len]`` integer tags.
        sequence_lengths: ``[batch]`` true lengths; tags past them are not scored.
        inputs: ``[batch, max_seq_len, num_tags]`` unary potentials.

    Example:
    >>> import numpy as np
    >>> inputs = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    >>> float(crf_unary_score([[1, 0, 1]], [2], inputs)[0])  # 2 + 3; step 2 is padding
    5.0
    """
    inputs = _as_float(inputs)
    mask = sequence_mask(sequence_lengths, ops.shape(inputs)[1])
    tags = ops.where(mask, ops.cast(tag_indices, "int32"), 0)
    picked = ops.take_along_axis(inputs, tags[:, :, None], axis=2)[:, :, 0]
    return ops.sum(ops.where(mask, picked, ops.zeros_like(picked)), axis=1)


def crf_binary_score(tag_indices, sequence_lengths, transition_params):
    """Sum of the transition scores along ``tag_indices`` (tfa.text.crf_binary_score).

    Args:
        tag_indices: ``[batch, max_seq_len]`` integer tags.
        sequence_lengths: ``[batch]`` true lengths; transitions past them are not scored.
        transition_params: ``[num_tags, num_tags]``; entry ``[i, j]`` scores tag ``i`` -> ``j``.

    Example:
    >>> import numpy as np
    >>> float(crf_binary_score([[0, 1, 1]], [3], np.array([[0.0, 10.0], [20.0, 30.0]]))[0])  # 10 + 30
    40.0
    """
    transition_params = _as_float(transition_params)
    num_tags = _num_tags(transition_params)
    tag_indices = ops.cast(tag_indices, "int32")
    mask = sequence_mask(sequence_lengths, ops.shape(tag_indices)[1])
    tags = ops.where(mask, tag_indices, 0)
    flat_index = tags[:, :-1] * num_tags + tags[:, 1:]
    picked = ops.take(ops.reshape(transition_params, (-1,)), flat_index)
    valid = mask[:, 1:]
    return ops.sum(ops.where(valid, picked, ops.zeros_like(picked)), axis=1)


def crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params):
    """Unnormalised score of ``tag_indices`` (tfa.text.crf_sequence_score).

    Tags past the time axis of ``inputs`` are not scored: as in tensorflow-addons, a batch with
    ``max_seq_len`` 1 scores each row by the unary potential of its first tag alone.

    Args:
        inputs: ``[batch, max_seq_len, num_tags]`` unary potentials.
        tag_indices: ``[batch, max_seq_len]`` integer tags.
        sequence_lengths: ``[batch]`` true lengths.
        transition_params: ``[num_tags, num_tags]`` transition scores.

    Example:
    >>> import numpy as np
    >>> inputs = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    >>> float(crf_sequence_score(inputs, [[0, 1]], [2], np.array([[0.0, 10.0], [20.0, 30.0]]))[0])  # 1 + 4 + 10
    15.0
    """
    inputs = _as_float(inputs)
    tag_indices = ops.cast(tag_indices, "int32")[:, : ops.shape(inputs)[1]]
    return crf_unary_score(tag_indices, sequence_lengths, inputs) + ops.cast(
        crf_binary_score(tag_indices, sequence_lengths, transition_params), inputs.dtype
    )


def viterbi_decode(score, transition_params) -> tuple[list[int], float]:
    """Viterbi in NumPy for one sequence (tfa.text.viterbi_decode).

    Args:
        score: ``[seq_len, num_tags]`` unary potentials.
        transition_params: ``[num_tags, num_tags]``.

    Returns:
        ``(tags, best_score)``: a list of ``seq_len`` ints and a float.

    Example:
    >>> viterbi_decode([[2.0, 0.0], [0.0, 1.0]], [[0.0, -5.0], [0.0, 0.0]])
    ([0, 0], 2.0)
    """
    score = np.asarray(score, dtype=np.float64)
    transition_params = np.asarray(transition_params, dtype=np.float64)
    trellis = np.zeros_like(score)
    pointers = np.zeros(score.shape, dtype=np.int32)
    trellis[0] = score[0]
    for t in range(1, score.shape[0]):
        candidates = trellis[t - 1][:, None] + transition_params
        trellis[t] = score[t] + candidates.max(axis=0)
        pointers[t] = candidates.argmax(axis=0)
    path = [int(trellis[-1].argmax())]
    for step_pointers in pointers[:0:-1]:
        path.append(int(step_pointers[path[-1]]))
    path.reverse()
    return path, float(trellis[-1].max())


# --------------------------------------------------------------------------- constraints

_SCHEMES = {
    # prefixes of a tag that opens or continues a span, and of a tag that may end one
    "bio": {"begin": "B", "inside": ("I",), "end": (), "single": ()},
    "bioes": {"begin": "B", "inside": ("I",), "end": ("E",), "single": ("S",)},
    "bmes": {"begin": "B", "inside": ("M",), "end": ("E",), "single": ("S",)},
}


def _parse_tag(tag: str, scheme: str, index: int) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``; bare ``"B"`` -> ``("B", "")``."""
    rules = _SCHEMES[scheme]
    prefixes = {rules["begin"], *rules["inside"], *rules["end"], *rules["single"]}
    if tag == "O":
        return "O", ""
    head, sep, kind = tag.replace("_", "-", 1).partition("-")
    if head.upper() in prefixes and (sep == "" or kind):
        return head.upper(), kind
    allowed = ", ".join(sorted(f"{p}-<type>" for p in prefixes))
    raise NlpsuiteError(
        f"CRF(constraints={scheme!r}): tag {tag!r} at index {index} of `tags` is not 'O' or one "
        f"of {allowed}; fix the tag list or pass constraints=None."
    )


def crf_constraint_masks(scheme: str, tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed transitions of a tagging scheme.

    Args:
        scheme: ``"bio"`` (IOB2), ``"bioes"`` or ``"bmes"`` (case-insensitive).
        tags: the tag names in index order, e.g. ``["O", "B-PER", "I-PER"]``. ``"O"`` is outside;
            typed tags are ``<prefix>-<type>`` (or ``_``); untyped ``"B"``, ``"M"``... are allowed
            (word segmentation).

    Returns:
        Boolean NumPy arrays ``(transitions [K, K], start [K], end [K])``: ``transitions[i, j]``
        says tag ``j`` may follow tag ``i``; ``start``/``end`` say which tags may begin/end a
        sequence. Inside tags (``I-X``/``M-X``) may only follow the begin or inside tag of the
        same type; in BIOES/BMES, ``B-X``/``I-X`` must be followed by ``I-X`` or ``E-X`` and a
        sequence may not end on them.

    Example:
    >>> transitions, start, end = crf_constraint_masks("bio", ["O", "B-PER", "I-PER"])
    >>> transitions.astype(int).tolist()  # I-PER only after B-PER or I-PER
    [[1, 1, 0], [1, 1, 1], [1, 1, 1]]
    >>> start.tolist(), end.tolist()
    ([True, True, False], [True, True, True])
    """
    key = str(scheme).lower()
    if key not in _SCHEMES:
        raise NlpsuiteError(f"CRF: unknown constraints {scheme!r}; use None, 'bio', 'bioes' or 'bmes'.")
    rules = _SCHEMES[key]
    parsed = [_parse_tag(tag, key, i) for i, tag in enumerate(tags)]
    closing = bool(rules["end"])  # BIOES/BMES spell out the end of every span

    def opens(prefix: str) -> bool:
        return prefix == rules["begin"] or prefix in rules["inside"]

    def continues(prefix: str) -> bool:
        return prefix in rules["inside"] or prefix in rules["end"]

    def allowed(previous: tuple[str, str], current: tuple[str, str]) -> bool:
        (p_prefix, p_type), (c_prefix, c_type) = previous, current
        if continues(c_prefix):
            return opens(p_prefix) and p_type == c_type
        # A span that must be closed explicitly cannot be left open.
        return not (closing and opens(p_prefix))

    size = len(parsed)
    transitions = np.array([[allowed(parsed[i], parsed[j]) for j in range(size)] for i in range(size)], dtype=bool)
    start = np.array([not continues(prefix) for prefix, _ in parsed], dtype=bool)
    end = np.array([not (closing and opens(prefix)) for prefix, _ in parsed], dtype=bool)
    return transitions, start, end
