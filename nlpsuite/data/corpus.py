"""Readers for the poetry corpora: plain running text, chinese-poetry JSON, and ``title:poem``
lines.

Three layouts:

- plain text (``tinyshakespeare``): one string, read as is;
- chinese-poetry JSON (``tang``): a folder of ``poet.tang.*.json`` files (or one file), each an
  array of ``{"author", "title", "paragraphs": [...]}`` objects;
- ``title:poem`` lines (``wujue``): one poem per line, title and body split by the first ASCII
  colon.

Regulated forms are recognised by counting characters per line (``classify_form``), the rule the
shared data README uses: split on ``，。？！；、``; every segment must be pure Han and of equal
length; 4×5, 4×7, 8×5 and 8×7 are 五绝 (``wujue``), 七绝 (``qijue``), 五律 (``wulv``) and 七律
(``qilv``).

Traditional -> simplified conversion uses ``opencc-python-reimplemented`` (``OpenCC("t2s")``): a
pure-Python port of OpenCC's dictionaries, so there is no C extension to build, and phrase-level
conversion (it maps ``乾坤`` and ``乾燥`` differently, which a character table such as zhconv's does
less well).

Example:

>>> from nlpsuite.data.corpus import classify_form, canonical_form_text
>>> classify_form("床前明月光，疑是地上霜。举头望明月，低头思故乡。")
'wujue'
>>> canonical_form_text("床前明月光？疑是地上霜！举头望明月，低头思故乡。")
'床前明月光，疑是地上霜。举头望明月，低头思故乡。'
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlpsuite.errors import NlpsuiteError

__all__ = [
    "FORMS",
    "FORM_NAMES",
    "LINE_BREAKS",
    "Poem",
    "canonical_form_text",
    "check_form",
    "classify_form",
    "clean_poem_text",
    "detect_layout",
    "form_layout",
    "is_han",
    "line_segments",
    "prepare_poems",
    "read_chinese_poetry_json",
    "read_poems",
    "read_text",
    "read_title_poem_lines",
    "split_of",
    "split_running_text",
    "to_simplified",
]

# Form name -> (lines, characters per line).
FORMS: dict[str, tuple[int, int]] = {
    "wujue": (4, 5),
    "qijue": (4, 7),
    "wulv": (8, 5),
    "qilv": (8, 7),
}
FORM_NAMES = {"wujue": "五言绝句", "qijue": "七言绝句", "wulv": "五言律诗", "qilv": "七言律诗"}
LINE_BREAKS = "，。？！；、"
# Odd lines end in a comma, even lines in a full stop: the canonical layout of a regulated poem.
COMMA, STOP = "，", "。"

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SEGMENTS = re.compile(f"[{LINE_BREAKS}]")
# Variant readings and editors' notes: （一作…）, [一作…], 【…】, {…}.
_BRACKETED = re.compile(r"[（(\[【{〔][^）)\]】}〕]*[）)\]】}〕]")


def is_han(char: str) -> bool:
    """True for one CJK unified ideograph (basic block, extension A, or compatibility
    ideographs).

    Example:
    >>> is_han("诗"), is_han("a"), is_han("，")
    (True, False, False)
    """
    return len(char) == 1 and bool(_HAN.match(char))


@dataclass(frozen=True)
class Poem:
    """One poem: ``text`` is the body alone (lines ended by punctuation, no title).

    Args:
        title: the poem's title (kept, never trained on).
        author: its author.
        text: the body.
        source: where it was read (``file#index`` or ``file:line``), for messages.

    Example:
    >>> poem = Poem("静夜思", "李白", "床前明月光，疑是地上霜。举头望明月，低头思故乡。")
    >>> poem.form
    'wujue'
    """

    title: str
    author: str
    text: str
    source: str = ""

    @property
    def form(self) -> str | None:
        return classify_form(self.text)


# ------------------------------------------------------------------------------------------- forms


def line_segments(text: str) -> list[str]:
    """The lines of a poem body, split at ``，。？！；、`` (empty trailing piece dropped).

    Example:
    >>> line_segments("床前明月光，疑是地上霜。")
    ['床前明月光', '疑是地上霜']
    """
    parts = _SEGMENTS.split(text.strip())
    return parts[:-1] if parts and parts[-1] == "" else parts


def classify_form(text: str) -> str | None:
    """``wujue``/``qijue``/``wulv``/``qilv`` when the body has that many equal pure-Han lines, else
    None.

    Example:
    >>> classify_form("床前明月光，疑是地上霜。举头望明月，低头思故乡。"), classify_form("床前明月光。")
    ('wujue', None)
    """
    if not text or text.strip()[-1:] not in LINE_BREAKS:
        return None
    segments = line_segments(text)
    if not segments or any(not s or not all(is_han(c) for c in s) for s in segments):
        return None
    width = len(segments[0])
    if any(len(s) != width for s in segments):
        return None
    for name, shape in FORMS.items():
        if shape == (len(segments), width):
            return name
    return None


def canonical_form_text(text: str) -> str:
    """A regulated poem with its line ends rewritten to ``，`` (odd lines) and ``。`` (even
    lines).

    Example:
    >>> canonical_form_text("床前明月光。疑是地上霜！")
    '床前明月光，疑是地上霜。'
    """
    segments = line_segments(text)
    return "".join(s + (COMMA if i % 2 == 0 else STOP) for i, s in enumerate(segments))


def form_layout(form: str) -> tuple[int, int]:
    """``(lines, characters per line)`` of a form name, with a clear error for an unknown one.

    Example:
    >>> form_layout("qilv")
    (8, 7)
    """
    if form not in FORMS:
        raise NlpsuiteError(f"unknown form {form!r}; choose one of: {', '.join(FORMS)}")
    return FORMS[form]


def check_form(text: str, form: str, acrostic: str | None = None) -> bool:
    """Whether ``text`` is exactly ``form`` with canonical punctuation (and begins its lines with
    ``acrostic``).

    Args:
        text: a poem body.
        form: ``wujue``, ``qijue``, ``wulv`` or ``qilv``.
        acrostic: optional characters the lines must begin with, one per line.

    Example:
    >>> poem = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
    >>> check_form(poem, "wujue"), check_form(poem, "wujue", acrostic="床疑举低"), check_form(poem, "qijue")
    (True, True, False)
    """
    lines, width = form_layout(form)
    if classify_form(text) != form or canonical_form_text(text) != text:
        return False
    if acrostic:
        heads = [segment[0] for segment in line_segments(text)]
        return len(acrostic) == lines and "".join(heads) == acrostic
    return len(text) == lines * (width + 1)


# ------------------------------------------------------------------------------------- conversion


@functools.lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese with OpenCC's ``t2s`` dictionaries (phrase-aware).

    Example:
    >>> to_simplified("靜夜思")
    '静夜思'
    """
    return _converter().convert(text) if text else text


def clean_poem_text(text: str) -> str | None:
    """Drops variant readings in brackets and whitespace; None when a lacuna (``□``) remains.

    Example:
    >>> clean_poem_text("床前明月光（一作看月光），\\n疑是地上霜。"), clean_poem_text("床前□月光。")
    ('床前明月光，疑是地上霜。', None)
    """
    text = _BRACKETED.sub("", text)
    text = re.sub(r"\s+", "", text)
    if not text or "□" in text or "■" in text:
        return None
    return text


# ------------------------------------------------------------------------------------------ readers


def read_text(path: str | os.PathLike) -> str:
    """A plain UTF-8 text file as one string.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("tiny.txt").write_text("To be, or not to be", encoding="utf-8")
    >>> read_text("tiny.txt")[:5]
    'To be'
    """
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NlpsuiteError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise NlpsuiteError(f"cannot read {path}: {exc.strerror}") from None


def _json_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.json"), key=_natural_key)
    if not files:
        raise NlpsuiteError(f"{path}: no *.json files; expected chinese-poetry poet.*.json files")
    return files


def _natural_key(path: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name))


def read_chinese_poetry_json(path: str | os.PathLike) -> list[Poem]:
    """Poems of the chinese-poetry JSON layout (a file, or a folder of ``*.json`` files).

    Each poem's body is its ``paragraphs`` joined; titles and authors are kept but never trained on.

    Args:
        path: a ``poet.*.json`` file, or a folder of them (read in natural order: 2 before 10).

    Example:
    >>> import json
    >>> from pathlib import Path
    >>> record = {"title": "静夜思", "author": "李白",
    ...           "paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]}
    >>> _ = Path("poet.tang.0.json").write_text(json.dumps([record]), encoding="utf-8")
    >>> [(p.author, p.form, p.source) for p in read_chinese_poetry_json("poet.tang.0.json")]
    [('李白', 'wujue', 'poet.tang.0.json#0')]
    """
    poems = []
    for file in _json_files(Path(path)):
        try:
            records = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NlpsuiteError(
                f"{file}: not valid UTF-8 JSON ({exc}); expected an array of poems"
            ) from None
        if not isinstance(records, list):
            raise NlpsuiteError(
                f"{file}: expected a JSON array of poems, got {type(records).__name__}"
            )
        for index, record in enumerate(records):
            paragraphs = record.get("paragraphs") if isinstance(record, dict) else None
            if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
                raise NlpsuiteError(
                    f"{file}: poem #{index} has no 'paragraphs' list of strings; "
                    "expected chinese-poetry records with a 'paragraphs' field"
                )
            poems.append(
                Poem(
                    str(record.get("title", "")),
                    str(record.get("author", "")),
                    "".join(paragraphs),
                    f"{file.name}#{index}",
                )
            )
    return poems


def read_title_poem_lines(path: str | os.PathLike) -> list[Poem]:
    """Poems written one per line as ``title:body`` (the ``wujue`` layout); blank lines are
    skipped.

    Example:
    >>> from pathlib import Path
    >>> poem = "静夜思:床前明月光，疑是地上霜。举头望明月，低头思故乡。"
    >>> _ = Path("wujue.txt").write_text(poem + "\\n\\n", encoding="utf-8")
    >>> [(p.title, p.source) for p in read_title_poem_lines("wujue.txt")]
    [('静夜思', 'wujue.txt:1')]
    """
    path = Path(path)
    poems = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        title, sep, body = line.partition(":")
        if not sep or not body.strip():
            raise NlpsuiteError(
                f"{path}:{number}: expected 'title:poem' (an ASCII colon before the poem)"
            )
        poems.append(Poem(title.strip(), "", body.strip(), f"{path.name}:{number}"))
    return poems


def detect_layout(path: str | os.PathLike) -> str:
    """``json`` (chinese-poetry), ``title_poem`` (``wujue``) or ``text`` (running text).

    Example:
    >>> from pathlib import Path
    >>> _ = Path("running.txt").write_text("First Citizen:\\nBefore we proceed any further, hear me speak.\\n")
    >>> _ = Path("wujue.txt").write_text("静夜思:床前明月光，疑是地上霜。举头望明月，低头思故乡。\\n", encoding="utf-8")
    >>> detect_layout("running.txt"), detect_layout("wujue.txt"), detect_layout("poems.json")
    ('text', 'title_poem', 'json')
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".json":
        return "json"
    head = read_text(path)[:20000].splitlines()[:50]
    lines = [line for line in head if line.strip()]
    titled = [
        line for line in lines if ":" in line and any(is_han(c) for c in line.partition(":")[2])
    ]
    return "title_poem" if lines and len(titled) >= 0.9 * len(lines) else "text"


def read_poems(path: str | os.PathLike) -> list[Poem]:
    """Poems from a chinese-poetry JSON file/folder or a ``title:poem`` file.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("wujue.txt").write_text("静夜思:床前明月光，疑是地上霜。举头望明月，低头思故乡。\\n", encoding="utf-8")
    >>> [p.form for p in read_poems("wujue.txt")]
    ['wujue']
    """
    layout = detect_layout(path)
    if layout == "json":
        return read_chinese_poetry_json(path)
    if layout == "title_poem":
        return read_title_poem_lines(path)
    raise NlpsuiteError(f"{path}: neither chinese-poetry JSON nor 'title:poem' lines")


def prepare_poems(
    poems: Iterable[Poem], forms: Sequence[str] = tuple(FORMS), simplified: bool = True
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """Cleans, converts, filters by form and deduplicates; returns ``[(form, text)]`` and counts.

    The text of each kept poem has canonical punctuation (``，`` / ``。`` alternating), the layout
    that constrained decoding produces. Counts say how many poems each step dropped (for the model
    card).

    Args:
        poems: the poems read.
        forms: the forms to keep.
        simplified: convert traditional characters to simplified first.

    Example:
    >>> poems = [Poem("", "", "床前明月光。疑是地上霜。舉頭望明月，低頭思故鄉。"),
    ...          Poem("", "", "床前明月光，疑是地上霜。举头望明月，低头思故乡。"),
    ...          Poem("", "", "春眠不觉晓。")]
    >>> kept, counts = prepare_poems(poems)
    >>> kept
    [('wujue', '床前明月光，疑是地上霜。举头望明月，低头思故乡。')]
    >>> counts
    {'read': 3, 'lacuna': 0, 'other_form': 1, 'duplicate': 1, 'kept': 1}
    """
    for form in forms:
        form_layout(form)
    kept: list[tuple[str, str]] = []
    seen: set[str] = set()
    counts = {"read": 0, "lacuna": 0, "other_form": 0, "duplicate": 0, "kept": 0}
    for poem in poems:
        counts["read"] += 1
        text = clean_poem_text(poem.text)
        if text is None:
            counts["lacuna"] += 1
            continue
        form = classify_form(text)
        if form not in forms:
            counts["other_form"] += 1
            continue
        text = canonical_form_text(to_simplified(text) if simplified else text)
        if text in seen:
            counts["duplicate"] += 1
            continue
        seen.add(text)
        kept.append((form, text))
    counts["kept"] = len(kept)
    return kept, counts


# ------------------------------------------------------------------------------------------- splits


def split_of(text: str, dev_fraction: float = 0.05, test_fraction: float = 0.05) -> str:
    """``train``/``dev``/``test`` by a hash of the text: stable across runs, machines and file
    orders.

    Example:
    >>> split_of("床前明月光") == split_of("床前明月光"), split_of("any text", dev_fraction=0.0, test_fraction=0.0)
    (True, 'train')
    """
    bucket = int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < test_fraction:
        return "test"
    if bucket < test_fraction + dev_fraction:
        return "dev"
    return "train"


def split_running_text(
    text: str, dev_fraction: float = 0.05, test_fraction: float = 0.10
) -> dict[str, str]:
    """Contiguous train/dev/test slices of running text: the test split is the last
    ``test_fraction``
    (nanoGPT's 90/10 for tinyshakespeare), dev the ``dev_fraction`` just before it.

    Example:
    >>> split_running_text("abcdefghijklmnopqrst", dev_fraction=0.1, test_fraction=0.2)
    {'train': 'abcdefghijklmn', 'dev': 'op', 'test': 'qrst'}
    """
    n = len(text)
    test_start = int(n * (1 - test_fraction))
    dev_start = int(n * (1 - test_fraction - dev_fraction))
    return {"train": text[:dev_start], "dev": text[dev_start:test_start], "test": text[test_start:]}
