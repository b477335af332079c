"""The README's Python examples run as written and import only from public modules.

Every fenced ```python block that directly follows a ``<!-- test: run -->`` line in README.md is
executed in a fresh namespace, in order. docs/crf_example.py is the CRF snippet the README shows: a
test checks the README carries it verbatim, then runs it and checks what it computes and claims
(BIO-valid tags, the tagger's shape, a `.keras` save and safe reload with the same outputs).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from .oracles.tag_rules import violation

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CRF_EXAMPLE = ROOT / "docs" / "crf_example.py"
MARKED_BLOCK = re.compile(r"^<!-- test: run -->[ \t]*\n```python[ \t]*\n(.*?)^```", re.M | re.S)
ANY_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.M | re.S)
# What a user may import from nlpsuite: the documented public modules (see their ``__all__``).
PUBLIC_MODULES = {
    "nlpsuite",
    "nlpsuite.layers",
    "nlpsuite.ops",
    "nlpsuite.export",
    "nlpsuite.tasks",
    "nlpsuite.tasks.ner",
    "nlpsuite.tasks.sentiment",
    "nlpsuite.tasks.translation",
    "nlpsuite.tasks.poetry",
    "nlpsuite.tasks.stock",
}


def _blocks(pattern: re.Pattern) -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in pattern.finditer(text)]


def run_source(source: str, filename: str) -> dict:
    namespace = {"__name__": "__readme__"}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    return namespace


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def _nlpsuite_imports(source: str) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return [m for m in modules if m == "nlpsuite" or m.startswith("nlpsuite.")]


BLOCKS = _blocks(MARKED_BLOCK)


def test_readme_has_runnable_blocks():
    assert BLOCKS, "README.md should have at least one '<!-- test: run -->' python block"


@pytest.mark.parametrize("line, source", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs(line, source, capsys):
    run_source(source, f"README.md:{line}")
    printed = capsys.readouterr().out.splitlines()
    assert printed, "a README example should show its result"
    for text in printed:
        value = _literal(text)
        assert value is not None, f"README.md:{line} printed {text!r}, not a value a reader can compare"
        # Printed tag sequences (the CRF example) must obey the scheme the example constrains the CRF to.
        if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
            for row in value:
                assert violation(row, "BIO") is None, (row, violation(row, "BIO"))


@pytest.mark.parametrize("line, source", _blocks(ANY_BLOCK) + [(0, CRF_EXAMPLE.read_text(encoding="utf-8"))])
def test_examples_import_only_public_modules(line, source):
    private = [m for m in _nlpsuite_imports(source) if m not in PUBLIC_MODULES]
    assert not private, f"README.md:{line} imports {private}; use the public modules {sorted(PUBLIC_MODULES)}"


def test_public_modules_exist_and_export_what_they_list():
    import importlib

    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
        assert not missing, f"{name}.__all__ lists {missing}, which it does not define"


def test_readme_shows_the_checked_crf_example():
    assert CRF_EXAMPLE.read_text(encoding="utf-8") in [source for _, source in BLOCKS]


def test_crf_example_runs(capsys, tmp_path):
    import keras

    namespace = run_source(CRF_EXAMPLE.read_text(encoding="utf-8"), str(CRF_EXAMPLE))
    printed = capsys.readouterr().out.splitlines()
    rows = _literal(printed[0])
    assert len(rows) == 2 and all(len(r) == 9 and violation(r, "BIO") is None for r in rows), rows
    assert printed[1] == "(2, 12)"  # the CRFDecode tagger's output shape

    model, tagger, x = namespace["model"], namespace["tagger"], namespace["x_train"][:4]
    tag_ids = keras.ops.convert_to_numpy(namespace["tag_ids"])
    assert (tag_ids[:, 9:] == 0).all(), "decoded tags at padding must be 0"
    # In-graph decoding (the serving tagger) and the layer's own decode agree.
    np.testing.assert_array_equal(tagger.predict(x[:2], verbose=0), tag_ids)
    # The README says the model saves and reloads (safe mode) from a .keras file.
    model.save(tmp_path / "crf.keras")
    reloaded = keras.saving.load_model(tmp_path / "crf.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
