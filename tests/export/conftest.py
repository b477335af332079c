"""Tiny models of every task, trained for a step or two, for the export tests.

The data and settings come from each task's own test fixtures (``tests/<task>/conftest.py`` and
``tests/fixtures/``), with the training cut to one short epoch: an export must reproduce whatever the
Keras model computes, trained well or not.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures"


def task_conftest(task: str):
    """The ``conftest`` module of ``tests/<task>`` (its data helpers and tiny settings)."""
    spec = importlib.util.spec_from_file_location(f"_export_{task}_conftest", TESTS / task / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def edge_missing() -> str | None:
    """Why the export tests cannot run here, or None."""
    for module, what in (("ai_edge_litert", "ai-edge-litert"), ("onnxruntime", "onnxruntime"), ("tf2onnx", "tf2onnx")):
        if importlib.util.find_spec(module) is None:
            return f"{what} is not installed (pip install 'nlpsuite[edge]')"
    return None


requires_edge = pytest.mark.skipif(edge_missing() is not None, reason=edge_missing() or "")


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("export-models")


@pytest.fixture(scope="session")
def ner_model(models) -> Path:
    from nlpsuite.tasks.ner import NerConfig, NerTask

    settings = {**task_conftest("ner").TINY, "epochs": 1}
    out = models / "ner-en"
    NerTask.train(FIXTURES / "ner" / "en", NerConfig(**settings), out=out).save(out)
    return out


@pytest.fixture(scope="session")
def sentiment_model(models) -> Path:
    from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask

    settings = {**task_conftest("sentiment").TINY, "epochs": 1}
    out = models / "sentiment-en"
    SentimentTask.train(FIXTURES / "sentiment" / "en", SentimentConfig(**settings), out=out).save(out)
    return out


@pytest.fixture(scope="session")
def sentiment_ensemble_model(models) -> Path:
    """The tiny sentiment model as an ensemble of two (one averaged output from two members' layers)."""
    from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask

    settings = {**task_conftest("sentiment").TINY, "epochs": 1, "ensemble": 2}
    out = models / "sentiment-en-ensemble"
    SentimentTask.train(FIXTURES / "sentiment" / "en", SentimentConfig(**settings), out=out).save(out)
    return out


@pytest.fixture(scope="session")
def stock_csv(models) -> Path:
    path = models / "synthetic.csv"
    task_conftest("stock").write_series(path)
    return path


@pytest.fixture(scope="session")
def stock_model(models, stock_csv) -> Path:
    from nlpsuite import cli

    settings = {**task_conftest("stock").TINY_SETTINGS, "walk_forward": "false"}
    out = models / "stock"
    argv = ["train", "stock", "--data", str(stock_csv), "--out", str(out), "--epochs", "1"]
    for key, value in settings.items():
        argv += ["--set", f"{key}={value}"]
    assert cli.main(argv) == 0
    return out


@pytest.fixture(scope="session")
def poetry_model(models) -> Path:
    from nlpsuite.tasks.poetry import PoetryConfig, PoetryTask

    config = PoetryConfig(epochs=1, steps_per_epoch=2, batch_size=8, units=16, embedding_dim=8, seq_len=16,
                          num_layers=2, form_samples=2)
    out = models / "poetry-en"
    PoetryTask.train(str(FIXTURES / "poetry" / "tiny.txt"), config, out=out).save(out)
    return out


@pytest.fixture(scope="session")
def translation_data(models) -> Path:
    path = models / "toy.txt"
    pairs = task_conftest("translation").toy_pairs(300)
    path.write_text("".join(f"{target}\t{source}\n" for source, target in pairs), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def translation_model(models, translation_data) -> Path:
    from nlpsuite import cli

    out = models / "translation-spa-en"
    settings = [s for s in task_conftest("translation").TOY_SETTINGS if not s.startswith("steps_per_epoch")]
    argv = ["train", "translation", "--data", str(translation_data), "--out", str(out), "--epochs", "1",
            "--batch-size", "32", "--set", "steps_per_epoch=2", "--set", "units=16", "--set", "embedding_dim=8"]
    for setting in settings:
        if not setting.startswith(("units=", "embedding_dim=")):
            argv += ["--set", setting]
    assert cli.main(argv) == 0
    return out
