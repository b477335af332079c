"""The ``softword`` option: each character's B/M/E/S position in its jieba word as one more NER input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlpsuite.data.segment import segment
from nlpsuite.data.text import tokenize
from nlpsuite.errors import OptionError
from nlpsuite.tasks.ner.preprocess import SOFTWORD, NerPreprocessor, softword

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ner"
TINY_ZH = {
    "language": "zh",
    "softword": True,
    "softword_dim": 4,
    "epochs": 1,
    "batch_size": 8,
    "word_dim": 8,
    "bigram_dim": 4,
    "casing_dim": 2,
    "units": 4,
    "learning_rate": 0.01,
    "predict_jit": False,
}
MIXED = "李小明 2019年加入ABC科技（北京）有限公司, 任CTO！收入3.5%。"


def _words(tokens: list[str], ids: list[int]) -> list[str]:
    """The words the B/M/E/S ids describe (the inverse of ``softword`` on one-character tokens)."""
    words, current = [], ""
    for token, i in zip(tokens, ids, strict=True):
        current += token
        if SOFTWORD[i] in ("E", "S"):
            words.append(current)
            current = ""
    assert current == "", f"a word was left open: {current!r}"
    return words


def test_tags_spell_out_jiebas_words():
    tokens = list("我来到北京清华大学")
    assert [SOFTWORD[i] for i in softword(tokens)] == ["S", "B", "E", "B", "E", "B", "M", "M", "E"]
    assert _words(tokens, softword(tokens)) == segment("".join(tokens))


@pytest.mark.parametrize(
    "text",
    [MIXED, "Google 的 CEO 是 Sundar Pichai", "电话：010-12345678，邮箱 a.b@c.com", "。", "ＡＢＣ１２３全角"],
)
def test_one_id_per_character_with_spaces_digits_latin_and_punctuation(text):
    tokens = [t.text for t in tokenize(text, "zh")]  # what predict feeds the model: no spaces
    ids = softword(tokens)
    assert len(ids) == len(tokens) and set(ids) <= {1, 2, 3, 4}
    assert _words(tokens, ids) == segment("".join(tokens))


def test_multi_character_tokens_and_empty_sentences():
    # A CoNLL token may hold several characters: it starts and/or ends a word, or lies inside one.
    assert [SOFTWORD[i] for i in softword(["2019", "年"])] == ["S", "S"]
    assert [SOFTWORD[i] for i in softword(["清", "华大", "学"])] == ["B", "M", "E"]
    assert softword([]) == []


def test_preprocessor_feature_and_its_saved_state():
    from nlpsuite.data.conll import Sentence

    sentences = [Sentence(list("张伟在北京工作"), ["B-NAME", "E-NAME", "O", "B-LOC", "E-LOC", "O", "O"])]
    pre = NerPreprocessor.build(sentences, scheme="BIOES", data_scheme="BMES", language="zh",
                                use_bigrams=True, use_chars=False, use_softword=True)
    features = pre.encode_tokens(list("张伟在北京工作"))
    assert features["softword"] == softword(list("张伟在北京工作"))
    assert len(features["softword"]) == len(features["words"]) == len(features["bigrams"])
    batch = pre.batch([list("北京"), list("张伟在北京工作")], pad_to=8)
    assert batch.inputs["softword"].shape == batch.inputs["words"].shape == (2, 8)
    assert batch.inputs["softword"][0, 2:].tolist() == [0] * 6  # padding is 0, like every input
    state = json.loads(json.dumps(pre.to_dict(), ensure_ascii=False))
    assert NerPreprocessor.from_dict(state).use_softword
    del state["use_softword"]  # a model saved before the option
    old = NerPreprocessor.from_dict(state)
    assert not old.use_softword and "softword" not in old.encode_tokens(list("北京"))


def test_english_is_refused_with_a_clear_message(tmp_path, capsys):
    from nlpsuite.cli import main
    from nlpsuite.tasks.ner import NerConfig

    with pytest.raises(OptionError, match="softword needs Chinese character input"):
        NerConfig(language="en", softword=True).validate()
    # language=auto on English data: refused before any training, through the CLI's --set.
    code = main(["train", "ner", "--data", str(FIXTURES / "en"), "--out", str(tmp_path / "m"),
                 "--epochs", "1", "--set", "softword=true"])
    err = capsys.readouterr().err
    assert code == 2 and "softword" in err and "English" in err, err


@pytest.fixture(scope="module")
def softword_model(tmp_path_factory):
    """A tiny Chinese model with ``softword=True`` (one epoch), as train returned it, and its saved folder."""
    from nlpsuite.tasks.ner import NerConfig, NerTask

    out = tmp_path_factory.mktemp("models") / "ner-zh-softword"
    task = NerTask.train(FIXTURES / "zh", NerConfig(**TINY_ZH), out=out)
    task.save(out)
    return task, out


def test_trained_model_reads_softword_and_reloads_the_same(softword_model):
    import nlpsuite
    from nlpsuite.tasks.ner.model import input_dict

    task, out = softword_model
    assert sorted(input_dict(task.model)) == ["bigrams", "casing", "softword", "words"]
    assert task.model.get_layer("softword_embedding").input_dim == len(SOFTWORD)
    assert "softword (jieba B/M/E/S) embedding 4" in task.info["summary"]
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["softword"] is True and config["softword_dim"] == 4
    again = nlpsuite.load(out)  # keras safe_mode loading
    assert again.preprocessor.use_softword
    texts = ["张伟，现任北京大学教授。", MIXED, ""]
    assert again.predict(texts) == task.predict(texts)
    sentences = [list("王芳毕业于清华大学"), list("ABC公司")]
    assert again.tag(sentences) == task.tag(sentences)
    metrics = again.evaluate(FIXTURES / "zh")
    assert 0.0 <= metrics["f1"] <= 1.0 and metrics["sentences"] > 0


def test_the_softword_input_changes_the_output(softword_model):
    """The new input is wired in: other softword ids give other emissions (so it is not dropped)."""
    task, _ = softword_model
    inputs = task.preprocessor.batch([list("张伟在北京工作")]).inputs
    changed = dict(inputs, softword=np.where(inputs["softword"] > 0, 4, 0).astype("int32"))
    a, b = (np.asarray(task.model(x, training=False)) for x in (inputs, changed))
    assert not np.allclose(a, b)


def test_committed_chinese_model_reads_softword():
    """``saved_models/ner-zh`` was trained with the option: it loads with a softword input and tags raw text
    (models saved before the option: ``test_preprocessor_feature_and_its_saved_state``)."""
    model = ROOT / "saved_models" / "ner-zh"
    if not (model / "config.json").exists():
        pytest.skip(f"no model in {model} (make train-ner)")
    import nlpsuite
    from nlpsuite.tasks.ner.model import input_dict

    task = nlpsuite.load(model)
    assert task.config.softword and task.preprocessor.use_softword and "softword" in input_dict(task.model)
    (result,) = task.predict(["张伟，现任北京大学教授。"])
    assert result["entities"] and all(
        result["text"][e["start"]:e["end"]] == e["text"] for e in result["entities"])


@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_export_feeds_softword_as_one_more_int_input(softword_model, fmt, tmp_path):
    from tests.export.conftest import edge_missing

    if edge_missing():
        pytest.skip(edge_missing())
    from nlpsuite import cli, export

    task, out = softword_model
    exported_dir = tmp_path / fmt
    assert cli.main(["export", "--model", str(out), "--format", fmt, "--quantize", "none",
                     "--out", str(exported_dir)]) == 0
    manifest = json.loads((exported_dir / "export.json").read_text())
    inputs = {spec["name"]: spec for spec in manifest["functions"]["tag"]["inputs"]}
    assert inputs["softword"]["dtype"] == "int32" and set(inputs) == {"words", "casing", "bigrams", "softword"}
    exported = export.load(exported_dir)
    sentences = [list("王芳毕业于清华大学"), [t.text for t in tokenize(MIXED, "zh")]]
    assert exported.tag(sentences) == task.tag(sentences)
    texts = ["张伟，现任北京大学教授。", MIXED]
    for a, b in zip(task.predict(texts), exported.predict(texts), strict=True):
        assert [(e["type"], e["start"], e["end"]) for e in a["entities"]] == [
            (e["type"], e["start"], e["end"]) for e in b["entities"]]
        assert np.allclose([e["score"] for e in a["entities"]], [e["score"] for e in b["entities"]], atol=1e-4)
