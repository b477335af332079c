"""CoNLL reading/writing, tag-scheme conversion and the error messages for malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlpsuite.data import conll
from nlpsuite.errors import NlpsuiteError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ner"


def test_reads_tab_and_space_files_with_sentence_lines():
    train = conll.read_conll(FIXTURES / "en" / "train.txt")
    test = conll.read_conll(FIXTURES / "en" / "test.txt")  # space-separated
    assert len(train) == 60 and len(test) == 12
    assert train[0].tokens[:2] == ["Anna", "visited"]
    assert train[0].tags[:4] == ["B-PER", "O", "B-LOC", "I-LOC"]
    assert train[0].line == 1 and train[1].line == len(train[0].tokens) + 2
    assert conll.detect_scheme(s.tags for s in train) == "BIO"


def test_docstart_skipped_extra_columns_kept_and_iob1_detected():
    sentences = conll.read_conll(FIXTURES / "iob1_docstart.txt")
    assert [s.tokens[0] for s in sentences] == ["EU", "Peter", "Hans"]
    assert sentences[0].columns[0] == ["NNP", "B-NP"]
    assert conll.detect_scheme(s.tags for s in sentences) == "IOB1"
    assert conll.get_spans(sentences[2].tags, "IOB1") == [("PER", 0, 1), ("PER", 1, 3)]


def test_chinese_character_files():
    sentences = conll.read_conll(FIXTURES / "zh" / "train.char.bmes", scheme="BMES")
    assert all(len(t) == 1 for s in sentences for t in s.tokens)
    assert conll.detect_scheme(s.tags for s in sentences) == "BMES"


def test_write_read_round_trip(tmp_path):
    original = conll.read_conll(FIXTURES / "iob1_docstart.txt")
    path = tmp_path / "out.conll"
    conll.write_conll(path, original)
    again = conll.read_conll(path)
    assert [(s.tokens, s.tags, s.columns) for s in again] == [
        (s.tokens, s.tags, s.columns) for s in original
    ]
    conll.write_conll(path, original, separator=" ")
    assert conll.read_conll(path)[0].tags == original[0].tags


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [
        ("BIO", ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "B-ORG"]),
        ("IOB1", ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "O", "I-ORG"]),
        ("BIOES", ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "O", "S-ORG"]),
        ("BMES", ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "O", "S-ORG"]),
    ],
)
def test_every_scheme_has_the_same_spans(scheme, tags):
    expected = [("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 6), ("ORG", 7, 8)]
    assert conll.get_spans(tags, scheme) == expected
    assert conll.spans_to_tags(expected, len(tags), scheme) == tags
    for target in conll.SCHEMES:
        converted = conll.convert_tags(tags, scheme, target)
        assert conll.get_spans(converted, target) == expected
        assert conll.convert_tags(converted, target, scheme) == tags


def test_long_entities_use_inside_tags():
    spans = [("ORG", 0, 4)]
    assert conll.spans_to_tags(spans, 4, "BMES") == ["B-ORG", "M-ORG", "M-ORG", "E-ORG"]
    assert conll.spans_to_tags(spans, 4, "BIOES") == ["B-ORG", "I-ORG", "I-ORG", "E-ORG"]


def test_lenient_reading_repairs_invalid_sequences():
    # I- after O opens an entity (conlleval); a BMES entity cut at the sentence end still counts.
    assert conll.convert_tags(["O", "I-PER", "I-PER"], "BIO", "BIOES") == ["O", "B-PER", "E-PER"]
    assert conll.convert_tags(["B-ORG", "M-ORG"], "BMES", "BMES") == ["B-ORG", "E-ORG"]


def test_scheme_aliases_and_unknown_scheme():
    assert conll.normalize_scheme("iob2") == "BIO"
    assert conll.normalize_scheme("iobes") == "BIOES"
    with pytest.raises(NlpsuiteError, match="unknown tag scheme 'XYZ'"):
        conll.normalize_scheme("XYZ")


def test_all_tags_lists_o_first():
    assert conll.all_tags(["LOC", "PER"], "BIO") == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_one_column_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("EU B-ORG\nrejects\n", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match=r"bad\.txt:2: one column"):
        conll.read_conll(path)


def test_tag_outside_scheme_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("EU B-ORG\n\nPeter E-PER\n", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match=r"bad\.txt:3: tag 'E-PER' is not in the BIO scheme"):
        conll.read_conll(path, scheme="BIO")
    path.write_text("EU B-ORG\nPeter PERSON\n", encoding="utf-8")
    with pytest.raises(
        NlpsuiteError, match=r"bad\.txt:2: tag 'PERSON' is neither O nor PREFIX-TYPE"
    ):
        conll.read_conll(path)


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("EU B-ORG\n\nM\u00fcller B-PER\n".encode("latin-1"))
    with pytest.raises(NlpsuiteError, match=r"latin1\.txt:3: not valid UTF-8"):
        conll.read_conll(path)


@pytest.mark.parametrize("content", ["", "\n\n", "-DOCSTART- O\n\n"])
def test_empty_file_is_an_error(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NlpsuiteError, match=r"empty\.txt: no sentences"):
        conll.read_conll(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(NlpsuiteError, match="file not found"):
        conll.read_conll(tmp_path / "nope.txt")
    with pytest.raises(NlpsuiteError, match="is a folder"):
        conll.read_conll(tmp_path)


def test_inconsistent_columns_is_an_error(tmp_path):
    path = tmp_path / "cols.txt"
    path.write_text("EU NNP B-ORG\nrejects O\n", encoding="utf-8")
    with pytest.raises(NlpsuiteError, match=r"cols\.txt:2: 2 columns where the sentence has 3"):
        conll.read_conll(path)


def test_untagged_text_is_allowed_when_asked():
    sentences = conll.parse_conll("EU\nrejects\n\nPeter\n", require_tags=False)
    assert [s.tokens for s in sentences] == [["EU", "rejects"], ["Peter"]]
    assert sentences[0].tags == []


def test_find_split_knows_common_names():
    assert conll.find_split(FIXTURES / "en", "dev").name == "valid.txt"
    assert conll.find_split(FIXTURES / "zh", "dev").name == "dev.char.bmes"
    with pytest.raises(NlpsuiteError, match="no 'dev' file"):
        conll.find_split(FIXTURES, "dev")


def test_weibo_segment_positions_are_stripped():
    sentences = conll.parse_conll("科0\tO\n技1\tO\n80\tO\n张0\tB-PER.NAM\n三1\tI-PER.NAM\n")
    assert conll.has_segment_positions(sentences)
    assert conll.strip_segment_positions(sentences)[0].tokens == ["科", "技", "8", "张", "三"]
    assert not conll.has_segment_positions(conll.read_conll(FIXTURES / "zh" / "train.char.bmes"))
