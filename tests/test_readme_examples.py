"""The README's Python examples run as written.

Every fenced ```python block that directly follows a ``<!-- test: run -->`` line in README.md is
executed in a fresh namespace, in order. docs/crf_example.py (the CRF snippet the README shows)
also runs on its own, so the example is checked even before it is pasted into the README.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .oracles.tag_rules import violation

ROOT = Path(__file__).resolve().parents[1]
MARKED_BLOCK = re.compile(r"^<!-- test: run -->[ \t]*\n```python[ \t]*\n(.*?)^```", re.M | re.S)


def readme_blocks() -> list[tuple[int, str]]:
    readme = ROOT / "README.md"
    if not readme.is_file():
        return []
    text = readme.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in MARKED_BLOCK.finditer(text)]


def run_source(source: str, filename: str) -> None:
    exec(compile(source, filename, "exec"), {"__name__": "__readme__"})  # noqa: S102


BLOCKS = readme_blocks()


@pytest.mark.parametrize(
    "line, source",
    BLOCKS
    or [
        pytest.param(
            0,
            "",
            marks=pytest.mark.skip(reason="README.md has no '<!-- test: run -->' python block"),
        )
    ],
    ids=[f"README.md:{line}" for line, _ in BLOCKS] or ["no-blocks"],
)
def test_readme_block_runs(line, source, capsys):
    run_source(source, f"README.md:{line}")
    printed = capsys.readouterr().out
    assert printed.strip(), "a README example should show its result"
    # Printed tag sequences (the CRF example) must obey the scheme the example constrains the CRF to.
    for text in printed.splitlines():
        value = _literal(text)
        if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
            for row in value:
                assert violation(row, "BIO") is None, (row, violation(row, "BIO"))


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def test_crf_example_runs(capsys):
    path = ROOT / "docs" / "crf_example.py"
    run_source(path.read_text(encoding="utf-8"), str(path))
    printed = capsys.readouterr().out
    assert "(2, 12)" in printed  # the CRFDecode tagger's output shape
    rows = _literal(printed.splitlines()[0])
    assert len(rows) == 2 and all(len(r) == 9 and violation(r, "BIO") is None for r in rows), rows
