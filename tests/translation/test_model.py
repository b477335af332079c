import numpy as np
import pytest

from nlpsuite.tasks.translation.decoding import Decoder
from nlpsuite.tasks.translation.model import TranslationModel, masked_loss
from nlpsuite.tasks.translation.preprocess import END_ID, SubwordTokenizer, learn_vocabulary


@pytest.fixture(scope="module", params=["luong", "bahdanau"])
def model(request):
    model = TranslationModel(30, 25, embedding_dim=8, units=12, attention=request.param,
                             attention_units=6)
    model((np.ones((1, 2), "int32"), np.ones((1, 2), "int32")))
    return model


def test_stepping_matches_teacher_forcing(model):
    """The decoder carries its state: one token at a time gives the whole-sequence logits."""
    rng = np.random.default_rng(0)
    source = rng.integers(4, 30, (3, 6)).astype("int32")
    source[0, 4:] = 0  # padding must not change anything
    decoder_in = rng.integers(4, 25, (3, 5)).astype("int32")
    full = np.asarray(model((source, decoder_in)))
    outputs, mask, states = model.encode(source)
    stepped = []
    for t in range(decoder_in.shape[1]):
        logits, states, weights = model.decode_step(decoder_in[:, t], states, outputs, mask)
        stepped.append(np.asarray(logits))
        assert np.allclose(np.asarray(weights)[0, 4:], 0.0)  # no attention on padding
    np.testing.assert_allclose(np.stack(stepped, axis=1), full, atol=1e-5)


def test_config_round_trip(model):
    clone = TranslationModel.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


def test_loss_ignores_padding_and_smooths():
    logits = np.log(np.array([[[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]]], "float32"))
    labels = np.array([[0, 0]])  # both positions are padding (id 0) ...
    labels_one = np.array([[1, 0]])  # ... or only the second
    loss = masked_loss()
    assert float(loss(labels, logits)) == 0.0
    assert float(loss(labels_one, logits)) == pytest.approx(-np.log(0.1), rel=1e-5)
    smoothed = masked_loss(0.1)(labels_one, logits)
    expected = 0.9 * -np.log(0.1) + 0.1 * -np.mean(np.log([0.7, 0.1, 0.1, 0.1]))
    assert float(smoothed) == pytest.approx(expected, rel=1e-5)


def test_beam_search_returns_sorted_nbest_and_respects_lengths(model):
    decoder = Decoder(model)
    source = np.array([[5, 6, 7, 0], [8, 9, 10, 11]], "int32")
    results = decoder.beam_search(source, beam_size=3, length_penalty=1.0, max_length=7)
    assert len(results) == 2
    for hypotheses in results:
        assert 1 <= len(hypotheses) <= 3
        scores = [h.score for h in hypotheses]
        assert scores == sorted(scores, reverse=True)
        for h in hypotheses:
            length = len(h.tokens) + int(h.finished)
            # GNMT's lp(Y) = ((5 + |Y|) / 6) ** alpha, by hand with alpha = 1 (not the implementation's own).
            assert h.score == pytest.approx(h.log_prob / ((5 + length) / 6))
            assert END_ID not in h.tokens
    forced = decoder.beam_search(source, beam_size=2, max_length=6, min_length=6,
                                 return_attention=True)
    for hypotheses in forced:
        assert all(len(h.tokens) == 6 and not h.finished for h in hypotheses)
        assert hypotheses[0].attention.shape == (6, 4)
        np.testing.assert_allclose(hypotheses[0].attention.sum(axis=1), 1.0, atol=1e-5)


def test_tokenizer_round_trip_and_unknown_characters():
    texts = ["¿Dónde está la biblioteca?", "Son las 2:30.", "El gato duerme."] * 10
    tokenizer = SubwordTokenizer(learn_vocabulary(texts, 60))
    for text in set(texts):
        assert tokenizer.decode(tokenizer.encode([text])[0]) == text
    assert 1 in tokenizer.encode(["Ωmega"])[0]  # unseen letters map to [UNK], not an error


def test_an_unknown_attention_names_the_argument():
    from nlpsuite.errors import OptionError

    with pytest.raises(OptionError, match="attention must be 'luong' or 'bahdanau' \\(got 'additive'\\)"):
        TranslationModel(20, 30, embedding_dim=8, units=8, attention="additive")
