"""CRF ops against brute-force enumeration of every tag path, on every Keras backend."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.ops import (
    crf_binary_score,
    crf_constraint_masks,
    crf_decode,
    crf_log_likelihood,
    crf_log_norm,
    crf_marginals,
    crf_nbest_decode,
    crf_pairwise_decode,
    crf_pairwise_log_likelihood,
    crf_pairwise_marginals,
    crf_pairwise_potentials,
    crf_sequence_score,
    crf_unary_score,
    viterbi_decode,
)

pytestmark = pytest.mark.backend_agnostic

BACKEND = keras.backend.backend()
# JAX runs float32 unless x64 is switched on process-wide; the others take float64 as given.
DTYPE = "float32" if BACKEND == "jax" else "float64"
TOL = 1e-5
BATCH, TIME, TAGS = 3, 5, 4


def to_numpy(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def make_case(seed: int, lengths=(0, 1, 5), boundaries: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "emissions": rng.normal(size=(BATCH, TIME, TAGS)) * 2.0,
        "transitions": rng.normal(size=(TAGS, TAGS)),
        "start": rng.normal(size=TAGS) if boundaries else None,
        "end": rng.normal(size=TAGS) if boundaries else None,
        "lengths": np.array(lengths),
        "tags": rng.integers(0, TAGS, size=(BATCH, TIME)),
    }


def cast_args(case: dict) -> tuple:
    def cast(a):
        return None if a is None else a.astype(DTYPE)

    return (
        cast(case["emissions"]),
        cast(case["transitions"]),
        case["lengths"],
        cast(case["start"]),
        cast(case["end"]),
    )


def path_score(case: dict, row: int, path) -> float:
    x, trans, start, end = case["emissions"], case["transitions"], case["start"], case["end"]
    if len(path) == 0:
        return 0.0
    score = sum(x[row, t, tag] for t, tag in enumerate(path))
    score += sum(trans[a, b] for a, b in itertools.pairwise(path))
    if start is not None:
        score += start[path[0]] + end[path[-1]]
    return float(score)


def enumerate_row(case: dict, row: int) -> tuple[list, np.ndarray]:
    length = int(case["lengths"][row])
    paths = list(itertools.product(range(TAGS), repeat=length))
    return paths, np.array([path_score(case, row, p) for p in paths])


def brute_log_likelihood(case: dict) -> np.ndarray:
    out = []
    for row, length in enumerate(case["lengths"]):
        _, scores = enumerate_row(case, row)
        gold = path_score(case, row, case["tags"][row, :length]) if length else 0.0
        out.append(gold - np.logaddexp.reduce(scores) if length else 0.0)
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("boundaries", [True, False])
def test_log_likelihood_matches_brute_force(seed, boundaries):
    case = make_case(seed, lengths=(0, 1 + seed, 5), boundaries=boundaries)
    x, trans, lengths, start, end = cast_args(case)
    ll, returned = crf_log_likelihood(x, case["tags"], lengths, trans, start, end)
    np.testing.assert_allclose(to_numpy(ll), brute_log_likelihood(case), atol=TOL, rtol=TOL)
    assert np.all(to_numpy(ll) <= 1e-6)
    assert to_numpy(ll)[0] == 0.0  # length 0
    np.testing.assert_allclose(to_numpy(returned), trans)


def test_path_probabilities_sum_to_one():
    case = make_case(3, lengths=(4, 4, 4))
    x, trans, _, start, end = cast_args(case)
    paths = np.array(list(itertools.product(range(TAGS), repeat=4)))
    n = len(paths)
    row_x = np.repeat(x[1:2, :4], n, axis=0)
    ll, _ = crf_log_likelihood(row_x, paths, np.full(n, 4), trans, start, end)
    assert np.exp(to_numpy(ll)).sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 4])
def test_decode_matches_brute_force(seed):
    case = make_case(seed, lengths=(0, 1, 5))
    tags, best = crf_decode(*cast_args(case))
    tags, best = to_numpy(tags), to_numpy(best)
    assert tags.dtype == np.int32 and tags.shape == (BATCH, TIME)
    assert best.shape == (BATCH,)
    assert np.all(tags[0] == 0) and best[0] == 0.0
    for row, length in enumerate(case["lengths"]):
        if not length:
            continue
        paths, scores = enumerate_row(case, row)
        assert tuple(tags[row, :length]) == paths[int(scores.argmax())]
        assert np.all(tags[row, length:] == 0)
        assert best[row] == pytest.approx(scores.max(), abs=TOL)


def test_nbest_matches_brute_force():
    case = make_case(5, lengths=(0, 1, 4))
    x, trans, lengths, start, end = cast_args(case)
    tags, scores = crf_nbest_decode(x, trans, lengths, 6, start, end)
    tags, scores = to_numpy(tags), to_numpy(scores)
    assert tags.shape == (BATCH, 6, TIME) and scores.shape == (BATCH, 6)
    # Length 0: one empty path of score 0; length 1: only 4 paths, the rest do not exist.
    assert scores[0, 0] == 0.0 and np.all(np.isneginf(scores[0, 1:]))
    assert np.all(np.isneginf(scores[1, TAGS:]))
    for row in (1, 2):
        length = int(case["lengths"][row])
        paths, brute = enumerate_row(case, row)
        order = np.argsort(-brute)[: min(6, len(paths))]
        for rank, index in enumerate(order):
            assert tuple(tags[row, rank, :length]) == paths[index]
            assert scores[row, rank] == pytest.approx(brute[index], abs=TOL)
    best_tags, _ = crf_decode(x, trans, lengths, start, end)
    np.testing.assert_array_equal(tags[:, 0], to_numpy(best_tags))


@pytest.mark.parametrize("seed", [0, 6])
def test_marginals_match_brute_force(seed):
    case = make_case(seed, lengths=(0, 1, 5))
    marginals = to_numpy(crf_marginals(*cast_args(case)))
    assert marginals.shape == (BATCH, TIME, TAGS)
    lengths = case["lengths"]
    valid = np.arange(TIME)[None, :] < lengths[:, None]
    np.testing.assert_allclose(marginals.sum(-1), valid.astype(float), atol=TOL)
    for row, length in enumerate(lengths):
        if not length:
            continue
        paths, scores = enumerate_row(case, row)
        probs = np.exp(scores - np.logaddexp.reduce(scores))
        expected = np.zeros((length, TAGS))
        for path, p in zip(paths, probs, strict=True):
            expected[np.arange(length), list(path)] += p
        np.testing.assert_allclose(marginals[row, :length], expected, atol=TOL)
        assert np.all(marginals[row, length:] == 0.0)


def test_tfa_helpers_agree():
    case = make_case(7, lengths=(2, 0, 5), boundaries=False)
    x, trans, lengths, _, _ = cast_args(case)
    tags = case["tags"]
    unary = to_numpy(crf_unary_score(tags, lengths, x))
    binary = to_numpy(crf_binary_score(tags, lengths, trans))
    score = to_numpy(crf_sequence_score(x, tags, lengths, trans))
    log_norm = to_numpy(crf_log_norm(x, lengths, trans))
    ll, _ = crf_log_likelihood(x, tags, lengths, trans)
    np.testing.assert_allclose(score, unary + binary, atol=TOL)
    np.testing.assert_allclose(to_numpy(ll), score - log_norm, atol=TOL)
    gold = [path_score(case, r, tags[r, :n]) if n else 0.0 for r, n in enumerate(lengths)]
    np.testing.assert_allclose(score, gold, atol=TOL)
    assert log_norm[1] == 0.0
    # NumPy viterbi_decode agrees with crf_decode on the full-length row.
    path, best = viterbi_decode(case["emissions"][2], case["transitions"])
    decoded, scores = crf_decode(x, trans, lengths)
    assert path == list(to_numpy(decoded)[2])
    assert best == pytest.approx(float(to_numpy(scores)[2]), abs=TOL)


def test_missing_transitions_are_created():
    x = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")
    ll, trans = crf_log_likelihood(x, np.zeros((2, 3), "int32"), [3, 2])
    assert tuple(trans.shape) == (5, 5)
    assert to_numpy(ll).shape == (2,)
    assert np.all(to_numpy(ll) < 0)


def test_masks_with_holes_equal_compacted_sequences():
    """Pairwise form: left padding and holes skip positions, as if they were removed."""
    case = make_case(8)
    x, trans, _, start, end = cast_args(case)
    mask = np.array([[0, 0, 1, 1, 1], [1, 0, 1, 0, 1], [0, 0, 0, 0, 0]], dtype=bool)
    compact_x = np.zeros_like(x)
    compact_tags = np.zeros_like(case["tags"])
    for row in range(BATCH):
        keep = np.flatnonzero(mask[row])
        compact_x[row, : len(keep)] = x[row, keep]
        compact_tags[row, : len(keep)] = case["tags"][row, keep]
    lengths = mask.sum(1)

    holes = crf_pairwise_potentials(x, trans, mask, start, end)
    ll_holes = crf_pairwise_log_likelihood(holes, case["tags"], mask)
    ll_compact, _ = crf_log_likelihood(compact_x, compact_tags, lengths, trans, start, end)
    np.testing.assert_allclose(to_numpy(ll_holes), to_numpy(ll_compact), atol=TOL)

    tags_holes, best_holes = (to_numpy(t) for t in crf_pairwise_decode(holes, mask))
    tags_compact, best_compact = (to_numpy(t) for t in crf_decode(compact_x, trans, lengths, start, end))
    np.testing.assert_allclose(best_holes, best_compact, atol=TOL)
    marg_holes = to_numpy(crf_pairwise_marginals(holes, mask))
    marg_compact = to_numpy(crf_marginals(compact_x, trans, lengths, start, end))
    for row in range(BATCH):
        keep = np.flatnonzero(mask[row])
        np.testing.assert_array_equal(tags_holes[row, keep], tags_compact[row, : len(keep)])
        assert np.all(tags_holes[row, ~mask[row]] == 0)
        np.testing.assert_allclose(marg_holes[row, keep], marg_compact[row, : len(keep)], atol=TOL)
        assert np.all(marg_holes[row, ~mask[row]] == 0)


def _gradients(fn, args: list[np.ndarray]) -> list[np.ndarray]:
    if BACKEND == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(a) for a in args]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            value = fn(*tensors)
        return [g.numpy() for g in tape.gradient(value, tensors)]
    if BACKEND == "jax":
        import jax

        return [np.asarray(g) for g in jax.grad(fn, argnums=tuple(range(len(args))))(*args)]
    if BACKEND == "torch":
        import torch

        tensors = [torch.tensor(a, requires_grad=True) for a in args]
        fn(*tensors).backward()
        return [t.grad.numpy() for t in tensors]
    pytest.skip(f"no gradient helper for backend {BACKEND}")


def test_gradient_matches_finite_differences():
    case = make_case(9, lengths=(0, 2, 4))
    names = ["emissions", "transitions", "start", "end"]

    def loss_ref(values: dict) -> float:
        return -brute_log_likelihood({**case, **values}).sum()

    def loss_backend(emissions, transitions, start, end):
        ll, _ = crf_log_likelihood(emissions, case["tags"], case["lengths"], transitions, start, end)
        return -ops.sum(ll)

    grads = _gradients(loss_backend, [case[n].astype(DTYPE) for n in names])
    eps = 1e-6
    for name, grad in zip(names, grads, strict=True):
        numeric = np.zeros_like(case[name])
        for index in np.ndindex(case[name].shape):
            plus, minus = case[name].copy(), case[name].copy()
            plus[index] += eps
            minus[index] -= eps
            numeric[index] = (loss_ref({name: plus}) - loss_ref({name: minus})) / (2 * eps)
        tol = 1e-6 if DTYPE == "float64" else 1e-4
        np.testing.assert_allclose(grad, numeric, atol=tol, rtol=tol, err_msg=name)
    # Padding positions get no gradient.
    assert np.all(grads[0][0] == 0) and np.all(grads[0][1, 2:] == 0)


def _allowed_paths(tags_row, length, masks) -> bool:
    transitions, start, end = masks
    path = list(tags_row[:length])
    if not path:
        return True
    ok = start[path[0]] and end[path[-1]]
    return ok and all(transitions[a, b] for a, b in itertools.pairwise(path))


@pytest.mark.parametrize(
    "scheme, tags",
    [
        ("bio", ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]),
        ("bioes", ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]),
        ("bmes", ["B", "M", "E", "S"]),
    ],
)
def test_constrained_decoding_never_emits_forbidden_transitions(scheme, tags):
    from nlpsuite.ops import FORBIDDEN_SCORE

    masks = crf_constraint_masks(scheme, tags)
    transitions, start, end = masks
    rng = np.random.default_rng(10)
    num = len(tags)
    # Emissions that favour inside/end tags everywhere push an unconstrained decoder into
    # forbidden paths; the constrained one must refuse them.
    x = rng.normal(size=(16, 7, num)).astype("float32") * 3.0
    inside = [i for i, t in enumerate(tags) if t[0] in "IMEB"]
    x[:, :, inside] += 4.0
    lengths = rng.integers(0, 8, size=16)
    trans = rng.normal(size=(num, num)) + np.where(transitions, 0.0, FORBIDDEN_SCORE)
    start_scores = rng.normal(size=num) + np.where(start, 0.0, FORBIDDEN_SCORE)
    end_scores = rng.normal(size=num) + np.where(end, 0.0, FORBIDDEN_SCORE)
    args = (
        x,
        trans.astype("float32"),
        lengths,
        start_scores.astype("float32"),
        end_scores.astype("float32"),
    )
    decoded = to_numpy(crf_decode(*args)[0])
    nbest, nbest_scores = (to_numpy(t) for t in crf_nbest_decode(x, args[1], lengths, 3, args[3], args[4]))
    for row, length in enumerate(lengths):
        assert _allowed_paths(decoded[row], length, masks), decoded[row, :length]
        for rank in range(3 if length else 0):
            # A short row may have fewer than 3 allowed paths: the rest are reported as -inf.
            allowed = _allowed_paths(nbest[row, rank], length, masks)
            assert allowed == np.isfinite(nbest_scores[row, rank]), (length, nbest[row, rank])
    marginals = to_numpy(crf_marginals(*args))
    starts = marginals[lengths > 0, 0]
    assert np.all(starts[:, ~start] < 1e-6)
    # Unconstrained decoding of the same emissions does use forbidden paths (the test can fail).
    free = to_numpy(crf_decode(x, rng.normal(size=(num, num)).astype("float32"), lengths)[0])
    assert not all(_allowed_paths(free[r], n, masks) for r, n in enumerate(lengths))


def test_constraint_masks_rules():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    transitions, start, end = crf_constraint_masks("BIO", tags)
    assert transitions[1, 2] and transitions[2, 2] and not transitions[0, 2]
    assert not transitions[3, 2] and transitions[2, 0] and transitions[2, 3]
    assert list(start) == [True, True, False, True, False]
    assert end.all()
    bioes = ["O", "B-X", "I-X", "E-X", "S-X"]
    transitions, start, end = crf_constraint_masks("bioes", bioes)
    assert not transitions[1, 0] and transitions[1, 2] and transitions[1, 3]
    assert transitions[3, 4] and not transitions[0, 3] and not transitions[4, 2]
    assert list(end) == [True, False, False, True, True]
    assert list(start) == [True, True, False, False, True]
    transitions, _, _ = crf_constraint_masks("bmes", ["B_ORG", "M_ORG", "E_ORG", "S_ORG", "O"])
    assert transitions[0, 1] and transitions[1, 2] and not transitions[4, 1]


@pytest.mark.parametrize(
    "scheme, tags, message",
    [
        ("bio", ["O", "<pad>"], "'<pad>' at index 1"),
        ("bio", ["O", "E-PER"], "'E-PER' at index 1"),
        ("iobes2", ["O"], "unknown constraints"),
    ],
)
def test_constraint_masks_reject_bad_input(scheme, tags, message):
    with pytest.raises(NlpsuiteError, match=message):
        crf_constraint_masks(scheme, tags)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.function(jit_compile=True) needs TensorFlow")
def test_xla_compiled_matches_eager_tensorflow():
    import tensorflow as tf

    case = make_case(11, lengths=(0, 1, 5))
    x, trans, lengths, start, end = (a.astype("float32") if a.dtype.kind == "f" else a for a in cast_args(case))

    @tf.function(jit_compile=True)
    def compiled(x, tags, lengths, trans, start, end):
        ll, _ = crf_log_likelihood(x, tags, lengths, trans, start, end)
        decoded, best = crf_decode(x, trans, lengths, start, end)
        return ll, decoded, best

    out = compiled(x, case["tags"], lengths, trans, start, end)
    ll, _ = crf_log_likelihood(x, case["tags"], lengths, trans, start, end)
    decoded, best = crf_decode(x, trans, lengths, start, end)
    np.testing.assert_allclose(out[0].numpy(), to_numpy(ll), atol=1e-5)
    np.testing.assert_array_equal(out[1].numpy(), to_numpy(decoded))
    np.testing.assert_allclose(out[2].numpy(), to_numpy(best), atol=1e-5)
    np.testing.assert_allclose(out[0].numpy(), brute_log_likelihood(case), atol=1e-4)

    # Gradients also compile.
    @tf.function(jit_compile=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = -tf.reduce_sum(crf_log_likelihood(x, case["tags"], lengths, trans, start, end)[0])
        return tape.gradient(loss, x)

    assert np.all(np.isfinite(grad(tf.constant(x)).numpy()))


@pytest.mark.skipif(BACKEND not in ("tensorflow", "jax"), reason="eager calls compile on TensorFlow and JAX")
def test_eager_calls_compile_once_per_signature_and_match_uncompiled():
    from nlpsuite.ops import crf as crf_module

    compiled_ll, compiled_decode = crf_module._unary_log_likelihood, crf_module._unary_decode
    traces = []
    for seed in (14, 15, 16):  # same shapes and dtypes, new values
        case = make_case(seed, lengths=(2, 5, 3))
        x, trans, lengths, start, end = cast_args(case)
        tags = case["tags"].astype("int32")
        ll, _ = crf_log_likelihood(x, tags, lengths, trans, start, end)
        decoded, best = crf_decode(x, trans, lengths, start, end)
        # The same functions run op by op, uncompiled, give the same numbers.
        plain_ll = compiled_ll.__wrapped__(x, tags, lengths, ops.cast(trans, x.dtype), start, end)
        plain_decoded, plain_best = compiled_decode.__wrapped__(x, trans, lengths, start, end)
        np.testing.assert_allclose(to_numpy(ll), to_numpy(plain_ll), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(to_numpy(decoded), to_numpy(plain_decoded))
        np.testing.assert_allclose(to_numpy(best), to_numpy(plain_best), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(to_numpy(ll), brute_log_likelihood(case), atol=1e-4)
        if BACKEND == "tensorflow":
            traces.append(
                [f.compiled_by_backend["tensorflow"].compiled_signatures for f in (compiled_ll, compiled_decode)]
            )
    if BACKEND == "tensorflow":
        # A bucket's first call runs the shape-relaxed graph, the second compiles it by XLA (unless an
        # earlier test did), and the third reuses that: the values above came from both paths.
        assert traces[1] == traces[2] and min(traces[2]) >= 1, traces


@pytest.mark.skipif(BACKEND != "jax", reason="jax.jit needs JAX")
def test_jax_jit_matches_eager():
    import jax

    case = make_case(12, lengths=(0, 1, 5))
    x, trans, lengths, start, end = cast_args(case)

    @jax.jit
    def compiled(x, tags, lengths, trans, start, end):
        ll, _ = crf_log_likelihood(x, tags, lengths, trans, start, end)
        decoded, best = crf_decode(x, trans, lengths, start, end)
        return ll, decoded, best

    ll, decoded, best = compiled(x, case["tags"], lengths, trans, start, end)
    np.testing.assert_allclose(np.asarray(ll), brute_log_likelihood(case), atol=1e-4)
    np.testing.assert_array_equal(np.asarray(decoded), to_numpy(crf_decode(*cast_args(case))[0]))


def test_single_step_and_empty_time_axis():
    trans = np.random.default_rng(13).normal(size=(3, 3)).astype("float32")
    x = np.array([[[0.5, 2.0, -1.0]], [[1.0, 0.0, 0.0]]], "float32")
    ll, _ = crf_log_likelihood(x, np.array([[1], [0]]), [1, 0], trans)
    expected = 2.0 - np.logaddexp.reduce([0.5, 2.0, -1.0])
    np.testing.assert_allclose(to_numpy(ll), [expected, 0.0], atol=1e-6)
    tags, best = crf_decode(x, trans, [1, 0])
    np.testing.assert_array_equal(to_numpy(tags), [[1], [0]])
    np.testing.assert_allclose(to_numpy(best), [2.0, 0.0])
    empty = np.zeros((2, 0, 3), "float32")
    ll, _ = crf_log_likelihood(empty, np.zeros((2, 0), "int32"), [0, 0], trans)
    np.testing.assert_array_equal(to_numpy(ll), [0.0, 0.0])
    assert to_numpy(crf_decode(empty, trans, [0, 0])[0]).shape == (2, 0)
