import dataclasses
import json

import pytest

from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks import base


@dataclasses.dataclass
class ToyConfig(base.TaskConfig):
    units: int = 8
    cell: str = "gru"
    bidirectional: bool = False
    dropout: float = 0.1
    vectors: str | None = None
    sizes: tuple[int, ...] = (1, 2)


def test_overrides_are_typed():
    config = base.apply_overrides(ToyConfig(), {"units": "16", "bidirectional": "true", "dropout": "0.5",
                                                "vectors": "none", "sizes": "3,4"})
    assert (config.units, config.bidirectional, config.dropout, config.vectors, config.sizes) == (
        16, True, 0.5, None, (3, 4))


@pytest.mark.parametrize("pair, match", [({"units": "many"}, "expected int"),
                                         ({"colour": "red"}, "unknown option"),
                                         ({"bidirectional": "maybe"}, "expected bool")])
def test_bad_overrides_say_what_is_wrong(pair, match):
    with pytest.raises(NlpsuiteError, match=match):
        base.apply_overrides(ToyConfig(), pair)


def test_key_values_and_literals():
    assert base.parse_key_values(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(NlpsuiteError, match="KEY=VALUE"):
        base.parse_key_values(["novalue"])
    assert [base.parse_literal(t) for t in ("3", "0.5", "true", "null", "春夏")] == [3, 0.5, True, None, "春夏"]


def test_config_round_trip_rejects_unknown_keys():
    config = ToyConfig(units=4)
    assert base.config_from_dict(ToyConfig, base.config_to_dict(config)) == config
    with pytest.raises(NlpsuiteError, match="unknown option"):
        base.config_from_dict(ToyConfig, {"nope": 1})


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
