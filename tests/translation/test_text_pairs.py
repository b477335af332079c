import zipfile

import pytest

from nlpsuite.data import text_pairs as tp
from nlpsuite.errors import NlpsuiteError

from .conftest import FIXTURES, toy_pairs


def test_reads_three_column_anki_file_in_both_directions():
    spa_en = tp.read_pairs(FIXTURES / "anki_sample.txt", "spa-en")
    assert len(spa_en) == 10  # the blank line is skipped
    assert spa_en[0] == tp.TextPair("Ve.", "Go.", 1)
    assert spa_en[-1].line == 11
    en_spa = tp.read_pairs(FIXTURES / "anki_sample.txt", "en-spa")
    assert (en_spa[0].source, en_spa[0].target) == ("Go.", "Ve.")


def test_reads_zip_like_spa_eng(tmp_path):
    archive = tmp_path / "spa-eng.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("spa-eng/_about.txt", "about")
        zf.writestr("spa-eng/spa.txt", "Go.\tVe.\nHi.\tHola.\n")
    pairs = tp.read_pairs(archive, "spa-en")
    assert [(p.source, p.target) for p in pairs] == [("Ve.", "Go."), ("Hola.", "Hi.")]


def test_chinese_side_is_simplified():
    pairs = tp.read_pairs(FIXTURES / "cmn_sample.txt", "zh-en")
    assert [p.source for p in pairs] == ["你好。", "谢谢。", "我们在这里。"]


def test_bad_line_names_file_and_line():
    with pytest.raises(NlpsuiteError, match=r"bad_line\.txt:3: expected english<TAB>"):
        tp.read_pairs(FIXTURES / "bad_line.txt", "spa-en")


@pytest.mark.parametrize("direction", ["spa", "spa-fr", "en-en", "spa-en-x"])
def test_bad_direction(direction):
    with pytest.raises(NlpsuiteError, match="direction"):
        tp.Direction.parse(direction)


def test_split_has_no_shared_source_or_target():
    pairs = tp.read_pairs(FIXTURES / "anki_sample.txt", "spa-en")
    # 'Hola.' translates 'Hi.' and 'Hello.', 'Go.'/'Go!' have three translations: each is one group.
    groups = tp.group_pairs(pairs)
    assert len({groups[i] for i in range(3)}) == 1 and groups[3] == groups[4]
    many = [tp.TextPair(s, t) for s, t in toy_pairs(600, seed=3)]
    many += [tp.TextPair(p.source, p.target + " x") for p in many[:200]]  # repeated sources
    split = tp.split_pairs(many, dev_fraction=0.1, test_fraction=0.1, seed=7)
    keys = {name: {tp.group_key(p.source) for p in rows} for name, rows in split.items()}
    targets = {name: {tp.group_key(p.target) for p in rows} for name, rows in split.items()}
    assert keys["test"] and keys["dev"]
    assert not keys["train"] & keys["test"] and not keys["train"] & keys["dev"]
    assert not keys["dev"] & keys["test"]
    assert not targets["train"] & targets["test"]
    # dev/test keep one pair per source
    assert len(keys["test"]) == len(split["test"])
    # the split depends on the groups, not the file order
    again = tp.split_pairs(list(reversed(many)), dev_fraction=0.1, test_fraction=0.1, seed=7)
    assert {p.source for p in again["test"]} == {p.source for p in split["test"]}


def test_saved_hashes_select_the_same_test_sentences():
    many = [tp.TextPair(s, t) for s, t in toy_pairs(300, seed=5)]
    split = tp.split_pairs(many, 0.1, 0.1, seed=1)
    hashes = {tp.sentence_hash(p.source) for p in split["test"]}
    assert tp.select_by_hashes(many, hashes) == split["test"]


def test_bad_fractions():
    with pytest.raises(NlpsuiteError, match="test_fraction"):
        tp.split_pairs([tp.TextPair("a", "b")], dev_fraction=0.6, test_fraction=0.5)
