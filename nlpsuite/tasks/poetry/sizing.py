"""Sizing the poetry architectures to the same parameter count, so they compare at equal size.

``units_for_parameters`` searches the width (``units``) that brings a configuration to a target
parameter count, every other option fixed; ``PoetryConfig.match_parameters`` uses it at training
time (``nlpsuite train poetry --set architecture=rwkv --set match_parameters=875523``).
The search estimates counts by formula (instant for every width), then builds the chosen model and
reports its exact count, so a formula that drifts from the layers makes an error, not a wrong size.
"""

from __future__ import annotations

from typing import Any

from nlpsuite.errors import NlpsuiteError

__all__ = ["estimate_parameters", "parameter_count", "units_for_parameters"]

TOLERANCE = 0.10  # the comparison's rule: within ±10% of the target
MAX_UNITS = 4096


def parameter_count(vocab_size: int, config: Any, units: int | None = None) -> int:
    """Trainable + non-trainable weights of the poetry model ``config`` describes (``units``
    overridden when given).

    Example:

    >>> from nlpsuite.tasks.poetry.task import PoetryConfig
    >>> config = PoetryConfig(architecture="gru", units=32, num_layers=1, embedding_dim=16)
    >>> parameter_count(65, config)  # embedding 65*16 + GRU 3*(16*32 + 32*32) + 2*3*32 + Dense 32*65 + 65
    7985
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


def estimate_parameters(vocab_size: int, config: Any, units: int) -> int:
    """The parameter count of ``config`` at width ``units``, by formula (no model built).

    Matches ``parameter_count`` for the four architectures (the tests check it); the search below
    uses it to try hundreds of widths instantly, then builds the chosen one to report the exact count.

    Example:
    >>> from nlpsuite.tasks.poetry.task import PoetryConfig
    >>> config = PoetryConfig(architecture="gru", units=32, num_layers=1, embedding_dim=16)
    >>> estimate_parameters(65, config, 32) == parameter_count(65, config)
    True
    """
    v, u, layers, e = vocab_size, units, config.num_layers, config.embedding_dim
    head = u * v + v  # output Dense
    if config.architecture in ("lstm", "gru"):
        gates = 4 if config.architecture == "lstm" else 3
        bias = gates * u * (1 if config.architecture == "lstm" else 2)  # GRU reset_after: two biases
        inputs = [e] + [u] * (layers - 1)
        return v * e + sum(gates * (i * u + u * u) + bias for i in inputs) + head
    if config.architecture == "rwkv":
        # per block: r, k, v, output (4u^2), channel mix u->4u->u plus receptance (9u^2), two norms and
        # seven mixing/decay vectors (11u); input and output norms (4u)
        return v * u + layers * (13 * u * u + 11 * u) + 4 * u + head
    # transformer, per layer: q, k, v, output with biases (4u^2 + 4u), feed-forward u->4u->u
    # (8u^2 + 5u), two norms (4u); final norm (2u)
    return v * u + layers * (12 * u * u + 13 * u) + 2 * u + head


def units_for_parameters(vocab_size: int, config: Any, target: int) -> tuple[int, int]:
    """``(units, parameters)``: the width whose model is closest to ``target`` parameters.

    ``units`` moves in steps of 8 where that comes within ±10%, else in steps of 1 (of ``num_heads``
    for the Transformer, whose heads must divide the width). Raises ``NlpsuiteError`` when no width
    comes within ±10% of the target (e.g. a target smaller than the embedding and output layers alone).

    Example:

    >>> from nlpsuite.tasks.poetry.task import PoetryConfig
    >>> units, count = units_for_parameters(65, PoetryConfig(architecture="rwkv", num_layers=1), 100_000)
    >>> abs(count - 100_000) <= 10_000
    True
    """
    if target < 1:
        raise NlpsuiteError(f"match_parameters={target}: expected a positive parameter count")
    fine = config.num_heads if config.architecture == "transformer" else 1
    for step in dict.fromkeys((max(8 // fine, 1) * fine, fine)):
        widths = range(step, MAX_UNITS + 1, step)
        units = min(widths, key=lambda w: abs(estimate_parameters(vocab_size, config, w) - target))
        if abs(estimate_parameters(vocab_size, config, units) - target) <= TOLERANCE * target:
            break
    parameters = parameter_count(vocab_size, config, units)
    if abs(parameters - target) > TOLERANCE * target:
        raise NlpsuiteError(
            f"match_parameters={target}: the nearest {config.architecture} size is units={units} with "
            f"{parameters:,} parameters (more than 10% off); change num_layers or embedding_dim, or the target"
        )
    return units, parameters
