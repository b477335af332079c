"""``Blended``: quantile averaging of two forecasters, and ``choose_weight`` to pick its weight.

The final quantiles are ``(1 - w) * q_first + w * q_second`` for each of the 10/50/90% levels and
each horizon. Averaging the quantiles of two forecasters of comparable skill whose errors are not
perfectly correlated lowers the pinball loss below both (the loss is convex in the quantile, so the
average is never worse than the average of the two losses, and usually clearly better): the stock
model reads the daily ranges, gaps and volume, GARCH(1,1)-t only the closes, through a different
functional form. ``w`` is a fixed number, chosen before the test period (``choose_weight`` on a
validation period whose outcomes all precede the test origins); it is never fitted on test data.

Both members see rows ``<= T`` only, so the blend does too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nlpsuite.errors import OptionError

__all__ = ["Blended", "choose_weight", "WEIGHT_GRID"]

# Candidate weights for ``choose_weight``: coarse enough that a year of validation origins can tell
# them apart at all.
WEIGHT_GRID = tuple(np.round(np.arange(0.0, 1.0001, 0.05), 2))
QUANTILES = (0.1, 0.5, 0.9)


class Blended:
    """``(1 - weight) * first + weight * second``, quantile by quantile (see the module).

    Args:
        first: a forecaster (``forecast(data, origins, horizon) -> [n, horizon, 3]``).
        second: another one.
        weight: the weight of ``second``, in ``[0, 1]``.
        name: the blend's name in backtest reports (default ``first``'s).

    Where ``second`` has no band at an origin (every quantile 0, as GARCH early in a series before
    it has enough returns to fit), ``first`` alone is used there.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.tasks.stock._examples import random_walk_data
    >>> from nlpsuite.tasks.stock.backtest import EmpiricalQuantileForecaster
    >>> data = random_walk_data(400)
    >>> short, long = EmpiricalQuantileForecaster(50), EmpiricalQuantileForecaster(300)
    >>> blend = Blended(short, long, weight=0.25, name="model")
    >>> at = np.array([350, 399])
    >>> q = blend.forecast(data, at, 3)
    >>> by_hand = 0.75 * short.forecast(data, at, 3) + 0.25 * long.forecast(data, at, 3)
    >>> blend.name, q.shape, bool(np.allclose(q, by_hand))
    ('model', (2, 3, 3), True)
    """

    point = False

    def __init__(self, first: Any, second: Any, weight: float, name: str | None = None) -> None:
        if not 0.0 <= float(weight) <= 1.0:
            raise OptionError("garch_weight", weight, "must be in [0, 1] (0 = the model alone)")
        self.first = first
        self.second = second
        self.weight = float(weight)
        self.name = name or first.name

    def forecast(self, data: Any, origins: np.ndarray, horizon: int) -> np.ndarray:
        first = self.first.forecast(data, origins, horizon)
        if self.weight == 0.0 or len(first) == 0:
            return first
        second = self.second.forecast(data, origins, horizon)
        missing = np.all(second == 0.0, axis=-1, keepdims=True)
        blended = (1.0 - self.weight) * first + self.weight * second
        return np.where(missing, first, blended)


def choose_weight(
    y: np.ndarray, first: np.ndarray, second: np.ndarray, grid: tuple[float, ...] = WEIGHT_GRID
) -> tuple[float, dict[float, float]]:
    """The weight of ``second`` on ``grid`` with the lowest mean pinball loss on validation outcomes.

    Args:
        y: ``[n]`` validation outcomes (one horizon, or several flattened alike with the quantiles).
        first: ``[n, 3]`` the first forecaster's 10/50/90% quantiles at the same origins.
        second: ``[n, 3]`` the second's.
        grid: candidate weights.

    Returns:
        ``(best weight, {weight: mean pinball})``.

    Example:

    >>> y = np.array([-1.0, 0.0, 1.0, 2.0, -2.0])
    >>> narrow, wide = np.tile([-0.1, 0.0, 0.1], (5, 1)), np.tile([-3.0, 0.0, 3.0], (5, 1))
    >>> best, losses = choose_weight(y, narrow, wide, grid=(0.0, 0.5, 1.0))
    >>> best, losses[0.5] < min(losses[0.0], losses[1.0])  # halfway beats both here
    (0.5, True)
    """
    taus = np.asarray(QUANTILES)
    losses = {}
    for w in grid:
        error = y[..., None] - ((1.0 - w) * first + w * second)
        losses[float(w)] = float(np.mean(np.maximum(taus * error, (taus - 1.0) * error)))
    best = min(losses, key=lambda w: (losses[w], w))
    return best, losses
