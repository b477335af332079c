"""NER preprocessing: token features (word, characters, casing, character bigrams, softword), tag ids,
batches.

Everything here is NumPy and plain Python, saved with the model as JSON (``NerPreprocessor.to_dict``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlpsuite.data import conll
from nlpsuite.data.segment import segment
from nlpsuite.data.text import is_cjk
from nlpsuite.data.vocab import OOV, PAD, Vocabulary
from nlpsuite.errors import NlpsuiteError

__all__ = [
    "CASING",
    "EOS",
    "OOV",
    "PAD",
    "SOFTWORD",
    "Batch",
    "NerPreprocessor",
    "bigrams",
    "casing",
    "embedding_matrix",
    "load_vectors",
    "normalize_word",
    "pad_batch",
    "softword",
]

# Casing classes (Reimers & Gurevych 2017, plus CJK): a cheap signal that the lowercased word id loses.
CASING = (
    "<pad>",
    "numeric",
    "mainly_numeric",
    "all_lower",
    "all_upper",
    "initial_upper",
    "contains_digit",
    "punct",
    "cjk",
    "other",
)
CASING_INDEX = {name: i for i, name in enumerate(CASING)}
_DIGITS = re.compile(r"\d")
EOS = "</s>"  # right neighbour of the last character, for bigrams
# A character's position in its jieba word (Zhang & Yang 2018's "softword" feature); 0 is padding.
SOFTWORD = ("<pad>", "B", "M", "E", "S")


def casing(token: str) -> int:
    """The casing class id of a token (see ``CASING``).

    Example:
    >>> [CASING[casing(t)] for t in ("Paris", "1999", "北京", "EU", "--")]
    ['initial_upper', 'numeric', 'cjk', 'all_upper', 'punct']
    """
    digits = sum(c.isdigit() for c in token)
    if token.isdigit():
        name = "numeric"
    elif digits / max(len(token), 1) > 0.5:
        name = "mainly_numeric"
    elif all(is_cjk(c) for c in token):
        name = "cjk"
    elif token.islower():
        name = "all_lower"
    elif token.isupper():
        name = "all_upper"
    elif token[:1].isupper():
        name = "initial_upper"
    elif digits:
        name = "contains_digit"
    elif not any(c.isalnum() for c in token):
        name = "punct"
    else:
        name = "other"
    return CASING_INDEX[name]


def normalize_word(token: str, lowercase: bool = True) -> str:
    """The word-vocabulary key: lowercased, every digit 0 (so years and scores share statistics).

    Example:
    >>> normalize_word("Euro-2024"), normalize_word("Euro-2024", lowercase=False)
    ('euro-0000', 'Euro-0000')
    """
    token = _DIGITS.sub("0", token)
    return token.lower() if lowercase else token


def bigrams(tokens: Sequence[str]) -> list[str]:
    """Each character with its right neighbour (``</s>`` after the last), the Chinese NER bigram feature.

    Example:
    >>> bigrams(["北", "京", "市"])
    ['北京', '京市', '市</s>']
    """
    return [a + b for a, b in zip(tokens, [*tokens[1:], EOS], strict=True)]


def softword(tokens: Sequence[str]) -> list[int]:
    """Each token's position in the jieba word around it (``SOFTWORD`` ids: B, M, E or S), one per token.

    The tokens are joined without spaces and segmented (``nlpsuite.data.segment``); a token that starts a
    word is B, one that ends it E, both S, neither M. Training data and raw text reach this as the same
    tokens, so both are segmented alike, and the result always has one id per token.

    Args:
        tokens: a sentence's tokens (Chinese NER: its characters).

    Returns:
        One id in 1-4 per token.

    Example:
    >>> [SOFTWORD[i] for i in softword(list("我来到北京清华大学"))]
    ['S', 'B', 'E', 'B', 'E', 'B', 'M', 'M', 'E']
    """
    ends = {0, *itertools.accumulate(len(word) for word in segment("".join(tokens)))}
    ids, start = [], 0
    for token in tokens:
        end = start + len(token)
        position = ("S" if end in ends else "B") if start in ends else ("E" if end in ends else "M")
        ids.append(SOFTWORD.index(position))
        start = end
    return ids


@dataclass
class Batch:
    """Padded arrays for one batch: the model's inputs and, for training, the tag ids.

    Args:
        inputs: ``{input name: [batch, time] or [batch, time, chars] int32}``.
        tags: ``[batch, time]`` tag ids (-1 at padding), or None at prediction time.
        lengths: ``[batch]`` real lengths.

    Example:
    >>> import numpy as np
    >>> batch = Batch({"words": np.array([[4, 5, 0]], "int32")}, None, np.array([2]))
    >>> batch.inputs["words"].shape, batch.lengths.tolist()
    ((1, 3), [2])
    """

    inputs: dict[str, np.ndarray]
    tags: np.ndarray | None
    lengths: np.ndarray


class NerPreprocessor:
    """Turns tokens into the model's integer inputs and tags into ids (BIOES).

    Args:
        words: the lowercased word vocabulary.
        chars: the character vocabulary (case kept), or None when the model has no character encoder.
        tags: the tag vocabulary, in the training scheme, ``O`` first.
        bigrams: the character-bigram vocabulary, or None when the model does not use bigrams.
        lowercase: whether words are lowercased before lookup.
        max_word_chars: characters kept per token (long URLs are cut).
        scheme: the training scheme of ``tags``.
        data_scheme: the scheme of the training data, used when writing tags back out.
        language: ``en`` or ``zh``; decides how raw text is tokenised.
        use_casing: whether the model reads casing classes.
        use_softword: whether the model reads each character's position in its jieba word (``softword``).

    Example:
    >>> from nlpsuite.data.conll import Sentence
    >>> sentences = [Sentence(["Paris", "is", "big"], ["B-LOC", "O", "O"])]
    >>> pre = NerPreprocessor.build(sentences, scheme="BIOES", data_scheme="BIO", language="en", use_bigrams=False)
    >>> pre.tags.tokens
    ['O', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC']
    >>> ids = pre.encode_tags(["B-LOC", "O", "O"], "BIO")  # trained in BIOES: a one-word entity is S-LOC
    >>> ids, pre.decode_tags(ids, "BIO")
    ([4, 0, 0], ['B-LOC', 'O', 'O'])
    >>> features = pre.encode_tokens(["Paris", "Rome"])
    >>> sorted(features), features["words"]  # "rome" was never seen: <unk> (1)
    (['casing', 'chars', 'words'], [2, 1])
    """

    def __init__(
        self,
        words: Vocabulary,
        chars: Vocabulary | None,
        tags: Vocabulary,
        bigrams: Vocabulary | None,
        lowercase: bool = True,
        max_word_chars: int = 20,
        scheme: str = "BIOES",
        data_scheme: str = "BIO",
        language: str = "en",
        use_casing: bool = True,
        use_softword: bool = False,
    ) -> None:
        self.words = words
        self.chars = chars
        self.tags = tags
        self.bigrams = bigrams
        self.lowercase = lowercase
        self.max_word_chars = max_word_chars
        self.scheme = scheme
        self.data_scheme = data_scheme
        self.language = language
        self.use_casing = use_casing
        self.use_softword = use_softword

    # -- building
    @classmethod
    def build(
        cls,
        sentences: Sequence[conll.Sentence],
        *,
        scheme: str,
        data_scheme: str,
        language: str,
        use_bigrams: bool,
        use_chars: bool = True,
        use_casing: bool = True,
        use_softword: bool = False,
        lowercase: bool = True,
        min_word_count: int = 1,
        min_bigram_count: int = 2,
        max_word_chars: int = 20,
        extra_words: Sequence[str] = (),
    ) -> NerPreprocessor:
        words = Vocabulary.build(
            ([normalize_word(t, lowercase) for t in s.tokens] for s in sentences),
            min_count=min_word_count,
        )
        if extra_words:  # pretrained vectors' words, so their vectors are usable at test time
            known = set(words.tokens)
            words = Vocabulary(
                words.tokens + [w for w in dict.fromkeys(extra_words) if w not in known]
            )
        chars = (
            Vocabulary.build((c for t in s.tokens for c in t) for s in sentences)
            if use_chars
            else None
        )
        types = conll.entity_types(s.tags for s in sentences)
        if not types:
            raise NlpsuiteError(
                "the training data has no entities (every tag is O); check the tag column"
            )
        tags = Vocabulary(conll.all_tags(types, scheme), pad=None, oov=None)
        bigram_vocab = None
        if use_bigrams:
            bigram_vocab = Vocabulary.build(
                (bigrams(s.tokens) for s in sentences), min_count=min_bigram_count
            )
        return cls(
            words,
            chars,
            tags,
            bigram_vocab,
            lowercase,
            max_word_chars,
            scheme,
            data_scheme,
            language,
            use_casing,
            use_softword,
        )

    def word_counts(self, sentences: Sequence[conll.Sentence]) -> Counter[int]:
        return Counter(
            self.words.lookup(normalize_word(t, self.lowercase))
            for s in sentences
            for t in s.tokens
        )

    @property
    def entity_types(self) -> list[str]:
        return conll.entity_types([self.tags.tokens])

    # -- encoding
    def encode_tokens(self, tokens: Sequence[str]) -> dict[str, list]:
        """Feature ids of one sentence (lists, not yet padded)."""
        features: dict[str, list] = {
            "words": [self.words.lookup(normalize_word(t, self.lowercase)) for t in tokens]
        }
        if self.chars is not None:
            features["chars"] = [
                [self.chars.lookup(c) for c in t[: self.max_word_chars]] or [self.chars.oov_id]
                for t in tokens
            ]
        if self.use_casing:
            features["casing"] = [casing(t) for t in tokens]
        if self.bigrams is not None:
            features["bigrams"] = [self.bigrams.lookup(b) for b in bigrams(tokens)]
        if self.use_softword:
            features["softword"] = softword(tokens)
        return features

    def encode_tags(self, tags: Sequence[str], source_scheme: str) -> list[int]:
        """Tag ids in the training scheme; tags of a type the model does not know raise a clear error."""
        converted = conll.convert_tags(tags, source_scheme, self.scheme)
        try:
            return [self.tags.index[t] for t in converted]
        except KeyError as exc:
            raise NlpsuiteError(
                f"entity type of tag {exc.args[0]!r} was not in the training data; known "
                f"types: {', '.join(self.entity_types)}"
            ) from None

    def decode_tags(self, ids: Sequence[int], scheme: str | None = None) -> list[str]:
        """Tag ids -> tags, converted to ``scheme`` (default: the training scheme)."""
        tags = [self.tags.tokens[int(i)] for i in ids]
        return (
            conll.convert_tags(tags, self.scheme, scheme)
            if scheme and scheme != self.scheme
            else tags
        )

    def batch(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[int]] | None = None,
        pad_to: int = 1,
        fixed_shapes: bool = False,
    ) -> Batch:
        """Pads a list of token lists (and tag ids) into arrays; see ``pad_batch``."""
        encoded = [self.encode_tokens(s) for s in sentences]
        return pad_batch(encoded, tags, pad_to, fixed_shapes, self.max_word_chars)

    # -- saving
    def to_dict(self) -> dict[str, Any]:
        return {
            "words": self.words.to_dict(),
            "chars": self.chars.to_dict() if self.chars is not None else None,
            "tags": self.tags.to_dict(),
            "bigrams": self.bigrams.to_dict() if self.bigrams is not None else None,
            "lowercase": self.lowercase,
            "max_word_chars": self.max_word_chars,
            "scheme": self.scheme,
            "data_scheme": self.data_scheme,
            "language": self.language,
            "use_casing": self.use_casing,
            "use_softword": self.use_softword,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NerPreprocessor:
        try:
            return cls(
                Vocabulary.from_dict(data["words"]),
                Vocabulary.from_dict(data["chars"]) if data.get("chars") else None,
                Vocabulary.from_dict(data["tags"]),
                Vocabulary.from_dict(data["bigrams"]) if data.get("bigrams") else None,
                bool(data["lowercase"]),
                int(data["max_word_chars"]),
                str(data["scheme"]),
                str(data["data_scheme"]),
                str(data["language"]),
                bool(data.get("use_casing", True)),
                bool(data.get("use_softword", False)),  # models saved before the option: off
            )
        except (KeyError, TypeError) as exc:
            raise NlpsuiteError(
                f"NER preprocessing state is incomplete ({exc}); retrain the model"
            ) from None


def pad_batch(
    encoded: Sequence[dict[str, list]],
    tags: Sequence[Sequence[int]] | None,
    pad_to: int = 1,
    fixed_shapes: bool = False,
    word_chars: int = 20,
) -> Batch:
    """Stacks encoded sentences into zero-padded arrays (padding tags are -1: the CRF loss ignores them).

    Lengths round up to a multiple of ``pad_to``. With ``fixed_shapes`` (for XLA, which compiles once per
    shape) rows and lengths round up to powers of two and every word gets ``word_chars`` character slots,
    so a few shapes cover all inputs; extra rows are empty sentences.

    Args:
        encoded: ``encode_tokens`` results, one per sentence.
        tags: tag ids per sentence, or None.
        pad_to: lengths round up to this multiple.
        fixed_shapes: round rows and lengths up to powers of two (XLA).
        word_chars: character slots per word with ``fixed_shapes``.

    Example:
    >>> batch = pad_batch([{"words": [5, 6, 7]}, {"words": [8]}], [[1, 0, 2], [3]], pad_to=4)
    >>> batch.inputs["words"].tolist(), batch.tags.tolist(), batch.lengths.tolist()
    ([[5, 6, 7, 0], [8, 0, 0, 0]], [[1, 0, 2, -1], [3, -1, -1, -1]], [3, 1])
    """
    lengths = np.array([len(e["words"]) for e in encoded], dtype="int32")
    longest = max(int(lengths.max(initial=1)), 1)
    n = len(encoded)
    if fixed_shapes:
        time = max(_next_power_of_two(longest), pad_to)
        rows = _next_power_of_two(n)
    else:
        time = max(int(math.ceil(longest / pad_to) * pad_to), 1)
        rows = n
    arrays: dict[str, np.ndarray] = {}
    for name in encoded[0]:
        if name == "chars":
            width = word_chars if fixed_shapes else max(
                (len(c) for e in encoded for c in e["chars"]), default=1)
            array = np.zeros((rows, time, width), "int32")
            for i, e in enumerate(encoded):
                for j, char_ids in enumerate(e["chars"]):
                    array[i, j, : min(len(char_ids), width)] = char_ids[:width]
        else:
            array = np.zeros((rows, time), "int32")
            for i, e in enumerate(encoded):
                array[i, : lengths[i]] = e[name]
        arrays[name] = array
    tag_array = None
    if tags is not None:
        tag_array = np.full((rows, time), -1, "int32")
        for i, row in enumerate(tags):
            tag_array[i, : lengths[i]] = row
    return Batch(arrays, tag_array, lengths)


def _next_power_of_two(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


def load_vectors(
    path: str | Path, lowercase: bool = True, limit: int = 0
) -> tuple[list[str], np.ndarray]:
    """Reads GloVe or word2vec text vectors (``word v1 v2 ...``; a word2vec ``count dim`` header is skipped).

    Words are normalised as the vocabulary is (lowercase, digits -> 0); the first vector of a word wins.
    Nothing is downloaded: ``path`` must be a local file the user names.

    Args:
        path: a local GloVe/word2vec text file.
        lowercase: normalise words as a lowercasing vocabulary does.
        limit: read at most this many vectors (0 = all).

    Returns:
        ``(words, vectors [len(words), dim] float32)``.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("vectors.txt").write_text("3 2\\nparis 0.5 1\\nParis 9 9\\nrome 1 2\\n")
    >>> words, vectors = load_vectors("vectors.txt")
    >>> words, vectors.tolist()  # the word2vec header is skipped; the first "paris" wins
    (['paris', 'rome'], [[0.5, 1.0], [1.0, 2.0]])
    """
    path = Path(path)
    if not path.is_file():
        raise NlpsuiteError(
            f"pretrained vectors {path} not found; give a local GloVe/word2vec text file "
            "(nothing is downloaded)"
        )
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    dim = None
    with path.open("r", encoding="utf-8", errors="strict") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                parts = line.rstrip().split(" ")
                if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    continue  # word2vec header
                if len(parts) < 2:
                    continue
                if dim is None:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    raise NlpsuiteError(
                        f"{path}:{number}: {len(parts) - 1} numbers where earlier lines have "
                        f"{dim}; is this a GloVe/word2vec text file?"
                    )
                word = normalize_word(parts[0], lowercase)
                if word in seen:
                    continue
                try:
                    rows.append(np.asarray(parts[1:], dtype="float32"))
                except ValueError:
                    raise NlpsuiteError(
                        f"{path}:{number}: not a number in the vector of {parts[0]!r}"
                    ) from None
                seen.add(word)
                words.append(word)
                if limit and len(words) >= limit:
                    break
        except UnicodeDecodeError:
            raise NlpsuiteError(
                f"{path}: not UTF-8 text; pass a GloVe/word2vec *text* file"
            ) from None
    if not words:
        raise NlpsuiteError(f"{path}: no vectors found")
    return words, np.stack(rows)


def embedding_matrix(
    words: Vocabulary, vector_words: Sequence[str], vectors: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, int]:
    """An initial embedding matrix: pretrained rows where known, small random rows elsewhere, zero padding.

    Returns the matrix and how many vocabulary words had a vector.

    Args:
        words: the model's word vocabulary.
        vector_words: the words of the pretrained vectors.
        vectors: ``[len(vector_words), dim]``.
        seed: seeds the random rows.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.data.vocab import Vocabulary
    >>> matrix, found = embedding_matrix(Vocabulary(["<pad>", "<unk>", "paris", "oslo"]), ["paris", "rome"],
    ...                                  np.array([[0.5, 1.0], [1.0, 2.0]], "float32"))
    >>> found, matrix[0].tolist(), matrix[2].tolist()
    (1, [0.0, 0.0], [0.5, 1.0])
    """
    rng = np.random.default_rng(seed)
    dim = vectors.shape[1]
    scale = float(np.sqrt(3.0 / dim))
    matrix = rng.uniform(-scale, scale, (len(words), dim)).astype("float32")
    index = {w: i for i, w in enumerate(vector_words)}
    found = 0
    for i, word in enumerate(words.tokens):
        j = index.get(word)
        if j is not None:
            matrix[i] = vectors[j]
            found += 1
    matrix[0] = 0.0
    return matrix, found


class TrainingBatches:
    """Length-bucketed, shuffled training batches, with Lample et al.'s singleton-word dropout.

    Sentences of similar length share a batch (little padding, which matters on CPU); batch order is
    reshuffled every epoch, and each epoch replaces words seen once in training by ``<unk>`` with probability
    ``unk_replace`` so the model learns what to do with unknown words.

    Args:
        preprocessor: the fitted ``NerPreprocessor``.
        sentences: training sentences (tokens + tags in ``source_scheme``).
        source_scheme: the scheme of ``sentences``' tags.
        batch_size: sentences per batch.
        unk_replace: probability of replacing a singleton word by ``<unk>``.
        seed: seeds the shuffling and replacement.
        pad_to: lengths round up to this multiple (fewer distinct shapes to compile).

    Example:
    >>> from nlpsuite.data.conll import Sentence
    >>> sentences = [Sentence(["Paris", "is", "big"], ["B-LOC", "O", "O"]), Sentence(["Hi"], ["O"])]
    >>> pre = NerPreprocessor.build(sentences, scheme="BIOES", data_scheme="BIO", language="en", use_bigrams=False)
    >>> batches = TrainingBatches(pre, sentences, "BIO", batch_size=1, pad_to=4)
    >>> len(batches), sorted(tags.tolist()[0] for _, tags in (batches[0], batches[1]))
    (2, [[0, -1, -1, -1], [4, 0, 0, -1]])
    """

    def __init__(
        self,
        preprocessor: NerPreprocessor,
        sentences: Sequence[conll.Sentence],
        source_scheme: str,
        batch_size: int,
        unk_replace: float = 0.0,
        seed: int = 0,
        pad_to: int = 8,
    ) -> None:
        self.preprocessor = preprocessor
        self.encoded = [preprocessor.encode_tokens(s.tokens) for s in sentences]
        self.tags = [preprocessor.encode_tags(s.tags, source_scheme) for s in sentences]
        self.batch_size = batch_size
        self.unk_replace = unk_replace
        self.pad_to = pad_to
        self.rng = np.random.default_rng(seed)
        counts = preprocessor.word_counts(sentences)
        self.singletons = np.array(sorted(i for i, c in counts.items() if c == 1), dtype="int32")
        order = np.argsort([len(e["words"]) for e in self.encoded], kind="stable")
        self.batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        self.order = np.arange(len(self.batches))
        self.on_epoch_end()

    def __len__(self) -> int:
        return len(self.batches)

    def on_epoch_end(self) -> None:
        self.rng.shuffle(self.order)

    def __getitem__(self, index: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        members = self.batches[self.order[index % len(self.batches)]]
        batch = pad_batch(
            [self.encoded[i] for i in members], [self.tags[i] for i in members], self.pad_to
        )
        if self.unk_replace > 0 and self.singletons.size:
            words = batch.inputs["words"]
            replace = np.isin(words, self.singletons) & (
                self.rng.random(words.shape) < self.unk_replace
            )
            words[replace] = self.preprocessor.words.oov_id
        return batch.inputs, batch.tags


def as_keras_dataset(batches: TrainingBatches) -> Any:
    """The batches as something ``model.fit`` takes, with a variable time axis on every backend.

    TensorFlow gets a ``tf.data`` generator with explicit shape-free specs: a ``PyDataset`` would infer
    static shapes from its first two batches, and a later batch of another length would then fail. Other
    backends get a ``keras.utils.PyDataset`` (they compile per shape anyway).

    Example:
    >>> from nlpsuite.data.conll import Sentence
    >>> sentences = [Sentence(["Paris", "is", "big"], ["B-LOC", "O", "O"])]
    >>> pre = NerPreprocessor.build(sentences, scheme="BIOES", data_scheme="BIO", language="en", use_bigrams=False)
    >>> inputs, tags = next(iter(as_keras_dataset(TrainingBatches(pre, sentences, "BIO", batch_size=1))))
    >>> tuple(inputs["words"].shape), tuple(inputs["chars"].shape), tuple(tags.shape)
    ((1, 8), (1, 8, 5), (1, 8))
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        names = batches.preprocessor.encode_tokens(["x"])
        inputs = {
            name: tf.TensorSpec([None, None, None] if name == "chars" else [None, None], tf.int32)
            for name in names
        }
        signature = (inputs, tf.TensorSpec([None, None], tf.int32))

        def generate() -> Any:  # called once per epoch
            batches.on_epoch_end()  # a fresh batch order each epoch
            for index in range(len(batches)):
                yield batches[index]

        dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
        # A known length lets Keras count steps (no "ran out of data" warning after the first epoch).
        return dataset.apply(tf.data.experimental.assert_cardinality(len(batches))).prefetch(2)

    class _Dataset(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)

        def __len__(self) -> int:
            return len(batches)

        def __getitem__(self, index: int) -> Any:
            return batches[index]

        def on_epoch_end(self) -> None:
            batches.on_epoch_end()

    return _Dataset()
