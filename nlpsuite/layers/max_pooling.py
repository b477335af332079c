"""``MaskedMaxPooling``: the feature-wise maximum over a sequence's real steps (one layer, registered)."""

from __future__ import annotations

__all__ = ["MaskedMaxPooling"]

from typing import Any

import keras
import numpy as np
from keras import ops

from nlpsuite.layers.pooling import SequencePooling


@keras.saving.register_keras_serializable(package="nlpsuite")
class MaskedMaxPooling(SequencePooling):
    """Feature-wise maximum over the unmasked time steps (BiLSTM-max pooling).

    ``keras.layers.GlobalMaxPooling1D`` ignores the Keras mask, so padded steps (whose recurrent
    outputs are zeros or a copy of the last real step) could win the maximum; here they never do.
    Max pooling over a bidirectional encoder's outputs is the strong sentence encoder of
    Conneau et al. (2017, InferSent): each feature reports the step that excites it most.

    Args:
        **kwargs: base layer arguments (``name``, ``dtype``).

    Call arguments:
        inputs: ``[batch, time, features]``, e.g. a bidirectional encoder's outputs.
        mask: optional ``[batch, time]`` boolean (the inputs' Keras mask by default); a ``False`` step
            never wins the maximum, and every row needs one ``True``.

    Returns:
        ``[batch, features]``: each feature's largest value over the real steps.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from nlpsuite.layers import MaskedMaxPooling
    >>> x = np.array([[[1.0, -2.0], [3.0, -1.0], [9.0, 9.0]]], "float32")
    >>> keras.ops.convert_to_numpy(MaskedMaxPooling()(x, mask=np.array([[True, True, False]]))).tolist()
    [[3.0, -1.0]]
    """

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return ops.max(inputs, axis=1)
        real = ops.expand_dims(ops.cast(mask, "bool"), -1)
        # The dtype's lowest value, so a padded step loses to any real one (also under float16).
        floor = ops.cast(_lowest(inputs.dtype), inputs.dtype)
        return ops.max(ops.where(real, inputs, floor), axis=1)


def _lowest(dtype: Any) -> float:
    """The most negative finite value of a float dtype (``-65504`` for float16)."""
    name = keras.backend.standardize_dtype(dtype)
    if name == "bfloat16":
        return -3.3895313892515355e38
    return float(np.finfo(name).min)
