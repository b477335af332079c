"""``NerTask``: train, evaluate and run the BiLSTM-CRF tagger on CoNLL data and raw text."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import random
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nlpsuite import training
from nlpsuite.data import conll, registry
from nlpsuite.data.script import with_script_warnings
from nlpsuite.data.text import cjk_ratio, tokenize
from nlpsuite.errors import NlpsuiteError, OptionError
from nlpsuite.tasks.base import Asset, Task
from nlpsuite.tasks.ner import model as ner_model
from nlpsuite.tasks.ner.config import NerConfig
from nlpsuite.tasks.ner.preprocess import (
    NerPreprocessor,
    TrainingBatches,
    as_keras_dataset,
    embedding_matrix,
    load_vectors,
)

__all__ = ["NerTask", "Splits", "load_split", "load_training_splits", "looks_like_conll"]

PREPROCESSOR_FILE = "preprocessor.json"
# The model to suggest for text in another script (the two committed NER models).
OTHER_MODELS = {"han": "the Chinese model", "latin": "the English model"}
# Why the committed models use these datasets; goes into their model cards.
DATASET_NOTES = {
    "conll2003": "CoNLL-2003 English (Reuters news, research use only): the standard English NER "
    "benchmark; no external embeddings are used, so compare with random-initialisation BiLSTM-CRF "
    "results (83.6 Lample et al. 2016, 84.3 Huang et al. 2015)",
    "resume": "Resume NER chosen over Weibo for Chinese: 3x the training sentences, clean formal text "
    "with consistent BMES annotation, few repeats across splits (1 dev, 5 test sentences), and a "
    "meaningful anchor (char BiLSTM-CRF 93.48, Zhang & Yang 2018) where Weibo's (52.77) is dominated "
    "by annotation noise",
    "weibo": "Weibo NER: segment-position digits are stripped from tokens (科0 -> 科), and training "
    "messages repeated in dev/test are dropped",
}
_TAG_LIKE = re.compile(r"^(O|[A-Z]{1,2}-\S+)$")
DEV_FRACTION = 0.1


@dataclasses.dataclass
class Splits:
    """Train and dev sentences of a dataset, with notes on where they came from.

    Args:
        train: training sentences.
        dev: early-stopping sentences (a dev file, or carved from train).
        scheme: the tag scheme detected in the training data.
        notes: where the sentences came from, for the model card.

    Example:
    >>> from nlpsuite.data.conll import Sentence
    >>> splits = Splits([Sentence(["Paris"], ["B-LOC"])], [], "BIO", [])
    >>> splits.train[0].tags, splits.scheme
    (['B-LOC'], 'BIO')
    """

    train: list[conll.Sentence]
    dev: list[conll.Sentence]
    scheme: str
    notes: list[str]


def load_split(data: str | os.PathLike, split: str) -> tuple[list[conll.Sentence], Path]:
    """The sentences of one split: a dataset name or folder (``train``/``dev``/``test`` file), or a file.

    Args:
        data: a dataset name, a folder of split files, or one CoNLL file.
        split: ``train``, ``dev`` or ``test`` (a folder only).

    Returns:
        ``(sentences, the file read)``.

    Example:
    >>> from pathlib import Path
    >>> Path("weibo").mkdir()
    >>> _ = Path("weibo/weiboNER.conll.train").write_text("北0\\tB-LOC\\n京1\\tI-LOC\\n", encoding="utf-8")
    >>> sentences, path = load_split("weibo", "train")
    >>> sentences[0].tokens, path.name  # Weibo's segment positions are stripped
    (['北', '京'], 'weiboNER.conll.train')
    """
    path = registry.resolve(data)
    if path.is_dir():
        path = conll.find_split(path, split)
    sentences = conll.read_conll(path)
    if conll.has_segment_positions(sentences):  # Weibo NER: "科0" -> "科"
        sentences = conll.strip_segment_positions(sentences)
    return sentences, path


def load_training_splits(data: str | os.PathLike, max_examples: int = 0, seed: int = 0) -> Splits:
    """Train and dev sentences. Without a dev file, the last 10% of train (shuffled) becomes dev.

    Args:
        data: a dataset name, a folder of split files, or one CoNLL file.
        max_examples: keep at most this many training sentences (0 = all).
        seed: seeds the shuffle that carves a dev split.

    Example:
    >>> from pathlib import Path
    >>> text = "".join(f"Anna{i} B-PER\\nran O\\n\\n" for i in range(20))
    >>> _ = Path("train.txt").write_text(text)
    >>> splits = load_training_splits("train.txt")
    >>> len(splits.train), len(splits.dev), splits.scheme
    (18, 2, 'BIO')
    """
    path = registry.resolve(data)
    notes = []
    train, train_path = load_split(path, "train")
    notes.append(f"Train file: {train_path.name} ({len(train):,} sentences)")
    dev = None
    if path.is_dir():
        try:
            dev, dev_path = load_split(path, "dev")
            notes.append(f"Dev file (early stopping): {dev_path.name} ({len(dev):,} sentences)")
        except NlpsuiteError:
            dev = None
    if dev is None:
        order = list(range(len(train)))
        random.Random(seed).shuffle(order)
        cut = max(1, int(len(train) * DEV_FRACTION)) if len(train) > 1 else 0
        dev = [train[i] for i in order[:cut]] or list(train)
        train = [train[i] for i in order[cut:]] or list(train)
        notes.append(f"No dev file: {len(dev)} training sentences held out for early stopping")
    scheme = conll.detect_scheme(s.tags for s in train)
    held_out, names = list(dev), ["dev"]
    if path.is_dir():
        try:  # only to keep test sentences out of training; nothing is tuned on them
            held_out += load_split(path, "test")[0]
            names.append("test")
        except NlpsuiteError:
            pass
    removed = _drop_overlap(train, held_out)
    if removed:
        notes.append(
            f"Dropped {removed} training sentences (5+ tokens) that also occur in {' or '.join(names)}"
        )
        train = [s for s in train if s.tokens]
    if max_examples:
        train = train[:max_examples]
        notes.append(f"Capped at {len(train)} training sentences (max_train_examples)")
    return Splits(train, dev, scheme, notes)


def _drop_overlap(train: list[conll.Sentence], held_out: list[conll.Sentence]) -> int:
    """Empties training sentences whose text repeats a held-out sentence of 5+ tokens (Weibo repeats
    dev/test messages in train); short repeats such as datelines are kept. Returns how many were emptied."""
    held_out = {tuple(s.tokens) for s in held_out if len(s.tokens) >= 5}
    removed = 0
    for sentence in train:
        if tuple(sentence.tokens) in held_out:
            sentence.tokens, sentence.tags = [], []
            removed += 1
    return removed


def _resolve_config(config: NerConfig, sentences: Sequence[conll.Sentence]) -> NerConfig:
    """``config`` with ``auto`` choices made from the training data: its language, bigrams and scheme name."""
    language = config.language
    if language == "auto":
        sample = "".join(t for s in sentences[:500] for t in s.tokens)
        language = "zh" if cjk_ratio(sample) >= 1 / 3 else "en"
    bigrams = (language == "zh") if config.bigrams is None else config.bigrams
    if config.softword and language == "en":  # language=auto chose English
        raise OptionError(
            "softword", config.softword, "needs Chinese character input, but the training data reads as English"
        )
    return dataclasses.replace(config, language=language, bigrams=bigrams, scheme=conll.normalize_scheme(config.scheme))


def _build_preprocessor(config: NerConfig, splits: Splits, extra_words: Sequence[str]) -> NerPreprocessor:
    return NerPreprocessor.build(
        splits.train,
        scheme=config.scheme,
        data_scheme=splits.scheme,
        language=config.language,
        use_bigrams=config.bigrams,
        use_chars=config.language == "en" and config.char_encoder != "none",
        use_casing=config.casing_dim > 0,
        use_softword=config.softword,
        lowercase=config.lowercase,
        min_word_count=config.min_word_count,
        min_bigram_count=config.min_bigram_count,
        max_word_chars=config.max_word_chars,
        extra_words=extra_words,
    )


class NerTask(Task):
    """Named-entity recognition with a BiLSTM-CRF (English words or Chinese characters).

    ``predict`` takes raw text and returns entities with character offsets and a confidence (the smallest
    CRF marginal probability of the entity's tags); ``tag`` takes pre-tokenised sentences and returns tags.

    Example:

    ``NerTask.train(data, config)`` fits one (see the package docstring for train -> save -> load). Here a
    task is put together from a preprocessor and an untrained network, to show the shapes of the results
    (``nlpsuite.tasks.ner._examples.tiny_task()`` builds the same one for the other examples):

    >>> from nlpsuite.data.conll import Sentence
    >>> from nlpsuite.tasks.ner import NerConfig
    >>> from nlpsuite.tasks.ner.model import build_model
    >>> from nlpsuite.tasks.ner.preprocess import NerPreprocessor
    >>> sentences = [Sentence(["Anna", "visited", "Paris"], ["B-PER", "O", "B-LOC"])]
    >>> pre = NerPreprocessor.build(sentences, scheme="BIOES", data_scheme="BIO", language="en", use_bigrams=False)
    >>> config = NerConfig(language="en", word_dim=8, char_dim=4, char_output_dim=4, casing_dim=2, units=4,
    ...                    predict_jit=False)  # small widths; no XLA compile for a single predict
    >>> task = NerTask(config, build_model(config, pre), {"preprocessor": pre})
    >>> result = task.predict(["Anna visited Rome."])[0]
    >>> result["text"], all(result["text"][e["start"]:e["end"]] == e["text"] for e in result["entities"])
    ('Anna visited Rome.', True)
    >>> tags = task.tag([["Anna", "visited", "Rome"]])[0]  # in the data's scheme, BIO
    >>> len(tags), set(tags) <= {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}
    (3, True)
    """

    name: ClassVar[str] = "ner"
    config_class: ClassVar[type] = NerConfig
    default_data: ClassVar[str] = "conll2003"

    preprocessor = Asset[NerPreprocessor]("preprocessor", "Text and tags <-> model inputs, as in training.")

    # ------------------------------------------------------------------------------------- training
    @classmethod
    def _train(cls, data: str | os.PathLike, config: NerConfig, run: training.TrainingRun) -> NerTask:
        splits = load_training_splits(data, config.max_train_examples, config.seed)
        config = _resolve_config(config, splits.train)
        vector_words, vectors = [], None
        if config.pretrained_vectors:
            vector_words, vectors = load_vectors(config.pretrained_vectors, config.lowercase, config.max_vectors)
        preprocessor = _build_preprocessor(config, splits, vector_words)
        data_notes = [
            *([DATASET_NOTES[str(data)]] if str(data) in DATASET_NOTES else []),
            *splits.notes,
            f"Data tag scheme: {splits.scheme}; trained in {config.scheme}",
        ]
        initial = None
        if vectors is not None:
            initial, found = embedding_matrix(preprocessor.words, vector_words, vectors, config.seed)
            config = dataclasses.replace(config, word_dim=int(vectors.shape[1]))
            data_notes.append(
                f"Pretrained vectors: {Path(config.pretrained_vectors).name} "
                f"({found:,} of {len(preprocessor.words):,} vocabulary words)"
            )
        batches = TrainingBatches(preprocessor, splits.train, splits.scheme, config.batch_size,
                                  config.unk_replace, config.seed, config.pad_to)
        with run.scope():
            model = ner_model.build_model(config, preprocessor, initial)
            ner_model.compile_model(model, config, steps_per_epoch=len(batches))
        task = cls(config, model, {"preprocessor": preprocessor})
        run.fit(model, as_keras_dataset(batches), monitor="dev_f1", mode="max",
                dev_metric=lambda: task._score(splits.dev, splits.scheme)["f1"],
                shuffle=False)  # TrainingBatches reorders its length buckets every epoch
        task.info = run.info(
            data=str(data),
            split="train (early stopping on dev entity F1)",
            model=model,
            data_notes=data_notes,
            notes=_training_notes(config, preprocessor, run.best()),
            title=f"NER ({'Chinese' if config.language == 'zh' else 'English'}) BiLSTM-CRF",
            summary=_summary(config, preprocessor),
        )
        return task

    # ------------------------------------------------------------------------------------ inference
    @functools.cached_property
    def _infer(self) -> dict[bool, Any]:
        """The inference functions made so far, with and without XLA."""
        return {}

    def _inference(self, jit_compile: bool = False) -> Any:
        if jit_compile not in self._infer:
            self._infer[jit_compile] = ner_model.inference_function(self.model, jit_compile)
        return self._infer[jit_compile]

    def _run(
        self, sentences: Sequence[Sequence[str]], with_marginals: bool, jit_compile: bool = False
    ) -> list[tuple[np.ndarray, Any]]:
        """Tag ids (and marginals) per sentence, in batches of similar length."""
        results: list[Any] = [None] * len(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        nonempty = [i for i in order if sentences[i]]
        for i in order:
            if not sentences[i]:
                results[i] = (np.zeros((0,), "int32"), np.zeros((0, len(self.preprocessor.tags))))
        size = max(1, int(self.config.predict_batch_size))
        infer = self._inference(jit_compile)
        for start in range(0, len(nonempty), size):
            members = nonempty[start : start + size]
            batch = self.preprocessor.batch(
                [sentences[i] for i in members], pad_to=self.config.pad_to, fixed_shapes=jit_compile
            )
            tags, marginals = infer(batch.inputs, with_marginals)
            for row, i in enumerate(members):
                length = batch.lengths[row]
                results[i] = (
                    tags[row, :length],
                    None if marginals is None else marginals[row, :length],
                )
        return results

    def tag(self, sentences: Sequence[Sequence[str]], scheme: str | None = None) -> list[list[str]]:
        """Tags pre-tokenised sentences, in ``scheme`` (default: the training data's scheme)."""
        scheme = scheme or self.preprocessor.data_scheme
        return [
            self.preprocessor.decode_tags(ids, scheme) for ids, _ in self._run(sentences, False)
        ]

    def predict(
        self, inputs: list[str], min_score: float = 0.0, **options: Any
    ) -> list[dict[str, Any]]:
        """Entities in raw texts.

        Args:
            inputs: texts; English is tokenised with character offsets, Chinese one character per token.
            min_score: drop entities whose confidence is below this.

        Returns:
            One ``{"text", "entities": [{"text", "type", "start", "end", "score"}]}`` per input, with
            ``text[start:end] == entity["text"]``. A span without a letter or digit (an emoji, a symbol) is
            never an entity. ``warnings`` is added when the text is not in the model's language or has no
            letters (``nlpsuite.data.script``).
        """
        if options:
            raise NlpsuiteError(
                f"unknown predict option(s) {', '.join(sorted(options))} for ner; known: min_score"
            )
        if isinstance(inputs, str):
            inputs = [inputs]
        texts = [str(t) for t in inputs]
        tokens = [tokenize(t, self.preprocessor.language) for t in texts]
        runs = self._run(
            [[tok.text for tok in ts] for ts in tokens], True, bool(self.config.predict_jit)
        )
        outputs = []
        for text, toks, (ids, marginals) in zip(texts, tokens, runs, strict=True):
            tags = self.preprocessor.decode_tags(ids)
            entities = []
            for kind, start, end in conll.get_spans(tags, self.preprocessor.scheme):
                score = float(np.min(marginals[np.arange(start, end), ids[start:end]]))
                begin, finish = _trim_symbols(text, toks[start].start, toks[end - 1].end)
                if score < min_score or not any(c.isalnum() for c in text[begin:finish]):
                    continue
                entities.append(
                    {
                        "text": text[begin:finish],
                        "type": kind,
                        "start": int(begin),
                        "end": int(finish),
                        "score": round(score, 4),
                    }
                )
            result = {"text": text, "entities": entities}
            outputs.append(with_script_warnings(result, text, self.preprocessor.language, OTHER_MODELS))
        return outputs

    def tag_document(self, text: str, source: str = "upload", fmt: str = "auto") -> dict[str, Any]:
        """Tags a whole document and returns it as CoNLL (``token<TAB>predicted tag``, data scheme).

        Args:
            text: a CoNLL file (tokens in the first column; other columns are kept, a gold tag column is
                replaced) or plain text (one paragraph per line, tokenised like ``predict``).
            source: the name used in error messages.
            fmt: ``conll``, ``text`` or ``auto`` (CoNLL when every non-blank line has 1-4 fields and most
                have at most 2).

        Returns:
            ``{"conll": str, "format": "conll"|"text", "sentences": int, "entities": int}``.
        """
        if fmt == "auto":
            fmt = "conll" if looks_like_conll(text) else "text"
        if fmt == "conll":
            # A tagged file keeps its middle columns; its last column is replaced by the prediction.
            sentences = conll.parse_conll(text, source=source, require_tags=False)
        elif fmt == "text":
            lines = [line for line in text.splitlines() if line.strip()]
            if not lines:
                raise NlpsuiteError(f"{source}: no text to tag")
            sentences = [
                conll.Sentence([t.text for t in tokenize(line, self.preprocessor.language)])
                for line in lines
            ]
        else:
            raise NlpsuiteError(f"unknown document format {fmt!r}; use conll, text or auto")
        tags = self.tag([s.tokens for s in sentences])
        for sentence, predicted in zip(sentences, tags, strict=True):
            sentence.tags = predicted
        entities = sum(len(conll.get_spans(t, self.preprocessor.data_scheme)) for t in tags)
        return {
            "conll": conll.format_conll(sentences),
            "format": fmt,
            "sentences": len(sentences),
            "entities": entities,
        }

    # ----------------------------------------------------------------------------------- evaluation
    def _score(self, sentences: Sequence[conll.Sentence], scheme: str) -> dict[str, Any]:
        from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

        gold = [_seqeval_tags(s.tags, scheme) for s in sentences]
        predicted = [
            _seqeval_tags(tags, scheme) for tags in self.tag([s.tokens for s in sentences], scheme)
        ]
        report = classification_report(gold, predicted, output_dict=True, zero_division=0)
        per_type = {
            kind: {
                "precision": float(v["precision"]),
                "recall": float(v["recall"]),
                "f1": float(v["f1-score"]),
                "support": int(v["support"]),
            }
            for kind, v in report.items()
            if kind not in ("micro avg", "macro avg", "weighted avg")
        }
        correct = sum(
            g == p
            for gs, ps in zip(gold, predicted, strict=True)
            for g, p in zip(gs, ps, strict=True)
        )
        total = sum(len(g) for g in gold)
        return {
            "f1": float(f1_score(gold, predicted, zero_division=0)),
            "precision": float(precision_score(gold, predicted, zero_division=0)),
            "recall": float(recall_score(gold, predicted, zero_division=0)),
            "per_type": per_type,
            "token_accuracy": correct / max(total, 1),
        }

    def evaluate(self, data: str | os.PathLike, split: str = "test") -> dict[str, Any]:
        """Entity-level micro precision/recall/F1 (seqeval, conlleval-style) and a per-type table, in the
        evaluated file's own tag scheme."""
        sentences, path = load_split(data, split)
        scheme = conll.detect_scheme(s.tags for s in sentences)
        metrics = self._score(sentences, scheme)
        metrics.update(
            {
                "data": str(data),
                "split": split,
                "file": path.name,
                "scheme": scheme,
                "sentences": len(sentences),
                "tokens": sum(len(s.tokens) for s in sentences),
                "entities": sum(v["support"] for v in metrics["per_type"].values()),
            }
        )
        return metrics

    # --------------------------------------------------------------------------------------- saving
    def save_assets(self, directory: Path) -> None:
        (directory / PREPROCESSOR_FILE).write_text(
            json.dumps(self.preprocessor.to_dict(), ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load_assets(cls, directory: Path) -> dict[str, Any]:
        path = directory / PREPROCESSOR_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NlpsuiteError(f"cannot read {path} ({exc}); retrain the model") from None
        return {"preprocessor": NerPreprocessor.from_dict(data)}



def looks_like_conll(text: str) -> bool:
    """Whether ``text`` reads as one token per line (CoNLL) rather than running text: every non-blank line
    has 1-5 fields, nearly all the same number, and with 3+ fields the last one looks like a tag.

    Example:
    >>> looks_like_conll("EU B-ORG\\nrejects O\\n"), looks_like_conll("EU rejects German call to boycott British lamb.")
    (True, False)
    """
    rows = [line.split() for line in text.splitlines() if line.strip()]
    if not rows or max(len(r) for r in rows) > 5:
        return False
    width = max(set(len(r) for r in rows), key=[len(r) for r in rows].count)
    if sum(len(r) == width for r in rows) / len(rows) < 0.9:
        return False
    return width <= 2 or sum(bool(_TAG_LIKE.match(r[-1])) for r in rows) / len(rows) >= 0.9


def _seqeval_tags(tags: Sequence[str], scheme: str) -> list[str]:
    # seqeval reads B/I/E/S; BMES's M is BIOES's I.
    return (
        [("I" + t[1:]) if t.startswith("M-") else t for t in tags]
        if scheme == "BMES"
        else list(tags)
    )


def _summary(config: NerConfig, preprocessor: NerPreprocessor) -> str:
    parts = [f"{'character' if config.language == 'zh' else 'word'} embedding {config.word_dim}"]
    if config.language == "en" and config.char_encoder != "none":
        parts.append(f"character {config.char_encoder.upper()} {config.char_output_dim}")
    if config.casing_dim:
        parts.append(f"casing {config.casing_dim}")
    if preprocessor.bigrams is not None:
        parts.append(f"bigram embedding {config.bigram_dim}")
    if preprocessor.use_softword:
        parts.append(f"softword (jieba B/M/E/S) embedding {config.softword_dim}")
    return (
        f"{' + '.join(parts)} -> {config.num_layers}-layer Bi{config.cell.upper()} {config.units}x2 -> "
        f"CRF ({config.scheme} constraints) over {len(preprocessor.tags)} tags, types "
        f"{', '.join(preprocessor.entity_types)}."
    )


def _training_notes(
    config: NerConfig, preprocessor: NerPreprocessor, best: tuple[float, int] | None
) -> list[str]:
    sizes = [f"{len(preprocessor.words):,} {'characters' if config.language == 'zh' else 'words'}"]
    if preprocessor.chars is not None:
        sizes.append(f"{len(preprocessor.chars):,} characters")
    if preprocessor.bigrams is not None:
        sizes.append(f"{len(preprocessor.bigrams):,} bigrams")
    notes = [f"Vocabulary: {', '.join(sizes)}"]
    if best is not None:
        notes.append(f"Best dev entity F1 {best[0]:.4f} at epoch {best[1] + 1} (weights of that epoch kept)")
    notes.append("Confidence of an entity = the smallest CRF marginal probability of its tags")
    return notes


def _trim_symbols(text: str, begin: int, end: int) -> tuple[int, int]:
    """The span ``[begin, end)`` without emoji, other symbols or spaces at either edge ("北京🎉" -> "北京")."""

    def edge(char: str) -> bool:
        return char.isspace() or unicodedata.category(char)[0] == "S" or char in "\u200d\ufe0f"

    while begin < end and edge(text[begin]):
        begin += 1
    while end > begin and edge(text[end - 1]):
        end -= 1
    return begin, end
