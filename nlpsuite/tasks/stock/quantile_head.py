"""Moved: ``MonotoneQuantiles`` lives in `nlpsuite.layers.quantiles`; this name stays importable."""

from nlpsuite.layers.quantiles import MonotoneQuantiles

__all__ = ["MonotoneQuantiles"]
