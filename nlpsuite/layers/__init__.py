"""Public Keras 3 layers, backend-agnostic (keras.ops only) and registered for safe `.keras` loading."""

import importlib

_PUBLIC = {
    "CRF": "nlpsuite.layers.crf",
    "BahdanauAttention": "nlpsuite.layers.attention",
    "LuongAttention": "nlpsuite.layers.attention",
    "CharEmbedding": "nlpsuite.layers.char_embedding",
    "recurrent_stack": "nlpsuite.layers.recurrent",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):  # TEMPORARY while the layer modules are written
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(name)
