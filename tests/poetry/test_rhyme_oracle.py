"""Rhyme oracle: poems generated with ``rhyme=True`` judged by an independent rhyme table.

The table below was written by hand from the characters' standard readings and the 14 groups of
中华新韵 (the scheme the generator documents); the generator's own ``rhyme_group``/``rhymes`` are
never consulted. The model is untrained on a vocabulary made only of these characters, so every
rhyme slot must be filled from the table and nothing but the constraint can make the lines rhyme.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from nlpsuite.data import corpus
from nlpsuite.tasks.poetry import preprocess
from nlpsuite.tasks.poetry.generate import Generator
from nlpsuite.tasks.poetry.model import build_model

# 中华新韵 group -> characters, by reading: 光 guāng, 霜 shuāng ... (finals ang/iang/uang -> 唐, etc.).
RHYME_TABLE = {
    "唐": "光霜乡阳江",  # -ang, -iang, -uang
    "麻": "花家沙",  # -a, -ia, -ua
    "寒": "山天年前烟",  # -an, -ian
    "尤": "流楼舟秋愁",  # -ou, -iu
    "庚": "风声明松",  # -eng, -ing, -ong
    "支": "诗时思",  # zhi/chi/shi/ri/zi/ci/si
    "齐": "低西溪雨",  # -i, -ü
    "微": "飞归回",  # -ei, -ui
    "开": "来台",  # -ai
    "皆": "月雪",  # -üe
    "姑": "路湖",  # -u
    "文": "人春云",  # -en, -un, -ün
    "波": "波河多",  # -o, -e, -uo
    "豪": "高桥",  # -ao, -iao
}
GROUP_OF = {char: group for group, chars in RHYME_TABLE.items() for char in chars}


@pytest.fixture(scope="module")
def generator(tmp_path_factory) -> Generator:
    """An untrained model over a corpus written only with the table's characters."""
    rng = np.random.default_rng(0)
    pool = list(GROUP_OF)
    records = []
    for lines, width in [(4, 5), (4, 7), (8, 5), (8, 7)]:
        for i in range(30):
            text = "".join("".join(rng.choice(pool, width)) + ("，" if j % 2 == 0 else "。") for j in range(lines))
            records.append({"title": f"t{i}", "author": "a", "paragraphs": [text]})
    path = tmp_path_factory.mktemp("rhyme") / "poet.rhyme.0.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    data = preprocess.load_corpus(path, list(corpus.FORMS), simplified=True)
    data.splits["train"] += data.splits["dev"] + data.splits["test"]
    codec = preprocess.CharCodec.build(data, max_vocab=4000, min_count=1)
    keras.utils.set_random_seed(0)
    model = build_model(len(codec), embedding_dim=8, units=16, num_layers=1, cell="gru", dropout=0.0)
    return Generator(model, codec)


def test_the_vocabulary_is_covered_by_the_table(generator):
    han = [t for i, t in enumerate(generator.codec.vocab.tokens) if generator.codec.han[i]]
    assert han and set(han) <= set(GROUP_OF)


@pytest.mark.parametrize("form", sorted(corpus.FORMS))
def test_even_lines_end_in_one_rhyme_group_of_the_table(generator, form):
    for seed in range(12):
        text = "".join(generator.stream("", form=form, rhyme=True, seed=seed, temperature=1.5))
        assert corpus.check_form(text, form), text
        endings = [line[-1] for line in corpus.line_segments(text)[1::2]]
        groups = {GROUP_OF[c] for c in endings}
        assert len(groups) == 1, (text, endings, groups)


def test_without_rhyme_the_endings_are_free(generator):
    """The oracle can tell rhyming from not rhyming: unconstrained eight-line poems of this vocabulary
    do not always end their even lines in one group."""
    spreads = []
    for seed in range(12):
        text = "".join(generator.stream("", form="wulv", seed=seed, temperature=1.5))
        spreads.append(len({GROUP_OF[line[-1]] for line in corpus.line_segments(text)[1::2]}))
    assert max(spreads) > 1
