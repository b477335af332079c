"""Constrained decoding, sampling and the step model, on untrained models (fast, and the
constraints must hold
whatever the model predicts)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlpsuite.data import corpus
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.poetry import preprocess
from nlpsuite.tasks.poetry.generate import Generator, rhyme_group, sample
from nlpsuite.tasks.poetry.model import NumpyStep, build_model, build_step_model, compile_step

from .conftest import FIXTURES


def _codec(mode="poems"):
    if mode == "poems":
        data = preprocess.load_corpus(FIXTURES, list(corpus.FORMS), simplified=True)
        data.splits["train"] += data.splits["dev"] + data.splits["test"]
    else:
        data = preprocess.load_corpus(FIXTURES / "tiny.txt", [], simplified=False)
    return preprocess.CharCodec.build(data, max_vocab=4000, min_count=1)


@pytest.fixture(scope="module")
def zh():
    keras.utils.set_random_seed(0)
    codec = _codec()
    model = build_model(
        len(codec), embedding_dim=8, units=16, num_layers=2, cell="lstm", dropout=0.0
    )
    return Generator(model, codec)


@pytest.fixture(scope="module")
def en():
    keras.utils.set_random_seed(0)
    codec = _codec("text")
    model = build_model(
        len(codec), embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0
    )
    return Generator(model, codec)


def _poem(generator, prompt="", **options):
    return "".join(generator.stream(prompt, **options))


FORMS = st.sampled_from(sorted(corpus.FORMS))
SAMPLING = dict(
    seed=st.integers(0, 2**31 - 1),
    temperature=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
    top_k=st.sampled_from([0, 1, 5, 50]),
    top_p=st.sampled_from([1.0, 0.9, 0.3]),
)
# derandomize: the same examples on every run, so two runs of the suite pass or fail alike.
FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FAST
@given(form=FORMS, rhyme=st.booleans(), **SAMPLING)
def test_every_sample_has_the_form(zh, form, rhyme, seed, temperature, top_k, top_p):
    text = _poem(
        zh, form=form, rhyme=rhyme, seed=seed, temperature=temperature, top_k=top_k, top_p=top_p
    )
    assert corpus.check_form(text, form), text
    assert all(zh.codec.han[zh.codec.id(c)] for c in text if c not in "，。")
    # Rhymes are judged against an independent table in test_rhyme_oracle.py.


@FAST
@given(form=FORMS, heads=st.text(alphabet="春夏秋冬风花雪月龘", min_size=8, max_size=8), **SAMPLING)
def test_acrostic_heads_begin_the_lines(zh, form, heads, seed, temperature, top_k, top_p):
    heads = heads[: corpus.FORMS[form][0]]
    text = _poem(
        zh, form=form, acrostic=heads, seed=seed, temperature=temperature, top_k=top_k, top_p=top_p
    )
    assert corpus.check_form(text, form, acrostic=heads), text


def test_acrostic_without_form_writes_one_seven_character_line_per_head(zh):
    text = _poem(zh, acrostic="春夏秋", seed=1)
    assert [len(s) for s in corpus.line_segments(text)] == [7, 7, 7]
    assert [s[0] for s in corpus.line_segments(text)] == list("春夏秋")


def test_traditional_acrostic_is_converted(zh):
    text = _poem(zh, form="wujue", acrostic="風華雪月", seed=1)
    assert [s[0] for s in corpus.line_segments(text)] == list("风华雪月")


def test_prompt_is_laid_into_the_form(zh):
    text = _poem(zh, "床前明月光疑", form="wujue", seed=4)
    assert text.startswith("床前明月光，疑") and corpus.check_form(text, "wujue")
    assert _poem(zh, "床前明月光。", form="wujue", seed=4).startswith("床前明月光，")


@pytest.mark.parametrize(
    ("prompt", "options", "message"),
    [
        (
            "床前明月光疑是地上霜举头望明月低头思故乡啊",
            {"form": "wujue"},
            "longer than the whole poem",
        ),
        ("abc", {"form": "wujue"}, "not a Chinese character"),
        ("，床", {"form": "wujue"}, "punctuation where the form needs a character"),
        ("床", {"form": "wujue", "acrostic": "春夏秋冬"}, "acrostic puts '春' there"),
        ("", {"form": "sonnet"}, "form='sonnet': choose one of"),
        ("", {"form": "wujue", "acrostic": "春夏"}, "wujue has 4 lines"),
        ("", {"acrostic": "春a"}, "not a Chinese character"),
        ("", {"rhyme": True}, "rhyme=true needs a form"),
        ("", {"temperature": -1}, "temperature=-1.0"),
        ("", {"top_k": 1.5}, "top_k=1.5: expected an integer"),
        ("", {"top_p": 0}, "top_p=0.0"),
        ("", {"seed": "x"}, "seed='x'"),
        ("", {"beam_size": 3}, "unknown option"),
    ],
)
def test_bad_options_are_clear_errors(zh, prompt, options, message):
    with pytest.raises(NlpsuiteError, match=message):
        zh.stream(prompt, **options)


def test_same_seed_same_poem_and_greedy_is_deterministic(zh):
    assert _poem(zh, form="qijue", seed=7) == _poem(zh, form="qijue", seed=7)
    assert _poem(zh, form="qijue", temperature=0) == _poem(zh, form="qijue", temperature=0, seed=99)


def test_free_poem_stops_at_end_marker_or_max_length(zh):
    text = _poem(zh, seed=3, max_length=30)
    assert 0 < len(text) <= 30
    assert "<" not in text


def test_running_text_continues_the_prompt(en):
    text = _poem(en, "THE BOY:", seed=2, max_length=40)
    assert text.startswith("THE BOY:") and len(text) == len("THE BOY:") + 40
    assert len(_poem(en, "", seed=2, max_length=25)) == 25
    with pytest.raises(NlpsuiteError, match="need a Chinese poem model"):
        en.stream("", form="wujue")


@pytest.mark.parametrize("engine", ["keras", "numpy"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_by_step_matches_the_full_sequence_pass(cell, engine):
    keras.utils.set_random_seed(1)
    model = build_model(30, embedding_dim=6, units=12, num_layers=2, cell=cell, dropout=0.1)
    for (
        weight
    ) in model.weights:  # untrained weights are too small to expose a mistake; make them matter
        weight.assign(np.random.default_rng(0).normal(0, 0.5, weight.shape).astype("float32"))
    ids = np.random.default_rng(2).integers(0, 30, (2, 25)).astype("int32")
    full = keras.ops.convert_to_numpy(keras.ops.softmax(model(ids, training=False), axis=-1))
    step = compile_step(build_step_model(model), engine)
    assert isinstance(step, NumpyStep) == (engine == "numpy")
    states = [np.zeros((2, 12), "float32")] * (4 if cell == "lstm" else 2)
    for t in range(ids.shape[1]):
        logits, states = step(ids[:, t], states)
        probs = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
        np.testing.assert_allclose(probs, full[:, t], atol=1e-5)


def test_keras_engine_step_shares_the_trained_weights():
    # The Keras step model holds the trained variables themselves, not copies: an update shows at
    # once.
    model = build_model(20, embedding_dim=4, units=8, num_layers=1, cell="lstm", dropout=0.0)
    step = compile_step(build_step_model(model), "keras")
    ids, states = np.array([3], "int32"), [np.zeros((1, 8), "float32")] * 2
    before, _ = step(ids, states)
    dense = model.get_layer("logits")
    dense.bias.assign(keras.ops.convert_to_numpy(dense.bias) + 1.0)
    after, _ = step(ids, states)
    np.testing.assert_allclose(after, before + 1.0, atol=1e-5)


def test_sampler_top_k_top_p_temperature():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    assert {sample(logits, rng, top_k=1) for _ in range(50)} == {0}
    assert {sample(logits, rng, top_p=0.4) for _ in range(50)} == {0}
    assert {sample(logits, rng, top_p=0.7) for _ in range(200)} == {0, 1}
    assert {sample(logits, rng, top_k=2) for _ in range(200)} == {0, 1}
    assert sample(logits, rng, temperature=0) == 0
    assert {sample(logits, rng, np.array([False, False, True, True])) for _ in range(200)} == {2, 3}
    draws = [sample(logits, np.random.default_rng(s)) for s in range(4000)]
    assert abs(draws.count(0) / 4000 - 0.5) < 0.03


def test_top_p_over_a_large_vocabulary():
    rng = np.random.default_rng(0)
    flat = np.zeros(1000)  # the 256 most likely ids hold too little mass: the full sort is used
    assert max(sample(flat, rng, top_p=0.5) for _ in range(300)) <= 500
    peaked = np.full(1000, -20.0)
    peaked[[7, 700]] = [5.0, 4.0]
    assert {sample(peaked, rng, top_p=0.99) for _ in range(300)} == {7, 700}


def test_rhyme_groups():
    assert rhyme_group("光") == rhyme_group("乡") == rhyme_group("霜") == "唐"
    assert rhyme_group("时") == "支" and rhyme_group("西") == "齐"
    assert rhyme_group("a") is None
