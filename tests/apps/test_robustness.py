"""No page shows a traceback for hostile input: empty, 10,000 characters, emoji, mixed scripts, bad uploads.

Every page runs under AppTest against real models, trained here for a step or two on the tests' own fixtures
(quality is irrelevant: the point is that the real predict paths see the input). ``NLPSUITE_MODELS_DIR``
points ``apps.ui`` at them.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from .widgets import by_label

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "apps" / "views"
FIXTURES = ROOT / "tests" / "fixtures"

LONG = ("The quick brown fox jumps over the lazy dog near Paris. " * 200)[:10_000]
EMOJI = "🎉🔥 Great 😀 film 👍🏽 from Apple 🍎 in Tokyo 🗼 !!! 🤖"
MIXED = "Angela Merkel 在北京 met Путин и 東京 के साथ مرحبا 🎉 ¿Dónde está la biblioteca?"
HOSTILE = {"empty": "", "blank": " \n\t ", "long": LONG, "emoji": EMOJI, "mixed": MIXED}

BAD_UPLOADS = {
    "empty": b"",
    "whitespace": b" \n \n",
    "binary": bytes(range(256)) * 4,  # invalid UTF-8
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    "wrong-columns": b"foo,bar\n1,2\n3,4\n",
    "ragged": b'a,b\n1,2,3,4\n"unterminated\n',
}


# --- tiny real models --------------------------------------------------------------------------------------


def _toy_translation_pairs(path: Path, count: int = 400) -> Path:
    words = ["ba", "ko", "mi", "tu", "la", "ne", "si", "ro"]
    rng = random.Random(0)
    lines = set()
    while len(lines) < count:
        source = [rng.choice(words) for _ in range(rng.randint(2, 5))]
        lines.add(f"{' '.join(reversed(source))}\t{' '.join(source)}\n")
    path.write_text("".join(sorted(lines)), encoding="utf-8")
    return path


def _synthetic_prices(path: Path, days: int = 420) -> Path:
    rng = np.random.default_rng(0)
    close = 50 * np.exp(np.cumsum(rng.normal(scale=0.01, size=days)))
    dates = np.busday_offset(np.datetime64("2015-01-01"), np.arange(days), roll="forward")
    rows = [f"{d},{c:.4f},{rng.integers(1000, 2000)}" for d, c in zip(dates, close, strict=True)]
    path.write_text("Date,Close,Volume\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _synthetic_poems(path: Path) -> Path:
    """A chinese-poetry JSON file of regulated poems (60 of each form) over the characters of famous ones."""
    pool = list("床前明月光疑是地上霜举头望低思故乡春眠不觉晓处闻啼鸟夜来风雨声花落知多少白日依山尽黄河入海流")
    rng = random.Random(0)
    records = []
    for lines, width in [(4, 5), (4, 7), (8, 5), (8, 7)]:
        for i in range(60):
            text = "".join("".join(rng.choices(pool, k=width)) + "，。"[j % 2] for j in range(lines))
            half = len(text) // 2
            records.append({"title": f"t{i}", "author": "a", "paragraphs": [text[:half], text[half:]]})
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def build_tiny_models(root: Path, names: tuple[str, ...] | None = None) -> Path:
    """Trains one or two steps of each page's model into ``root/<name>`` (the saved_models layout)."""
    from nlpsuite.tasks.ner import NerConfig, NerTask
    from nlpsuite.tasks.poetry import PoetryConfig, PoetryTask
    from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask
    from nlpsuite.tasks.stock import StockConfig, StockTask
    from nlpsuite.tasks.translation import TranslationConfig, TranslationTask

    root.mkdir(parents=True, exist_ok=True)
    data = root / "_data"
    data.mkdir(exist_ok=True)
    recipes = {
        "ner-en": lambda: (NerTask, FIXTURES / "ner" / "en", NerConfig(
            epochs=1, batch_size=16, word_dim=8, char_dim=4, char_output_dim=8, casing_dim=2, units=8,
            dropout=0.0, predict_jit=False)),  # XLA would compile once per input shape: minutes here
        "sentiment-en": lambda: (SentimentTask, FIXTURES / "sentiment" / "en", SentimentConfig(
            epochs=1, batch_size=64, embedding_dim=8, units=8, attention_units=4)),
        "translation-spa-en": lambda: (TranslationTask, _toy_translation_pairs(data / "toy.txt"), TranslationConfig(
            direction="toy-en", source_vocabulary_size=30, target_vocabulary_size=30, max_length=12,
            embedding_dim=8, units=8, attention_units=8, dropout=0.0, epochs=1, steps_per_epoch=2,
            batch_size=32, dev_bleu_sentences=10, beam_size=2)),
        "poetry-zh": lambda: (PoetryTask, _synthetic_poems(data / "poet.synthetic.0.json"), PoetryConfig(
            epochs=1, steps_per_epoch=2, batch_size=8, units=8, embedding_dim=4, seq_len=16, form_samples=4)),
        "poetry-en": lambda: (PoetryTask, FIXTURES / "poetry" / "tiny.txt", PoetryConfig(
            epochs=1, steps_per_epoch=2, batch_size=8, units=8, embedding_dim=4, seq_len=16, cell="gru")),
        "stock": lambda: (StockTask, _synthetic_prices(data / "prices.csv"), StockConfig(
            epochs=1, batch_size=64, units=4, lookback=20, horizon=5, jit_compile=False, walk_forward=False,
            min_train_days=200, initial_epochs=1, baseline_window=100, train_end="2016-03-31", patience=1)),
    }
    for name in names or tuple(recipes):
        if (root / name / "config.json").exists():
            continue
        task_class, source, config = recipes[name]()
        task_class.train(source, config, out=root / name).save(root / name)
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Iterator[Path]:
    """A models folder with every page's model, and ``apps.ui`` pointed at it.

    ``NLPSUITE_TEST_MODELS=DIR`` keeps the tiny models in DIR between runs (built there when missing).
    """
    cache = os.environ.get("NLPSUITE_TEST_MODELS")
    root = build_tiny_models(Path(cache) if cache else tmp_path_factory.mktemp("tiny-models"))
    old = os.environ.get("NLPSUITE_MODELS_DIR")
    os.environ["NLPSUITE_MODELS_DIR"] = str(root)
    _forget_ui()
    yield root
    if old is None:
        os.environ.pop("NLPSUITE_MODELS_DIR", None)
    else:
        os.environ["NLPSUITE_MODELS_DIR"] = old
    _forget_ui()


def _forget_ui() -> None:
    # apps.ui reads NLPSUITE_MODELS_DIR at import; the next page run imports it afresh.
    for module in ("apps.ui", "apps"):
        sys.modules.pop(module, None)


def page(name: str) -> AppTest:
    """The page after its first run, with its model loaded."""
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=180).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert not at.warning or "in-sample" in at.warning[0].value, at.warning[0].value
    return at


def assert_clean(at: AppTest, kind: str) -> None:
    """No exception element, and no error message that is an unexpected failure rather than a user error."""
    assert not at.exception, (kind, [e.value for e in at.exception])
    unexpected = [e.value for e in at.error if e.value.startswith("Something went wrong")]
    assert not unexpected, (kind, unexpected)


# --- text input: one AppTest per page, fed every hostile text in turn (each is a fresh script run) --------


def _empty_is_a_message(at: AppTest, kind: str) -> bool:
    if kind in ("empty", "blank"):
        assert "Type or paste some text first." in [e.value for e in at.error], kind
        return True
    assert not at.error, (kind, at.error[0].value)
    return False


def test_ner_text(models):
    at = page("ner")
    for kind, text in HOSTILE.items():
        by_label(at.text_area, "Text").set_value(text)
        by_label(at.button, "Find entities").click().run()
        assert_clean(at, kind)
        if not _empty_is_a_message(at, kind):  # the highlighted text came back, whatever was tagged
            assert any("Types:" in m.value for m in at.markdown), kind


def test_sentiment_text(models):
    at = page("sentiment")
    for kind, text in HOSTILE.items():
        by_label(at.text_area, "Text").set_value(text)
        by_label(at.button, "Classify").click().run()
        assert_clean(at, kind)
        if not _empty_is_a_message(at, kind):
            assert at.subheader[0].value in ("positive", "negative"), kind


def test_translation_text(models):
    at = page("translation")
    by_label(at.slider, "Beam size").set_value(1)  # greedy keeps the 10,000-character case quick
    for kind, text in HOSTILE.items():
        by_label(at.text_area, "Source text").set_value(text)
        by_label(at.button, "Translate").click().run()
        assert_clean(at, kind)
        if not _empty_is_a_message(at, kind):
            assert any("→" in m.value for m in at.markdown), kind


@pytest.mark.parametrize("model", ["poetry-zh", "poetry-en"])
def test_poetry_prompt(models, model):
    at = page("poetry")
    at.radio(key="poetry_model").set_value(model).run()
    if model == "poetry-en":
        at.number_input(key="poetry_max_length").set_value(40)
    for kind, text in HOSTILE.items():
        at.text_area(key="poetry_prompt").set_value(text)
        at.button(key="poetry_generate").click().run()
        assert_clean(at, kind)
        if kind == "long":  # over the page's 2,000-character prompt limit
            assert at.error and "limit" in at.error[0].value, kind
        elif not at.error:
            assert at.session_state["poetry_text"], kind


def test_poetry_acrostic(models):
    at = page("poetry")
    for kind in ("emoji", "mixed", "long"):
        at.text_input(key="poetry_acrostic").set_value(HOSTILE[kind][:16])
        at.button(key="poetry_generate").click().run()
        assert_clean(at, kind)
        assert at.error, f"{kind}: an acrostic that does not fit the form must say so"


def test_rnn_lab_sentence():
    at = AppTest.from_file(str(PAGES / "rnn_lab.py"), default_timeout=180).run()
    for kind, text in HOSTILE.items():
        by_label(at.text_input, "Sentence").set_value(text).run()
        assert_clean(at, kind)
        _empty_is_a_message(at, kind)


# --- uploads -------------------------------------------------------------------------------------------------


def test_ner_bad_uploads(models):
    at = page("ner")
    for kind, data in BAD_UPLOADS.items():
        by_label(at.file_uploader, "File").set_value((f"{kind}.txt", data, "text/plain")).run()
        assert_clean(at, kind)
        if kind in ("empty", "whitespace"):
            assert "empty" in at.error[0].value, kind
        if kind in ("binary", "png"):
            assert "not UTF-8" in at.error[0].value, kind


def test_sentiment_bad_uploads(models):
    at = page("sentiment")
    for kind, data in BAD_UPLOADS.items():
        by_label(at.file_uploader, "CSV or TSV with a text column").set_value((f"{kind}.csv", data, "text/csv")).run()
        assert_clean(at, kind)
        assert at.error, f"{kind}: a file that cannot be scored must say why"
        assert f"{kind}.csv" in at.error[0].value, kind  # the message names the user's file
    # No column named like text: refused, naming the columns found and the one expected (not scored silently).
    by_label(at.file_uploader, "CSV or TSV with a text column").set_value(
        ("numbers.csv", b"id,score\n1,5\n2,3\n", "text/csv")).run()
    assert_clean(at, "numbers")
    assert "id, score" in at.error[0].value and "'text'" in at.error[0].value and not at.dataframe


def test_stock_bad_uploads(models):
    at = page("stock")
    by_label(at.radio, "Series").set_value("Upload CSV").run()
    uploader = "Daily prices: a CSV with a Date column and Close or Adj Close (Volume optional)"
    for kind, data in BAD_UPLOADS.items():
        by_label(at.file_uploader, uploader).set_value((f"{kind}.csv", data, "text/csv")).run()
        assert_clean(at, kind)
        assert at.error, f"{kind}: a file that is not a price series must say why"
        assert "nlpsuite-stock-" not in at.error[0].value, "the server's temp copy must not be named"
    wrong = b"when,price\n2020-01-02,3\n2020-01-03,4\n"
    by_label(at.file_uploader, uploader).set_value(("prices.csv", wrong, "text/csv")).run()
    assert_clean(at, "wrong columns")
    assert "date" in at.error[0].value.lower() and "prices.csv" in at.error[0].value
