"""NER warns about text in another script or without letters, and never tags a symbol as an entity."""

from pathlib import Path

import pytest


def test_other_script_and_emoji_are_warned_about(tiny_task):
    fine, chinese, emoji = tiny_task.predict(["Sarah Jones works in Tokyo .", "张伟在北京工作", "🎉🔥👍🏽"])
    assert "warnings" not in fine
    assert chinese["warnings"] == ["This looks like Chinese text, but the model reads English; try the Chinese model."]
    assert "no letters" in emoji["warnings"][0] and emoji["entities"] == []


def test_emoji_are_never_entities():
    """The committed Chinese model tagged "🎉" as TITLE and "北京🎉" as one organisation before."""
    model = Path(__file__).resolve().parents[2] / "saved_models" / "ner-zh"
    if not (model / "config.json").exists():
        pytest.skip(f"no model in {model} (make train-ner)")
    import nlpsuite

    task = nlpsuite.load(model)
    for result in task.predict(["🎉🔥👍🏽", "🎉", "张伟在北京🎉工作"]):
        for entity in result["entities"]:
            assert any(c.isalnum() for c in entity["text"]), entity
            assert entity["text"] == entity["text"].strip("🎉🔥👍🏽 "), entity
