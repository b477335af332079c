"""The CRF layer, its loss, metric and decoding layer, inside real Keras models."""

from __future__ import annotations

import itertools
import time

import keras
import numpy as np
import pytest
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers.crf import CRF, CRFAccuracy, CRFDecode, CRFLoss, split_crf_output
from nlpsuite.ops import crf_constraint_masks, crf_log_likelihood

pytestmark = pytest.mark.backend_agnostic

BIO_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
BIOES_TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]


def to_numpy(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def tagger_model(num_tags: int, vocab: int = 40, units: int = 16, recurrent=True, **crf_kwargs):
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab, 16, mask_zero=True)(tokens)
    if recurrent:
        x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True))(x)
    x = keras.layers.Dense(num_tags)(x)
    crf = CRF(num_tags, name="crf", **crf_kwargs)
    return keras.Model(tokens, crf(x)), crf


def synthetic_tagging(n: int, seed: int, max_len: int = 10):
    """Tokens 1-6 are person names, 7-10 places, 11-39 other words. A name or place is B-
    after a token of another kind and I- after one of its own kind: a context-dependent rule."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, max_len), "int32")
    y = np.zeros((n, max_len), "int32")
    for row in range(n):
        length = rng.integers(3, max_len + 1)
        kinds = rng.choice(3, size=length, p=[0.35, 0.25, 0.4])
        words = np.where(kinds == 0, rng.integers(1, 7, length), 0)
        words = np.where(kinds == 1, rng.integers(7, 11, length), words)
        words = np.where(kinds == 2, rng.integers(11, 40, length), words)
        x[row, :length] = words
        for t, kind in enumerate(kinds):
            if kind == 2:
                continue
            begin = t == 0 or kinds[t - 1] != kind
            y[row, t] = 1 + 2 * kind + (0 if begin else 1)
    return x, y


def test_config_round_trip():
    crf = CRF(
        5,
        constraints="BIO",
        tags=BIO_TAGS,
        use_boundary_transitions=False,
        transitions_regularizer="l2",
        name="tagger_crf",
    )
    config = crf.get_config()
    clone = CRF.from_config(config)
    assert clone.get_config() == config
    assert config["constraints"] == "bio" and config["tags"] == BIO_TAGS
    for obj in (CRFDecode(return_marginals=True), CRFLoss(), CRFAccuracy()):
        assert type(obj).from_config(obj.get_config()).get_config() == obj.get_config()
    assert keras.saving.get_registered_name(CRF) == "nlpsuite>CRF"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_tags": 3, "constraints": "bio"}, "needs the tag names"),
        ({"num_tags": 3, "constraints": "bio", "tags": ["O", "B-X"]}, "has 2 names but num_tags=3"),
        ({"num_tags": 2, "constraints": "bioes", "tags": ["O", "X-1"]}, "'X-1' at index 1"),
        ({"num_tags": 2, "constraints": "iob9", "tags": ["O", "B-X"]}, "unknown constraints"),
        ({"num_tags": 0}, "num_tags must be >= 1"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(NlpsuiteError, match=message):
        CRF(**kwargs)


def test_wrong_input_width_is_reported():
    with pytest.raises(NlpsuiteError, match=r"Dense\(4\)"):
        CRF(4)(np.zeros((2, 3, 5), "float32"))


def test_loss_is_mean_negative_log_likelihood():
    rng = np.random.default_rng(0)
    emissions = rng.normal(size=(3, 6, 5)).astype("float32")
    lengths = np.array([6, 2, 0])
    mask = np.arange(6)[None, :] < lengths[:, None]
    gold = rng.integers(0, 5, size=(3, 6))
    gold[~mask] = -1  # padding labels are ignored, even out-of-range ones
    crf = CRF(5, boundary_initializer="random_normal")
    outputs = crf(emissions, mask=mask)
    assert tuple(outputs.shape) == (3, 6, 6, 5)
    transitions, start, end = crf.scores()
    expected, _ = crf_log_likelihood(emissions, np.maximum(gold, 0), lengths, transitions, start, end)
    loss = CRFLoss()(gold, outputs)
    assert float(loss) == pytest.approx(-float(np.mean(to_numpy(expected))), abs=1e-5)
    np.testing.assert_allclose(
        to_numpy(crf.log_likelihood(outputs, np.maximum(gold, 0))), to_numpy(expected), atol=1e-5
    )
    # The rank-3 path (emissions + mask) gives the same as the layer's output.
    np.testing.assert_array_equal(to_numpy(crf.decode(emissions, mask=mask)), to_numpy(crf.decode(outputs)))
    _, packed_mask = split_crf_output(outputs)
    np.testing.assert_array_equal(to_numpy(packed_mask), mask)


def test_keras_mask_equals_explicit_mask():
    model, crf = tagger_model(5)
    x = np.array([[3, 4, 5, 0, 0], [7, 0, 0, 0, 0]])
    upstream = model.predict(x, verbose=0)
    emissions = keras.Model(model.inputs, model.layers[-2].output).predict(x, verbose=0)
    explicit = crf(emissions, mask=x != 0)
    np.testing.assert_allclose(upstream, to_numpy(explicit), atol=1e-6)
    tags = to_numpy(crf.decode(upstream))
    assert np.all(tags[x == 0] == 0)
    marginals = to_numpy(crf.marginals(upstream))
    np.testing.assert_allclose(marginals.sum(-1), (x != 0).astype(float), atol=1e-5)


def _respects(path, masks) -> bool:
    transitions, start, end = masks
    if not path:
        return True
    ok = bool(start[path[0]] and end[path[-1]])
    return ok and all(transitions[a, b] for a, b in itertools.pairwise(path))


@pytest.mark.parametrize("scheme, tags", [("bio", BIO_TAGS), ("bioes", BIOES_TAGS)])
def test_constraints_hold_in_decoding_and_training(scheme, tags):
    num = len(tags)
    masks = crf_constraint_masks(scheme, tags)
    crf = CRF(
        num,
        constraints=scheme,
        tags=tags,
        transitions_initializer=keras.initializers.RandomNormal(stddev=3.0, seed=1),
        boundary_initializer=keras.initializers.RandomNormal(stddev=3.0, seed=2),
    )
    rng = np.random.default_rng(1)
    emissions = rng.normal(size=(32, 8, num)).astype("float32") * 3.0
    emissions[:, :, [i for i, t in enumerate(tags) if t[0] in "IE"]] += 3.0
    lengths = rng.integers(0, 9, size=32)
    mask = np.arange(8)[None, :] < lengths[:, None]
    outputs = crf(emissions, mask=mask)
    decoded = to_numpy(crf.decode(outputs))
    best, scores = (to_numpy(t) for t in crf.nbest(outputs, 4))
    for row, length in enumerate(lengths):
        assert _respects(list(decoded[row, :length]), masks), decoded[row, :length]
        for rank in range(4 if length else 0):
            if np.isfinite(scores[row, rank]):
                assert _respects(list(best[row, rank, :length]), masks)
    # Training sees the same constraints: forbidden start tags carry no probability mass.
    marginals = to_numpy(crf.marginals(outputs))
    assert np.all(marginals[lengths > 0, 0][:, ~masks[1]] < 1e-6)
    # ... and the same weights without constraints do decode forbidden paths (the test can fail).
    free = CRF(num, transitions_initializer=crf.transitions_initializer)
    free.build((None, None, num))
    free.set_weights(crf.get_weights())
    free_tags = to_numpy(free.decode(emissions, mask=mask))
    assert not all(_respects(list(free_tags[r, :n]), masks) for r, n in enumerate(lengths))


def test_mixed_precision_policy_keeps_crf_in_float32():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        crf = CRF(3)
        outputs = crf(np.random.rand(2, 4, 3).astype("float16"))
    finally:
        keras.config.set_dtype_policy(previous)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    assert crf.compute_dtype == "float32"


def test_bilstm_crf_learns_context_rule():
    keras.utils.set_random_seed(0)
    x_train, y_train = synthetic_tagging(1024, seed=0)
    x_test, y_test = synthetic_tagging(256, seed=1)
    model, crf = tagger_model(5, constraints="bio", tags=BIO_TAGS)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=CRFLoss(), metrics=[CRFAccuracy()])
    started = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=32, epochs=6, verbose=0)
    elapsed = time.perf_counter() - started
    tags = to_numpy(crf.decode(model.predict(x_test, verbose=0)))
    valid = x_test != 0
    accuracy = float(np.mean(tags[valid] == y_test[valid]))
    assert accuracy >= 0.99, (accuracy, history.history)
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    assert history.history["crf_accuracy"][-1] >= 0.98
    # Validation loss works because evaluate sees the same output as fit.
    loss, metric = model.evaluate(x_test, y_test, verbose=0)
    assert loss < 0.2 and metric == pytest.approx(accuracy, abs=1e-6)
    print(f"trained 192 steps in {elapsed:.1f}s, token accuracy {accuracy:.4f}")


def test_save_and_reload_gives_identical_decodes(tmp_path):
    keras.utils.set_random_seed(1)
    # No LSTM: the round trip under test is the CRF's, and tracing an LSTM five times is slow.
    model, crf = tagger_model(
        5,
        recurrent=False,
        constraints="bioes",
        tags=BIOES_TAGS,
        boundary_initializer="random_normal",
    )
    model.compile(optimizer="adam", loss=CRFLoss(), metrics=[CRFAccuracy()])
    x, y = synthetic_tagging(16, seed=3)
    y = np.where(y > 0, 4, 0)  # S-PER or O: valid BIOES paths
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # so the optimizer state is saved too
    tagger = keras.Model(model.inputs, CRFDecode(return_marginals=True)(model.outputs[0]))

    path = tmp_path / "model.keras"
    tagger_path = tmp_path / "tagger.keras"
    model.save(path)
    tagger.save(tagger_path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    loaded_tagger = keras.saving.load_model(tagger_path, safe_mode=True)

    before = model.predict(x, verbose=0)
    after = loaded.predict(x, verbose=0)
    np.testing.assert_allclose(before, after, atol=1e-6)
    loaded_crf = loaded.get_layer("crf")
    np.testing.assert_array_equal(to_numpy(crf.decode(before)), to_numpy(loaded_crf.decode(after)))
    assert loaded_crf.get_config() == crf.get_config()
    tags, marginals = loaded_tagger.predict(x, verbose=0)
    np.testing.assert_array_equal(tags, to_numpy(crf.decode(before)))
    np.testing.assert_allclose(marginals, to_numpy(crf.marginals(before)), atol=1e-5)
    # The reloaded model comes back compiled with its registered loss.
    assert float(loaded.evaluate(x, y, verbose=0)[0]) == pytest.approx(float(CRFLoss()(y, before)), rel=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="XLA fit is a TensorFlow path")
def test_fit_compiles_with_xla_on_tensorflow():
    """Keras compiles fit with XLA by default on TF GPUs; the CRF's gradient must compile too."""
    keras.utils.set_random_seed(2)
    model, crf = tagger_model(5, recurrent=False, constraints="bio", tags=BIO_TAGS)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=CRFLoss(), jit_compile=True)
    x, y = synthetic_tagging(64, seed=4)
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.jit_compile
