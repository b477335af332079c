"""BahdanauAttention / LuongAttention: shapes, NumPy references, masking, saving."""

import doctest

import keras
import numpy as np
import pytest

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers import attention as attention_module
from nlpsuite.layers.attention import BahdanauAttention, LuongAttention

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(0)
QUERY_DIM, VALUE_DIM, SOURCE_LEN, TARGET_LEN = 4, 6, 5, 3
# Row 0: three real source tokens; row 1: all real; row 2: nothing real (must not give NaN).
SOURCE_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)


def _random(*shape):
    return RNG.normal(size=shape).astype("float32")


def _np_softmax(scores, mask):
    scores = np.where(mask, scores, -np.inf)
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _weights(layer):
    return {v.path.split("/")[-1]: keras.ops.convert_to_numpy(v) for v in layer.weights}


def _reference_scores(layer, query, values):
    """Scores [B, Tq, Tv] written out independently of the layer, in NumPy."""
    w = _weights(layer)
    if isinstance(layer, BahdanauAttention) or layer.score == "concat":
        hidden = (query @ w["query_kernel"])[:, :, None, :] + (values @ w["values_kernel"])[:, None]
        hidden = hidden + w.get("bias", 0.0)
        scores = np.tanh(hidden) @ w["score_kernel"]
    elif layer.score == "general":
        scores = np.einsum("bqd,de,bve->bqv", query, w["kernel"], values)
    else:
        scores = np.einsum("bqd,bvd->bqv", query, values)
    return scores * w.get("scale", 1.0)


LAYERS = [
    pytest.param(lambda: BahdanauAttention(7), QUERY_DIM, id="bahdanau"),
    pytest.param(lambda: BahdanauAttention(7, use_bias=False), QUERY_DIM, id="bahdanau-nobias"),
    pytest.param(lambda: LuongAttention("dot"), VALUE_DIM, id="luong-dot"),
    pytest.param(lambda: LuongAttention("general", use_scale=True), QUERY_DIM, id="luong-general"),
    pytest.param(lambda: LuongAttention("concat", units=5), QUERY_DIM, id="luong-concat"),
]


@pytest.mark.parametrize("make_layer, query_dim", LAYERS)
def test_matches_numpy_reference_all_steps_and_one_step(make_layer, query_dim):
    layer = make_layer()
    values = _random(3, SOURCE_LEN, VALUE_DIM)
    query = _random(3, TARGET_LEN, query_dim)
    context, weights = layer(query, values, values_mask=SOURCE_MASK)
    context, weights = keras.ops.convert_to_numpy(context), keras.ops.convert_to_numpy(weights)
    assert context.shape == (3, TARGET_LEN, VALUE_DIM)
    assert weights.shape == (3, TARGET_LEN, SOURCE_LEN)

    scores = _reference_scores(layer, query, values)
    expected = _np_softmax(scores[:2], SOURCE_MASK[:2, None, :])
    np.testing.assert_allclose(weights[:2], expected, atol=1e-5)
    np.testing.assert_allclose(context[:2], expected @ values[:2], atol=1e-5)

    step_context, step_weights = layer(query[:, 1], values, values_mask=SOURCE_MASK)
    assert tuple(step_context.shape) == (3, VALUE_DIM)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(step_weights), weights[:, 1], atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(step_context), context[:, 1], atol=1e-6)


@pytest.mark.parametrize("make_layer, query_dim", LAYERS)
def test_masked_positions_get_exactly_zero_and_empty_rows_give_zeros(make_layer, query_dim):
    layer = make_layer()
    values = _random(3, SOURCE_LEN, VALUE_DIM) * 30.0  # large scores: softmax must stay finite
    context, weights = layer(_random(3, TARGET_LEN, query_dim) * 30.0, values, SOURCE_MASK)
    context, weights = keras.ops.convert_to_numpy(context), keras.ops.convert_to_numpy(weights)
    assert np.isfinite(weights).all() and np.isfinite(context).all()
    assert (weights[:, :, ~SOURCE_MASK[0]][0] == 0.0).all()
    np.testing.assert_allclose(weights[:2].sum(axis=-1), 1.0, atol=1e-5)
    assert (weights[2] == 0.0).all() and (context[2] == 0.0).all()


def test_unmasked_weights_sum_to_one():
    context, weights = LuongAttention("general")(_random(2, QUERY_DIM), _random(2, 9, VALUE_DIM))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights).sum(-1), 1.0, atol=1e-5)
    assert tuple(context.shape) == (2, VALUE_DIM)


def _translation_model(attention):
    """Encoder/decoder whose source mask reaches the attention only through Keras masking."""
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target")
    # Dense keeps the mask that the mask_zero embedding attaches (as a recurrent encoder would).
    encoded = keras.layers.Dense(VALUE_DIM)(keras.layers.Embedding(20, 8, mask_zero=True)(source))
    decoded = keras.layers.Embedding(20, VALUE_DIM, mask_zero=True)(target)
    context, weights = attention(decoded, encoded)
    logits = keras.layers.Dense(20)(keras.layers.Concatenate()([context, decoded]))
    return keras.Model([source, target], [logits, weights])


SOURCE_IDS = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 2]], dtype="int32")
TARGET_IDS = np.array([[1, 2, 3], [4, 5, 0]], dtype="int32")


def test_eager_keras_mask_on_values_is_used():
    values = keras.layers.Embedding(20, VALUE_DIM, mask_zero=True)(SOURCE_IDS)
    _, weights = LuongAttention("dot")(_random(2, VALUE_DIM), values)
    weights = keras.ops.convert_to_numpy(weights)
    assert (weights[0, 3:] == 0.0).all() and (weights[0, :3] > 0).all()


def test_output_mask_follows_query_mask():
    layer = LuongAttention("dot")
    query_mask = np.array([[True, True, False]])
    masks = layer.compute_mask(_random(1, 3, VALUE_DIM), query_mask)
    assert len(masks) == 2 and all(m is query_mask for m in masks)
    assert layer.compute_mask(_random(1, VALUE_DIM), None) is None


@pytest.mark.parametrize(
    "make_layer",
    [lambda: BahdanauAttention(5, kernel_regularizer="l2"), lambda: LuongAttention("dot")],
    ids=["bahdanau", "luong"],
)
def test_keras_mask_reaches_attention_and_model_reloads_identically(make_layer, tmp_path):
    model = _translation_model(make_layer())
    before = [keras.ops.convert_to_numpy(x) for x in model([SOURCE_IDS, TARGET_IDS])]
    weights = before[1]
    assert (weights[0, :, 3:] == 0.0).all()
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)

    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    after = [keras.ops.convert_to_numpy(x) for x in loaded([SOURCE_IDS, TARGET_IDS])]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "layer",
    [
        BahdanauAttention(9, use_bias=False, kernel_initializer="orthogonal", name="att"),
        LuongAttention("concat", units=3, use_scale=True, kernel_regularizer="l2"),
    ],
)
def test_get_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config


def test_float16_masking_stays_finite():
    layer = BahdanauAttention(4, dtype="float16")
    context, weights = layer(_random(3, QUERY_DIM), _random(3, SOURCE_LEN, VALUE_DIM), SOURCE_MASK)
    weights = keras.ops.convert_to_numpy(weights).astype("float32")
    assert np.isfinite(weights).all() and (weights[2] == 0).all()
    np.testing.assert_allclose(weights[:2].sum(-1), 1.0, atol=2e-3)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(NlpsuiteError, match="score must be one of"):
        LuongAttention("cosine")
    with pytest.raises(NlpsuiteError, match="needs units"):
        LuongAttention("concat")
    with pytest.raises(NlpsuiteError, match="query_dim == value_dim"):
        LuongAttention("dot")(_random(2, 3), _random(2, 5, 4))
    with pytest.raises(NlpsuiteError, match="values"):
        BahdanauAttention(3)(_random(2, 3), _random(2, 4))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the examples are backend-agnostic: checked under TensorFlow only, to save time",
)
def test_docstring_examples_run():
    failures, tried = doctest.testmod(attention_module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
