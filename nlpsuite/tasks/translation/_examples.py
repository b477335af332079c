"""The tiny translation set-up the package's ``>>>`` examples share: a made-up language and an untrained
model over it, built in a moment (no training), so an example shows the call it documents.

``TranslationTask``'s own docstring shows a model trained on the same language.
"""

from __future__ import annotations

from pathlib import Path

from nlpsuite.data.text_pairs import read_pairs, split_pairs
from nlpsuite.tasks.translation.preprocess import SubwordTokenizer, learn_vocabulary
from nlpsuite.tasks.translation.task import (
    TranslationConfig,
    TranslationTask,
    _compiled_model,
    _split_hashes,
)

__all__ = ["toy_config", "toy_file", "toy_task"]

WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight"]


def toy_file(path: str = "toy.txt") -> Path:
    """Writes the made-up language ("toy" says two English words in the other order) as an Anki file
    (English<TAB>toy) and returns its path.

    Args:
        path: where to write it.

    Example:
    >>> toy_file().read_text().splitlines()[1]
    'one two.\\ttwo one.'
    """
    pairs = [f"{a} {b}.\t{b} {a}." for a in WORDS for b in WORDS]
    written = Path(path)
    written.write_text("\n".join(pairs) + "\n", encoding="utf-8")
    return written


def toy_config() -> TranslationConfig:
    """A ``TranslationConfig`` for the toy language, every width a few units.

    Example:
    >>> toy_config().direction, toy_config().units
    ('toy-en', 16)
    """
    return TranslationConfig(
        direction="toy-en", source_vocabulary_size=30, target_vocabulary_size=30, embedding_dim=8, units=16,
        attention_units=8, dropout=0.0, label_smoothing=0.0, dev_fraction=0.1, test_fraction=0.1, beam_size=2,
    )


def toy_task(path: str = "toy.txt") -> TranslationTask:
    """An untrained ``TranslationTask`` over ``toy_file(path)``, with the dev/test split training would make.

    Args:
        path: where the toy file is written.

    Example:
    >>> task = toy_task()
    >>> len(task.assets["split"]["dev"]) > 0, task.predict(["two one."])[0]["source"]
    (True, 'two one.')
    """
    config = toy_config()
    pairs = read_pairs(toy_file(path), config.direction)
    split = split_pairs(pairs, config.dev_fraction, config.test_fraction, config.seed)
    source, target = (
        SubwordTokenizer(learn_vocabulary([getattr(p, side) for p in split["train"]], 30))
        for side in ("source", "target")
    )
    model = _compiled_model(config, len(source), len(target), None)
    assets = {"source": source, "target": target, "split": _split_hashes(split, config)}
    return TranslationTask(config, model, assets)
