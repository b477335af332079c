"""recurrent_stack / RecurrentStack / cudnn_eligible: structure, shapes, masks, states, saving."""

import doctest

import keras
import numpy as np
import pytest

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers import recurrent as recurrent_module
from nlpsuite.layers.recurrent import (
    RecurrentStack,
    cudnn_eligible,
    cudnn_ineligibility_reasons,
    recurrent_stack,
)

pytestmark = pytest.mark.backend_agnostic

BATCH, TIME, FEATURES, UNITS = 3, 5, 4, 6
INPUTS = np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_layers_are_stacked_with_dropout_layers_between():
    stack = recurrent_stack(UNITS, num_layers=3, cell="gru", dropout=0.3, return_sequences=False)
    stack.build((None, None, FEATURES))
    assert len(stack.recurrent_layers) == 3 and len(stack.dropout_layers) == 2
    assert all(isinstance(layer, keras.layers.GRU) for layer in stack.recurrent_layers)
    assert [layer.return_sequences for layer in stack.recurrent_layers] == [True, True, False]
    assert all(layer.dropout == 0 and layer.recurrent_dropout == 0 for layer in stack.recurrent_layers)
    assert [layer.rate for layer in stack.dropout_layers] == [0.3, 0.3]
    assert stack.compute_output_shape((BATCH, TIME, FEATURES)) == (BATCH, UNITS)
    assert recurrent_stack(UNITS, num_layers=2).dropout_layers == []


def test_bidirectional_output_shapes_without_calling():
    def stack(**kwargs):
        return recurrent_stack(UNITS, num_layers=2, bidirectional=True, **kwargs)

    assert all(isinstance(layer, keras.layers.Bidirectional) for layer in stack().recurrent_layers)
    shape = (BATCH, TIME, FEATURES)
    assert stack().compute_output_shape(shape) == (BATCH, TIME, 2 * UNITS)
    assert stack(merge_mode="sum").compute_output_shape(shape) == (BATCH, TIME, UNITS)
    assert stack(return_sequences=False).compute_output_shape(shape) == (BATCH, 2 * UNITS)
    # Real calls are checked against compute_output_shape in test_return_state_...


@pytest.mark.parametrize("cell, n_states", [("lstm", 2), ("gru", 1)])
def test_masked_bidirectional_states_and_padding_invariance(cell, n_states):
    stack = recurrent_stack(UNITS, num_layers=2, cell=cell, bidirectional=True, return_state=True)
    outputs, *states = stack(INPUTS, mask=MASK)
    assert len(states) == 2 * n_states
    declared = stack.compute_output_shape(INPUTS.shape)
    assert declared == [tuple(x.shape) for x in (outputs, *states)]
    assert declared[0] == (BATCH, TIME, 2 * UNITS) and declared[1] == (BATCH, 2 * UNITS)
    np.testing.assert_array_equal(_numpy(stack.compute_mask(INPUTS, MASK)[0]), MASK)

    # States are concat([forward, backward]): forward h is the forward output at the last real
    # step, backward h the backward output at the first step.
    last_h, outputs = _numpy(states[n_states]), _numpy(outputs)
    last_real = MASK.sum(axis=1) - 1
    np.testing.assert_allclose(last_h[:, :UNITS], outputs[np.arange(BATCH), last_real, :UNITS], atol=1e-6)
    np.testing.assert_allclose(last_h[:, UNITS:], outputs[:, 0, UNITS:], atol=1e-6)

    # Garbage in the padded steps must not leak into real steps or final states.
    noisy = np.where(MASK[..., None], INPUTS, 100.0).astype("float32")
    noisy_outputs, *noisy_states = stack(noisy, mask=MASK)
    real = MASK[..., None]
    np.testing.assert_allclose(_numpy(noisy_outputs) * real, outputs * real, atol=1e-5)
    for state, noisy_state in zip(states, noisy_states, strict=True):
        np.testing.assert_allclose(_numpy(noisy_state), _numpy(state), atol=1e-5)


def test_keras_mask_from_embedding_reaches_stack_and_leaves_it():
    tokens = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(10, FEATURES, mask_zero=True)(tokens)
    encoded = recurrent_stack(UNITS, num_layers=2, cell="gru")(embedded)
    # The second stack without return_sequences reads the last *real* step only if masked.
    last = recurrent_stack(UNITS, cell="gru", return_sequences=False)(encoded)
    model = keras.Model(tokens, last)
    ids = np.array([[3, 4, 0, 0], [3, 4, 5, 6]], dtype="int32")
    trimmed = np.array([[3, 4]], dtype="int32")
    padded_result = _numpy(model(ids))
    assert padded_result.shape == (2, UNITS)
    np.testing.assert_allclose(padded_result[0], _numpy(model(trimmed))[0], atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_matches_whole_sequence_call_from_encoder_state(cell):
    decoder = recurrent_stack(UNITS, num_layers=2, cell=cell, dropout=0.5, return_state=True)
    # Stand-in for a bidirectional encoder's states (UNITS // 2 per direction, concatenated).
    rng = np.random.default_rng(1)
    encoder_states = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(4)]
    encoder_states = encoder_states[: 2 * decoder.states_per_layer]
    outputs, *final_states = decoder(INPUTS, initial_state=encoder_states)

    states, steps = encoder_states, []
    for t in range(TIME):
        step_output, states = decoder.step(INPUTS[:, t], states)
        steps.append(_numpy(step_output))
    np.testing.assert_allclose(np.stack(steps, axis=1), _numpy(outputs), atol=1e-5)
    for state, final in zip(states, final_states, strict=True):
        np.testing.assert_allclose(_numpy(state), _numpy(final), atol=1e-5)


def test_get_initial_state_layout():
    zeros = recurrent_stack(UNITS, num_layers=2, cell="lstm", bidirectional=True).get_initial_state(BATCH)
    assert len(zeros) == 4 and all(_numpy(z).shape == (BATCH, 2 * UNITS) for z in zeros)
    assert not any(_numpy(z).any() for z in zeros)


def test_step_and_states_reject_bad_use():
    with pytest.raises(NlpsuiteError, match="bidirectional"):
        recurrent_stack(UNITS, bidirectional=True).step(INPUTS[:, 0], [])
    with pytest.raises(NlpsuiteError, match="expected 4 states"):
        recurrent_stack(UNITS, num_layers=2, cell="lstm")(INPUTS, initial_state=[INPUTS[:, 0]])


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"cell": "gru"}, {"bidirectional": True, "num_layers": 2, "dropout": 0.5}],
)
def test_defaults_are_cudnn_eligible(kwargs):
    stack = recurrent_stack(UNITS, **kwargs)
    stack.build((None, None, FEATURES))
    assert cudnn_eligible(stack) and cudnn_ineligibility_reasons(stack) == []


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"recurrent_dropout": 0.2}, "recurrent_dropout=0.2"),
        ({"activation": "relu"}, "activation is not tanh"),
        ({"recurrent_activation": "hard_sigmoid"}, "recurrent_activation is not sigmoid"),
        ({"use_bias": False}, "use_bias=False"),
        ({"unroll": True}, "unroll=True"),
        ({"use_cudnn": False}, "use_cudnn=False"),
        ({"cell": "gru", "reset_after": False}, "reset_after=False"),
        ({"cell": "simple_rnn"}, "SimpleRNN has no cuDNN kernel"),
    ],
)
def test_ineligible_choices_are_reported(kwargs, reason):
    stack = recurrent_stack(UNITS, num_layers=2, bidirectional=True, name="enc", **kwargs)
    stack.build((None, TIME, FEATURES))
    reasons = cudnn_ineligibility_reasons(stack)
    assert not cudnn_eligible(stack)
    assert len(reasons) == 4 and all(reason in r for r in reasons)  # 2 layers x 2 directions
    assert not cudnn_eligible(stack.recurrent_layers[0].forward_layer)


def test_plain_keras_layers_can_be_checked():
    assert cudnn_eligible(keras.layers.LSTM(3)) and cudnn_eligible(keras.layers.GRU(3))
    assert not cudnn_eligible(keras.layers.LSTM(3, activation="relu"))
    with pytest.raises(NlpsuiteError, match="Dense"):
        cudnn_eligible(keras.layers.Dense(3))


def _encoder_model(stack):
    tokens = keras.Input((None,), dtype="int32")
    outputs = stack(keras.layers.Embedding(10, FEATURES, mask_zero=True)(tokens))
    return keras.Model(tokens, outputs)


@pytest.mark.parametrize(
    "make_stack",
    [
        lambda: recurrent_stack(
            UNITS, num_layers=2, cell="lstm", bidirectional=True, dropout=0.3, return_state=True,
            kernel_regularizer=keras.regularizers.L2(1e-3), kernel_initializer="orthogonal",
        ),
        lambda: recurrent_stack(UNITS, cell="gru", return_sequences=False, use_cudnn=False),
    ],
    ids=["bilstm-states", "gru-last"],
)  # fmt: skip
def test_save_and_reload_with_safe_mode_gives_identical_outputs(make_stack, tmp_path):
    model = _encoder_model(make_stack())
    ids = np.array([[3, 4, 0, 0], [3, 4, 5, 6]], dtype="int32")
    before = [_numpy(x) for x in keras.tree.flatten(model(ids))]
    model.save(tmp_path / "encoder.keras")
    loaded = keras.saving.load_model(tmp_path / "encoder.keras", safe_mode=True)
    after = [_numpy(x) for x in keras.tree.flatten(loaded(ids))]
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_get_config_round_trip_keeps_layer_kwargs():
    stack = recurrent_stack(
        UNITS, num_layers=2, cell="gru", bidirectional=True, dropout=0.1, merge_mode="ave",
        return_state=True, name="encoder", recurrent_initializer=keras.initializers.Orthogonal(2.0),
        use_cudnn=False,
    )  # fmt: skip
    config = stack.get_config()
    clone = RecurrentStack.from_config(config)
    assert clone.get_config() == config
    inner = clone.recurrent_layers[1].forward_layer
    assert inner.cell.recurrent_initializer.gain == 2.0 and inner.use_cudnn is False
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(stack))
    assert isinstance(revived, RecurrentStack) and revived.get_config() == config


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell": "transformer"}, "cell must be one of"),
        ({"merge_mode": None}, "merge_mode must be one of"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"num_layers": 0}, "num_layers must be >= 1"),
        ({"go_backwards": True}, "go_backwards cannot be passed"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(NlpsuiteError, match=message):
        recurrent_stack(UNITS, **kwargs)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the examples are backend-agnostic: checked under TensorFlow only, to save time",
)
def test_docstring_examples_run():
    failures, tried = doctest.testmod(recurrent_module)
    assert tried > 0 and failures == 0
