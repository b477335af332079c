"""Public Keras 3 layers, backend-agnostic (keras.ops only) and registered for safe `.keras` loading.

>>> from nlpsuite.layers import CRF, BahdanauAttention, LuongAttention, CharEmbedding, recurrent_stack, RWKV
"""

from nlpsuite.layers.attention import BahdanauAttention, LuongAttention
from nlpsuite.layers.causal_transformer import CausalTransformer
from nlpsuite.layers.char_embedding import CharEmbedding
from nlpsuite.layers.crf import CRF
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.layers.rwkv import RWKV, RWKVBlock

__all__ = [
    "CRF",
    "BahdanauAttention",
    "CausalTransformer",
    "CharEmbedding",
    "LuongAttention",
    "RWKV",
    "RWKVBlock",
    "recurrent_stack",
]
