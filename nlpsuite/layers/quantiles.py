"""``MonotoneQuantiles``: a dense head whose quantile outputs can never cross."""

from __future__ import annotations

__all__ = ["MonotoneQuantiles"]

from statistics import NormalDist
from typing import Any

import keras
import numpy as np
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config


def _inverse_softplus(x: np.ndarray) -> np.ndarray:
    return np.log(np.expm1(x))


@keras.saving.register_keras_serializable(package="nlpsuite")
class MonotoneQuantiles(keras.layers.Layer):
    """Features -> ``[batch, horizons, len(quantiles)]`` quantiles, increasing along the last axis.

    The quantile nearest the median is predicted freely; each other quantile is its neighbour
    towards the median plus (or minus) ``softplus(.) + min_gap``, so ``q[k] < q[k+1]`` holds for any
    weights and any input. Untrained, the head outputs the standard normal's quantiles (it adds
    their softplus-inverse gaps as a fixed offset), so a target scaled to unit spread starts from a
    sensible band.

    Args:
        horizons: number of forecast steps (the middle axis of the output).
        quantiles: increasing probabilities in (0, 1), e.g. ``(0.1, 0.5, 0.9)``.
        min_gap: smallest distance between neighbouring quantiles.
        center_scale: multiplies the free (median) output; below 1 it shrinks the median towards
            0 (with a kernel regularizer, more strongly than the band), a random-walk prior.
        kernel_initializer: initializer of the dense kernel.
        kernel_regularizer: regularizer of the dense kernel.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        features: ``[batch, dim]``.

    Returns:
        ``[batch, horizons, len(quantiles)]``.

    Example:

    >>> import keras, numpy as np
    >>> from nlpsuite.layers import MonotoneQuantiles
    >>> head = MonotoneQuantiles(horizons=4, quantiles=(0.1, 0.5, 0.9))
    >>> out = keras.ops.convert_to_numpy(head(np.random.randn(2, 8).astype("float32")))
    >>> out.shape, bool((np.diff(out, axis=-1) > 0).all())
    ((2, 4, 3), True)
    """

    def __init__(
        self,
        horizons: int,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        min_gap: float = 1e-4,
        center_scale: float = 1.0,
        kernel_initializer: Any = "glorot_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        quantiles = tuple(float(q) for q in quantiles)
        if not quantiles or any(not 0 < q < 1 for q in quantiles) or list(quantiles) != sorted(set(quantiles)):
            raise NlpsuiteError(
                f"MonotoneQuantiles: quantiles must be increasing probabilities in (0, 1), got {quantiles}."
            )
        if horizons < 1:
            raise NlpsuiteError(f"MonotoneQuantiles: horizons must be >= 1, got {horizons}.")
        self.horizons = int(horizons)
        self.quantiles = quantiles
        self.min_gap = float(min_gap)
        self.center_scale = float(center_scale)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        # The quantile closest to 0.5 is the free "anchor"; the others hang off it.
        self.center = int(np.argmin([abs(q - 0.5) for q in quantiles]))
        self._prior = self._normal_prior()

    def _normal_prior(self) -> np.ndarray:
        z = np.array([NormalDist().inv_cdf(q) for q in self.quantiles])
        prior = np.zeros(len(z), dtype="float32")
        prior[self.center] = z[self.center]
        for k in range(len(z)):
            if k != self.center:
                gap = abs(z[k] - z[k + 1 if k < self.center else k - 1]) - self.min_gap
                prior[k] = _inverse_softplus(np.maximum(gap, 1e-3))
        return np.tile(prior, self.horizons)

    def build(self, features_shape):
        units = self.horizons * len(self.quantiles)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features_shape[-1], units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")

    def call(self, features):
        learned = ops.reshape(ops.matmul(features, self.kernel) + self.bias, (-1, self.horizons, len(self.quantiles)))
        prior = ops.reshape(ops.cast(self._prior, self.compute_dtype), (1, self.horizons, len(self.quantiles)))
        c = self.center
        # Only the learned part of the anchor is scaled, so the untrained head keeps its prior.
        anchor = learned[..., c : c + 1] * self.center_scale + prior[..., c : c + 1]
        raw = learned + prior
        parts = []
        if c > 0:
            below = ops.softplus(raw[..., :c]) + self.min_gap
            # Cumulative gaps counted outward from the anchor: flip, cumsum, flip back.
            parts.append(anchor - ops.flip(ops.cumsum(ops.flip(below, axis=-1), axis=-1), axis=-1))
        parts.append(anchor)
        if c < len(self.quantiles) - 1:
            above = ops.softplus(raw[..., c + 1 :]) + self.min_gap
            parts.append(anchor + ops.cumsum(above, axis=-1))
        return ops.concatenate(parts, axis=-1) if len(parts) > 1 else anchor

    def compute_output_shape(self, features_shape):
        return (features_shape[0], self.horizons, len(self.quantiles))

    def get_config(self) -> dict[str, Any]:
        return layer_config(self, super().get_config(), "horizons", "min_gap", "center_scale", "kernel_initializer",
                            "kernel_regularizer", quantiles=list(self.quantiles))
