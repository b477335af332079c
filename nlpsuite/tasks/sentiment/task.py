"""``SentimentTask``: train, evaluate, predict with occlusion explanations, save and load."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np

from nlpsuite import training
from nlpsuite.data import labeled_text as lt
from nlpsuite.data.script import with_script_warnings
from nlpsuite.data.tokenize import Tokenizer, default_tokenizer, detect_language, pad, truncate
from nlpsuite.data.vocab import Vocabulary
from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.base import Asset, Task, read_json
from nlpsuite.tasks.sentiment.config import SentimentConfig
from nlpsuite.tasks.sentiment.contrast import RuleTeacher, dominant_clause, rule_projected, rule_tokens
from nlpsuite.tasks.sentiment.data import length_batches, load_splits, make_dataset, read_split
from nlpsuite.tasks.sentiment.metrics import classification_metrics
from nlpsuite.tasks.sentiment.model import averaged, compile_forward, compiled_model

__all__ = ["SentimentTask"]

PREDICT_BATCH = 256
# The model to suggest for text in another script (the two committed sentiment models).
OTHER_MODELS = {"han": "the Chinese model", "latin": "the English model"}


class SentimentTask(Task):
    """A text classifier: train, evaluate, predict (optionally with token contributions), save.

    Example:
    >>> from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask
    >>> from nlpsuite.tasks.sentiment._examples import write_reviews
    >>> data = write_reviews("reviews")  # twelve two-word reviews: "great film" positive, "dull plot" negative, ...
    >>> config = SentimentConfig(epochs=5, batch_size=4, embedding_dim=8, units=8, learning_rate=0.05,
    ...                          dev_fraction=0.25)
    >>> task = SentimentTask.train(data, config)  # one line per epoch: a log, not a terminal
    Epoch 1/5
    ...
    >>> result = task.predict(["a great plot"], explain=True)[0]
    >>> result["label"], max(result["contributions"], key=lambda c: c["score"])["token"]
    ('positive', 'great')
    >>> task.evaluate(data, split="dev")["accuracy"]
    1.0
    """

    name: ClassVar[str] = "sentiment"
    config_class: ClassVar[type] = SentimentConfig
    default_data: ClassVar[str] = "sst2"

    tokenizer = Asset[Tokenizer]("tokenizer", "Text -> tokens, as in training (words, characters or jieba words).")
    vocab = Asset[Vocabulary]("vocab", "Tokens -> ids (0 padding, 1 out of vocabulary).")
    labels = Asset[list]("labels", "The class names, in the order of the model's outputs.")

    # -- training
    @classmethod
    def _train(cls, data: str | os.PathLike, config: SentimentConfig, run: training.TrainingRun) -> SentimentTask:
        splits = load_splits(data, config)
        language, tokenizer = _choose_tokenizer(config, [e.text for e in splits.train])
        labels = sorted({e.label for e in splits.train})
        if len(labels) < 2:
            raise NlpsuiteError(
                f"the training data has {len(labels)} label(s) ({', '.join(labels)}); a classifier needs at least two"
            )
        lt.check_labels(splits.dev, labels, "dev split")
        train_tokens = [tokenizer.tokenize(e.text) for e in splits.train]
        vocab = Vocabulary.build(train_tokens, max_size=config.max_vocab, min_count=config.min_count,
                                 extra=rule_tokens(language) if config.contrast_rules else ())
        task = cls(config, None, {"tokenizer": tokenizer, "vocab": vocab, "labels": labels})
        train_ids, train_labels = task._ids(train_tokens), task._label_ids(splits.train)
        dev_ids = task._ids([tokenizer.tokenize(e.text) for e in splits.dev])
        dev_labels = task._label_ids(splits.dev)
        with run.scope():
            members = compiled_model(len(vocab), len(labels), config)
            task.model = averaged(members)  # the same layers: it is trained as ``members`` trains
        callbacks, targets = [], train_labels
        if config.contrast_rules:
            teacher = RuleTeacher(train_labels, len(labels), train_ids, task._rule_spans(train_ids),
                                  task._network_probabilities, config.rule_strength, config.rule_imitation)
            callbacks, targets = [teacher], teacher.targets
        train_set = make_dataset(train_ids, targets, config.batch_size, True, config.seed, targets=config.members)
        if config.members == 1 and not config.contrast_rules:
            dev_set = make_dataset(dev_ids, dev_labels, config.batch_size * 2, False, config.seed)
            run.fit(members, train_set, dev_set, monitor="val_accuracy", mode="max",
                    shuffle=False)  # the batches are already shuffled, by length bucket
        else:  # early stopping on what the saved model serves: the averaged, rule-projected prediction
            run.fit(members, train_set, monitor="val_accuracy", mode="max", shuffle=False, callbacks=callbacks,
                    dev_metric=lambda: task._accuracy(dev_ids, dev_labels))
        best = run.best()
        task.info = run.info(
            data=str(data),
            split=splits.description,
            model=task.model,
            data_notes=splits.notes,
            notes=[
                "## Notes",
                f"tokenizer: {tokenizer.kind} ({language}), vocabulary {len(vocab):,} tokens (cap "
                f"{config.max_vocab:,}, min count {config.min_count}), labels: {', '.join(labels)}",
                f"best dev accuracy during training: {best[0] if best else 0.0:.4f} (early stopping on it, "
                f"patience {config.patience})",
                "no pretrained embeddings: every weight is learned from the training split",
            ],
            title=f"sentiment ({language}, {config.cell.upper()})",
            summary=_summary(config),
        )
        return task

    # -- evaluation
    def evaluate(self, data: str | os.PathLike, split: str = "test") -> dict[str, Any]:
        examples, source = read_split(data, split, self.config)
        if not examples:
            raise NlpsuiteError(f"{source}: no examples to evaluate")
        lt.check_labels(examples, self.labels, source)
        probabilities = self.class_probabilities([e.text for e in examples])
        metrics = classification_metrics(self._label_ids(examples), probabilities, self.labels)
        tokens = [self.tokenizer.tokenize(e.text) for e in examples]
        total = sum(len(t) for t in tokens)
        oov = sum(token not in self.vocab for t in tokens for token in t)
        metrics["oov_rate"] = oov / total if total else 0.0
        metrics["split"] = split
        metrics["source"] = source
        return metrics

    # -- prediction
    def predict(
        self, inputs: list[str], explain: bool = False, **options: Any
    ) -> list[dict[str, Any]]:
        """One ``{"text", "label", "probabilities"}`` per input (+ ``contributions`` if explaining).

        Args:
            inputs: texts.
            explain: add ``contributions``: ``[{"token", "score"}]``, the drop in the predicted
                class's probability when that token is removed (positive = supports the prediction).

        Returns:
            One dict per input; ``warnings`` is added when the text is not in the model's language or has no
            letters, whose scores mean little (``nlpsuite.data.script``), and ``deciding_clause`` (its tokens,
            space-joined) when the model applies contrast rules and one decides this text.
        """
        if options:
            raise NlpsuiteError(
                f"unknown predict option(s) {', '.join(options)} for sentiment; known: explain"
            )
        texts = self._check_inputs(inputs)
        tokens = [self._tokens(t) for t in texts]
        ids = self._ids(tokens, truncated=True)
        probabilities = self._probabilities(ids)
        spans = self._rule_spans(ids) if self.config.contrast_rules else [None] * len(ids)
        results = []
        for text, probs, toks, span in zip(texts, probabilities, tokens, spans, strict=True):
            best = int(probs.argmax())
            result = {
                "text": text,
                "label": self.labels[best],
                "probabilities": {
                    label: round(float(p), 6) for label, p in zip(self.labels, probs, strict=True)
                },
            }
            if span is not None:
                result["deciding_clause"] = " ".join(toks[span[0] : span[1]])
            results.append(with_script_warnings(result, text, self.language, OTHER_MODELS))
        if explain:
            for result, toks, probs in zip(results, tokens, probabilities, strict=True):
                scores = self._occlusion(toks, int(probs.argmax()), float(probs.max()))
                result["contributions"] = [
                    {"token": t, "score": round(float(s), 6)}
                    for t, s in zip(toks, scores, strict=True)
                ]
        return results

    @property
    def language(self) -> str:
        """``zh`` for a model that reads characters or jieba words, else ``en`` (the saved tokenizer decides)."""
        return "zh" if self.tokenizer.kind in ("char", "jieba") else "en"

    def class_probabilities(
        self, texts: Sequence[str], drop_positions: Sequence[Sequence[int]] | None = None
    ) -> np.ndarray:
        """``[len(texts), classes]`` probabilities.

        Args:
            texts: the inputs.
            drop_positions: per text, token positions (the order of ``predict(...,
                explain=True)``'s contributions) to remove before scoring.
        """
        ids = self.encode(texts)
        if drop_positions is not None:
            ids = [
                _drop(x, positions, self.vocab.oov_id)
                for x, positions in zip(ids, drop_positions, strict=True)
            ]
        return self._probabilities(ids)

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The token ids the model reads for each text (truncated, unpadded)."""
        return self._ids([self._tokens(t) for t in texts], truncated=True)

    def tokens(self, text: str) -> list[str]:
        """The tokens the model sees for ``text`` (after truncation), in contribution order."""
        return self._tokens(text)

    # -- internals
    def _check_inputs(self, inputs: Sequence[Any]) -> list[str]:
        if isinstance(inputs, str):
            inputs = [inputs]
        texts = []
        for i, text in enumerate(inputs):
            if not isinstance(text, str) or not text.strip():
                raise NlpsuiteError(
                    f"input {i + 1} is empty or not text; give one non-empty text per input"
                )
            texts.append(text.strip())
        return texts

    def _tokens(self, text: str) -> list[str]:
        return truncate(self.tokenizer.tokenize(text), self.config.max_length) or [self.vocab.oov]

    def _ids(
        self, token_lists: Sequence[Sequence[str]], truncated: bool = False
    ) -> list[np.ndarray]:
        max_length = self.config.max_length
        result = []
        for tokens in token_lists:
            ids = self.vocab.encode(tokens if truncated else truncate(list(tokens), max_length))
            result.append(np.asarray(ids or [self.vocab.oov_id], dtype="int32"))
        return result

    def _label_ids(self, examples: Sequence[lt.Example]) -> np.ndarray:
        index = {label: i for i, label in enumerate(self.labels)}
        return np.asarray([index[e.label] for e in examples], dtype="int32")

    @functools.cached_property
    def _forward(self) -> Callable[[np.ndarray], Any]:
        return compile_forward(self.model)

    def inference_function(self) -> Callable[[np.ndarray], Any]:
        """The inference call, compiled once per backend (not ``model.predict`` per batch)."""
        return self._forward

    def _probabilities(
        self, ids: Sequence[np.ndarray], batch_size: int = PREDICT_BATCH
    ) -> np.ndarray:
        """What the task serves: the network's probabilities, rule-projected when ``contrast_rules``."""
        probabilities = self._network_probabilities(ids, batch_size)
        if not self.config.contrast_rules:
            return probabilities
        return rule_projected(probabilities, ids, self._rule_spans(ids), self._network_probabilities,
                              self.config.rule_strength)

    def _network_probabilities(
        self, ids: Sequence[np.ndarray], batch_size: int = PREDICT_BATCH
    ) -> np.ndarray:
        forward = self.inference_function()
        out = np.zeros((len(ids), len(self.labels)), dtype="float32")
        for index in length_batches([len(x) for x in ids], batch_size, None):
            out[index] = keras.ops.convert_to_numpy(forward(pad([ids[i] for i in index])))
        return out

    def _rule_spans(self, ids: Sequence[np.ndarray]) -> list[tuple[int, int] | None]:
        """Each text's deciding clause under the contrast rules, read from its ids (padding = removed)."""
        tokens = self.vocab.tokens
        return [dominant_clause([tokens[i] if i else "" for i in x], self.language) for x in ids]

    def _accuracy(self, ids: Sequence[np.ndarray], label_ids: np.ndarray) -> float:
        """The share of ``ids`` whose most probable class is ``label_ids``'s."""
        return float(np.mean(self._probabilities(ids).argmax(-1) == label_ids))

    def _occlusion(self, tokens: Sequence[str], label: int, probability: float) -> np.ndarray:
        ids = self._ids([tokens], truncated=True)[0]
        variants = [_drop(ids, [i], self.vocab.oov_id) for i in range(len(ids))]
        return probability - self._probabilities(variants)[:, label]

    # -- saving
    def save_assets(self, directory: Path) -> None:
        self.vocab.save(directory / "vocab.json")
        (directory / "tokenizer.json").write_text(
            _dumps(self.tokenizer.to_dict()), encoding="utf-8"
        )
        (directory / "labels.json").write_text(_dumps(self.labels), encoding="utf-8")

    @classmethod
    def load_assets(cls, directory: Path) -> dict[str, Any]:
        labels = read_json(directory / "labels.json")
        if not isinstance(labels, list) or len(labels) < 2:
            raise NlpsuiteError(
                f"{directory / 'labels.json'} must list at least two labels; retrain the model"
            )
        return {
            "tokenizer": Tokenizer.from_dict(read_json(directory / "tokenizer.json")),
            "vocab": Vocabulary.load(directory / "vocab.json"),
            "labels": labels,
        }


def _choose_tokenizer(config: SentimentConfig, texts: Sequence[str]) -> tuple[str, Tokenizer]:
    """The language (given or detected) and the tokenizer the config asks for."""
    language = config.language if config.language != "auto" else detect_language(texts)
    kind = config.tokenizer if config.tokenizer != "auto" else default_tokenizer(language).kind
    tokenizer = Tokenizer(kind)
    if kind != "word":
        tokenizer.simplify = config.simplify
    return language, tokenizer


def _drop(ids: np.ndarray, positions: Sequence[int], oov_id: int) -> np.ndarray:
    """Removes tokens by setting them to padding, which the mask skips.

    A text never loses every token (the recurrent layer needs one real step): when all positions
    go, the first becomes the OOV id instead.
    """
    ids = ids.copy()
    positions = [p for p in positions if 0 <= p < len(ids)]
    if len(positions) >= len(ids):
        ids[positions] = 0
        ids[positions[0]] = oov_id
        return ids
    ids[positions] = 0
    return ids


def _summary(config: SentimentConfig) -> str:
    direction = "bidirectional " if config.bidirectional else ""
    stack = f"{config.num_layers}-layer " if config.num_layers > 1 else ""
    return (
        f"Embedding(vocab, {config.embedding_dim}) -> "
        f"{stack}{direction}{config.cell.upper()}({config.units}) -> {config.pooling} pooling -> "
        f"Dense(classes, softmax); dropout {config.dropout}."
        + (f" An ensemble of {config.ensemble} such classifiers; the model averages their probabilities."
           if config.ensemble > 1 else "")
        + (f" A bag of hashed token 1-{config.ngram_order}-grams ({config.ngram_buckets:,} x {config.ngram_dim})"
           + (" is a classifier of its own, averaged in." if config.ngram_member else " joins the pooled encoder.")
           if config.ngram_order else "")
        + (f" Contrast rules (\"A but B\": B decides; \"A, though B\": A) are distilled while training "
           f"(imitation {config.rule_imitation}) and pull every prediction towards its deciding clause's "
           f"(strength {config.rule_strength})." if config.contrast_rules else "")
    )


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=1)
