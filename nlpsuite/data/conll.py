"""CoNLL-style sequence-labelling files and the tag schemes NER data comes in.

A file holds one token per line with its tag in the last column (tab- or space-separated; extra columns such
as POS or chunk tags are kept), a blank line between sentences, and optional ``-DOCSTART-`` lines, which are
skipped. Chinese files (Resume, Weibo) are the same format with one character per line.

Tag schemes, all with ``O`` outside entities and ``PREFIX-TYPE`` inside:

- ``BIO`` (IOB2): ``B`` begins every entity, ``I`` continues it.
- ``IOB1``: ``I`` begins and continues; ``B`` only begins an entity that directly follows one of its type.
- ``BIOES``: ``B`` begin, ``I`` inside, ``E`` end, ``S`` single-token entity.
- ``BMES``: ``BIOES`` with ``M`` in place of ``I`` (Chinese datasets).

Conversion goes through entity spans, read the way conlleval/seqeval read them (an ``I`` after ``O`` starts an
entity), so a slightly invalid sequence still converts to a valid one.

Example:

>>> from nlpsuite.data import conll
>>> conll.convert_tags(["B-PER", "I-PER", "O", "B-LOC"], "BIO", "BIOES")
['B-PER', 'E-PER', 'O', 'S-LOC']
>>> conll.get_spans(["I-ORG", "I-ORG", "B-ORG"], "IOB1")
[('ORG', 0, 2), ('ORG', 2, 3)]
>>> sentences = conll.parse_conll("EU B-ORG\\nrejects O\\n\\nPeter B-PER\\n", source="demo")
>>> [s.tokens for s in sentences]
[['EU', 'rejects'], ['Peter']]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlpsuite.errors import NlpsuiteError

__all__ = [
    "SCHEMES",
    "Sentence",
    "all_tags",
    "check_tag",
    "convert_sentences",
    "convert_tags",
    "detect_scheme",
    "entity_types",
    "find_split",
    "format_conll",
    "get_spans",
    "has_segment_positions",
    "normalize_scheme",
    "parse_conll",
    "read_conll",
    "read_text_file",
    "spans_to_tags",
    "split_tag",
    "strip_segment_positions",
    "write_conll",
]

SCHEMES: dict[str, tuple[str, ...]] = {
    "BIO": ("B", "I"),
    "IOB1": ("B", "I"),
    "BIOES": ("B", "I", "E", "S"),
    "BMES": ("B", "M", "E", "S"),
}
SCHEME_ALIASES = {"IOB2": "BIO", "IOBES": "BIOES", "BILOU": "BIOES"}
OUTSIDE = "O"
DOCSTART = "-DOCSTART-"

Span = tuple[str, int, int]  # (type, start token, end token exclusive)


@dataclass
class Sentence:
    """One sentence of a CoNLL file.

    Args:
        tokens: the token (or character) column.
        tags: the tag column (the last one), or empty when the file has no tags.
        columns: any columns between token and tag (POS, chunk), one list per token.
        line: the 1-based line in the source file where the sentence starts (for error messages).

    Example:
    >>> sentence = Sentence(["EU", "rejects"], ["B-ORG", "O"], line=3)
    >>> list(zip(sentence.tokens, sentence.tags)), sentence.columns
    ([('EU', 'B-ORG'), ('rejects', 'O')], [])
    """

    tokens: list[str]
    tags: list[str] = field(default_factory=list)
    columns: list[list[str]] = field(default_factory=list)
    line: int = 0


def normalize_scheme(scheme: str) -> str:
    """``"iob2"`` -> ``"BIO"``; raises for an unknown scheme with the list of known ones.

    Args:
        scheme: a scheme name or alias, any case (``bio``, ``IOB2``, ``bilou``, ...).

    Returns:
        The canonical name: ``BIO``, ``IOB1``, ``BIOES`` or ``BMES``.

    Example:
    >>> normalize_scheme("iob2"), normalize_scheme("bilou")
    ('BIO', 'BIOES')
    """
    name = SCHEME_ALIASES.get(scheme.upper(), scheme.upper())
    if name not in SCHEMES:
        known = ", ".join([*SCHEMES, *SCHEME_ALIASES])
        raise NlpsuiteError(f"unknown tag scheme {scheme!r}; choose one of {known}")
    return name


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``. Entity types may contain ``-``.

    Args:
        tag: a tag such as ``"B-PER"`` or ``"O"``.

    Returns:
        ``(prefix, type)``.

    Raises:
        ValueError: the tag is neither ``O`` nor ``PREFIX-TYPE``.

    Example:
    >>> split_tag("I-MISC-EVENT"), split_tag("O")
    (('I', 'MISC-EVENT'), ('O', ''))
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, kind = tag.partition("-")
    if not sep or not kind or not prefix:
        raise NlpsuiteError(f"tag {tag!r} is neither O nor PREFIX-TYPE")
    return prefix, kind


def check_tag(tag: str, scheme: str) -> str | None:
    """Why ``tag`` is not a tag of ``scheme`` (a short phrase), or None when it is.

    Args:
        tag: the tag to check.
        scheme: a canonical scheme name (``normalize_scheme``).

    Example:
    >>> check_tag("E-PER", "BIO")
    "tag 'E-PER' is not in the BIO scheme (prefixes B/I-, or O)"
    >>> check_tag("E-PER", "BIOES") is None
    True
    """
    try:
        prefix, _ = split_tag(tag)
    except ValueError:
        return f"tag {tag!r} is neither O nor PREFIX-TYPE"
    if prefix != OUTSIDE and prefix not in SCHEMES[scheme]:
        allowed = "/".join(SCHEMES[scheme])
        return f"tag {tag!r} is not in the {scheme} scheme (prefixes {allowed}-, or O)"
    return None


# ------------------------------------------------------------------------------------------- spans


def _chunk_end(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    # conlleval's endOfChunk, with M read as I so BMES works too.
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and (tag in ("B", "S", OUTSIDE) or kind != prev_type):
        return True
    return prev != OUTSIDE and prev_type != kind


def _chunk_start(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    # conlleval's startOfChunk (IOB1's I-after-O and BIOES's E-after-E both open a chunk).
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", OUTSIDE) and tag in ("E", "I"):
        return True
    return tag != OUTSIDE and prev_type != kind


def get_spans(tags: Sequence[str], scheme: str = "BIO") -> list[Span]:
    """Entity spans ``(type, start, end)`` (end exclusive), read leniently as conlleval does.

    Works for every scheme (``M`` is read as ``I``), so invalid transitions such as ``O I-PER`` still give
    an entity instead of being dropped.

    Args:
        tags: one sentence's tags.
        scheme: the scheme they are in (every scheme reads the same way; kept for the call sites).

    Returns:
        ``[(type, start, end), ...]`` in order.

    Example:
    >>> get_spans(["B-PER", "I-PER", "O", "I-LOC"])  # a stray I-LOC after O still opens an entity
    [('PER', 0, 2), ('LOC', 3, 4)]
    """
    del scheme  # one reading covers all four; kept so call sites say which scheme they hold
    spans: list[Span] = []
    prev, prev_type, start = OUTSIDE, "", 0
    for i, tag in enumerate([*tags, OUTSIDE]):
        prefix, kind = split_tag(tag)
        prefix = "I" if prefix == "M" else prefix
        if _chunk_end(prev, prefix, prev_type, kind) and prev != OUTSIDE:
            spans.append((prev_type, start, i))
        if _chunk_start(prev, prefix, prev_type, kind):
            start = i
        prev, prev_type = prefix, kind
    return spans


def spans_to_tags(spans: Iterable[Span], length: int, scheme: str = "BIO") -> list[str]:
    """Writes non-overlapping spans as a tag sequence of ``length`` in ``scheme``.

    Args:
        spans: ``(type, start, end)`` triples, end exclusive, not overlapping.
        length: the sentence length in tokens.
        scheme: the target scheme.

    Returns:
        ``length`` tags.

    Raises:
        NlpsuiteError: a span outside the sentence or overlapping another.

    Example:
    >>> spans_to_tags([("PER", 0, 2), ("LOC", 3, 4)], 4, "BMES")
    ['B-PER', 'E-PER', 'O', 'S-LOC']
    """
    scheme = normalize_scheme(scheme)
    tags = [OUTSIDE] * length
    inside = "M" if scheme == "BMES" else "I"
    previous_end, previous_type = -1, ""
    for kind, start, end in sorted(spans, key=lambda s: s[1]):
        if not 0 <= start < end <= length:
            raise NlpsuiteError(
                f"span {kind} [{start}, {end}) is outside a sentence of {length} tokens"
            )
        if start < previous_end:
            raise NlpsuiteError(f"span {kind} [{start}, {end}) overlaps the one before it")
        if scheme in ("BIOES", "BMES"):
            if end - start == 1:
                tags[start] = f"S-{kind}"
            else:
                tags[start] = f"B-{kind}"
                tags[start + 1 : end - 1] = [f"{inside}-{kind}"] * (end - start - 2)
                tags[end - 1] = f"E-{kind}"
        elif scheme == "BIO":
            tags[start] = f"B-{kind}"
            tags[start + 1 : end] = [f"I-{kind}"] * (end - start - 1)
        else:  # IOB1: B- only where an entity touches one of the same type
            first = "B" if previous_end == start and previous_type == kind else "I"
            tags[start] = f"{first}-{kind}"
            tags[start + 1 : end] = [f"I-{kind}"] * (end - start - 1)
        previous_end, previous_type = end, kind
    return tags


def convert_tags(tags: Sequence[str], source: str, target: str) -> list[str]:
    """Converts one sentence's tags between schemes (through spans).

    Args:
        tags: one sentence's tags in ``source``.
        source: the scheme of ``tags``.
        target: the scheme to write.

    Example:
    >>> convert_tags(["I-PER", "I-PER", "B-PER"], "IOB1", "BIO")
    ['B-PER', 'I-PER', 'B-PER']
    """
    source, target = normalize_scheme(source), normalize_scheme(target)
    return spans_to_tags(get_spans(tags, source), len(tags), target)


def convert_sentences(sentences: Sequence[Sentence], source: str, target: str) -> list[Sentence]:
    """Copies of ``sentences`` with their tags converted from ``source`` to ``target``.

    Example:
    >>> [s.tags for s in convert_sentences([Sentence(["Li", "Na"], ["B-PER", "I-PER"])], "BIO", "BIOES")]
    [['B-PER', 'E-PER']]
    """
    return [
        Sentence(list(s.tokens), convert_tags(s.tags, source, target), s.columns, s.line)
        for s in sentences
    ]


def detect_scheme(tag_sequences: Iterable[Sequence[str]]) -> str:
    """Guesses a scheme from the tags: ``M-`` means BMES, ``E-``/``S-`` BIOES; entities mostly opened by
    ``I-`` mean IOB1 (the WikiGold/original-CoNLL style), otherwise BIO (a few stray ``O I-X`` are
    annotation slips, as in Weibo).

    Args:
        tag_sequences: the tag sequences of a file.

    Returns:
        ``BMES``, ``BIOES``, ``IOB1`` or ``BIO``.

    Example:
    >>> detect_scheme([["B-PER", "M-PER", "E-PER"]]), detect_scheme([["I-PER", "O", "I-LOC"]])
    ('BMES', 'IOB1')
    """
    prefixes: set[str] = set()
    opened_by_inside = opened_by_begin = 0
    for tags in tag_sequences:
        prev, prev_type = OUTSIDE, ""
        for tag in tags:
            try:
                prefix, kind = split_tag(tag)
            except ValueError:
                continue  # check_tag reports it with the line number
            prefixes.add(prefix)
            if prefix == "I" and (prev == OUTSIDE or prev_type != kind):
                opened_by_inside += 1
            opened_by_begin += prefix == "B"
            prev, prev_type = prefix, kind
    if "M" in prefixes:
        return "BMES"
    if prefixes & {"E", "S"}:
        return "BIOES"
    return "IOB1" if opened_by_inside > opened_by_begin else "BIO"


def entity_types(tag_sequences: Iterable[Sequence[str]]) -> list[str]:
    """The sorted entity types used in some tag sequences.

    Example:
    >>> entity_types([["B-PER", "O"], ["S-LOC", "B-PER"]])
    ['LOC', 'PER']
    """
    kinds = {split_tag(t)[1] for tags in tag_sequences for t in tags if t != OUTSIDE}
    return sorted(kinds)


def all_tags(types: Sequence[str], scheme: str) -> list[str]:
    """Every tag of ``scheme`` over ``types``, ``O`` first: a fixed tag set for a model.

    Args:
        types: the entity types.
        scheme: the scheme to spell them in.

    Example:
    >>> all_tags(["LOC", "PER"], "BIO")
    ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
    """
    scheme = normalize_scheme(scheme)
    return [OUTSIDE] + [f"{p}-{t}" for t in types for p in SCHEMES[scheme]]


# ------------------------------------------------------------------------------------------ reading


def read_text_file(path: str | os.PathLike) -> str:
    """A UTF-8 file's text (BOM allowed), with errors that name the file and the line of a bad byte.

    Args:
        path: the file to read.

    Raises:
        NlpsuiteError: missing file, a folder, unreadable, or not UTF-8 (with the line of the bad byte).

    Example:
    >>> from pathlib import Path
    >>> _ = Path("bad.txt").write_bytes(b"ok\\n\\xff\\n")
    >>> read_text_file("bad.txt")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: bad.txt:2: not valid UTF-8 (byte 3); save the file as UTF-8
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NlpsuiteError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise NlpsuiteError(f"{path} is a folder; name a CoNLL file in it") from None
    except OSError as exc:
        raise NlpsuiteError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NlpsuiteError(
            f"{path}:{line}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None


def parse_conll(
    text: str, source: str = "<text>", scheme: str | None = None, require_tags: bool = True
) -> list[Sentence]:
    """Parses CoNLL text into sentences.

    Args:
        text: the file's contents.
        source: the name used in error messages (a path or an upload's name).
        scheme: when given, every tag must belong to it; otherwise tags must only look like ``O``/``X-TYPE``.
        require_tags: when False, one-column lines are tokens without tags and the last column is not
            checked (text to be tagged, whose old tags are replaced).

    Raises:
        NlpsuiteError: ``source:line: ...`` for a one-column line, a bad tag or an inconsistent column count;
            ``source: ... no sentences`` for an empty file.

    Returns:
        The sentences, in file order.

    Example:
    >>> text = "-DOCSTART- -X- O\\n\\nEU NNP B-ORG\\nrejects VBZ O\\n"
    >>> [(s.tokens, s.columns, s.tags, s.line) for s in parse_conll(text)]
    [(['EU', 'rejects'], [['NNP'], ['VBZ']], ['B-ORG', 'O'], 3)]
    >>> parse_conll("EU B-ORG\\nrejects\\n", source="upload.txt")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: upload.txt:2: one column ('rejects'); expected TOKEN TAG separated by a tab or space
    """
    scheme = normalize_scheme(scheme) if scheme else None
    sentences: list[Sentence] = []
    current: Sentence | None = None
    width = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current is not None:
                sentences.append(current)
            current, width = None, None
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        parts = [p.strip() for p in parts]
        if parts[0] == DOCSTART:
            continue
        if len(parts) == 1 and require_tags:
            raise NlpsuiteError(
                f"{source}:{number}: one column ({line[:40]!r}); expected TOKEN TAG separated by a tab or "
                "space"
            )
        if width is not None and len(parts) != width and require_tags:
            raise NlpsuiteError(
                f"{source}:{number}: {len(parts)} columns where the sentence has {width}"
            )
        width = len(parts)
        if current is None:
            current = Sentence([], line=number)
        current.tokens.append(parts[0])
        if len(parts) > 1:
            tag = parts[-1]
            problem = check_tag(tag, scheme) if scheme else _shape_problem(tag)
            if problem and require_tags:
                raise NlpsuiteError(f"{source}:{number}: {problem}")
            current.tags.append(tag)
            if len(parts) > 2:
                current.columns.append(parts[1:-1])
    if current is not None:
        sentences.append(current)
    if not sentences:
        raise NlpsuiteError(
            f"{source}: no sentences (the file is empty or holds only -DOCSTART- lines)"
        )
    if require_tags:
        return sentences
    return [_split_untagged(s, source) for s in sentences]


def _shape_problem(tag: str) -> str | None:
    try:
        split_tag(tag)
    except ValueError:
        return f"tag {tag!r} is neither O nor PREFIX-TYPE"
    return None


def _split_untagged(sentence: Sentence, source: str) -> Sentence:
    # An upload may mix tagged and untagged lines; tags are only kept when every token has one.
    if sentence.tags and len(sentence.tags) != len(sentence.tokens):
        raise NlpsuiteError(
            f"{source}:{sentence.line}: some lines of this sentence have a tag and some not"
        )
    return sentence


def read_conll(path: str | os.PathLike, scheme: str | None = None) -> list[Sentence]:
    """Reads a CoNLL file; see ``parse_conll``.

    Args:
        path: the file.
        scheme: when given, every tag must belong to it.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("train.txt").write_text("Paris B-LOC\\n\\nHe O\\n", encoding="utf-8")
    >>> [s.tokens for s in read_conll("train.txt", scheme="BIO")]
    [['Paris'], ['He']]
    """
    return parse_conll(read_text_file(path), source=str(path), scheme=scheme)


# ------------------------------------------------------------------------------------------ writing


def format_conll(sentences: Iterable[Sentence], separator: str = "\t") -> str:
    """CoNLL text: token, any extra columns, tag; a blank line after each sentence.

    Args:
        sentences: the sentences to write.
        separator: the column separator.

    Example:
    >>> format_conll([Sentence(["EU", "rejects"], ["B-ORG", "O"])], separator=" ")
    'EU B-ORG\\nrejects O\\n\\n'
    """
    lines: list[str] = []
    for sentence in sentences:
        for i, token in enumerate(sentence.tokens):
            cells = [token]
            if sentence.columns:
                cells += sentence.columns[i]
            if sentence.tags:
                cells.append(sentence.tags[i])
            lines.append(separator.join(cells))
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")


def write_conll(
    path: str | os.PathLike, sentences: Iterable[Sentence], separator: str = "\t"
) -> None:
    """Writes sentences as a UTF-8 CoNLL file.

    Args:
        path: the file to write.
        sentences: the sentences.
        separator: the column separator.

    Example:
    >>> write_conll("out.txt", [Sentence(["Paris"], ["S-LOC"])])
    >>> [s.tags for s in read_conll("out.txt")]
    [['S-LOC']]
    """
    Path(path).write_text(format_conll(sentences, separator), encoding="utf-8")


# -------------------------------------------------------------------------------------- dataset splits


SPLIT_NAMES: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "dev": ("dev", "valid", "validation", "testa"),
    "test": ("test", "testb"),
}


def find_split(folder: str | os.PathLike, split: str) -> Path:
    """The file of ``split`` in a dataset folder: ``train.txt``, ``valid.txt``, ``dev.char.bmes``,
    ``weiboNER_2nd_conll.dev``, ... (``dev`` and ``valid`` are the same split).

    Args:
        folder: the dataset folder.
        split: ``train``, ``dev`` or ``test`` (or any name part).

    Raises:
        NlpsuiteError: no file of that split, with what the folder holds.

    Example:
    >>> from pathlib import Path
    >>> for name in ("train.char.bmes", "valid.txt"):
    ...     _ = (Path("resume") / name).parent.mkdir(exist_ok=True) or (Path("resume") / name).write_text("")
    >>> find_split("resume", "dev").name, find_split("resume", "train").name
    ('valid.txt', 'train.char.bmes')
    """
    folder = Path(folder)
    names = SPLIT_NAMES.get(split, (split,))
    candidates = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in names:
        for path in candidates:
            parts = path.name.lower().replace("_", ".").split(".")
            if name in parts:
                return path
    listing = ", ".join(p.name for p in candidates) or "nothing"
    raise NlpsuiteError(
        f"no {split!r} file in {folder} (looked for names containing {', '.join(names)}; found {listing})"
    )


_SEGMENT_POSITION = re.compile(r"(.+?)(\d+)")


def has_segment_positions(sentences: Sequence[Sentence]) -> bool:
    """Whether tokens carry Weibo NER's word-segment position (``科0``, ``技1``, ``80``): single characters
    followed by digits, in nearly every token.

    Example:
    >>> has_segment_positions([Sentence(["科0", "技1", "80"])]), has_segment_positions([Sentence(["科", "技"])])
    (True, False)
    """
    tokens = [t for s in sentences[:200] for t in s.tokens]
    if not tokens:
        return False
    marked = sum(len(t) >= 2 and t[-1].isdigit() and _SEGMENT_POSITION.fullmatch(t) is not None
                 for t in tokens)
    return marked / len(tokens) >= 0.95


def strip_segment_positions(sentences: Sequence[Sentence]) -> list[Sentence]:
    """Removes Weibo's segment-position suffixes: ``科0`` -> ``科``, ``80`` (the digit 8 at position 0) -> ``8``.

    Example:
    >>> strip_segment_positions([Sentence(["科0", "技1", "80"], ["O", "O", "O"])])[0].tokens
    ['科', '技', '8']
    """
    def strip(token: str) -> str:
        match = _SEGMENT_POSITION.fullmatch(token)
        return match.group(1) if match else token

    return [Sentence([strip(t) for t in s.tokens], s.tags, s.columns, s.line) for s in sentences]
