"""Choosing beam size and length penalty on dev BLEU: the grid, the tie rule, the saved config, refusals."""

import json
import shutil

import pytest

from nlpsuite import cli
from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks.translation import TranslationTask
from nlpsuite.tasks.translation.decoding_choice import NOTE_PREFIX, pick_decoding, save_decoding_choice


@pytest.fixture
def model_copy(toy_model_dir, tmp_path):
    """A copy of the session's toy model, free to rewrite."""
    return shutil.copytree(toy_model_dir, tmp_path / "translation-toy")


@pytest.fixture
def scored_pairs(monkeypatch):
    """Records the pairs and settings of every ``_score`` call."""
    calls = []
    real = TranslationTask._score

    def spy(self, pairs, beam_size, length_penalty=None):
        calls.append((list(pairs), beam_size, length_penalty))
        return real(self, pairs, beam_size, length_penalty)

    monkeypatch.setattr(TranslationTask, "_score", spy)
    return calls


def test_grid_covers_every_setting_on_a_spread_dev_sample(toy_task, toy_file, scored_pairs):
    from nlpsuite.tasks.translation.task import _spread_sample

    seen = []
    choice = toy_task.choose_decoding(toy_file, beam_sizes=[3, 1], length_penalties=[1.0, 0.0],
                                      max_sentences=20, progress=lambda row, done, total: seen.append((done, total)))
    assert [(r["beam_size"], r["length_penalty"]) for r in choice["grid"]] == [(1, 0.0), (1, 1.0), (3, 0.0),
                                                                               (3, 1.0)]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # greedy decoding has no length penalty: scored once, reported for both alphas
    assert [(beam, alpha) for _, beam, alpha in scored_pairs] == [(1, 0.0), (3, 0.0), (3, 1.0)]
    assert choice["grid"][0]["bleu"] == choice["grid"][1]["bleu"]
    dev = toy_task._pairs_for(toy_file, "dev")
    assert all(pairs == _spread_sample(dev, 20, toy_task.config.seed) for pairs, _, _ in scored_pairs)
    assert choice["sentences"] == 20 and choice["split"] == "dev"
    assert choice["bleu"] == max(r["bleu"] for r in choice["grid"])
    assert {"beam_size": choice["beam_size"], "length_penalty": choice["length_penalty"],
            "bleu": choice["bleu"]} in choice["grid"]
    assert choice["previous"] == {"beam_size": 3, "length_penalty": 0.6}
    assert toy_task.config.beam_size == 3  # choosing changes nothing


def test_ties_go_to_the_smaller_beam_then_the_nearest_length_penalty():
    def row(beam, alpha, bleu):
        return {"beam_size": beam, "length_penalty": alpha, "bleu": bleu}

    assert pick_decoding([row(8, 0.6, 30.0), row(4, 1.4, 30.0), row(4, 1.0, 30.0)], 0.6) == row(4, 1.0, 30.0)
    assert pick_decoding([row(4, 0.2, 30.0), row(4, 1.0, 30.0)], 0.6) == row(4, 0.2, 30.0)  # 0.4 away each: first
    assert pick_decoding([row(4, 0.6, 30.0), row(8, 1.4, 30.01)], 0.6) == row(8, 1.4, 30.01)  # a gain wins


def test_test_split_and_bad_grids_are_refused_before_decoding(toy_task, toy_file, scored_pairs):
    with pytest.raises(OptionError, match="split must not be 'test'"):
        toy_task.choose_decoding(toy_file, split="test")
    with pytest.raises(OptionError, match="split must be 'dev' or 'all'"):
        toy_task.choose_decoding(toy_file, split="train")
    with pytest.raises(OptionError, match="beam_sizes must be whole numbers from 1 to 64"):
        toy_task.choose_decoding(toy_file, beam_sizes=[0, 4])
    with pytest.raises(OptionError, match="beam_sizes"):
        toy_task.choose_decoding(toy_file, beam_sizes=[])
    with pytest.raises(OptionError, match="length_penalties must be numbers from 0 to 5"):
        toy_task.choose_decoding(toy_file, length_penalties=[0.6, 9])
    with pytest.raises(OptionError, match="max_sentences"):
        toy_task.choose_decoding(toy_file, max_sentences=-1)
    assert scored_pairs == []


def test_split_all_leaves_out_the_test_sentences(toy_task, toy_file, scored_pairs):
    from nlpsuite.data.text_pairs import sentence_hash

    choice = toy_task.choose_decoding(toy_file, beam_sizes=[1], length_penalties=[0.6], split="all",
                                      max_sentences=0)
    test = set(toy_task.assets["split"]["test"])
    ((pairs, _, _),) = scored_pairs
    assert choice["sentences"] == len(pairs) > 1000
    assert not any(sentence_hash(p.source) in test for p in pairs)


def test_cli_saves_the_choice_and_keeps_every_other_field(model_copy, toy_file, capsys):
    before = json.loads((model_copy / "config.json").read_text())
    argv = ["tune-decoding", "--model", str(model_copy), "--data", str(toy_file), "--beams", "1,2",
            "--alphas", "0.6,1.0", "--sentences", "20"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "[4/4] beam 2, length penalty 1: dev BLEU" in out and "beam \\ alpha" in out and "*" in out
    after = json.loads((model_copy / "config.json").read_text())
    choice = after["info"].pop("decoding_choice")
    assert after["config"].pop("beam_size") == choice["beam_size"] in (1, 2)
    assert after["config"].pop("length_penalty") == choice["length_penalty"] in (0.6, 1.0)
    for key in ("beam_size", "length_penalty"):
        del before["config"][key]
    (note,) = [n for n in after["info"]["notes"] if n.startswith(NOTE_PREFIX)]
    after["info"]["notes"].remove(note)
    assert after == before
    assert len(choice["grid"]) == 4 and choice["sentences"] == 20
    loaded = TranslationTask.load(model_copy)
    assert (loaded.config.beam_size, loaded.config.length_penalty) == (choice["beam_size"], choice["length_penalty"])
    # a second choice replaces the first one's card note
    save_decoding_choice(model_copy, {**choice, "beam_size": 4})
    notes = json.loads((model_copy / "config.json").read_text())["info"]["notes"]
    (new_note,) = [n for n in notes if n.startswith(NOTE_PREFIX)]
    assert "beam 4," in new_note and len(notes) == len(after["info"]["notes"]) + 1


def test_cli_dry_run_and_bad_flags_change_nothing(model_copy, toy_file, capsys):
    saved = (model_copy / "config.json").read_bytes()
    base = ["tune-decoding", "--model", str(model_copy), "--data", str(toy_file)]
    assert cli.main([*base, "--beams", "1", "--alphas", "0.6", "--sentences", "5", "--dry-run"]) == 0
    assert "nothing saved" in capsys.readouterr().out
    assert cli.main([*base, "--split", "test"]) == 2
    assert "error: --split test: split must not be 'test'" in capsys.readouterr().err
    assert cli.main([*base, "--beams", "0"]) == 2
    assert "error: --beams 0: beam_sizes must be whole numbers" in capsys.readouterr().err
    assert cli.main([*base, "--alphas", "0.6,x"]) == 2
    assert "error: --alphas 0.6,x: expected float values" in capsys.readouterr().err
    assert (model_copy / "config.json").read_bytes() == saved


def test_an_interrupted_run_leaves_config_json_unchanged(model_copy, toy_file, monkeypatch, capsys):
    saved = (model_copy / "config.json").read_bytes()
    real = TranslationTask._score
    calls = []

    def interrupted(self, pairs, beam_size, length_penalty=None):
        calls.append(beam_size)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, pairs, beam_size, length_penalty)

    monkeypatch.setattr(TranslationTask, "_score", interrupted)
    argv = ["tune-decoding", "--model", str(model_copy), "--data", str(toy_file), "--beams", "1,2",
            "--sentences", "5"]
    assert cli.main(argv) == 130
    assert capsys.readouterr().err == "error: interrupted\n"  # no --resume hint: that is training's
    assert (model_copy / "config.json").read_bytes() == saved
    assert sorted(p.name for p in model_copy.iterdir() if p.name.startswith(".")) == []


def test_cli_refuses_a_model_of_another_task(tmp_path, toy_file, capsys):
    from nlpsuite.tasks.ner._examples import tiny_task

    folder = tiny_task().save(tmp_path / "ner-en")
    saved = (folder / "config.json").read_bytes()
    assert cli.main(["tune-decoding", "--model", str(folder), "--data", str(toy_file)]) == 2
    err = capsys.readouterr().err
    assert "holds a ner model, not a translation model" in err and err.count("\n") == 1
    assert (folder / "config.json").read_bytes() == saved
    with pytest.raises(NlpsuiteError, match="config.json missing"):
        save_decoding_choice(tmp_path / "nothing", {})
