"""``Blended``: quantile averaging of forecasters, and ``choose_weights`` to pick the weights.

The final quantiles are ``(1 - w) * q_first + w * q_second`` for each of the 10/50/90% levels and
each horizon; ``blend`` nests ``Blended`` for more members (``(1 - sum w_i) * q_first + sum w_i *
q_i``: the stock task's network, GARCH(1,1)-t and HAR-X).

Averaging the quantiles of forecasters of comparable skill whose errors are not perfectly
correlated lowers the pinball loss below each (the loss is convex in the quantile, so the average is
never worse than the average of the losses, and usually clearly better): the stock model reads the
daily ranges, gaps and volume, GARCH(1,1)-t only the closes, through a different functional form,
HAR-X (``har``) the log range variance with the other tickers' ranges. The weights are fixed numbers,
chosen before the test period (``choose_weights`` on a validation period whose outcomes all precede
the test origins); they are never fitted on test data.

All members see rows ``<= T`` only, so the blend does too.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from nlpsuite.errors import OptionError

__all__ = ["Blended", "WEIGHT_GRID", "blend", "choose_weight", "choose_weights", "mean_pinball"]

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


def blend(first: Any, others: Sequence[tuple[Any, float]], name: str | None = None) -> Any:
    """``(1 - sum w_i) * first + sum w_i * other_i``, quantile by quantile, as nested ``Blended``.

    Members of weight 0 are left out (all 0: ``first`` itself). Where a member has no band at an
    origin (all quantiles 0) the blend of the members before it is used there, at their relative
    weights.

    Args:
        first: the base forecaster (its name is the blend's by default).
        others: ``(forecaster, weight)`` pairs; weights in ``[0, 1]`` summing to at most 1.
        name: the blend's name in backtest reports (default ``first``'s).

    Example:

    >>> from nlpsuite.tasks.stock._examples import random_walk_data
    >>> from nlpsuite.tasks.stock.backtest import EmpiricalQuantileForecaster as Empirical
    >>> data, at = random_walk_data(400), np.array([350, 399])
    >>> a, b, c = Empirical(50), Empirical(150), Empirical(300)
    >>> q = blend(a, [(b, 0.3), (c, 0.2)]).forecast(data, at, 2)
    >>> by_hand = 0.5 * a.forecast(data, at, 2) + 0.3 * b.forecast(data, at, 2) + 0.2 * c.forecast(data, at, 2)
    >>> bool(np.allclose(q, by_hand)), blend(a, [(b, 0.0)]) is a
    (True, True)
    """
    weights = [float(w) for _, w in others]
    if any(not 0.0 <= w <= 1.0 for w in weights) or sum(weights) > 1.0 + 1e-9:
        raise OptionError("weights", weights, "must each be in [0, 1] and sum to at most 1 (the rest is the model's)")
    # Blend k of the nested chain holds the members up to k at their share of the weight so far:
    # (1 - S) + w_1 + .. + w_k, so that the last one is the full blend.
    so_far, result = 1.0 - sum(weights), first
    for forecaster, weight in zip((f for f, _ in others), weights, strict=True):
        if weight == 0.0:
            continue
        so_far += weight
        result = Blended(result, forecaster, min(1.0, weight / so_far), name=name or first.name)
    return result


def mean_pinball(y: np.ndarray, q: np.ndarray) -> float:
    """The mean pinball loss of 10/50/90% quantiles ``q [..., 3]`` for outcomes ``y [...]``.

    Example:

    >>> mean_pinball(np.array([1.0]), np.array([[0.0, 0.0, 0.0]]))  # (0.1 + 0.5 + 0.9) / 3
    0.5
    """
    error = y[..., None] - q
    taus = np.asarray(QUANTILES)
    return float(np.mean(np.maximum(taus * error, (taus - 1.0) * error)))


def choose_weights(
    y: np.ndarray,
    first: np.ndarray,
    others: Sequence[np.ndarray],
    grids: Sequence[Sequence[float]],
) -> tuple[tuple[float, ...], dict[tuple[float, ...], float]]:
    """The weights of ``others`` with the lowest mean pinball loss of ``blend``'s formula on
    validation outcomes, over every combination of ``grids`` that sums to at most 1 (the simplex).

    Ties go to the smaller total weight of the others (then the smaller weights in order), so a
    member earns weight only by lowering the loss.

    Args:
        y: ``[n]`` validation outcomes.
        first: ``[n, 3]`` the base forecaster's 10/50/90% quantiles at the same origins.
        others: ``[n, 3]`` quantiles of each other member.
        grids: candidate weights of each other member (one value = that weight is fixed).

    Returns:
        ``(best weights, {weights: mean pinball})``.

    Example:

    >>> y = np.array([-1.0, 0.0, 1.0, 2.0, -2.0])
    >>> narrow, mid, wide = (np.tile([-s, 0.0, s], (5, 1)) for s in (0.1, 1.0, 3.0))
    >>> best, losses = choose_weights(y, narrow, [mid, wide], [(0.0, 0.5, 1.0)] * 2)
    >>> best, len(losses)  # 3 of the 9 pairs sum above 1; no weight left on the narrow one
    ((0.5, 0.5), 6)
    """
    losses = {}
    for weights in itertools.product(*grids):
        weights = tuple(round(float(w), 6) for w in weights)
        if sum(weights) > 1.0 + 1e-9:
            continue
        q = (1.0 - sum(weights)) * first + sum(w * other for w, other in zip(weights, others, strict=True))
        losses[weights] = mean_pinball(y, q)
    if not losses:
        raise OptionError("weights", [list(g) for g in grids], "no candidate sums to at most 1")
    best = min(losses, key=lambda w: (losses[w], sum(w), w))
    return best, losses


def choose_weight(
    y: np.ndarray, first: np.ndarray, second: np.ndarray, grid: tuple[float, ...] = WEIGHT_GRID
) -> tuple[float, dict[float, float]]:
    """The weight of ``second`` on ``grid`` with the lowest mean pinball loss on validation outcomes
    (``choose_weights`` with one other member).

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
    (best,), losses = choose_weights(y, first, [second], [grid])
    return best, {w: loss for (w,), loss in losses.items()}
