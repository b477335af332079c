"""Corpus -> character ids: the codec saved with the model, and the batches fed to ``fit``.

Two ways of cutting a corpus into training sequences, chosen by the corpus:

- ``poems`` (Chinese regulated verse): one sequence per poem, ``<form marker> poem <eos>``. Poems
  are independent and short (24-64 characters), generation must start a poem from nothing and must
  know where it ends, and the form marker tells the model the line length before the first
  character. All poems of one form have the same length, so every batch holds one form and needs no
  padding at all.
- ``text`` (running text such as Tiny Shakespeare): windows of ``seq_len`` characters cut at random
  offsets (truncated back-propagation through time, the window being the truncation). Each window
  starts from a zero state: Keras' ``stateful`` RNNs would tie the model to one fixed batch size,
  and char-RNNs gain little from context beyond ~100 characters. Evaluation and generation do carry
  the state across the whole text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nlpsuite.data import corpus
from nlpsuite.data.vocab import Vocabulary
from nlpsuite.errors import NlpsuiteError

__all__ = ["POEM_EXTRAS", "CharCodec", "CorpusData", "PoemBatches", "TextWindows", "load_corpus"]

EOS = "<eos>"
FREE_POEM = "<poem>"
FORM_MARKERS = {form: f"<{form}>" for form in corpus.FORMS}
POEM_EXTRAS = (EOS, FREE_POEM, *FORM_MARKERS.values())


@dataclass
class CorpusData:
    """A corpus read and split: ``poems`` ``{split: [(form, text)]}`` or ``text`` ``{split:
    str}``.

    Args:
        mode: ``poems`` (regulated Chinese poems) or ``text`` (running text).
        splits: ``{split: [(form, text)]}`` for poems, ``{split: str}`` for text.
        notes: what reading and splitting did, for the model card.

    Example:
    >>> data = CorpusData("text", {"train": "abc", "dev": "d", "test": "e"})
    >>> data.mode, data.splits["train"], data.notes
    ('text', 'abc', [])
    """

    mode: str
    splits: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def load_corpus(path: Path, forms: Sequence[str], simplified: bool, max_train_examples: int = 0) -> CorpusData:
    """Reads ``path`` (chinese-poetry JSON, ``title:poem`` lines, or running text) and splits it.

    Args:
        path: a chinese-poetry JSON file or folder, a ``title:poem`` file, or a running-text file.
        forms: the poem forms to keep.
        simplified: convert poems to simplified characters.
        max_train_examples: cap on training poems (or characters of text); 0 = all.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("verse.txt").write_text("Shall I compare thee to a summer's day?\\n" * 40)
    >>> data = load_corpus(Path("verse.txt"), forms=(), simplified=False)
    >>> data.mode, [len(data.splits[s]) for s in ("train", "dev", "test")]  # contiguous 85/5/10
    ('text', [1360, 80, 160])
    """
    layout = corpus.detect_layout(path)
    if layout == "text":
        text = corpus.read_text(path)
        if len(text) < 1000:
            raise NlpsuiteError(f"{path}: only {len(text)} characters; a character LM needs at least 1,000")
        splits = corpus.split_running_text(text)
        if max_train_examples:
            splits["train"] = splits["train"][:max_train_examples]
        notes = [
            f"{len(text):,} characters; contiguous split: train {len(splits['train']):,}, "
            f"dev {len(splits['dev']):,}, test {len(splits['test']):,} (the last 10%, as nanoGPT)"
        ]
        return CorpusData("text", splits, notes)
    poems, counts = corpus.prepare_poems(corpus.read_poems(path), forms=forms, simplified=simplified)
    if not poems:
        raise NlpsuiteError(f"{path}: no poems of the forms {', '.join(forms)}; check --data and forms")
    splits: dict[str, list] = {"train": [], "dev": [], "test": []}
    for form, text in poems:
        splits[corpus.split_of(text)].append((form, text))
    if max_train_examples:
        splits["train"] = splits["train"][:max_train_examples]
    by_form = {f: sum(1 for g, _ in poems if g == f) for f in forms}
    notes = [
        f"{counts['read']:,} poems read; dropped {counts['lacuna']:,} with lacunae (□), "
        f"{counts['other_form']:,} of other forms, {counts['duplicate']:,} duplicates; "
        f"kept {counts['kept']:,}",
        "by form: " + ", ".join(f"{corpus.FORM_NAMES[f]} {n:,}" for f, n in by_form.items()),
        f"split by a hash of the poem text: train {len(splits['train']):,}, "
        f"dev {len(splits['dev']):,}, "
        f"test {len(splits['test']):,}",
        "variant readings in brackets removed; line ends normalised to ，/。"
        + ("; converted to simplified with OpenCC t2s" if simplified else ""),
    ]
    return CorpusData("poems", splits, notes)


class CharCodec:
    """The character vocabulary and the ids the generator needs.

    Args:
        vocab: ``Vocabulary`` with ``<pad>`` = 0, ``<unk>`` = 1, then (poems) the markers, then
            characters.
        mode: ``poems`` or ``text``.

    Example:
    >>> data = CorpusData("text", {"train": "abca", "dev": "", "test": ""})
    >>> codec = CharCodec.build(data, max_vocab=100, min_count=1)
    >>> codec.vocab.tokens, codec.encode("cab").tolist(), codec.token(2)
    (['<pad>', '<unk>', 'a', 'b', 'c'], [4, 2, 3], 'a')
    """

    def __init__(self, vocab: Vocabulary, mode: str) -> None:
        if mode not in ("poems", "text"):
            raise NlpsuiteError(f"unknown corpus mode {mode!r} in the saved model; retrain it")
        self.vocab = vocab
        self.mode = mode
        tokens = vocab.tokens
        self.han = np.array([corpus.is_han(t) for t in tokens])
        special = {vocab.pad, vocab.oov, *POEM_EXTRAS}
        # What free sampling may emit: every real character, plus the end marker for poems.
        self.free = np.array([t not in special for t in tokens])
        if mode == "poems" and EOS in vocab:
            self.free[vocab.index[EOS]] = True

    @classmethod
    def build(cls, data: CorpusData, max_vocab: int, min_count: int) -> CharCodec:
        if data.mode == "poems":
            sequences = [text for _, text in data.splits["train"]]
            extras = POEM_EXTRAS
        else:
            sequences = [data.splits["train"]]
            extras = ()
        vocab = Vocabulary.build(sequences, max_size=max_vocab, min_count=min_count, extra=extras)
        return cls(vocab, data.mode)

    def __len__(self) -> int:
        return len(self.vocab)

    def id(self, token: str) -> int:
        return self.vocab.lookup(token)

    def encode(self, text: str) -> np.ndarray:
        return np.array(self.vocab.encode(text), dtype="int32")

    def token(self, index: int) -> str:
        return self.vocab.tokens[int(index)]

    def start_id(self, form: str | None) -> int:
        return self.vocab.index[FORM_MARKERS[form] if form else FREE_POEM]

    @property
    def eos_id(self) -> int | None:
        return self.vocab.index.get(EOS)

    def poem_rows(self, poems: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        """``{form: int32 [poems, len + 2]}``: ``<form> poem <eos>`` rows, one array per form."""
        rows: dict[str, list] = {}
        for form, text in poems:
            ids = [self.start_id(form), *self.vocab.encode(text), self.eos_id]
            rows.setdefault(form, []).append(ids)
        return {form: np.array(r, dtype="int32") for form, r in rows.items()}

    def to_dict(self) -> dict:
        return {"mode": self.mode, "vocab": self.vocab.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> CharCodec:
        return cls(Vocabulary.from_dict(data["vocab"]), data["mode"])


# --------------------------------------------------------------------------------------------
# batches


class _SampledBatches(keras.utils.PyDataset):
    """``(x, y)`` batches of equal-length rows, ``y`` shifted by one character.

    Training (``shuffle=True``) draws ``steps`` batches at random, seeded by epoch and batch so a
    resumed run sees the same stream; evaluation walks the data once, in order. Subclasses say how
    to draw a batch (``_sample``) and how to walk the data (``_ordered``, ``ordered_steps`` batches).
    """

    def __init__(self, batch_size: int, steps: int, shuffle: bool, seed: int, ordered_steps: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_size, self.shuffle, self.seed, self.epoch = batch_size, shuffle, seed, 0
        self.steps = steps if shuffle else ordered_steps

    def _sample(self, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _ordered(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        if self.shuffle:
            chunk = self._sample(np.random.default_rng([self.seed, self.epoch, index]))
        else:
            chunk = self._ordered(index)
        return chunk[:, :-1], chunk[:, 1:]

    def on_epoch_end(self) -> None:
        self.epoch += 1


class TextWindows(_SampledBatches):
    """``(x, y)`` batches of ``seq_len`` windows of running text, ``y`` shifted by one character.

    Training draws ``steps`` batches of windows at random offsets (seeded by epoch and batch, so a
    resumed run sees the same stream); evaluation (``shuffle=False``) walks non-overlapping windows
    in order.

    Args:
        ids: the text as character ids.
        seq_len: characters per window.
        batch_size: windows per batch.
        steps: batches per training epoch.
        shuffle: random windows (training) or every window in order (evaluation).
        seed: seeds the random windows.
        **kwargs: ``keras.utils.PyDataset`` arguments.

    Example:
    >>> import numpy as np
    >>> windows = TextWindows(np.arange(10, dtype="int32"), seq_len=4, batch_size=2, shuffle=False)
    >>> x, y = windows[0]
    >>> len(windows), x.tolist(), y.tolist()  # one batch of the two whole windows; y is x shifted by one
    (1, [[0, 1, 2, 3], [4, 5, 6, 7]], [[1, 2, 3, 4], [5, 6, 7, 8]])
    """

    def __init__(self, ids: np.ndarray, seq_len: int, batch_size: int, steps: int = 0, shuffle: bool = True,
                 seed: int = 0, **kwargs: Any) -> None:
        if len(ids) < seq_len + 2:
            raise NlpsuiteError(
                f"text of {len(ids)} characters is shorter than seq_len={seq_len}; lower seq_len or give more text"
            )
        self.ids, self.seq_len = ids, seq_len
        self.windows = (len(ids) - 1) // seq_len
        super().__init__(batch_size, steps, shuffle, seed, math.ceil(self.windows / batch_size), **kwargs)

    def _sample(self, rng: np.random.Generator) -> np.ndarray:
        starts = rng.integers(0, len(self.ids) - self.seq_len - 1, self.batch_size)
        return self._windows(starts)

    def _ordered(self, index: int) -> np.ndarray:
        first = index * self.batch_size
        return self._windows(np.arange(first, min(first + self.batch_size, self.windows)) * self.seq_len)

    def _windows(self, starts: np.ndarray) -> np.ndarray:
        return self.ids[starts[:, None] + np.arange(self.seq_len + 1)[None, :]]


class PoemBatches(_SampledBatches):
    """``(x, y)`` batches of whole poems, one form per batch (equal lengths: no padding, no masks).

    Training draws ``steps`` batches: a form with probability proportional to its poem count, then
    ``batch_size`` poems of it. Evaluation (``shuffle=False``) walks every poem once.

    Example:
    >>> import numpy as np
    >>> rows = {"wujue": np.arange(12, dtype="int32").reshape(2, 6)}
    >>> x, y = PoemBatches(rows, batch_size=2, shuffle=False)[0]
    >>> x.shape, bool((x[:, 1:] == y[:, :-1]).all())
    ((2, 5), True)
    """

    def __init__(self, rows: dict[str, np.ndarray], batch_size: int, steps: int = 0, shuffle: bool = True,
                 seed: int = 0, **kwargs: Any) -> None:
        if not rows:
            raise NlpsuiteError("no poems to batch; check the data and the forms option")
        self.rows = rows
        self.forms = sorted(rows)
        counts = np.array([len(rows[f]) for f in self.forms], dtype="float64")
        self.weights = counts / counts.sum()
        self.plan = [(f, i) for f in self.forms for i in range(0, len(rows[f]), batch_size)]
        super().__init__(batch_size, steps, shuffle, seed, len(self.plan), **kwargs)

    def _sample(self, rng: np.random.Generator) -> np.ndarray:
        form = self.forms[rng.choice(len(self.forms), p=self.weights)]
        return self.rows[form][rng.integers(0, len(self.rows[form]), self.batch_size)]

    def _ordered(self, index: int) -> np.ndarray:
        form, first = self.plan[index]
        return self.rows[form][first : first + self.batch_size]
