"""GPU readiness on a CPU machine: cuDNN-eligible recurrent defaults, mixed precision that keeps the CRF and the
softmax in float32, and the strategy flags' errors where the hardware is missing."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from nlpsuite.layers.crf import CRF, CRFLoss
from nlpsuite.layers.recurrent import RecurrentStack, cudnn_eligible, recurrent_stack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def keras_cudnn_conditions(layer: keras.layers.Layer) -> bool:
    """Keras's own test (the TensorFlow backend's argument check) plus the layer-level conditions it adds."""
    # The package re-exports a function named ``rnn``; import the module itself.
    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

    cell = layer.cell
    if isinstance(layer, keras.layers.GRU):
        args_ok = tf_rnn._do_gru_arguments_support_cudnn(
            cell.activation,
            cell.recurrent_activation,
            layer.unroll,
            cell.use_bias,
            cell.reset_after,
        )
    else:
        args_ok = tf_rnn._do_lstm_arguments_support_cudnn(
            cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias
        )
    # LSTM/GRU.inner_loop only tries the cuDNN kernel when use_cudnn allows it and recurrent_dropout
    # is 0.
    return args_ok and layer.use_cudnn in ("auto", True) and not cell.recurrent_dropout


def rnn_layers(stack: RecurrentStack) -> list[keras.layers.Layer]:
    found = []
    for layer in stack.recurrent_layers:
        if isinstance(layer, keras.layers.Bidirectional):
            found += [layer.forward_layer, layer.backward_layer]
        else:
            found.append(layer)
    return found


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="checks the TensorFlow cuDNN path")
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_default_recurrent_stacks_meet_keras_cudnn_conditions(cell, bidirectional):
    stack = recurrent_stack(8, num_layers=2, cell=cell, bidirectional=bidirectional, dropout=0.3)
    stack(np.zeros((2, 5, 4), "float32"))  # built, as in a model
    layers = rnn_layers(stack)
    assert len(layers) == (4 if bidirectional else 2)
    assert all(isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)) for layer in layers)
    assert all(keras_cudnn_conditions(layer) for layer in layers)
    assert cudnn_eligible(stack)  # recurrent.py's checker agrees with Keras


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="checks the TensorFlow cuDNN path")
def test_ineligible_settings_fail_both_checks():
    for kwargs in ({"recurrent_dropout": 0.2}, {"activation": "relu"}, {"use_cudnn": False}):
        stack = recurrent_stack(8, cell="gru", **kwargs)
        stack(np.zeros((1, 3, 2), "float32"))
        assert not cudnn_eligible(stack), kwargs
        assert not all(keras_cudnn_conditions(layer) for layer in rnn_layers(stack)), kwargs


def bilstm_crf(num_tags: int = 3) -> tuple[keras.Model, CRF]:
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(30, 8, mask_zero=True)(tokens)
    x = recurrent_stack(8, bidirectional=True)(x)
    crf = CRF(num_tags, constraints="bio", tags=["O", "B-PER", "I-PER"][:num_tags])
    return keras.Model(tokens, crf(keras.layers.Dense(num_tags)(x))), crf


@pytest.fixture
def mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_mixed_precision_keeps_the_crf_in_float32(mixed_bfloat16):
    model, crf = bilstm_crf()
    x = np.array([[4, 7, 9, 0], [3, 2, 0, 0]], "int32")
    y = np.array([[1, 2, 0, 0], [0, 1, 0, 0]], "int32")
    dense = model.layers[-2]
    assert dense.compute_dtype == "bfloat16"  # the policy is really on for the other layers
    assert crf.compute_dtype == "float32" and crf.variable_dtype == "float32"
    outputs = model(x)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    loss = CRFLoss()(y, outputs)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    log_likelihood = crf.log_likelihood(outputs, y)
    assert keras.backend.standardize_dtype(log_likelihood.dtype) == "float32"
    assert keras.backend.standardize_dtype(crf.marginals(outputs).dtype) == "float32"
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=CRFLoss())
    history = model.fit(x, y, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_mixed_precision_classifier_softmax_stays_float32(mixed_bfloat16):
    """The suite's own classifier (the sentiment model), not Keras's Dense: under mixed_bfloat16 its
    probabilities are float32 and sum to one to float32 precision (bfloat16 keeps ~3 digits)."""
    from nlpsuite.tasks.sentiment.config import SentimentConfig
    from nlpsuite.tasks.sentiment.model import build_model

    model = build_model(30, 3, SentimentConfig(embedding_dim=8, units=8, attention_units=4))
    assert any(layer.compute_dtype == "bfloat16" for layer in model.layers[1:])  # the policy is on
    out = model(np.array([[1, 2, 3, 0], [4, 5, 0, 0]], "int32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(np.sum(keras.ops.convert_to_numpy(out), axis=-1), 1.0, rtol=1e-6)


def test_ner_task_trains_under_mixed_precision_with_a_float32_crf(mixed_bfloat16, tmp_path):
    from nlpsuite.tasks.ner import NerConfig, NerTask

    config = NerConfig(
        epochs=1,
        batch_size=16,
        word_dim=8,
        char_dim=4,
        char_output_dim=8,
        casing_dim=2,
        units=8,
        dropout=0.0,
        unk_replace=0.0,
        mixed_precision=True,
    )
    task = NerTask.train(FIXTURES / "ner" / "en", config, out=tmp_path / "ner")
    crfs = [layer for layer in task.model._flatten_layers() if isinstance(layer, CRF)]
    assert len(crfs) == 1 and crfs[0].compute_dtype == "float32"
    stacks = [layer for layer in task.model._flatten_layers() if isinstance(layer, RecurrentStack)]
    assert stacks and all(stack.compute_dtype == "bfloat16" for stack in stacks)
    assert all(cudnn_eligible(stack) for stack in stacks)  # the task's default encoder is cuDNN-ready
    assert np.isfinite(task.evaluate(FIXTURES / "ner" / "en")["f1"])


def run_cli(*args: str, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nlpsuite", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
    )


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TPUStrategy is a tf.distribute path")
def test_tpu_strategy_without_a_tpu_is_a_clear_error():
    from nlpsuite import distribute
    from nlpsuite.errors import NlpsuiteError

    with pytest.raises(NlpsuiteError, match=r"--strategy tpu: no TPU found .*Cloud TPU VM.*TPU_NAME"):
        distribute.get_strategy("tpu")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the CLI test runs the TF path")
@pytest.mark.skipif(not (FIXTURES / "ner" / "en").exists(), reason="needs the NER task and its fixture")
def test_cli_strategy_tpu_exits_2_with_one_line(tmp_path):
    result = run_cli(
        "train",
        "ner",
        "--data",
        str(FIXTURES / "ner" / "en"),
        "--out",
        str(tmp_path / "m"),
        "--strategy",
        "tpu",
        env={"TPU_NAME": ""},
    )
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors and "--strategy tpu: no TPU found" in errors[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TF view of devices")
def test_gpu_strategy_without_a_gpu_is_a_clear_error():
    import tensorflow as tf

    from nlpsuite import distribute
    from nlpsuite.errors import NlpsuiteError

    if tf.config.list_logical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(NlpsuiteError, match="sees no GPU"):
        distribute.get_strategy("gpu")


def _sentiment_model() -> keras.Model:
    from nlpsuite.tasks.sentiment.config import SentimentConfig
    from nlpsuite.tasks.sentiment.model import build_model

    return build_model(500, 2, SentimentConfig())


def _poetry_model() -> keras.Model:
    from nlpsuite.tasks.poetry.model import build_model
    from nlpsuite.tasks.poetry.task import PoetryConfig

    config = PoetryConfig()
    return build_model(
        500,
        embedding_dim=config.embedding_dim,
        units=config.units,
        num_layers=config.num_layers,
        cell=config.cell,
        dropout=config.dropout,
    )


@pytest.mark.parametrize("build", [_sentiment_model, _poetry_model], ids=["sentiment", "poetry"])
def test_task_default_models_are_cudnn_ready_with_float32_outputs(build, mixed_bfloat16):
    """The tasks' default configurations: cuDNN-eligible encoders and a float32 output layer."""
    model = build()
    stacks = [layer for layer in model._flatten_layers() if isinstance(layer, RecurrentStack)]
    assert stacks and all(cudnn_eligible(stack) for stack in stacks)
    assert all(stack.compute_dtype == "bfloat16" for stack in stacks)
    out = model(np.ones((2, 5), "int32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
