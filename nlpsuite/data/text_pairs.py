"""Sentence pairs for translation: Tatoeba/Anki tab-separated files and a leak-free split.

The Anki exports (``spa-eng.zip``, ``cmn-eng/cmn.txt``) hold one pair per line,
``english<TAB>other`` with an
optional third attribution column. A file may be read directly, from a folder, or from inside a zip.

The files repeat sentences: one English sentence has up to 24 Spanish translations, and one Spanish
sentence
may translate several English ones. A random row split would put a sentence in train with one
translation and
in test with another, which inflates BLEU. ``split_pairs`` therefore groups pairs that share a
(normalised)
source *or* target sentence, assigns whole groups to train/dev/test by a hash of the group, and
keeps one pair
per distinct source sentence in dev and test. No source sentence (and no target sentence) occurs in
two splits.

Example:

>>> pairs = [TextPair("Hola.", "Hello.", 1), TextPair("¡Hola!", "Hi!", 2),
...          TextPair("Adiós.", "Bye.", 3)]
>>> split = split_pairs(pairs, dev_fraction=0.0, test_fraction=0.5, seed=0)
>>> sorted(len(v) for v in split.values())
[0, 1, 2]
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from nlpsuite.errors import NlpsuiteError, OptionError

__all__ = [
    "Direction",
    "TextPair",
    "dedupe_by_source",
    "group_key",
    "group_pairs",
    "normalize_text",
    "parse_pairs",
    "read_pairs",
    "select_by_hashes",
    "sentence_hash",
    "split_pairs",
]

ENGLISH = ("en", "eng")
CHINESE = ("zh", "cmn", "zho")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True)
class TextPair:
    """One translation pair.

    Args:
        source: the sentence to translate.
        target: its reference translation.
        line: 1-based line number in the file it came from (0 when built in code).

    Example:
    >>> TextPair("Hola.", "Hello.", line=7)
    TextPair(source='Hola.', target='Hello.', line=7)
    """

    source: str
    target: str
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Direction:
    """Which column is the source: ``spa-en`` reads ``english<TAB>spanish`` files as Spanish ->
    English.

    Args:
        source: source language code (``spa``, ``en``, ``zh`` ...).
        target: target language code.

    Example:
    >>> direction = Direction.parse("spa-en")
    >>> direction.source_column, str(direction), Direction.parse("en-zh").is_chinese("target")
    (1, 'spa-en', True)
    """

    source: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Direction:
        parts = text.strip().lower().split("-")
        if len(parts) != 2 or not all(parts):
            raise OptionError("direction", text, "must be SOURCE-TARGET such as spa-en or en-zh")
        source, target = parts
        if (source in ENGLISH) == (target in ENGLISH):
            raise OptionError(
                "direction", text, "must have English on exactly one side, as Anki files pair English with one "
                "other language (e.g. spa-en, en-spa, zh-en)"
            )
        return cls(source, target)

    @property
    def source_column(self) -> int:
        """Anki files put English first: English source = column 0, otherwise column 1."""
        return 0 if self.source in ENGLISH else 1

    def is_chinese(self, side: str) -> bool:
        return getattr(self, side) in CHINESE

    def __str__(self) -> str:
        return f"{self.source}-{self.target}"


def normalize_text(text: str) -> str:
    """NFC, one space between words, no outer spaces: the form every sentence is kept in.

    Example:
    >>> normalize_text("  Go   on.\\t")
    'Go on.'
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def group_key(text: str) -> str:
    """Lower-cased, punctuation-free form: ``Go.`` and ``go!`` are the same sentence for
    splitting.

    Example:
    >>> group_key("Go."), group_key("go!") == group_key("Go."), group_key("?!")
    ('go', True, '?!')
    """
    key = _NOT_WORD.sub(" ", normalize_text(text).lower()).strip()
    return key or normalize_text(text)


def sentence_hash(text: str) -> str:
    """A short stable id of a sentence's group key; saved with a model to record its split.

    Example:
    >>> sentence_hash("Go.") == sentence_hash("go!"), len(sentence_hash("Go."))
    (True, 16)
    """
    return hashlib.sha1(group_key(text).encode("utf-8")).hexdigest()[:16]


def _to_simplified() -> object:
    from opencc import OpenCC

    return OpenCC("t2s")


def _read_text(path: Path) -> tuple[str, str]:
    """The text of a pairs file and a display name; a zip or folder must hold exactly one data
    .txt."""
    if path.is_dir():
        candidates = sorted(p for p in path.glob("*.txt") if not p.name.startswith("_"))
        candidates += sorted(p for p in path.glob("*.tsv"))
        if len(candidates) != 1:
            raise NlpsuiteError(
                f"{path}: expected one .txt/.tsv pairs file in the folder, found "
                f"{[p.name for p in candidates] or 'none'}; pass the file itself"
            )
        path = candidates[0]
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [
                    name
                    for name in archive.namelist()
                    if name.endswith((".txt", ".tsv")) and not Path(name).name.startswith("_")
                ]
                if len(members) != 1:
                    raise NlpsuiteError(
                        f"{path}: expected one .txt pairs file inside the zip, "
                        f"found {members or 'none'}"
                    )
                raw = archive.read(members[0])
                name = f"{path}:{members[0]}"
        except zipfile.BadZipFile:
            raise NlpsuiteError(f"{path} is not a valid zip file; download it again") from None
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise NlpsuiteError(f"cannot read {path}: {exc.strerror}") from None
        name = str(path)
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        raise NlpsuiteError(f"{name} is not UTF-8 (byte {exc.start}); save it as UTF-8") from None


def parse_pairs(text: str, direction: Direction, name: str = "<text>") -> list[TextPair]:
    """Parses ``english<TAB>other[<TAB>attribution]`` lines; blank lines are skipped.

    Raises:
        NlpsuiteError: a line with fewer than two columns or an empty sentence, naming file and
            line.

    Args:
        text: the file's text.
        direction: which column is the source.
        name: the file name, for messages.

    Returns:
        The pairs in file order, with their line numbers.

    Example:
    >>> parse_pairs("Go.\\tVe.\\tCC-BY 2.0\\n\\nHi.\\tHola.\\n", Direction.parse("spa-en"))
    [TextPair(source='Ve.', target='Go.', line=1), TextPair(source='Hola.', target='Hi.', line=3)]
    >>> parse_pairs("Go. Ve.\\n", Direction.parse("spa-en"), name="spa.txt")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: spa.txt:1: expected english<TAB>translation[<TAB>attribution], found no tab; ...
    """
    convert = None
    if direction.is_chinese("source") or direction.is_chinese("target"):
        convert = _to_simplified().convert
    pairs = []
    for number, line in enumerate(io.StringIO(text), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise NlpsuiteError(
                f"{name}:{number}: expected english<TAB>translation[<TAB>attribution], "
                "found no tab; fix or remove the line"
            )
        english, other = normalize_text(columns[0]), normalize_text(columns[1])
        if not english or not other:
            side = "first" if not english else "second"
            raise NlpsuiteError(
                f"{name}:{number}: the {side} column is empty; fix or remove the line"
            )
        if convert is not None:
            other = convert(
                other
            )  # Anki zh mixes scripts; one script halves the character vocabulary
        source, target = (english, other) if direction.source_column == 0 else (other, english)
        pairs.append(TextPair(source, target, number))
    if not pairs:
        raise NlpsuiteError(f"{name} has no sentence pairs")
    return pairs


def read_pairs(path: str | Path, direction: str | Direction = "spa-en") -> list[TextPair]:
    """Reads a pairs file (``.txt``/``.tsv``, a folder holding one, or a ``.zip`` like
    ``spa-eng.zip``).

    Args:
        path: the file, folder or zip.
        direction: ``SOURCE-TARGET``; English is column 1 of Anki files, the other language column
            2.
            Chinese sides are converted to simplified characters.

    Returns:
        The pairs in file order, with their line numbers.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("cmn.txt").write_text("I see.\\t我看見了。\\n", encoding="utf-8")
    >>> read_pairs("cmn.txt", "zh-en")  # traditional characters become simplified
    [TextPair(source='我看见了。', target='I see.', line=1)]
    """
    if isinstance(direction, str):
        direction = Direction.parse(direction)
    text, name = _read_text(Path(path))
    return parse_pairs(text, direction, name)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression keeps later finds O(1)
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def group_pairs(pairs: Sequence[TextPair]) -> list[str]:
    """A group id per pair: pairs sharing a source or a target sentence (after ``group_key``) share
    it.

    Example:
    >>> pairs = [TextPair("Ve.", "Go."), TextPair("Vete.", "go!"), TextPair("Hola.", "Hi.")]
    >>> groups = group_pairs(pairs)
    >>> groups[0] == groups[1], groups[0] == groups[2]  # "Go." and "go!" share a group key
    (True, False)
    """
    groups = _UnionFind()
    for pair in pairs:
        groups.union("s:" + group_key(pair.source), "t:" + group_key(pair.target))
    return [groups.find("s:" + group_key(pair.source)) for pair in pairs]


def _bucket(group: str, seed: int) -> float:
    digest = hashlib.sha1(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def dedupe_by_source(pairs: Iterable[TextPair]) -> list[TextPair]:
    """The first pair of each distinct source sentence (by ``group_key``), in order.

    Example:
    >>> dedupe_by_source([TextPair("Ve.", "Go."), TextPair("ve!", "Leave."), TextPair("Hola.", "Hi.")])
    [TextPair(source='Ve.', target='Go.', line=0), TextPair(source='Hola.', target='Hi.', line=0)]
    """
    seen: set[str] = set()
    kept = []
    for pair in pairs:
        key = group_key(pair.source)
        if key not in seen:
            seen.add(key)
            kept.append(pair)
    return kept


def split_pairs(
    pairs: Sequence[TextPair],
    dev_fraction: float = 0.02,
    test_fraction: float = 0.02,
    seed: int = 1234,
) -> dict[str, list[TextPair]]:
    """Splits pairs into ``train``/``dev``/``test`` with no sentence shared across splits.

    Whole groups (see ``group_pairs``) go to one split, chosen by a hash of the group and ``seed``
    so the
    split does not depend on file order. Dev and test keep one pair per distinct source sentence
    (its first
    translation is the reference); train keeps every translation of its sources.

    Args:
        pairs: the pairs read.
        dev_fraction: expected share of groups in dev.
        test_fraction: expected share of groups in test.
        seed: changes which groups go where.

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}``.

    Example:
    >>> pairs = [TextPair(f"frase {i}", f"sentence {i}") for i in range(100)] + [TextPair("frase 0", "again")]
    >>> split = split_pairs(pairs, dev_fraction=0.2, test_fraction=0.2)
    >>> sources = {name: {p.source for p in part} for name, part in split.items()}
    >>> all(sources.values()), sources["train"] & sources["dev"], sources["train"] & sources["test"]
    (True, set(), set())
    """
    if not 0 <= dev_fraction < 1 or not 0 <= test_fraction < 1 or dev_fraction + test_fraction >= 1:
        raise NlpsuiteError(
            f"dev_fraction={dev_fraction} and test_fraction={test_fraction} must be in [0, 1) "
            "with a sum < 1"
        )
    split: dict[str, list[TextPair]] = {"train": [], "dev": [], "test": []}
    for pair, group in zip(pairs, group_pairs(pairs), strict=True):
        position = _bucket(group, seed)
        if position < test_fraction:
            split["test"].append(pair)
        elif position < test_fraction + dev_fraction:
            split["dev"].append(pair)
        else:
            split["train"].append(pair)
    split["dev"] = dedupe_by_source(split["dev"])
    split["test"] = dedupe_by_source(split["test"])
    return split


def select_by_hashes(pairs: Iterable[TextPair], hashes: Iterable[str]) -> list[TextPair]:
    """The pairs whose source hash is in ``hashes`` (a saved split), one per distinct source.

    Args:
        pairs: the pairs read.
        hashes: ``sentence_hash`` values of the source sentences to keep.

    Example:
    >>> pairs = [TextPair("Ve.", "Go."), TextPair("Hola.", "Hi.")]
    >>> select_by_hashes(pairs, [sentence_hash("ve!")])
    [TextPair(source='Ve.', target='Go.', line=0)]
    """
    wanted = set(hashes)
    return dedupe_by_source(p for p in pairs if sentence_hash(p.source) in wanted)
