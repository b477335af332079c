"""Save/load oracle: a tiny task trained in memory, saved and reloaded, translates exactly as the
trained object did (n-best lists, log-probabilities, attention)."""

from __future__ import annotations

import numpy as np
import pytest

import nlpsuite
from nlpsuite.tasks.translation import TranslationTask
from nlpsuite.tasks.translation.preprocess import pad_batch
from nlpsuite.tasks.translation.task import TranslationConfig

from .conftest import toy_pairs


@pytest.fixture(scope="module")
def trained_and_loaded(toy_file, tmp_path_factory):
    config = TranslationConfig(
        direction="toy-en", source_vocabulary_size=40, target_vocabulary_size=40, max_length=12,
        embedding_dim=8, units=16, attention_units=8, dropout=0.0, label_smoothing=0.0,
        dev_fraction=0.05, test_fraction=0.05, dev_bleu_sentences=4, steps_per_epoch=4, epochs=1,
        batch_size=16, learning_rate=0.01, beam_size=3,
    )
    out = tmp_path_factory.mktemp("translation-oracle") / "translation-toy"
    trained = TranslationTask.train(toy_file, config, out=out)
    trained.save(out)
    return trained, nlpsuite.load(out)


def test_reloaded_task_gives_identical_translations_and_log_probs(trained_and_loaded):
    trained, loaded = trained_and_loaded
    assert loaded.model is not trained.model
    sources = [s for s, _ in toy_pairs(12, seed=5)] + ["ba", "unknownword ko"]
    options = {"beam_size": 4, "length_penalty": 0.6, "return_attention": True}
    assert loaded.predict(sources, **options) == trained.predict(sources, **options)
    assert loaded.predict(sources, beam_size=1) == trained.predict(sources, beam_size=1)
    # Unrounded: the same float32 weights and graph give the same hypotheses to the last bit.
    batch = pad_batch(trained.source_tokenizer.encode(sources))
    assert loaded.source_tokenizer.encode(sources) == trained.source_tokenizer.encode(sources)
    for a, b in zip(trained.decoder.beam_search(batch, beam_size=3), loaded.decoder.beam_search(batch, beam_size=3),
                    strict=True):
        assert [(h.tokens, h.log_prob, h.score, h.finished) for h in a] == [
            (h.tokens, h.log_prob, h.score, h.finished) for h in b
        ]
    # Not a constant model: different sources get different log-probabilities.
    greedy = trained.decoder.greedy(batch, max_length=8)
    assert np.ptp([h.log_prob for h in greedy]) > 1e-3
