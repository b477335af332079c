"""``Blended``: quantile averaging of forecasters, and ``choose_weights`` to pick the weights.

The final quantiles are ``(1 - w) * q_first + w * q_second`` for each of the 10/50/90% levels and
each horizon; ``blend`` nests ``Blended`` for more members (``(1 - sum w_i) * q_first + sum w_i *
q_i``: the stock task's network, GARCH(1,1)-t and HAR-X). A weight is one number for every horizon,
or one per horizon (``[horizons]``, broadcast over the ``[origins, horizon, 3]`` bands), so a member
that is good only a few days ahead can carry weight only there.

Averaging the quantiles of forecasters of comparable skill whose errors are not perfectly
correlated lowers the pinball loss below each (the loss is convex in the quantile, so the average is
never worse than the average of the losses, and usually clearly better): the stock model reads the
daily ranges, gaps and volume, GARCH(1,1)-t only the closes, through a different functional form,
HAR-X (``har``) the log range variance with the other tickers' ranges. The weights are fixed numbers,
chosen before the test period (``choose_weights`` on a validation period whose outcomes all precede
the test origins, ``choose_weights_by_horizon`` for one choice per group of horizons); they are never
fitted on test data.

All members see rows ``<= T`` only, so the blend does too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nlpsuite.errors import OptionError

__all__ = [
    "Blended",
    "WEIGHT_GRID",
    "blend",
    "choose_weight",
    "choose_weights",
    "choose_weights_by_horizon",
    "describe_weights",
    "horizon_groups",
    "mean_pinball",
]

# Candidate weights for ``choose_weight``: coarse enough that a year of validation origins can tell
# them apart at all.
WEIGHT_GRID = tuple(np.round(np.arange(0.0, 1.0001, 0.05), 2))
QUANTILES = (0.1, 0.5, 0.9)

Weight = float | Sequence[float] | np.ndarray  # one number for every horizon, or one per horizon


def _weight(weight: Weight, option: str, problem: str) -> float | np.ndarray:
    """``weight`` as a float, or a float array ``[horizons]``; ``OptionError`` (named ``option``) for
    another shape or a value outside ``[0, 1]``."""
    array = np.asarray(weight, dtype=np.float64)
    shown = array.tolist() if array.ndim else weight
    if array.ndim > 1 or (array.ndim == 1 and not len(array)):
        raise OptionError(option, shown, "must be one number or one per horizon (a list of numbers)")
    if not np.all((array >= 0.0) & (array <= 1.0)):
        raise OptionError(option, shown, problem)
    # One value repeated over the horizons is that value: the same blend at every horizon, computed
    # exactly as a single weight (a model saved with one pair forecasts as it did).
    return float(array.flat[0]) if array.ndim == 0 or np.all(array == array[0]) else array


class Blended:
    """``(1 - weight) * first + weight * second``, quantile by quantile (see the module).

    Args:
        first: a forecaster (``forecast(data, origins, horizon) -> [n, horizon, 3]``).
        second: another one.
        weight: the weight of ``second``, in ``[0, 1]``: one number, or one per horizon (``[horizons]``;
            a forecast of ``horizon`` days uses the first ``horizon`` of them; a list of one repeated
            value is that number).
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
    >>> per_day = Blended(short, long, weight=[0.0, 0.5, 1.0]).forecast(data, at, 3)  # one weight per horizon
    >>> bool(np.allclose(per_day[:, 2], long.forecast(data, at, 3)[:, 2]))
    True
    """

    point = False

    def __init__(self, first: Any, second: Any, weight: Weight, name: str | None = None) -> None:
        self.weight = _weight(weight, "garch_weight", "must be in [0, 1] (0 = the model alone)")
        self.first = first
        self.second = second
        self.name = name or first.name

    def forecast(self, data: Any, origins: np.ndarray, horizon: int) -> np.ndarray:
        first = self.first.forecast(data, origins, horizon)
        if not np.any(self.weight) or len(first) == 0:
            return first
        weight = self.weight
        if isinstance(weight, np.ndarray):
            if len(weight) < horizon:
                raise OptionError(
                    "horizon", horizon, f"is beyond the {len(weight)} horizons the blend weights cover"
                )
            weight = weight[None, :horizon, None]  # bands are [origins, horizon, 3]
        second = self.second.forecast(data, origins, horizon)
        missing = np.all(second == 0.0, axis=-1, keepdims=True)
        blended = (1.0 - weight) * first + weight * second
        return np.where(missing, first, blended)


def blend(first: Any, others: Sequence[tuple[Any, Weight]], name: str | None = None) -> Any:
    """``(1 - sum w_i) * first + sum w_i * other_i``, quantile by quantile, as nested ``Blended``.

    Members of weight 0 (at every horizon) are left out (all 0: ``first`` itself). Where a member has
    no band at an origin (all quantiles 0) the blend of the members before it is used there, at their
    relative weights.

    Args:
        first: the base forecaster (its name is the blend's by default).
        others: ``(forecaster, weight)`` pairs; a weight is one number or one per horizon
            (``[horizons]``, the same length for every member that has a list); weights in ``[0, 1]``
            summing to at most 1 at every horizon.
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
    >>> q = blend(a, [(b, [0.3, 0.0]), (c, 0.2)]).forecast(data, at, 2)  # b at horizon 1 only
    >>> bool(np.allclose(q[:, 1], 0.8 * a.forecast(data, at, 2)[:, 1] + 0.2 * c.forecast(data, at, 2)[:, 1]))
    True
    """
    problem = "must each be in [0, 1] and sum to at most 1 (the rest is the model's)"
    weights = [_weight(w, "weights", problem) for _, w in others]
    lengths = {len(w) for w in weights if isinstance(w, np.ndarray)}
    if len(lengths) > 1:
        raise OptionError("weights", [np.asarray(w).tolist() for w in weights],
                          "must have one length when given per horizon (one weight per horizon)")
    if np.any(sum(weights) > 1.0 + 1e-9):
        raise OptionError("weights", [np.asarray(w).tolist() for w in weights], problem)
    # Blend k of the nested chain holds the members up to k at their share of the weight so far:
    # (1 - S) + w_1 + .. + w_k, so that the last one is the full blend.
    so_far, result = 1.0 - sum(weights), first
    for forecaster, weight in zip((f for f, _ in others), weights, strict=True):
        if not np.any(weight):
            continue
        so_far = so_far + weight
        result = Blended(result, forecaster, _share(weight, so_far), name=name or first.name)
    return result


def _share(weight: float | np.ndarray, so_far: float | np.ndarray) -> float | np.ndarray:
    """``min(1, weight / so_far)``; 0 where both are 0 (a horizon where neither this member nor those
    before it have weight: a later member's share is then 1 there)."""
    if np.ndim(weight) == 0 and np.ndim(so_far) == 0:
        return min(1.0, weight / so_far)  # so_far >= weight > 0 here
    so_far = np.broadcast_to(np.asarray(so_far, dtype=np.float64), np.shape(so_far) or np.shape(weight))
    share = np.divide(weight, so_far, out=np.zeros(so_far.shape), where=so_far > 0)
    return np.minimum(1.0, share)


def mean_pinball(y: np.ndarray, q: np.ndarray) -> float:
    """The mean pinball loss of 10/50/90% quantiles ``q [..., 3]`` for outcomes ``y [...]``.

    Example:

    >>> mean_pinball(np.array([1.0]), np.array([[0.0, 0.0, 0.0]]))  # (0.1 + 0.5 + 0.9) / 3
    0.5
    """
    error = y[..., None] - q
    taus = np.asarray(QUANTILES)
    return float(np.mean(np.maximum(taus * error, (taus - 1.0) * error)))


def _mix(first: np.ndarray, others: Sequence[np.ndarray], weights: tuple[float, ...]) -> np.ndarray:
    return (1.0 - sum(weights)) * first + sum(w * other for w, other in zip(weights, others, strict=True))


def _lowest(
    grids: Sequence[Sequence[float]], loss: Callable[[tuple[float, ...]], float]
) -> tuple[tuple[float, ...], dict[tuple[float, ...], float]]:
    """The weights of ``grids``' simplex (every combination summing to at most 1) with the lowest
    ``loss``; ties go to the smaller total weight of the others, then the smaller weights in order."""
    losses = {}
    for weights in itertools.product(*grids):
        weights = tuple(round(float(w), 6) for w in weights)
        if sum(weights) <= 1.0 + 1e-9:
            losses[weights] = loss(weights)
    if not losses:
        raise OptionError("weights", [list(g) for g in grids], "no candidate sums to at most 1")
    return min(losses, key=lambda w: (losses[w], sum(w), w)), losses


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
    return _lowest(grids, lambda weights: mean_pinball(y, _mix(first, others, weights)))


def horizon_groups(horizon: int) -> list[tuple[int, ...]]:
    """The groups of horizons that ``choose_weights_by_horizon`` gives one choice each: 1 | 2-5 | 6-10
    | 11-20, then doubling (21-40, ..), cut at ``horizon``.

    Why groups rather than single horizons: the dev period the stock task chooses on is one year
    (~250 origins per ticker, four tickers). An ``h``-day outcome overlaps those of the next ``h - 1``
    origins, so the year holds only ~250 / h independent ``h``-day outcomes per ticker (~12 at h = 20,
    ~50 over four tickers that largely move together), while neighbouring candidate weights differ in
    loss by tenths of a percent (the three members alone differ by 0.4% at h = 1 on 1,008 outcomes). One
    choice per long horizon would follow the noise of a dozen months. The groups keep h = 1 alone,
    where the dev period holds the most outcomes and HAR-X is strongest, and pool neighbouring
    horizons, whose best weights differ little, further out, in roughly log-spaced steps as the
    information per horizon falls.

    Args:
        horizon: the longest horizon.

    Example:

    >>> horizon_groups(20)
    [(1,), (2, 3, 4, 5), (6, 7, 8, 9, 10), (11, 12, 13, 14, 15, 16, 17, 18, 19, 20)]
    >>> horizon_groups(3), len(horizon_groups(60))
    ([(1,), (2, 3)], 6)
    """
    bounds = [1, 5, 10, 20]
    while bounds[-1] < horizon:
        bounds.append(2 * bounds[-1])
    groups, low = [], 1
    for high in bounds:
        if low > horizon:
            break
        groups.append(tuple(range(low, min(high, horizon) + 1)))
        low = high + 1
    return groups


def choose_weights_by_horizon(
    y: np.ndarray,
    valid: np.ndarray,
    first: np.ndarray,
    others: Sequence[np.ndarray],
    grids: Sequence[Sequence[float]],
    groups: Sequence[Sequence[int]],
) -> tuple[list[tuple[float, ...]], list[dict[str, Any]]]:
    """``choose_weights`` once per group of horizons (``horizon_groups``): the weights of ``others``
    with the lowest loss on the group's validation outcomes, applied to each of its horizons.

    A group's loss is the mean over its horizons of the blend's mean pinball loss relative to
    ``first``'s alone at that horizon: the loss grows about like the square root of the horizon, so a
    plain mean would let a group's longest horizon decide alone. Ties go to the smaller total weight
    of the others, as in ``choose_weights``. A group without validation outcomes (a dev period shorter
    than its horizons) takes the weights of the group before it (the first group: none, the model alone).

    Args:
        y: ``[n, horizon]`` validation outcomes; ``valid`` ``[n, horizon]`` marks those known.
        valid: ``[n, horizon]``.
        first: ``[n, horizon, 3]`` the base forecaster's 10/50/90% quantiles at the same origins.
        others: ``[n, horizon, 3]`` quantiles of each other member.
        grids: candidate weights of each other member (one value = that weight is fixed).
        groups: horizons (1-based) chosen together; every horizon in exactly one group.

    Returns:
        ``(weights of each horizon 1..horizon, one dict per group)``; a group's dict holds its
        ``horizons`` (``"2-5"``), ``weights``, ``outcomes`` (validation outcomes over its horizons),
        ``ratio`` (the chosen blend's loss relative to ``first``'s, as above) and ``ratio_alone`` (each
        other member's alone, in order).

    Example:

    A member exact one day ahead and far too narrow after it earns weight at h = 1 only:

    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal((400, 3)) * np.sqrt([1.0, 2.0, 3.0])  # h-day outcomes, sd sqrt(h)
    >>> z = np.array([-1.2816, 0.0, 1.2816])  # standard normal 10/50/90% quantiles
    >>> model = np.broadcast_to(z * np.array([[2.0], [1.41], [1.73]]), (400, 3, 3))  # too wide at h = 1
    >>> short = np.broadcast_to(z * np.array([[1.0], [0.1], [0.1]]), (400, 3, 3))
    >>> weights, groups = choose_weights_by_horizon(y, np.ones((400, 3), bool), model, [short], [WEIGHT_GRID],
    ...                                             horizon_groups(3))
    >>> [w for (w,) in weights], [g["horizons"] for g in groups]
    ([1.0, 0.0, 0.0], ['1', '2-3'])
    """
    by_horizon: list[tuple[float, ...]] = [()] * y.shape[1]
    chosen, report = tuple(0.0 for _ in others), []
    for group in groups:
        known = [(h - 1, valid[:, h - 1]) for h in group if valid[:, h - 1].any()]
        if known:
            parts = [(y[m, h], first[m, h], [o[m, h] for o in others]) for h, m in known]
            base = [max(mean_pinball(y_h, first_h), 1e-300) for y_h, first_h, _ in parts]

            def loss(weights: tuple[float, ...], parts: list = parts, base: list = base) -> float:
                return float(np.mean([mean_pinball(y_h, _mix(first_h, others_h, weights)) / b
                                      for (y_h, first_h, others_h), b in zip(parts, base, strict=True)]))

            chosen, losses = _lowest(grids, loss)
            alone = [loss(tuple(float(i == k) for i in range(len(others)))) for k in range(len(others))]
        else:
            losses, alone = {chosen: float("nan")}, [float("nan")] * len(others)
        for h in group:
            by_horizon[h - 1] = chosen
        report.append({
            "horizons": f"{group[0]}-{group[-1]}" if len(group) > 1 else str(group[0]),
            "weights": chosen,
            "outcomes": int(sum(m.sum() for _, m in known)),
            "ratio": losses[chosen],
            "ratio_alone": alone,
        })
    return by_horizon, report


def describe_weights(names: Sequence[str], weights: Sequence[Sequence[float]]) -> str:
    """Blend weights per horizon in a few words: ``first/other_1/..`` shares, one entry per run of
    horizons with the same weights.

    Args:
        names: the members' names, the base forecaster's first (``("model", "GARCH", "HAR-X")``).
        weights: ``[horizon]`` weights of each other member, in ``names[1:]``'s order.

    Example:

    >>> describe_weights(("model", "GARCH", "HAR-X"), [[0.1, 0.2, 0.2], [0.35, 0.1, 0.1]])
    'model/GARCH/HAR-X h1 0.55/0.10/0.35, h2-3 0.70/0.20/0.10'
    >>> describe_weights(("model", "GARCH"), [[0.35, 0.35]])
    'model/GARCH 0.65/0.35 at every horizon'
    """
    rows = np.asarray(weights, dtype=np.float64).T  # [horizon, others]
    shares = [tuple(round(v, 6) for v in (1.0 - row.sum(), *row)) for row in rows]
    text = "/".join(names)

    def shown(share: tuple[float, ...]) -> str:
        return "/".join(f"{v:.2f}" for v in share)

    if len(set(shares)) == 1:
        return f"{text} {shown(shares[0])} at every horizon"
    runs, start = [], 0
    for h in range(1, len(shares) + 1):
        if h == len(shares) or shares[h] != shares[start]:
            span = f"h{start + 1}" if h - start == 1 else f"h{start + 1}-{h}"
            runs.append(f"{span} {shown(shares[start])}")
            start = h
    return f"{text} {', '.join(runs)}"


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
