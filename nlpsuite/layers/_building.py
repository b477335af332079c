"""What every layer in the package writes the same way: its ``get_config`` and its LayerNorms.

Keras layers list their constructor arguments in ``get_config`` one by one and serialize the Keras
objects among them; ``layer_config`` does both from the argument names, so a layer's config is one call
whose names match its ``__init__``. ``layer_norm`` is the LayerNorm the stacks put around their blocks,
with the layer's epsilon and dtype policy passed down.
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["layer_config", "layer_norm"]


def _serialize(value: Any) -> Any:
    """A constructor argument as ``get_config`` stores it: Keras objects serialized the way their own
    module does (an activation by name), anything else as is."""
    if isinstance(value, keras.initializers.Initializer):
        return keras.initializers.serialize(value)
    if isinstance(value, keras.regularizers.Regularizer):
        return keras.regularizers.serialize(value)
    if isinstance(value, keras.constraints.Constraint):
        return keras.constraints.serialize(value)
    if callable(value):
        return keras.activations.serialize(value)
    return value


def layer_config(layer: Any, base: dict[str, Any], *names: str, **values: Any) -> dict[str, Any]:
    """``base`` (the parent's ``get_config()``) plus the layer's attributes ``names`` and the ``values``
    given by keyword, Keras objects serialized.

    Args:
        layer: the layer (or loss, metric) whose attributes to read.
        base: ``super().get_config()``.
        *names: constructor arguments the layer keeps as attributes of the same name.
        **values: constructor arguments kept under another name or form (``quantiles=list(self.quantiles)``).

    Returns:
        A new dict; ``base`` is not changed.

    Example:

    >>> dense = keras.layers.Dense(4, kernel_initializer="zeros", name="d")
    >>> config = layer_config(dense, {"name": "d"}, "units", "kernel_initializer", "activation", note="kept")
    >>> config["units"], config["kernel_initializer"]["class_name"], config["activation"], config["note"]
    (4, 'Zeros', 'linear', 'kept')
    """
    return {**base, **{name: _serialize(getattr(layer, name)) for name in names},
            **{key: _serialize(value) for key, value in values.items()}}


def layer_norm(layer: Any, name: str) -> keras.layers.LayerNormalization:
    """A LayerNorm with ``layer``'s ``layer_norm_epsilon`` and dtype policy, named ``name``.

    Example:

    >>> parent = keras.layers.Layer(dtype="bfloat16")
    >>> parent.layer_norm_epsilon = 1e-5
    >>> norm = layer_norm(parent, "output_norm")
    >>> norm.name, norm.epsilon, norm.dtype_policy.name
    ('output_norm', 1e-05, 'bfloat16')
    """
    return keras.layers.LayerNormalization(epsilon=layer.layer_norm_epsilon, dtype=layer.dtype_policy, name=name)
