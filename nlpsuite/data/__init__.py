"""Readers and vocabularies (no Keras models here)."""

from nlpsuite.data.registry import DATASETS, data_dir, get, resolve

__all__ = ["DATASETS", "data_dir", "get", "resolve"]
