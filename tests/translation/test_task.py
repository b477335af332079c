import dataclasses
import json
import zipfile

import numpy as np
import pytest

from nlpsuite import cli
from nlpsuite.errors import NlpsuiteError

from ..oracles.beam_search import reference_beam_search, teacher_forced_next
from .conftest import toy_pairs


def test_toy_language_is_learned(toy_task, toy_file):
    """A tiny model learns to reverse word order; under the model's own score, beam search finds
    translations at least as likely as greedy decoding's."""
    metrics = toy_task.evaluate(toy_file, split="test")
    assert set(metrics) >= {"bleu", "chrf", "bleu_greedy", "signature"}
    assert metrics["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert metrics["sentences"] > 50
    assert metrics["bleu"] > 80, metrics
    unseen = [s for s, _ in toy_pairs(3000, seed=99)][:40]
    results = toy_task.predict(unseen, beam_size=3)
    exact = np.mean([r["translation"] == " ".join(reversed(s.split()))
                     for r, s in zip(results, unseen, strict=True)])
    assert exact > 0.7


def test_beam_is_at_least_as_likely_as_greedy(toy_task):
    from nlpsuite.tasks.translation.preprocess import pad_batch

    unseen = [s for s, _ in toy_pairs(3000, seed=99)][:40]
    batch = pad_batch(toy_task.source_tokenizer.encode(unseen))
    greedy = toy_task.decoder.greedy(batch, max_length=20)
    beam = toy_task.decoder.beam_search(batch, beam_size=3, length_penalty=0.0, max_length=20, num_results=1)
    assert all(b[0].log_prob >= g.log_prob - 1e-4 for g, b in zip(greedy, beam, strict=True))


def test_beam_matches_the_reference_search_on_the_trained_toy_model(toy_task):
    """On a trained model, with outputs too long to enumerate, beam search returns the hypotheses of the
    plain-Python reference search (``tests/oracles/beam_search.py``, which asks the model only through
    teacher-forced calls)."""
    from nlpsuite.tasks.translation.preprocess import END_ID, START_ID, pad_batch

    unseen = [s for s, _ in toy_pairs(3000, seed=99)][:40]
    batch = pad_batch(toy_task.source_tokenizer.encode(unseen))
    for k in (1, 2, 3):
        results = toy_task.decoder.beam_search(batch, beam_size=k, length_penalty=0.0, max_length=20)
        for source, hypotheses in zip(batch, results, strict=True):
            reference = reference_beam_search(teacher_forced_next(toy_task.model, source, START_ID), k, 20, END_ID)
            got = [(h.log_prob, tuple(h.tokens), bool(h.finished)) for h in hypotheses]
            assert [g[1:] for g in got] == [r[1:] for r in reference], (k, got, reference)
            np.testing.assert_allclose([g[0] for g in got], [r[0] for r in reference], atol=1e-3)


def test_beam_size_one_equals_greedy(toy_task):
    sources = [s for s, _ in toy_pairs(64, seed=11)]
    encoded = toy_task.source_tokenizer.encode(sources)
    from nlpsuite.tasks.translation.preprocess import pad_batch

    batch = pad_batch(encoded)
    greedy = toy_task.decoder.greedy(batch, max_length=20)
    beam = toy_task.decoder.beam_search(batch, beam_size=1, max_length=20)
    assert [g.tokens for g in greedy] == [b[0].tokens for b in beam]
    np.testing.assert_allclose([g.log_prob for g in greedy], [b[0].log_prob for b in beam],
                               atol=1e-4)


def test_predict_output_and_options(toy_task):
    result = toy_task.predict(["ba ko mi", ""], beam_size=3, length_penalty=0.0,
                              return_attention=True)
    first = result[0]
    assert set(first) >= {"source", "translation", "nbest", "attention"}
    assert len(first["nbest"]) == 3
    assert first["translation"] == first["nbest"][0]["translation"]
    attention = first["attention"]
    weights = np.array(attention["weights"])
    assert weights.shape == (len(attention["target_tokens"]), len(attention["source_tokens"]))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-3)
    assert result[1] == {"source": "", "translation": "", "score": 0.0, "nbest": []}
    with pytest.raises(NlpsuiteError, match="beam_size"):
        toy_task.predict(["ba"], beam_size=0)
    with pytest.raises(NlpsuiteError, match="unknown translation option"):
        toy_task.predict(["ba"], temperature=2)
    with pytest.raises(NlpsuiteError, match="expected a sentence"):
        toy_task.predict([3])


def test_saved_folder_round_trips(toy_task, toy_model_dir):
    assets = toy_model_dir / "assets"
    assert (assets / "source.spm").exists() and (assets / "target_vocab.txt").exists()
    split = json.loads((assets / "split.json").read_text())
    assert split["test"] and split["direction"] == "toy-en"
    # Reloaded against the trained object itself: test_save_load_oracle.py.
    card = (toy_model_dir / "MODEL_CARD.md").read_text()
    assert "grouped by sentence" in card
    # saved without Adam's slots: the weights file holds about one copy of the parameters
    with zipfile.ZipFile(toy_model_dir / "model.keras") as archive:
        weights_bytes = archive.getinfo("model.weights.h5").file_size
    parameters = sum(int(np.prod(w.shape)) for w in toy_task.model.weights)
    assert weights_bytes < 4 * parameters * 1.5


def test_cli_evaluate_and_predict(toy_model_dir, toy_file, capsys):
    assert cli.main(["evaluate", "--model", str(toy_model_dir), "--data", str(toy_file),
                     "--json", "--save"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert set(metrics) >= {"bleu", "chrf", "bleu_greedy", "signature"}
    assert json.loads((toy_model_dir / "metrics.json").read_text())["bleu"] == metrics["bleu"]
    assert cli.main(["predict", "--model", str(toy_model_dir), "--set", "beam_size=2",
                     "ba ko", "mi tu la"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and len(json.loads(lines[1])["nbest"]) == 2
    assert cli.main(["evaluate", "--model", str(toy_model_dir), "--data", str(toy_file),
                     "--split", "train"]) == 2
    assert "--split train: split must be one of 'test', 'dev', 'all'" in capsys.readouterr().err


def test_other_file_needs_split_all(toy_task, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("ko ba\tba ko\n", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match="split='all'"):
        toy_task.evaluate(other, split="test")
    assert toy_task.evaluate(other, split="all")["sentences"] == 1


def test_resume_reuses_the_interrupted_runs_vocabularies(tmp_path):
    """Checkpointed weights only fit the vocabularies they were trained with."""
    from nlpsuite.data.text_pairs import TextPair
    from nlpsuite.tasks.translation.task import TranslationConfig, _vocabularies

    config = TranslationConfig(direction="toy-en", source_vocabulary_size=30,
                               target_vocabulary_size=30)
    first = [TextPair(s, t) for s, t in toy_pairs(200, seed=1)]
    other = [TextPair(s.upper(), t.upper()) for s, t in toy_pairs(200, seed=2)]
    source, _ = _vocabularies(config, first, tmp_path / "vocab", resume=False)
    resumed, _ = _vocabularies(config, other, tmp_path / "vocab", resume=True)
    assert resumed.vocabulary == source.vocabulary
    fresh, _ = _vocabularies(config, other, tmp_path / "vocab", resume=False)
    assert fresh.vocabulary != source.vocabulary


def test_init_from_continues_a_saved_model(toy_model_dir, toy_task, toy_file, tmp_path):
    from nlpsuite.tasks.translation import TranslationTask
    from nlpsuite.tasks.translation.task import TranslationConfig

    config = dataclasses.replace(toy_task.config, init_from=str(toy_model_dir), epochs=1,
                                 steps_per_epoch=1, learning_rate=1e-9, dev_bleu_sentences=0)
    task = TranslationTask.train(toy_file, config, out=tmp_path / "continued")
    assert task.target_tokenizer.vocabulary == toy_task.target_tokenizer.vocabulary
    sources = ["ba ko mi tu", "la ne si"]
    assert [r["translation"] for r in task.predict(sources)] == [
        r["translation"] for r in toy_task.predict(sources)]
    with pytest.raises(NlpsuiteError, match="architecture differs"):
        TranslationTask.train(toy_file, dataclasses.replace(config, units=8),
                              out=tmp_path / "bad")
    assert TranslationConfig().init_from == ""
