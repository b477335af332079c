"""Readers, tokenisers, deduplication and metrics of the sentiment app (no Keras models)."""

from __future__ import annotations

import numpy as np
import pytest

from nlpsuite.data import labeled_text as lt
from nlpsuite.data.tokenize import Tokenizer, detect_language, pad, truncate
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.sentiment import (
    SentimentConfig,
    classification_metrics,
    expected_calibration_error,
    load_splits,
    read_split,
)


def test_header_columns_are_detected_in_tsv_and_csv():
    tsv = lt.parse_table("label\tsentence\n1\tgood film\n0\tdull\n", source="a.tsv")
    assert [(e.text, e.label, e.line) for e in tsv] == [("good film", "1", 2), ("dull", "0", 3)]
    csv = lt.parse_table('id,review,sentiment\n7,"great, really",pos\n', source="b.csv")
    assert (csv[0].text, csv[0].label) == ("great, really", "pos")


def test_headerless_two_column_file_finds_the_label_column(zh_data):
    examples = lt.read_file(zh_data / "dev.tsv")
    assert {e.label for e in examples} == {"positive", "negative"}
    assert all(len(e.text) > 3 for e in examples)


def test_named_columns_and_label_map():
    content = "txt\ty\nok\t1\n"
    examples = lt.parse_table(
        content, "c.tsv", text_column="txt", label_column="y", label_map={"1": "positive"}
    )
    assert examples[0].label == "positive"


@pytest.mark.parametrize(
    ("content", "options", "match"),
    [
        ("label\tbody\n1\tx\n", {}, r"x\.tsv: no text column in the header \(label, body\)"),
        ("sentence\tscore\nnice\t1\n", {}, r"no label column"),
        ("label\tsentence\n1\tfine\n0\t  \n", {}, r"x\.tsv, line 3: the text field is empty"),
        ("label\tsentence\n1\tfine\n\tgood\n", {}, r"line 3: the label field is empty"),
        ("label\tsentence\n1\n", {}, r"line 2: 1 field\(s\), expected at least 2"),
        ("text\tsentence\tlabel\na\tb\t1\n", {}, r"several possible text columns"),
        ("label\tsentence\n1\tok\n", {"text_column": "review"}, r"no text column 'review'"),
        ("", {}, r"x\.tsv is empty"),
    ],
)
def test_reader_errors_name_file_line_and_field(content, options, match):
    with pytest.raises(NlpsuiteError, match=match):
        lt.parse_table(content, source="x.tsv", **options)


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(NlpsuiteError, match="data file not found"):
        lt.read_file(tmp_path / "nope.tsv")
    bad = tmp_path / "latin.tsv"
    bad.write_bytes("label\tsentence\n1\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(NlpsuiteError, match="not UTF-8"):
        lt.read_file(bad)


def test_unseen_label_is_reported_with_its_line():
    examples = lt.parse_table("label\tsentence\nneutral\tmeh\n", "t.tsv")
    with pytest.raises(NlpsuiteError, match=r"t\.tsv, line 2: label 'neutral' was not seen"):
        lt.check_labels(examples, ["negative", "positive"], "t.tsv")


def test_english_tokens_match_sst_tokenisation():
    tok = Tokenizer("word")
    assert tok.tokenize("It isn't bad -LRB- really -RRB- !") == tok.tokenize(
        "it is n't bad ( really ) !"
    )
    assert tok.tokenize("We're here; it's 10,000\\/10") == [
        "we",
        "'re",
        "here",
        ";",
        "it",
        "'s",
        "10,000",
        "/",
        "10",
    ]


def test_chinese_characters_jieba_and_simplification():
    assert Tokenizer("char").tokenize("房間ＯＫ，15寸") == ["房", "間", "ok", ",", "15", "寸"]
    assert Tokenizer("char", simplify=True).tokenize("房間很乾淨") == ["房", "间", "很", "干", "净"]
    words = Tokenizer("jieba").tokenize("我们非常喜欢这个酒店")
    assert "".join(words) == "我们非常喜欢这个酒店" and len(words) < 10
    assert detect_language(["这个酒店很好", "a"]) == "zh"
    assert detect_language(["a fine film"]) == "en"
    with pytest.raises(NlpsuiteError, match="unknown tokenizer"):
        Tokenizer("bpe")


def test_truncate_keeps_head_and_tail_and_pad_rounds_up():
    assert truncate(list(range(10)), 4) == [0, 1, 8, 9]
    assert truncate([1, 2], 4) == [1, 2]
    batch = pad([np.array([3, 4, 5]), np.array([6])], multiple=4)
    assert batch.tolist() == [[3, 4, 5, 0], [6, 0, 0, 0]]


def test_deduplicate_drops_evaluation_texts_repeats_and_conflicts():
    train = [
        lt.Example(t, label)
        for t, label in [
            ("A b", "1"),
            ("a  B", "1"),
            ("c", "0"),
            ("c", "1"),
            ("held", "0"),
            ("d", "0"),
        ]
    ]
    kept, report = lt.deduplicate(train, [lt.Example("HELD", "0")])
    assert [e.text for e in kept] == ["A b", "d"]
    assert (report.in_evaluation, report.exact_repeats, report.conflicting) == (1, 1, 2)


def test_chnsenticorp_layout_drops_dev_texts_from_train(zh_data):
    splits = load_splits(zh_data, SentimentConfig(dev_fraction=0.1))
    test_texts = {lt.normalize_key(e.text) for e in splits.test}
    assert len(splits.test) == 50  # dev.tsv is the evaluation split
    assert not test_texts & {lt.normalize_key(e.text) for e in splits.train + splits.dev}
    assert not {e.text for e in splits.train} & {e.text for e in splits.dev}
    assert any("removed 1 training rows whose text appears" in note for note in splits.notes)


def test_sst2_layout_maps_glue_dev_to_test(tmp_path):
    folder = tmp_path / "sst2"
    folder.mkdir()
    (folder / "train.tsv").write_text(
        "label\tsentence\r\n" + "".join(f"{i % 2}\tphrase {i}\r\n" for i in range(40))
    )
    (folder / "dev.tsv").write_text("label\tcontent\n1\ta -lrb- fine -rrb- film\n")
    (folder / "test.tsv").write_text("label\tcontent\n0\tdull\n")
    config = SentimentConfig()
    test, source = read_split(folder, "test", config)
    assert source.endswith("dev.tsv") and test[0].label == "positive"
    assert read_split(folder, "sst2-test", config)[0][0].label == "negative"
    dev, source = read_split(folder, "dev", config)
    assert "carved" in source and len(dev) == 2
    with pytest.raises(NlpsuiteError, match="no 'valid' split for sst2"):
        read_split(folder, "valid", config)


def test_metrics_on_hand_made_numbers():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    metrics = classification_metrics(np.array([0, 1, 1, 1]), probs, ["neg", "pos"])
    assert metrics["accuracy"] == pytest.approx(0.75)
    # neg: P=1/2 R=1 F1=2/3; pos: P=1 R=2/3 F1=0.8
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert metrics["confusion_matrix"]["rows_true_columns_predicted"] == [[1, 0], [1, 2]]
    # bins: 0.9 (right), 0.8 (wrong), 0.7 (right), 0.6 (right) each alone
    assert metrics["ece"] == pytest.approx((0.1 + 0.8 + 0.3 + 0.4) / 4)
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([True, True])) == 0.0
