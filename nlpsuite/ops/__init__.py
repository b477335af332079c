"""Public backend-agnostic functions (keras.ops only).

The CRF functions mirror tensorflow-addons' ``tfa.text`` signatures (`crf_log_likelihood`,
`crf_decode`, `crf_sequence_score`, ...) and add start/end transitions, n-best decoding, marginals
and a "pairwise" form used by `nlpsuite.layers.CRF`.
"""

from nlpsuite.ops.crf import (
    FORBIDDEN_SCORE,
    crf_binary_score,
    crf_constraint_masks,
    crf_decode,
    crf_log_likelihood,
    crf_log_norm,
    crf_marginals,
    crf_nbest_decode,
    crf_pairwise_decode,
    crf_pairwise_log_likelihood,
    crf_pairwise_log_norm,
    crf_pairwise_marginals,
    crf_pairwise_nbest_decode,
    crf_pairwise_potentials,
    crf_sequence_score,
    crf_unary_score,
    sequence_mask,
    viterbi_decode,
)

__all__ = [
    "FORBIDDEN_SCORE",
    "crf_binary_score",
    "crf_constraint_masks",
    "crf_decode",
    "crf_log_likelihood",
    "crf_log_norm",
    "crf_marginals",
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
