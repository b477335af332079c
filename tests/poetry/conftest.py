"""Fixtures for the poetry tests: tiny corpora and tiny models trained for a step or two."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "poetry"
# Characters of the fixture poems: synthetic poems drawn from them have a realistic vocabulary.
POOL = (
    "床前明月光疑是地上霜举头望低思故乡春眠不觉晓处闻啼鸟"
    "夜来风雨声花落知多少白日依山尽黄河入海流欲穷千里目更一层楼"
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def synthetic_poem(rng: np.random.Generator, lines: int, width: int) -> str:
    return "".join(
        "".join(rng.choice(list(POOL), width)) + ("，" if i % 2 == 0 else "。")
        for i in range(lines)
    )


@pytest.fixture(scope="session")
def poems_json(tmp_path_factory) -> Path:
    """A chinese-poetry JSON file of 240 synthetic regulated poems (60 of each form)."""
    rng = np.random.default_rng(0)
    records = []
    for lines, width in [(4, 5), (4, 7), (8, 5), (8, 7)]:
        for i in range(60):
            text = synthetic_poem(rng, lines, width)
            half = len(text) // 2
            records.append(
                {"title": f"t{i}", "author": "a", "paragraphs": [text[:half], text[half:]]}
            )
    path = tmp_path_factory.mktemp("poems") / "poet.synthetic.0.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def _tiny_config(**changes):
    from nlpsuite.tasks.poetry import PoetryConfig

    values = dict(
        epochs=1,
        steps_per_epoch=2,
        batch_size=8,
        units=16,
        embedding_dim=8,
        seq_len=16,
        form_samples=8,
    )
    values.update(changes)
    return PoetryConfig(**values)


@pytest.fixture(scope="session")
def tiny_config():
    return _tiny_config


@pytest.fixture(scope="session")
def zh_trained(tmp_path_factory, poems_json):
    """A poem model trained for two batches, as ``train`` returned it (in memory, never reloaded: the
    save/load oracle's reference), and its folder ``.../poetry-zh``."""
    from nlpsuite.tasks.poetry import PoetryTask

    out = tmp_path_factory.mktemp("models") / "poetry-zh"
    return PoetryTask.train(str(poems_json), _tiny_config(), out=out), out


@pytest.fixture(scope="session")
def zh_model_dir(zh_trained) -> Path:
    """The poem model of ``zh_trained``, saved as ``.../poetry-zh``."""
    task, out = zh_trained
    task.save(out)
    return out


@pytest.fixture(scope="session")
def en_model_dir(zh_model_dir) -> Path:
    """A running-text model trained for two batches, saved beside the poem model as
    ``poetry-en``."""
    from nlpsuite.tasks.poetry import PoetryTask

    out = zh_model_dir.parent / "poetry-en"
    PoetryTask.train(str(FIXTURES / "tiny.txt"), _tiny_config(cell="gru"), out=out).save(out)
    return out
