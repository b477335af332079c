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

import functools
from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from nlpsuite.errors import NlpsuiteError

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
    """Boolean ``[batch, maxlen]`` mask, True for positions ``< sequence_lengths``."""
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
        carries = tf.scan(step, xs, initializer=init)
        steps = keras.tree.flatten(xs)[0].shape[0]

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


def _compiled(*static_argnames: str) -> Callable[[Callable], Callable]:
    """Compiles a function per input signature: `tf.function` on TensorFlow, `jax.jit` on JAX.

    Called eagerly, a scan is slow on both: TensorFlow runs its while-loop op by op (seconds per
    batch), and JAX traces and compiles an eager ``lax.scan`` again on every call (each call builds
    new step closures). Compiled functions are cached per shape, so eager decoding costs one trace.
    Inside an outer ``tf.function``/``jit`` (``model.fit``) the inner one is simply inlined.
    The first argument of a wrapped function is ``[batch, time, ...]``.
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

                    compiled[backend] = tf.function(fn, reduce_retracing=True, autograph=False)
            return compiled[backend](*args, **kwargs)

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
        flat = ops.reshape(psi, (-1, num_tags * num_tags))
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
    """Log partition function ``[batch]`` (0 for rows with no valid position)."""
    potentials = _as_float(potentials)
    log_norm, _, _ = _forward_scan(potentials, ops.cast(mask, "bool"))
    return log_norm


@_compiled()
def crf_pairwise_log_likelihood(potentials, tag_indices, mask):
    """Log-likelihood ``[batch]`` of ``tag_indices`` ``[batch, time]`` under pairwise potentials."""
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
    """Viterbi: ``(tags int32 [batch, time], best_score [batch])``; padding tags are 0."""
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
        candidates = ops.reshape(candidates, (-1, num_tags * n_best, num_tags))
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

    final_scores, final_slots = ops.top_k(ops.reshape(delta, (-1, num_tags * n_best)), n_best)
    final_slots = ops.cast(final_slots, "int32")

    def backward(next_slot, next_pointers):
        flat = ops.reshape(next_pointers, (-1, num_tags * n_best))
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


def _unary_form(inputs, transition_params, sequence_lengths, start_transitions, end_transitions):
    inputs = _as_float(inputs)
    if len(inputs.shape) != 3:
        raise NlpsuiteError(
            f"crf: `inputs`/`potentials` must be [batch, max_seq_len, num_tags], got shape {tuple(inputs.shape)}."
        )
    mask = sequence_mask(sequence_lengths, ops.shape(inputs)[1])
    potentials = crf_pairwise_potentials(inputs, transition_params, mask, start_transitions, end_transitions)
    return potentials, mask


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
    potentials, mask = _unary_form(inputs, transition_params, sequence_lengths, start_transitions, end_transitions)
    return crf_pairwise_log_likelihood(potentials, tag_indices, mask), transition_params


def crf_decode(
    potentials,
    transition_params,
    sequence_length,
    start_transitions=None,
    end_transitions=None,
):
    """Highest-scoring tag sequence (tfa.text.crf_decode).

    Args:
        potentials: ``[batch, max_seq_len, num_tags]`` unary potentials.
        transition_params: ``[num_tags, num_tags]`` transition scores.
        sequence_length: ``[batch]`` true lengths.
        start_transitions / end_transitions: optional ``[num_tags]`` boundary scores.

    Returns:
        ``(decode_tags int32 [batch, max_seq_len], best_score [batch])``; tags past each length
        are 0, and a length-0 row has best score 0.
    """
    pairwise, mask = _unary_form(potentials, transition_params, sequence_length, start_transitions, end_transitions)
    return crf_pairwise_decode(pairwise, mask)


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
    """
    pairwise, mask = _unary_form(potentials, transition_params, sequence_lengths, start_transitions, end_transitions)
    return crf_pairwise_marginals(pairwise, mask)


def crf_log_norm(inputs, sequence_lengths, transition_params):
    """Log partition function ``[batch]`` (tfa.text.crf_log_norm)."""
    pairwise, mask = _unary_form(inputs, transition_params, sequence_lengths, None, None)
    return crf_pairwise_log_norm(pairwise, mask)


def crf_unary_score(tag_indices, sequence_lengths, inputs):
    """Sum of the unary potentials of ``tag_indices`` over each row (tfa.text.crf_unary_score)."""
    inputs = _as_float(inputs)
    mask = sequence_mask(sequence_lengths, ops.shape(inputs)[1])
    tags = ops.where(mask, ops.cast(tag_indices, "int32"), 0)
    picked = ops.take_along_axis(inputs, tags[:, :, None], axis=2)[:, :, 0]
    return ops.sum(ops.where(mask, picked, ops.zeros_like(picked)), axis=1)


def crf_binary_score(tag_indices, sequence_lengths, transition_params):
    """Sum of the transition scores along ``tag_indices`` (tfa.text.crf_binary_score)."""
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
    """Unnormalised score of ``tag_indices`` (tfa.text.crf_sequence_score)."""
    return crf_unary_score(tag_indices, sequence_lengths, inputs) + ops.cast(
        crf_binary_score(tag_indices, sequence_lengths, transition_params),
        _compute_dtype(ops.convert_to_tensor(inputs)),
    )


def viterbi_decode(score, transition_params) -> tuple[list[int], float]:
    """Viterbi in NumPy for one sequence (tfa.text.viterbi_decode).

    Args:
        score: ``[seq_len, num_tags]`` unary potentials.
        transition_params: ``[num_tags, num_tags]``.

    Returns:
        ``(tags, best_score)``: a list of ``seq_len`` ints and a float.
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
