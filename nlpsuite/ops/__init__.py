"""Public backend-agnostic functions (keras.ops only).

The CRF functions mirror tensorflow-addons' ``tfa.text`` API (`crf_log_likelihood`, `crf_decode`,
`crf_sequence_score`, `crf_multitag_sequence_score`, `crf_constrained_decode`, ...) and add
start/end transitions, n-best decoding, marginals and a "pairwise" form used by
`nlpsuite.layers.CRF`. Code written for ``tfa.text`` runs with ``from nlpsuite import ops as text``.

>>> from nlpsuite.ops import crf_decode, crf_log_likelihood
"""

from nlpsuite.ops import crf
from nlpsuite.ops.crf import *  # noqa: F403 (the names listed in crf.__all__, kept in one place)

__all__ = list(crf.__all__)
