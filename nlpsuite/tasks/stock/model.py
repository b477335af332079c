"""The forecaster network and its pinball loss.

``[batch, lookback, features]`` -> GRU/LSTM (``recurrent_stack``, cuDNN-eligible) ->
``MonotoneQuantiles`` -> ``[batch, horizon, quantiles]`` in units of ``s_T * sqrt(h)`` (see
``features``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from nlpsuite.layers import MonotoneQuantiles
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.tasks.stock.features import FEATURES

__all__ = ["build_model", "compile_model", "pinball_loss"]


def build_model(
    lookback: int,
    horizon: int,
    quantiles: Sequence[float],
    units: int = 32,
    cell: str = "gru",
    num_layers: int = 1,
    dropout: float = 0.0,
    l2: float = 1e-4,
    median_scale: float = 1.0,
    num_features: int = len(FEATURES),
) -> keras.Model:
    """The quantile forecaster. Small on purpose: a walk-forward backtest refits it ~125 times.

    Args:
        lookback: window length (rows).
        horizon: forecast steps.
        quantiles: the quantile levels, increasing.
        units: recurrent units.
        cell: ``gru`` or ``lstm``.
        num_layers: stacked recurrent layers.
        dropout: dropout after the encoder.
        l2: L2 penalty on the quantile head.
        median_scale: scale of the median head's output.
        num_features: features per row.

    Example:
    >>> import numpy as np
    >>> model = build_model(lookback=20, horizon=5, quantiles=(0.1, 0.5, 0.9), units=4)
    >>> out = model.predict(np.random.default_rng(0).normal(size=(2, 20, len(FEATURES))).astype("float32"), verbose=0)
    >>> out.shape, bool((np.diff(out, axis=-1) >= 0).all())  # [batch, horizon, quantiles], never crossing
    ((2, 5, 3), True)
    """
    inputs = keras.Input((lookback, num_features), name="window")
    encoded = recurrent_stack(
        units,
        num_layers=num_layers,
        cell=cell,
        dropout=dropout,
        return_sequences=False,
        name="encoder",
    )(inputs)
    if dropout:
        encoded = keras.layers.Dropout(dropout, name="dropout")(encoded)
    # The L2 pull keeps the median head near zero (the naive forecast) unless the data insist.
    outputs = MonotoneQuantiles(
        horizon,
        tuple(quantiles),
        kernel_initializer="zeros",
        center_scale=median_scale,
        kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
        name="quantiles",
    )(encoded)
    return keras.Model(inputs, outputs, name="stock_forecaster")


def pinball_loss(quantiles: Sequence[float]) -> Any:
    """Mean pinball (quantile) loss over horizons and quantiles; ``y_true`` is ``[batch,
    horizon]``.

    Example:
    >>> import numpy as np
    >>> loss = pinball_loss((0.1, 0.5, 0.9))
    >>> round(float(loss(np.array([[1.0]]), np.array([[[0.0, 1.0, 2.0]]], "float32"))[0]), 4)
    0.0667
    """
    taus = ops.convert_to_tensor([float(q) for q in quantiles], dtype="float32")

    def loss(y_true, y_pred):
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        tau = ops.cast(taus, y_pred.dtype)
        return ops.mean(ops.maximum(tau * error, (tau - 1.0) * error), axis=(-2, -1))

    loss.__name__ = "pinball"
    return loss


def compile_model(
    model: keras.Model,
    quantiles: Sequence[float],
    learning_rate: float,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """Compiles ``model`` with Adam (clipnorm 1) and ``pinball_loss``; returns it.

    Example:
    >>> model = compile_model(build_model(lookback=20, horizon=5, quantiles=(0.1, 0.5, 0.9), units=4),
    ...                       (0.1, 0.5, 0.9), learning_rate=0.01, jit_compile=False)
    >>> model.loss.__name__, round(float(model.optimizer.learning_rate), 4)
    ('pinball', 0.01)
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=pinball_loss(quantiles),
        jit_compile=jit_compile,
    )
    return model
