"""Moved: ``AttentionPooling`` lives in `nlpsuite.layers.pooling`; this name stays importable."""

from nlpsuite.layers.pooling import AttentionPooling

__all__ = ["AttentionPooling"]
