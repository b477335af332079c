"""Public Keras 3 layers, backend-agnostic (keras.ops only) and registered for safe `.keras` loading.

>>> from nlpsuite.layers import (
...     CRF, CRFLoss, CRFDecode, CRFAccuracy, RecurrentStack, recurrent_stack,
...     BahdanauAttention, LuongAttention, CharEmbedding, AttentionPooling, MaskedMaxPooling, MonotoneQuantiles,
...     RWKV, RWKVBlock, CausalTransformer, TokenDropout, HashedNgramBag,
... )
"""

__all__ = [
    "CRF",
    "RWKV",
    "AttentionPooling",
    "BahdanauAttention",
    "CRFAccuracy",
    "CRFDecode",
    "CRFLoss",
    "CausalTransformer",
    "CharEmbedding",
    "HashedNgramBag",
    "LuongAttention",
    "MaskedMaxPooling",
    "MonotoneQuantiles",
    "RWKVBlock",
    "RecurrentStack",
    "TokenDropout",
    "recurrent_stack",
]

from nlpsuite.layers.attention import BahdanauAttention, LuongAttention
from nlpsuite.layers.causal_transformer import CausalTransformer
from nlpsuite.layers.char_embedding import CharEmbedding
from nlpsuite.layers.crf import CRF, CRFAccuracy, CRFDecode, CRFLoss
from nlpsuite.layers.max_pooling import MaskedMaxPooling
from nlpsuite.layers.ngram_bag import HashedNgramBag
from nlpsuite.layers.pooling import AttentionPooling
from nlpsuite.layers.quantiles import MonotoneQuantiles
from nlpsuite.layers.recurrent import RecurrentStack, recurrent_stack
from nlpsuite.layers.rwkv import RWKV, RWKVBlock
from nlpsuite.layers.token_dropout import TokenDropout
