"""Labelled text files: TSV/CSV with a text column and a label column, any number of classes.

Column names are configurable; when they are not given, the header's
``sentence``/``text``/``review``/``content``/``text_a`` column is the text and its
``label``/``sentiment``/``polarity`` column the label. A file without a header (such as
ChnSentiCorp's ``text<TAB>label``) is read as two columns, the label column being the one whose
values are a small set of short strings. Errors name the file, line and field.

Example:

>>> from nlpsuite.data import labeled_text
>>> content = "label\\tsentence\\n1\\tgood film\\n0\\tdull\\n"
>>> examples = labeled_text.parse_table(content, source="demo.tsv")
>>> [(e.text, e.label) for e in examples]
[('good film', '1'), ('dull', '0')]
"""

from __future__ import annotations

import csv
import io
import os
import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlpsuite.errors import NlpsuiteError

__all__ = [
    "DedupReport",
    "Example",
    "check_labels",
    "deduplicate",
    "find_split",
    "label_counts",
    "normalize_key",
    "parse_table",
    "read_file",
    "split_dev",
    "split_dev_whole_texts",
]

TEXT_COLUMNS = ("sentence", "text", "review", "content", "text_a")
LABEL_COLUMNS = ("label", "sentiment", "polarity")
EXTENSIONS = (".tsv", ".csv", ".txt")
# A headerless label column holds a few short values; longer or more varied ones are text.
_MAX_LABEL_CHARS = 32
_MAX_CLASSES = 100


@dataclass(frozen=True)
class Example:
    """One labelled text.

    Args:
        text: the raw text (stripped).
        label: the class name, as a string.
        line: 1-based line of the source file (for error messages).

    Example:
    >>> Example("a gripping film", "positive", line=2).label
    'positive'
    """

    text: str
    label: str
    line: int = 0


def _delimiter(source: str, sample: str) -> str:
    if source.lower().endswith(".csv"):
        return ","
    if source.lower().endswith(".tsv"):
        return "\t"
    first = sample.split("\n", 1)[0]
    return "\t" if "\t" in first or "," not in first else ","


def _find(
    names: Sequence[str], wanted: str | None, candidates: Sequence[str], what: str, source: str
) -> int | None:
    lowered = [n.strip().lower() for n in names]
    if wanted:
        if wanted.lower() not in lowered:
            raise NlpsuiteError(
                f"{source}: no {what} column {wanted!r} in the header "
                f"({', '.join(names)}); set {what}_column=NAME to one of them"
            )
        return lowered.index(wanted.lower())
    hits = [lowered.index(c) for c in candidates if c in lowered]
    if len(hits) > 1:
        found = ", ".join(names[i] for i in hits)
        raise NlpsuiteError(
            f"{source}: several possible {what} columns ({found}); choose one with {what}_column=NAME"
        )
    return hits[0] if hits else None


def _headerless_columns(rows: list[list[str]], source: str) -> tuple[int, int]:
    """(text, label) column indices of a file without a header, or a clear error."""
    widths = {len(r) for r in rows}
    if widths != {2}:
        raise NlpsuiteError(
            f"{source}: no header with a text column ({'/'.join(TEXT_COLUMNS)}) and a "
            f"label column ({'/'.join(LABEL_COLUMNS)}); add a header row or name the "
            "columns with the options text_column=NAME and label_column=NAME"
        )

    def looks_like_labels(col: int) -> bool:
        values = [r[col].strip() for r in rows]
        return max(len(v) for v in values) <= _MAX_LABEL_CHARS and len(set(values)) <= min(
            _MAX_CLASSES, max(2, len(values) // 2)
        )

    for label_col in (1, 0):
        if looks_like_labels(label_col) and not looks_like_labels(1 - label_col):
            return 1 - label_col, label_col
    raise NlpsuiteError(
        f"{source}: cannot tell the text column from the label column; add a header row "
        f"with '{TEXT_COLUMNS[0]}' and 'label'"
    )


def parse_table(
    content: str,
    source: str = "<text>",
    text_column: str | None = None,
    label_column: str | None = None,
    label_map: Mapping[str, str] | None = None,
    require_labels: bool = True,
) -> list[Example]:
    """Parses TSV/CSV text into examples.

    Args:
        content: the file's text.
        source: its name, for messages and to pick the delimiter (``.csv`` -> comma, else tab).
        text_column, label_column: header names; found automatically when None.
        label_map: renames labels (``{"0": "negative"}``); labels not in it are kept.
        require_labels: when False a file with only a text column is accepted (labels are ``""``).

    Raises:
        NlpsuiteError: a missing column, an empty text or label, a short row (naming the line).

    Returns:
        The examples, in file order.

    Example:
    >>> text = "label\\tsentence\\n1\\ta gripping film\\n0\\tdull\\n"
    >>> parse_table(text, label_map={"0": "negative", "1": "positive"})
    [Example(text='a gripping film', label='positive', line=2), Example(text='dull', label='negative', line=3)]
    >>> parse_table("label\\tsentence\\n1\\t \\n", source="train.tsv")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: train.tsv, line 2: the text field is empty; remove the line or fill it in
    """
    content = content.lstrip("\ufeff")
    delimiter = _delimiter(source, content[:2000])
    # QUOTE_NONE for TSV: review texts hold stray quotes that must stay text.
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, quoting=quoting)
    rows = [[cell.rstrip("\r") for cell in row] for row in reader]
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise NlpsuiteError(f"{source} is empty; expected a header and one example per line")
    header = numbered[0][1]
    text_col = _find(header, text_column, TEXT_COLUMNS, "text", source)
    label_col = _find(header, label_column, LABEL_COLUMNS, "label", source)
    body = numbered[1:]
    if text_col is None and label_col is None and not text_column and not label_column:
        if not require_labels and len(header) == 1:
            text_col, body = 0, numbered
        else:
            text_col, label_col = _headerless_columns([r for _, r in numbered], source)
            body = numbered
    if text_col is None:
        raise NlpsuiteError(
            f"{source}: no text column in the header ({', '.join(header)}); name one of "
            f"{', '.join(TEXT_COLUMNS)} or set text_column=NAME"
        )
    if label_col is None and require_labels:
        raise NlpsuiteError(
            f"{source}: no label column in the header ({', '.join(header)}); name one of "
            f"{', '.join(LABEL_COLUMNS)} or set label_column=NAME"
        )
    return [_example(row, line, text_col, label_col, label_map, source) for line, row in body]


def _example(
    row: list[str],
    line: int,
    text_col: int,
    label_col: int | None,
    label_map: Mapping[str, str] | None,
    source: str,
) -> Example:
    needed = max(text_col, label_col if label_col is not None else 0)
    if len(row) <= needed:
        raise NlpsuiteError(
            f"{source}, line {line}: {len(row)} field(s), expected at least {needed + 1} "
            f"(is the delimiter right? {'tab' if source.endswith('.tsv') else 'comma'})"
        )
    text = row[text_col].strip()
    if not text:
        raise NlpsuiteError(
            f"{source}, line {line}: the text field is empty; remove the line or fill it in"
        )
    label = ""
    if label_col is not None:
        label = row[label_col].strip()
        if not label:
            raise NlpsuiteError(
                f"{source}, line {line}: the label field is empty; every example needs a label"
            )
        label = (label_map or {}).get(label, label)
    return Example(text, label, line)


def read_file(path: str | os.PathLike, **options) -> list[Example]:
    """Reads one TSV/CSV file (UTF-8, optional BOM); see ``parse_table`` for the options.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("reviews.csv").write_text('text,label\\n"good, really",pos\\n', encoding="utf-8-sig")
    >>> read_file("reviews.csv")
    [Example(text='good, really', label='pos', line=2)]
    """
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NlpsuiteError(f"data file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise NlpsuiteError(
            f"{path} is not UTF-8 (byte {exc.start}); convert it to UTF-8"
        ) from None
    return parse_table(content, source=str(path), **options)


def find_split(folder: str | os.PathLike, names: Sequence[str]) -> Path | None:
    """The first ``<name>.tsv|.csv|.txt`` that exists in ``folder``.

    Args:
        folder: the dataset folder.
        names: the split's possible names, in order of preference (``("dev", "validation")``).

    Example:
    >>> from pathlib import Path
    >>> Path("sst2").mkdir()
    >>> _ = Path("sst2/validation.csv").write_text("")
    >>> find_split("sst2", ("dev", "validation")).name, find_split("sst2", ("test",))
    ('validation.csv', None)
    """
    folder = Path(folder)
    for name in names:
        for ext in EXTENSIONS:
            if (folder / f"{name}{ext}").exists():
                return folder / f"{name}{ext}"
    return None


def normalize_key(text: str) -> str:
    """What makes two texts "the same" for deduplication: NFKC, lower case, single spaces.

    Example:
    >>> normalize_key("  A  Ｇｒｅａｔ\\tfilm ") == normalize_key("a great film")
    True
    """
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def check_labels(examples: Iterable[Example], known: Sequence[str], source: str) -> None:
    """Raises for the first label that training never saw.

    Args:
        examples: the examples to check.
        known: the labels seen in training.
        source: the file name, for the message.

    Example:
    >>> check_labels([Example("fine", "neutral", line=4)], ["negative", "positive"], "test.tsv")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: test.tsv, line 4: label 'neutral' was not seen in training ...
    """
    known_set = set(known)
    for example in examples:
        if example.label not in known_set:
            raise NlpsuiteError(
                f"{source}, line {example.line}: label {example.label!r} was not seen in "
                f"training (known: {', '.join(known)}); fix the label or retrain"
            )


@dataclass
class DedupReport:
    """What ``deduplicate`` removed, for the model card.

    Args:
        kept: training rows that remain.
        exact_repeats: repeated (text, label) rows removed.
        conflicting: rows whose text occurs with more than one label, removed.
        in_evaluation: training rows whose text is in the evaluation split, removed.

    Example:
    >>> DedupReport(kept=8, exact_repeats=1, conflicting=2, in_evaluation=0).notes("dev")[-1]
    '8 training rows remain'
    """

    kept: int
    exact_repeats: int
    conflicting: int
    in_evaluation: int

    def notes(self, evaluation_name: str) -> list[str]:
        return [
            f"removed {self.in_evaluation} training rows whose text appears in the evaluation "
            f"split ({evaluation_name})",
            f"removed {self.exact_repeats} repeated (text, label) rows and {self.conflicting} "
            "rows whose text occurs with more than one label",
            f"{self.kept} training rows remain",
        ]


def deduplicate(
    train: Sequence[Example], evaluation: Iterable[Example]
) -> tuple[list[Example], DedupReport]:
    """Drops training rows whose text is in ``evaluation``, repeats, and conflicting labels.

    Args:
        train: the training examples.
        evaluation: the examples evaluated on (their texts may not be trained on).

    Returns:
        ``(kept training examples, DedupReport)``.

    Example:
    >>> train = [Example("Good", "pos"), Example("good", "pos"), Example("bad", "neg"), Example("bad", "pos"),
    ...          Example("seen", "pos")]
    >>> kept, report = deduplicate(train, [Example("Seen", "neg")])
    >>> [e.text for e in kept], report
    (['Good'], DedupReport(kept=1, exact_repeats=1, conflicting=2, in_evaluation=1))
    """
    held_out = {normalize_key(e.text) for e in evaluation}
    labels_of: dict[str, set[str]] = {}
    for example in train:
        labels_of.setdefault(normalize_key(example.text), set()).add(example.label)
    kept, seen = [], set()
    in_eval = repeats = conflicting = 0
    for example in train:
        key = normalize_key(example.text)
        if key in held_out:
            in_eval += 1
        elif len(labels_of[key]) > 1:
            conflicting += 1
        elif key in seen:
            repeats += 1
        else:
            seen.add(key)
            kept.append(example)
    return kept, DedupReport(len(kept), repeats, conflicting, in_eval)


def split_dev(
    examples: Sequence[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Carves a random ``fraction`` out of ``examples`` (deduplicated: no text on both sides).

    Args:
        examples: the training examples.
        fraction: the share to hold out, between 0 and 1.
        seed: the shuffle's seed (same seed, same split).

    Returns:
        ``(train, dev)``, each in the original order.

    Example:
    >>> examples = [Example(f"text {i}", "pos") for i in range(10)]
    >>> train, dev = split_dev(examples, 0.2, seed=1)
    >>> len(train), len(dev), not {e.text for e in dev} & {e.text for e in train}
    (8, 2, True)
    """
    if not 0 < fraction < 1:
        raise NlpsuiteError(f"dev_fraction must be between 0 and 1; got {fraction}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    size = max(1, round(len(examples) * fraction))
    if size >= len(examples):
        raise NlpsuiteError(
            f"only {len(examples)} training examples: too few to carve a dev split; add data "
            "or provide a dev file"
        )
    dev_ids = set(order[:size])
    train = [e for i, e in enumerate(examples) if i not in dev_ids]
    dev = [e for i, e in enumerate(examples) if i in dev_ids]
    return train, dev


def split_dev_whole_texts(
    examples: Sequence[Example], fraction: float, seed: int, longest: float = 0.1
) -> tuple[list[Example], list[Example]]:
    """Carves a dev split of whole sentences from a phrase-level corpus, without leaks.

    SST-style training files hold every phrase of every parse tree as its own row. A random carve
    (``split_dev``) puts a sentence in dev while its phrases, and the sentences that contain it,
    stay in training, so dev accuracy measures memory of phrases (SST-2: 93% on carved phrases
    against 84% on held-out sentences) and early stopping follows the wrong signal. Here the dev
    texts are drawn from the ``longest`` share of the texts (the whole sentences and their biggest
    parts), and every training text that is a phrase of a dev text, or contains one, is dropped.

    Args:
        examples: the training examples (deduplicated).
        fraction: the share of the long texts to hold out, between 0 and 1.
        seed: the draw's seed (same seed, same split).
        longest: the share of texts, by word count, that dev texts are drawn from.

    Returns:
        ``(train, dev)``, each in the original order; no training text overlaps a dev text.

    Example:
    >>> rows = ["a fine cast", "fine", "a fine", "dull plot", "plot", "a dull plot overall", "overall"]
    >>> train, dev = split_dev_whole_texts([Example(t, "x") for t in rows], 0.5, seed=1, longest=0.3)
    >>> [e.text for e in dev], [e.text for e in train]
    (['a fine cast'], ['dull plot', 'plot', 'a dull plot overall', 'overall'])
    """
    if not 0 < fraction < 1:
        raise NlpsuiteError(f"dev_fraction must be between 0 and 1; got {fraction}")
    words = [normalize_key(e.text).split() for e in examples]
    by_length = sorted(range(len(examples)), key=lambda i: (-len(words[i]), i))
    candidates = by_length[: max(2, round(len(examples) * longest))]
    random.Random(seed).shuffle(candidates)
    dev_ids = set(candidates[: max(1, round(len(candidates) * fraction))])
    if len(dev_ids) >= len(examples):
        raise NlpsuiteError(
            f"only {len(examples)} training examples: too few to carve a dev split; add data "
            "or provide a dev file"
        )
    phrases = {tuple(words[i][a:b]) for i in dev_ids for a in range(len(words[i]))
               for b in range(a + 1, len(words[i]) + 1)}
    padded_dev = [f" {' '.join(words[i])} " for i in dev_ids]
    shortest_dev = min(len(words[i]) for i in dev_ids)

    def overlaps(i: int) -> bool:
        if tuple(words[i]) in phrases:
            return True
        if len(words[i]) <= shortest_dev:
            return False
        text = f" {' '.join(words[i])} "
        return any(d in text for d in padded_dev)

    train = [e for i, e in enumerate(examples) if i not in dev_ids and not overlaps(i)]
    dev = [e for i, e in enumerate(examples) if i in dev_ids]
    return train, dev


def label_counts(examples: Iterable[Example]) -> dict[str, int]:
    """Examples per label, labels sorted.

    Example:
    >>> label_counts([Example("a", "pos"), Example("b", "neg"), Example("c", "pos")])
    {'neg': 1, 'pos': 2}
    """
    return dict(sorted(Counter(e.label for e in examples).items()))
