import dataclasses
import json
import re
from pathlib import Path

import pytest

from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks import base


@dataclasses.dataclass
class ToyConfig(base.TaskConfig):
    units: int = 8
    cell: str = "gru"
    bidirectional: bool = False
    dropout: float = 0.1
    vectors: str | None = None
    sizes: tuple[int, ...] = (1, 2)


def test_config_round_trip_rejects_unknown_keys():
    config = ToyConfig(units=4)
    assert base.config_from_dict(ToyConfig, base.config_to_dict(config)) == config
    with pytest.raises(NlpsuiteError, match="unknown option"):
        base.config_from_dict(ToyConfig, {"nope": 1})


@pytest.mark.parametrize("old", ["time_limit_minutes", "time_budget_minutes"])
def test_configs_saved_with_an_old_budget_name_still_load(old):
    assert base.config_from_dict(ToyConfig, {"units": 4, old: 42.0}).max_minutes == 42.0
    # A file that somehow has both names keeps the new one.
    assert base.config_from_dict(ToyConfig, {old: 1.0, "max_minutes": 2.0}).max_minutes == 2.0


@pytest.mark.parametrize("name", ["ner-en", "ner-zh", "poetry-en", "poetry-zh", "translation-spa-en"])
def test_committed_models_keep_their_budget_under_the_new_name(name):
    directory = Path(__file__).parents[2] / "saved_models" / name
    saved = json.loads((directory / "config.json").read_text())["config"]
    task_class = base.get_task_class(json.loads((directory / "config.json").read_text())["task"])
    config = base.config_from_dict(task_class.config_class, saved)
    old = saved.get("time_limit_minutes", saved.get("time_budget_minutes", saved.get("max_minutes")))
    assert config.max_minutes == old > 0


@pytest.mark.parametrize("changes, match", [
    ({"epochs": 0}, "epochs must be at least 1 (got 0)"),
    ({"max_minutes": -1.0}, "max_minutes must be at least 0"),
    ({"learning_rate": 0.0}, "learning_rate must be above 0"),
])
def test_validate_names_the_option(changes, match):
    with pytest.raises(OptionError, match=re.escape(match)):
        dataclasses.replace(ToyConfig(), **changes).validate()


def test_atomic_directory_keeps_old_on_failure(tmp_path):
    target = tmp_path / "model"
    with base.atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), base.atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("second")
        raise RuntimeError("training crashed")
    assert (target / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temp dirs left behind
    with base.atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("third")
    assert (target / "a.txt").read_text() == "third"


def test_load_missing_model_says_which_make_target(tmp_path):
    with pytest.raises(NlpsuiteError, match="make train-ner"):
        base.load(tmp_path / "ner-en")


def test_load_rejects_broken_config(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(NlpsuiteError, match="not valid JSON"):
        base.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"task": "chess"}))
    with pytest.raises(NlpsuiteError, match="unknown task"):
        base.load(tmp_path)


def test_model_card_has_the_facts():
    info = {"data": "toy", "split": "80/20", "training_seconds": 90.0, "hardware": "2 CPU cores",
            "data_notes": ["removed 3 duplicates"]}
    card = base.render_model_card("toy", info, ToyConfig(), {"f1": 0.5})
    for text in ("toy", "80/20", "1.5 min", "2 CPU cores", "removed 3 duplicates", "| units | 8 |", "f1: 0.5000"):
        assert text in card


def test_model_card_gives_the_load_against_the_training_machines_cores():
    # A model trained on a 16-core GPU machine keeps its own core count when a 2-core machine refreshes the card.
    timing = {"seconds_per_step": 0.12, "steps": 1000, "load_average_mean": 5.4, "load_average_max": 7.5}
    info = {"hardware": "16 CPU cores (Intel Xeon), GPU:0", "timing": timing}
    card = base.render_model_card("toy", info, ToyConfig(), {})
    assert "5.40 mean, 7.50 peak (the training machine has 16 cores)" in card


def test_refreshing_the_card_keeps_the_notes_below_its_marker(tmp_path):
    task = base.Task(ToyConfig(), model=None, info={"data": "toy"})
    task.write_metrics(tmp_path, {"f1": 0.5})
    card = tmp_path / base.CARD_FILE
    assert card.read_text().rstrip().endswith(base.CARD_NOTES_MARKER)
    card.write_text(card.read_text() + "## Sweep\n\n| lr | dev F1 |\n|---|---|\n| 1e-3 | 0.91 |\n")
    task.write_metrics(tmp_path, {"f1": 0.75})
    refreshed = card.read_text()
    assert "f1: 0.7500" in refreshed and "f1: 0.5000" not in refreshed
    assert refreshed.endswith(base.CARD_NOTES_MARKER + "\n## Sweep\n\n| lr | dev F1 |\n|---|---|\n| 1e-3 | 0.91 |\n")
    assert refreshed.count(base.CARD_NOTES_MARKER) == 1
