"""``architecture=lstm|gru|rwkv|transformer``: one task, one generator; tiny models trained for two
batches, saved, reloaded in safe mode, stepped, scored and sized."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import nlpsuite
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.base import config_from_dict
from nlpsuite.tasks.poetry import PoetryConfig, PoetryTask
from nlpsuite.tasks.poetry.model import (
    NumpyStep,
    architecture_of,
    build_model,
    build_step_model,
    compile_step,
    state_bytes,
    zero_states,
)
from nlpsuite.tasks.poetry.sizing import estimate_parameters, parameter_count, units_for_parameters
from nlpsuite.tasks.poetry.task import _windowed_nll

from .conftest import FIXTURES

NEW = ["rwkv", "transformer"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_config):
    """architecture -> (task trained for two batches, its saved folder)."""
    models = {}
    for architecture in NEW:
        out = tmp_path_factory.mktemp("arch") / f"poetry-en-{architecture}"
        config = tiny_config(architecture=architecture, num_layers=2, num_heads=2)
        task = PoetryTask.train(str(FIXTURES / "tiny.txt"), config, out=out)
        task.save(out)
        models[architecture] = (task, out)
    return models


@pytest.mark.parametrize("architecture", NEW)
def test_train_save_reload_and_generate_identically(trained, architecture):
    task, folder = trained[architecture]
    before = task.predict(["THE KEEPER:"], seed=4, max_length=90, temperature=0.8)[0]["text"]
    loaded = nlpsuite.load(folder)  # safe_mode=True: only registered layers load
    assert loaded.config.architecture == architecture and architecture_of(loaded.model) == architecture
    after = loaded.predict(["THE KEEPER:"], seed=4, max_length=90, temperature=0.8)[0]["text"]
    assert after == before and len(after) == len("THE KEEPER:") + 90
    metrics = loaded.evaluate(str(FIXTURES / "tiny.txt"))
    assert 0 < metrics["bits_per_char"] < 1.2 * np.log2(len(loaded.codec))
    assert any(note.startswith("architecture:") for note in loaded.info["notes"])


@pytest.mark.parametrize("architecture", ["lstm", "gru", *NEW])
def test_step_form_matches_the_full_sequence_form(architecture):
    keras.utils.set_random_seed(3)
    model = build_model(
        25, embedding_dim=8, units=16, num_layers=2, cell="lstm", dropout=0.0, architecture=architecture, num_heads=2
    )
    for weight in model.weights:  # untrained weights are too small to expose a mistake
        if len(weight.shape) == 2:
            weight.assign(np.random.default_rng(0).normal(0, 0.4, weight.shape).astype("float32"))
    # 80 steps: the Transformer's cache outgrows its first capacity (64) on the way.
    ids = np.random.default_rng(1).integers(0, 25, (2, 80)).astype("int32")
    full = model.predict_on_batch(ids)
    step = compile_step(build_step_model(model), "keras")
    states = zero_states(model, 2)
    for t in range(ids.shape[1]):
        logits, states = step(ids[:, t], states)
        np.testing.assert_allclose(np.asarray(logits), full[:, t], atol=1e-4, rtol=1e-4)
    if architecture == "transformer":
        assert states[1].shape[2] == 128 and int(np.asarray(states[0])) == 80
    else:
        assert state_bytes(states) == state_bytes(zero_states(model, 2))  # fixed-size state


def test_auto_engine_is_numpy_for_recurrent_stacks_and_keras_otherwise():
    for architecture, numpy_engine in [("lstm", True), ("rwkv", False), ("transformer", False)]:
        model = build_model(
            12, embedding_dim=4, units=8, num_layers=1, cell="lstm", dropout=0.0, architecture=architecture
        )
        assert isinstance(compile_step(build_step_model(model)), NumpyStep) == numpy_engine


def test_cell_keeps_working_and_configs_without_architecture_load_as_before():
    saved = {"cell": "gru", "units": 32}  # a config.json written before `architecture` existed
    assert config_from_dict(PoetryConfig, saved).architecture == "gru"
    assert config_from_dict(PoetryConfig, {"cell": "lstm"}).architecture == "lstm"
    assert PoetryConfig(architecture="gru").cell == "gru"
    assert PoetryConfig(architecture="rwkv", cell="lstm").architecture == "rwkv"


def test_committed_poetry_model_without_architecture_still_loads_as_lstm():
    folder = FIXTURES.parents[2] / "saved_models" / "poetry-en"
    if not (folder / "model.keras").exists():
        pytest.skip("no committed poetry-en model in this checkout")
    task = nlpsuite.load(folder)
    assert task.config.architecture == architecture_of(task.model) == task.config.cell
    assert isinstance(task.generator.step, NumpyStep)  # the same fast path as before


@pytest.mark.parametrize("architecture", ["lstm", "gru", "rwkv", "transformer"])
def test_parameter_formula_matches_the_built_model(architecture):
    config = PoetryConfig(architecture=architecture, num_layers=2, num_heads=4, embedding_dim=16)
    assert estimate_parameters(65, config, 24) == parameter_count(65, config, 24)


def test_units_for_parameters_sizes_every_architecture_to_the_lstm():
    target = parameter_count(65, PoetryConfig(units=48, num_layers=2, embedding_dim=16))
    for architecture in ["rwkv", "transformer"]:
        config = PoetryConfig(architecture=architecture, num_layers=2, num_heads=4, embedding_dim=16)
        units, count = units_for_parameters(65, config, target)
        assert abs(count - target) <= 0.1 * target and count == estimate_parameters(65, config, units)
        assert units % 4 == 0 if architecture == "transformer" else units > 0
    with pytest.raises(NlpsuiteError, match="more than 10% off"):
        units_for_parameters(65, PoetryConfig(architecture="rwkv"), 50)


def test_match_parameters_is_applied_at_training_time(tiny_config, tmp_path):
    target = parameter_count(40, tiny_config(units=24))
    config = tiny_config(architecture="rwkv", num_layers=1, match_parameters=target, steps_per_epoch=1)
    task = PoetryTask.train(str(FIXTURES / "tiny.txt"), config, out=tmp_path / "m")
    assert task.config.units != config.units
    assert abs(task.model.count_params() - target) <= 0.1 * target


def test_windowed_scoring_scores_every_character_once():
    class Uniform:
        def predict_on_batch(self, x):
            return np.zeros((*x.shape, 7), "float32")

    ids = np.random.default_rng(0).integers(0, 7, 301)
    for window in (16, 17, 64, 400):
        nats, count = _windowed_nll(Uniform(), ids, window, rows_per_batch=3)
        assert count == 300 and nats == pytest.approx(np.log(7))


def test_bad_architecture_options():
    with pytest.raises(NlpsuiteError, match="choose one of lstm, gru, rwkv, transformer"):
        build_model(10, embedding_dim=4, units=8, num_layers=1, cell="lstm", dropout=0.0, architecture="mamba")
    with pytest.raises(NlpsuiteError, match="not a multiple of num_heads"):
        build_model(10, embedding_dim=4, units=10, num_layers=1, cell="lstm", dropout=0.0, architecture="transformer")
