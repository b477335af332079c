"""Choosing the beam size and length penalty on dev BLEU: the grid, the tie rule, the table, the saved choice.

``TranslationTask.choose_decoding`` scores the grid; ``save_decoding_choice`` writes the winner into a saved
model's ``config.json`` (``nlpsuite tune-decoding`` runs both), so ``evaluate`` and ``predict`` use it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks.base import CONFIG_FILE, atomic_write_text, read_json

__all__ = [
    "NOTE_PREFIX",
    "decoding_grid",
    "grid_table",
    "pick_decoding",
    "read_translation_config",
    "save_decoding_choice",
]

# The allowed ranges, shared with ``TranslationTask.predict``'s options.
BEAM_SIZE_RANGE = (1, 64)
LENGTH_PENALTY_RANGE = (0.0, 5.0)
# The grid tried unless told otherwise: beam 4, the beam size the project's BLEU targets are stated at.
DEFAULT_BEAM_SIZES = (4,)
DEFAULT_LENGTH_PENALTIES = (0.6, 0.8, 1.0, 1.2)
# The model card note that reports the choice starts with this (a new choice replaces it).
NOTE_PREFIX = "decoding chosen on dev BLEU"


def decoding_grid(beam_sizes: Iterable[Any], length_penalties: Iterable[Any]) -> list[tuple[int, float]]:
    """Every (beam size, length penalty) pair to score, each value once, in ascending order.

    Args:
        beam_sizes: beams per sentence (1 = greedy), each a whole number from 1 to 64.
        length_penalties: GNMT alphas, each a number from 0 to 5.

    Returns:
        The pairs, beam size major.

    Raises:
        OptionError: an empty list or a value out of range.

    Example:
    >>> decoding_grid([8, 4, 4], [1.0, 0.6])
    [(4, 0.6), (4, 1.0), (8, 0.6), (8, 1.0)]
    >>> decoding_grid([0], [0.6])
    Traceback (most recent call last):
    ...
    nlpsuite.errors.OptionError: beam_sizes must be whole numbers from 1 to 64 (got [0])
    """
    beams, alphas = list(beam_sizes), list(length_penalties)
    low, high = BEAM_SIZE_RANGE
    if not beams or not all(_whole(b) and low <= b <= high for b in beams):
        raise OptionError("beam_sizes", beams, f"must be whole numbers from {low} to {high}")
    low, high = LENGTH_PENALTY_RANGE
    if not alphas or not all(_number(a) and low <= a <= high for a in alphas):
        raise OptionError("length_penalties", alphas, f"must be numbers from {low:g} to {high:g}")
    return [(int(b), float(a)) for b in sorted(set(beams)) for a in sorted(set(alphas))]


def pick_decoding(rows: Sequence[Mapping[str, Any]], current_length_penalty: float) -> dict[str, Any]:
    """The row with the highest ``bleu``; ties go to the smaller beam (faster), then to the length penalty
    closest to ``current_length_penalty`` (no change without a gain).

    Args:
        rows: dicts with ``beam_size``, ``length_penalty`` and ``bleu``.
        current_length_penalty: the model's length penalty before the choice.

    Example:
    >>> rows = [{"beam_size": 8, "length_penalty": 0.6, "bleu": 38.1},
    ...         {"beam_size": 4, "length_penalty": 1.4, "bleu": 38.1},
    ...         {"beam_size": 4, "length_penalty": 0.2, "bleu": 38.1}]
    >>> pick_decoding(rows, current_length_penalty=0.6)
    {'beam_size': 4, 'length_penalty': 0.2, 'bleu': 38.1}
    """
    if not rows:
        raise NlpsuiteError("no decoding settings were scored")
    return dict(min(rows, key=lambda r: (-r["bleu"], r["beam_size"],
                                         abs(r["length_penalty"] - current_length_penalty))))


def grid_table(choice: Mapping[str, Any]) -> str:
    """``choose_decoding``'s grid as a text table: one row per beam size, one column per length penalty,
    the chosen cell starred.

    Args:
        choice: the dict ``TranslationTask.choose_decoding`` returns.

    Example:
    >>> choice = {"grid": [{"beam_size": 4, "length_penalty": 0.6, "bleu": 37.5},
    ...                    {"beam_size": 4, "length_penalty": 1.0, "bleu": 37.9}],
    ...           "beam_size": 4, "length_penalty": 1.0}
    >>> print(grid_table(choice))
    beam \\ alpha    0.60    1.00
    4              37.50   37.90*
    """
    alphas = sorted({r["length_penalty"] for r in choice["grid"]})
    bleu = {(r["beam_size"], r["length_penalty"]): r["bleu"] for r in choice["grid"]}
    lines = ["beam \\ alpha " + "".join(f"{a:>7.2f} " for a in alphas).rstrip()]
    for beam in sorted({r["beam_size"] for r in choice["grid"]}):
        cells = "".join(
            f"{bleu[beam, a]:>7.2f}" + ("*" if (beam, a) == (choice["beam_size"], choice["length_penalty"]) else " ")
            for a in alphas
        )
        lines.append(f"{beam:<13}{cells}".rstrip())
    return "\n".join(lines)


def save_decoding_choice(directory: str | os.PathLike, choice: Mapping[str, Any]) -> None:
    """Writes the chosen ``beam_size`` and ``length_penalty`` into a saved model's ``config.json``, with the
    grid in ``info["decoding_choice"]`` and a one-line model card note; every other field is kept. The file
    is replaced atomically, so an interrupted write leaves the old one.

    ``metrics.json`` and the card's evaluation still describe the old settings until
    ``nlpsuite evaluate --save`` runs again.

    Args:
        directory: the model folder.
        choice: the dict ``TranslationTask.choose_decoding`` returns.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("config.json").write_text('{"task": "translation", "config": {"beam_size": 4, "units": 8}}')
    >>> save_decoding_choice(".", {"beam_size": 8, "length_penalty": 1.0, "bleu": 38.2, "sentences": 1000,
    ...                            "split": "dev", "grid": []})
    >>> saved = json.loads(Path("config.json").read_text())
    >>> saved["config"]
    {'beam_size': 8, 'units': 8, 'length_penalty': 1.0}
    >>> saved["info"]["notes"]
    ['decoding chosen on dev BLEU (1000 dev sentences): beam 8, length penalty 1 (38.20)']
    """
    payload = read_translation_config(directory)
    payload.setdefault("config", {}).update(beam_size=choice["beam_size"], length_penalty=choice["length_penalty"])
    info = payload.setdefault("info", {})
    info["decoding_choice"] = dict(choice)
    note = (f"{NOTE_PREFIX} ({choice['sentences']} {choice['split']} sentences): beam {choice['beam_size']}, "
            f"length penalty {choice['length_penalty']:g} ({choice['bleu']:.2f})")
    info["notes"] = [n for n in info.get("notes", []) if not n.startswith(NOTE_PREFIX)] + [note]
    atomic_write_text(Path(directory) / CONFIG_FILE, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def read_translation_config(directory: str | os.PathLike) -> dict[str, Any]:
    """A saved model's ``config.json`` object, refusing a folder that holds another task's model.

    Read before the model is loaded, so a wrong folder fails at once.

    Args:
        directory: the model folder.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("config.json").write_text('{"task": "sentiment", "config": {}}')
    >>> read_translation_config(".")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: . holds a sentiment model, not a translation model; only translation ...
    """
    path = Path(directory) / CONFIG_FILE
    if not path.exists():
        raise NlpsuiteError(f"no model in {directory} (config.json missing); give a saved translation model folder")
    payload = read_json(path)
    if payload.get("task") != "translation":
        raise NlpsuiteError(
            f"{directory} holds a {payload.get('task')} model, not a translation model; only translation models "
            "have a beam size and length penalty to choose"
        )
    return payload


def _whole(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and int(value) == value


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))
