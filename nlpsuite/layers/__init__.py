"""Public Keras 3 layers, backend-agnostic (keras.ops only) and registered for safe `.keras` loading.

>>> from nlpsuite.layers import (
...     CRF, CRFLoss, CRFDecode, CRFAccuracy, RecurrentStack, recurrent_stack,
...     BahdanauAttention, LuongAttention, CharEmbedding, AttentionPooling, MonotoneQuantiles,
... )
"""

__all__ = [
    "CRF",
    "AttentionPooling",
    "BahdanauAttention",
    "CRFAccuracy",
    "CRFDecode",
    "CRFLoss",
    "CharEmbedding",
    "LuongAttention",
    "MonotoneQuantiles",
    "RecurrentStack",
    "recurrent_stack",
]

from nlpsuite.layers.attention import BahdanauAttention, LuongAttention
from nlpsuite.layers.char_embedding import CharEmbedding
from nlpsuite.layers.crf import CRF, CRFAccuracy, CRFDecode, CRFLoss
from nlpsuite.layers.pooling import AttentionPooling
from nlpsuite.layers.quantiles import MonotoneQuantiles
from nlpsuite.layers.recurrent import RecurrentStack, recurrent_stack
