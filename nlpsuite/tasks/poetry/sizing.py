"""Sizing the poetry architectures to the same parameter count, so they compare at equal size.

``units_for_parameters`` searches the width (``units``) that brings a configuration to a target
parameter count, every other option fixed; ``PoetryConfig.match_parameters`` uses it at training
time (``nlpsuite train poetry --set architecture=rwkv --set match_parameters=875523``).
Counts come from building the model itself, not from a formula, so they are exact for every
architecture, including the ones added later.
"""

from __future__ import annotations

from typing import Any

from nlpsuite.errors import NlpsuiteError

TOLERANCE = 0.10  # the comparison's rule: within ±10% of the target
MAX_UNITS = 4096


def parameter_count(vocab_size: int, config: Any, units: int | None = None) -> int:
    """Trainable + non-trainable weights of the poetry model ``config`` describes (``units``
    overridden when given).

    Example:

    >>> from nlpsuite.tasks.poetry.task import PoetryConfig
    >>> parameter_count(65, PoetryConfig(architecture="gru", units=32, num_layers=1, embedding_dim=16))
    11393
    """
    from nlpsuite.tasks.poetry.model import build_model

    model = build_model(
        vocab_size,
        embedding_dim=config.embedding_dim,
        units=units or config.units,
        num_layers=config.num_layers,
        cell=config.cell,
        dropout=0.0,  # no weights
        architecture=config.architecture,
        num_heads=config.num_heads,
    )
    return int(model.count_params())


def units_for_parameters(vocab_size: int, config: Any, target: int) -> tuple[int, int]:
    """``(units, parameters)``: the width whose model is closest to ``target`` parameters.

    ``units`` moves in steps of 8 (of ``num_heads`` when that is larger and the architecture is
    ``transformer``, since heads must divide the width). Raises ``NlpsuiteError`` when no width
    comes within ±10% of the target (e.g. a target smaller than the embedding and output layers
    alone).

    Example:

    >>> from nlpsuite.tasks.poetry.task import PoetryConfig
    >>> units, count = units_for_parameters(65, PoetryConfig(architecture="rwkv", num_layers=1), 100_000)
    >>> abs(count - 100_000) <= 10_000
    True
    """
    if target < 1:
        raise NlpsuiteError(f"match_parameters={target}: expected a positive parameter count")
    multiple = 8
    if config.architecture == "transformer":
        multiple = max(multiple, config.num_heads) // config.num_heads * config.num_heads
    low, high = 1, MAX_UNITS // multiple  # in multiples
    counts: dict[int, int] = {}

    def count(k: int) -> int:
        if k not in counts:
            counts[k] = parameter_count(vocab_size, config, k * multiple)
        return counts[k]

    # Parameters grow with units: bisect for the first width at or above the target.
    while low < high:
        middle = (low + high) // 2
        if count(middle) < target:
            low = middle + 1
        else:
            high = middle
    best = min({low, max(low - 1, 1)}, key=lambda k: abs(count(k) - target))
    units, parameters = best * multiple, count(best)
    if abs(parameters - target) > TOLERANCE * target:
        raise NlpsuiteError(
            f"match_parameters={target}: the nearest {config.architecture} size is units={units} with "
            f"{parameters:,} parameters (more than 10% off); change num_layers or embedding_dim, or the target"
        )
    return units, parameters
