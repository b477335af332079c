"""Poetry warns when the prompt is not in the model's language."""

import nlpsuite


def test_prompts_in_another_script_are_warned_about(zh_model_dir, en_model_dir):
    zh, en = nlpsuite.load(zh_model_dir), nlpsuite.load(en_model_dir)
    assert (zh.language, en.language) == ("zh", "en")
    assert en.prompt_warnings("春风") == ["This looks like Chinese text, but the model reads English; try the Chinese "
                                        "verse model (poetry-zh)."]
    assert zh.prompt_warnings("") == [] and zh.prompt_warnings("春风") == []
    result = en.predict(["春风"], max_length=5, seed=0)[0]
    assert result["warnings"] == en.prompt_warnings("春风")
    assert "warnings" not in en.predict(["THE BOY:"], max_length=5, seed=0)[0]
