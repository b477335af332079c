"""Translation warns when the source is not in the model's source language (Spanish or Chinese)."""

import dataclasses

import pytest

import nlpsuite


@pytest.fixture
def zh_task(toy_model_dir):
    # The toy model's own language is made up, so the detector has no opinion on it: read it as zh -> en.
    task = nlpsuite.load(toy_model_dir)
    task.config = dataclasses.replace(task.config, direction="zh-en")
    return task


def test_latin_source_on_the_chinese_model_is_warned_about(zh_task):
    latin, emoji, chinese = zh_task.predict(["ba ko mi", "🎉🔥", "你好"], beam_size=1)
    assert latin["warnings"] == ["This looks like Latin-script text, but the model reads Chinese; try Spanish → "
                                 "English."]
    assert "no letters" in emoji["warnings"][0]
    assert "warnings" not in chinese


def test_the_toy_language_has_no_warnings(toy_task):
    assert all("warnings" not in r for r in toy_task.predict(["ba ko mi", "你好"], beam_size=1))
