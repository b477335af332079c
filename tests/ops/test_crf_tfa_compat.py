"""The rest of tensorflow-addons' CRF API, checked by enumeration and by hand."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from nlpsuite.ops import (
    crf_constrained_decode,
    crf_decode,
    crf_decode_forward,
    crf_filtered_inputs,
    crf_log_likelihood,
    crf_multitag_sequence_score,
    crf_sequence_score,
)

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(21)
X = RNG.normal(size=(3, 4, 3)).astype("float32")
TRANS = RNG.normal(size=(3, 3)).astype("float32")
LENGTHS = np.array([4, 2, 1])


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _score(x, trans, path):
    return sum(x[t, tag] for t, tag in enumerate(path)) + sum(trans[a, b] for a, b in itertools.pairwise(path))


def _bitmap():
    bitmap = RNG.random(size=X.shape) < 0.6
    bitmap[..., 0] |= ~bitmap.any(-1)  # at least one allowed tag per step
    return bitmap


def test_filtered_inputs_keep_allowed_scores_and_dtype():
    bitmap = _bitmap()
    out = _np(crf_filtered_inputs(X.astype("float16"), bitmap))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(np.isneginf(out), ~bitmap)
    np.testing.assert_allclose(out[bitmap], X.astype("float16")[bitmap])


def test_multitag_score_is_log_sum_over_allowed_paths():
    bitmap = _bitmap()
    got = _np(crf_multitag_sequence_score(X, bitmap, LENGTHS, TRANS))
    for row, length in enumerate(LENGTHS):
        allowed = [np.flatnonzero(bitmap[row, t]) for t in range(length)]
        scores = [_score(X[row], TRANS, path) for path in itertools.product(*allowed)]
        assert got[row] == pytest.approx(np.logaddexp.reduce(scores), abs=1e-4)


def test_constrained_decode_is_brute_force_best_allowed_path():
    bitmap = _bitmap()
    tags, best = (_np(t) for t in crf_constrained_decode(X, bitmap, TRANS, LENGTHS))
    for row, length in enumerate(LENGTHS):
        allowed = [np.flatnonzero(bitmap[row, t]) for t in range(length)]
        paths = list(itertools.product(*allowed))
        scores = [_score(X[row], TRANS, path) for path in paths]
        assert tuple(tags[row, :length]) == paths[int(np.argmax(scores))]
        assert best[row] == pytest.approx(max(scores), abs=1e-4)


def test_length_one_batch_scores_only_the_first_tag():
    # tfa's convention: with max_seq_len 1, extra label columns are not scored.
    x = np.array([[[4.0, 5.0, -3.0]]], "float32")
    assert _np(crf_sequence_score(x, np.array([[1, 2]]), [1], TRANS))[0] == pytest.approx(5.0)
    ll, _ = crf_log_likelihood(x, np.array([[1, 2]]), [1], TRANS)
    assert _np(ll)[0] == pytest.approx(5.0 - np.logaddexp.reduce([4.0, 5.0, -3.0]), abs=1e-5)


def test_decode_forward_by_hand():
    # Two tags, one row of two valid steps and one of none.
    state = np.array([[0.0, 1.0], [2.0, 0.0]], "float32")
    inputs = np.array([[[1.0, 0.0], [0.0, 2.0], [9.0, 9.0]], [[5.0, 5.0], [5.0, 5.0], [5.0, 5.0]]], "float32")
    trans = np.array([[0.0, -2.0], [-1.0, 0.0]], "float32")
    pointers, last = (_np(t) for t in crf_decode_forward(inputs, state, trans, [2, 0]))
    # Step 0, row 0: tag 0 <- max(0 + 0, 1 - 1) ties to 0; tag 1 <- max(0 - 2, 1 + 0) = from 1.
    # Scores after step 0: [1, 1]; step 1: tag 0 <- max(1, 0) from 0 -> 1; tag 1 <- max(-1, 1) from 1 -> 3.
    np.testing.assert_array_equal(pointers[0], [[0, 1], [0, 1], [0, 0]])
    np.testing.assert_allclose(last[0], [1.0, 3.0])
    np.testing.assert_array_equal(pointers[1], 0)
    np.testing.assert_allclose(last[1], state[1])


def test_decode_applies_to_a_functional_model(tmp_path):
    potentials = keras.Input((4, 3))
    lengths = keras.Input((), dtype="int32")
    tags, best = crf_decode(potentials, TRANS, lengths)
    model = keras.Model([potentials, lengths], [tags, best])
    got_tags, got_best = model.predict([X, LENGTHS], verbose=0)
    want_tags, want_best = crf_decode(X, TRANS, LENGTHS)
    np.testing.assert_array_equal(got_tags, _np(want_tags))
    np.testing.assert_allclose(got_best, _np(want_best), rtol=1e-6)


def test_decode_forward_cell_matches_decode_forward_and_round_trips():
    from nlpsuite.ops import CrfDecodeForwardRnnCell

    state = RNG.normal(size=(3, 3)).astype("float32")
    cell = CrfDecodeForwardRnnCell(TRANS)
    pointers, (new_state,) = cell(X[:, 0], [state])
    want_pointers, want_state = crf_decode_forward(X[:, :1], state, TRANS, [1, 1, 1])
    np.testing.assert_array_equal(_np(pointers), _np(want_pointers)[:, 0])
    np.testing.assert_allclose(_np(new_state), _np(want_state), rtol=1e-6)
    clone = CrfDecodeForwardRnnCell.from_config(cell.get_config())
    np.testing.assert_allclose(clone.transition_params, TRANS)
