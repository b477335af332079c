"""The README's Python examples run as written.

Every fenced ```python block that directly follows a ``<!-- test: run -->`` line in README.md is
executed in a fresh namespace, in order. docs/crf_example.py (the CRF snippet the README shows)
also runs on its own, so the example is checked even before it is pasted into the README.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
def test_readme_block_runs(line, source):
    run_source(source, f"README.md:{line}")


def test_crf_example_runs(capsys):
    path = ROOT / "docs" / "crf_example.py"
    run_source(path.read_text(encoding="utf-8"), str(path))
    printed = capsys.readouterr().out
    assert "(2, 12)" in printed  # the CRFDecode tagger's output shape
