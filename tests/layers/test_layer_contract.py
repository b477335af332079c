"""Every public layer: config round trip, `safe_mode` reload with identical outputs, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from nlpsuite.layers import (
    AttentionPooling,
    CharEmbedding,
    HashedNgramBag,
    MaskedMaxPooling,
    MonotoneQuantiles,
    TokenDropout,
)

from .harness import LayerCase, check_bad_arguments, check_config_round_trip, check_safe_mode_reload

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(0)
CASES = {
    "AttentionPooling": LayerCase(
        make=lambda: AttentionPooling(4, name="pool"),
        inputs=RNG.normal(size=(2, 5, 3)).astype("float32"),
    ),
    "MaskedMaxPooling": LayerCase(
        make=lambda: MaskedMaxPooling(name="max_pool"),
        inputs=RNG.normal(size=(2, 5, 3)).astype("float32"),
    ),
    "TokenDropout": LayerCase(
        make=lambda: TokenDropout(0.3, oov_id=1, seed=4, name="word_dropout"),
        inputs=RNG.integers(0, 9, size=(2, 5)).astype("int32"),
        make_bad=TokenDropout,
        bad=[({"rate": 1.0}, "rate must be in")],
    ),
    "MonotoneQuantiles": LayerCase(
        make=lambda: MonotoneQuantiles(horizons=3, quantiles=(0.1, 0.5, 0.9), min_gap=1e-3, center_scale=0.5),
        inputs=RNG.normal(size=(2, 6)).astype("float32"),
        make_bad=MonotoneQuantiles,
        bad=[
            ({"horizons": 2, "quantiles": (0.9, 0.1)}, "increasing probabilities"),
            ({"horizons": 2, "quantiles": (0.5, 1.0)}, "increasing probabilities"),
            ({"horizons": 0}, "horizons must be >= 1"),
        ],
    ),
    "HashedNgramBag": LayerCase(
        make=lambda: HashedNgramBag(buckets=50, output_dim=4, max_order=3, name="ngrams"),
        inputs=np.array([[3, 7, 9, 0, 0], [4, 0, 0, 0, 0]], "int32"),
        make_bad=HashedNgramBag,
        bad=[
            ({"buckets": 2**21, "output_dim": 4}, "buckets must be in"),
            ({"buckets": 8, "output_dim": 4, "max_order": 0}, "max_order must be at least 1"),
        ],
    ),
    "CharEmbedding": LayerCase(
        make=lambda: CharEmbedding(num_chars=12, char_dim=5, output_dim=6, encoder="cnn", name="chars"),
        inputs=RNG.integers(0, 12, size=(2, 3, 4)).astype("int32"),
        make_bad=CharEmbedding,
        bad=[({"num_chars": 10, "encoder": "rnn"}, "encoder must be")],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    check_config_round_trip(CASES[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_safe_mode_reload_gives_identical_outputs(name, tmp_path):
    check_safe_mode_reload(CASES[name], tmp_path)


@pytest.mark.parametrize("name", sorted(name for name, case in CASES.items() if case.bad))
def test_bad_arguments_raise_clear_errors(name):
    check_bad_arguments(CASES[name])
