"""Sentiment results warn, instead of answering confidently, when the text is not in the model's language."""


def test_other_script_and_emoji_are_warned_about(tiny_task):
    assert tiny_task.language == "en"
    fine, chinese, emoji = tiny_task.predict(["a wonderful film", "房间很干净，服务也很周到。", "🎉🔥👍🏽"])
    assert "warnings" not in fine
    assert chinese["warnings"] == ["This looks like Chinese text, but the model reads English; try the Chinese model."]
    assert "no letters" in emoji["warnings"][0]
    assert chinese["label"] in tiny_task.labels  # still answered, with the warning beside it
