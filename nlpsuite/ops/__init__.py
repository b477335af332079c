"""Public backend-agnostic functions (keras.ops only).

The CRF functions mirror tensorflow-addons' ``tfa.text`` API (`crf_log_likelihood`, `crf_decode`,
`crf_sequence_score`, `crf_multitag_sequence_score`, `crf_constrained_decode`, ...) and add
start/end transitions, n-best decoding, marginals and a "pairwise" form used by
`nlpsuite.layers.CRF`. Code written for ``tfa.text`` runs with ``from nlpsuite import ops as text``.

>>> from nlpsuite.ops import crf_decode, crf_log_likelihood
"""

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

from nlpsuite.ops.crf import (
    FORBIDDEN_SCORE,
    CrfDecodeForwardRnnCell,
    crf_binary_score,
    crf_constrained_decode,
    crf_constraint_masks,
    crf_decode,
    crf_decode_forward,
    crf_filtered_inputs,
    crf_log_likelihood,
    crf_log_norm,
    crf_marginals,
    crf_multitag_sequence_score,
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
