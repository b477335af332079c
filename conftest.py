"""Doctest sandbox: `make test` runs every ``>>>`` example in ``nlpsuite/`` (``--doctest-modules nlpsuite``).

Each example runs in an empty temporary working directory with ``NLPSUITE_DATA_DIR`` pointing at an empty
folder, the way a fresh CI machine sees it: an example that needs data builds a tiny file itself, and
nothing an example writes lands in the checkout. Seeds are fixed so printed values are reproducible.
"""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def _doctest_sandbox(request: pytest.FixtureRequest) -> None:
    if not isinstance(request.node, DoctestItem):
        return  # ordinary tests keep their own fixtures and pay nothing here
    import keras

    tmp_path = request.getfixturevalue("tmp_path")
    monkeypatch = request.getfixturevalue("monkeypatch")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("NLPSUITE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
