"""``TranslationTask``: train, evaluate (sacrebleu BLEU/chrF, beam and greedy), predict with n-best lists."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from nlpsuite import training
from nlpsuite.data import registry
from nlpsuite.data.script import with_script_warnings
from nlpsuite.data.text_pairs import (
    Direction,
    TextPair,
    dedupe_by_source,
    read_pairs,
    select_by_hashes,
    sentence_hash,
    split_pairs,
)
from nlpsuite.errors import NlpsuiteError, OptionError, check_choice
from nlpsuite.tasks.base import Asset, Task, TaskConfig
from nlpsuite.tasks.translation.decoding import Decoder, Hypothesis
from nlpsuite.tasks.translation.decoding_choice import (
    BEAM_SIZE_RANGE,
    DEFAULT_BEAM_SIZES,
    DEFAULT_LENGTH_PENALTIES,
    LENGTH_PENALTY_RANGE,
    decoding_grid,
    pick_decoding,
)
from nlpsuite.tasks.translation.model import ATTENTIONS, TranslationModel  # registers the class for loading
from nlpsuite.tasks.translation.preprocess import (
    SubwordTokenizer,
    chunks,
    learn_vocabulary,
    make_dataset,
    pad_batch,
)

__all__ = ["TranslationConfig", "TranslationTask"]

SPLIT_FILE = "split.json"
# Inputs longer than this (in subwords) are cut: the model never saw anything close in training.
MAX_SOURCE_TOKENS = 200
# The model to suggest for a source in another script (the two committed translation models).
OTHER_MODELS = {"han": "Chinese → English", "latin": "Spanish → English"}
PREDICT_OPTIONS = (
    "beam_size",
    "length_penalty",
    "max_length",
    "min_length",
    "num_results",
    "return_attention",
    "batch_size",
)


@dataclasses.dataclass
class TranslationConfig(TaskConfig):
    """Options of the translation task (``--set KEY=VALUE``).

    Args:
        direction: ``SOURCE-TARGET`` language codes; Anki files hold English and one other language
            (``spa-en``, ``en-spa``, ``zh-en``, ``en-zh``).
        source_vocabulary_size: SentencePiece pieces learned on the training sources.
        target_vocabulary_size: pieces learned on the training targets.
        max_length: training pairs with a side longer than this many subwords are skipped.
        embedding_dim: embedding size (source and target).
        units: recurrent units (encoder per direction, decoder).
        num_layers: recurrent layers in encoder and decoder.
        cell: ``gru`` or ``lstm``.
        attention: ``luong`` (multiplicative, general) or ``bahdanau`` (additive).
        attention_units: hidden size of the Bahdanau score.
        dropout: dropout on embeddings, between layers and before the output layer.
        label_smoothing: mass spread uniformly over the target vocabulary (0 = none).
        clipnorm: gradient-norm clipping.
        dev_fraction: share of sentence groups held out for early stopping.
        test_fraction: share of sentence groups held out for evaluation.
        dev_bleu_sentences: dev sentences greedy-decoded after every epoch for early stopping.
        beam_size: beam size used by ``evaluate`` (and ``predict`` unless given).
        length_penalty: GNMT length-penalty exponent alpha (0 = raw log-probability).
        steps_per_epoch: optimizer steps between dev checks/checkpoints (0 = one pass over the data).
        init_from: a saved translation model to continue training from (its vocabularies and weights; the
            architecture options must match it).

    Example:
    >>> TranslationConfig(direction="zh-en", beam_size=8).validate()
    >>> TranslationConfig(direction="spa-fra").validate()
    Traceback (most recent call last):
    ...
    nlpsuite.errors.OptionError: direction must have English on exactly one side, ... (got 'spa-fra')
    """

    direction: str = "spa-en"
    source_vocabulary_size: int = 8000
    target_vocabulary_size: int = 6000
    max_length: int = 20
    embedding_dim: int = 256
    units: int = 256
    num_layers: int = 1
    cell: Literal["gru", "lstm"] = "gru"
    attention: Literal["luong", "bahdanau"] = "luong"
    attention_units: int = 256
    dropout: float = 0.2
    label_smoothing: float = 0.1
    clipnorm: float = 1.0
    dev_fraction: float = 0.02
    test_fraction: float = 0.02
    dev_bleu_sentences: int = 1000
    beam_size: int = 4
    length_penalty: float = 0.6
    steps_per_epoch: int = 0
    init_from: str = ""
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 2e-3

    def validate(self) -> None:
        super().validate()
        Direction.parse(self.direction)
        check_choice("cell", self.cell, ("gru", "lstm"))
        check_choice("attention", self.attention, ATTENTIONS)
        self.require_at_least(16, "source_vocabulary_size", "target_vocabulary_size")
        self.require_at_least(2, "max_length")
        self.require_at_least(1, "beam_size")
        self.require_fraction("label_smoothing")


class TranslationTask(Task):
    """Sentence translation with an attentional GRU/LSTM encoder-decoder.

    ``assets`` holds ``source`` and ``target`` (``SubwordTokenizer``) and ``split`` (the dev/test source
    hashes, so ``evaluate`` scores the sentences held out in training).

    Example:

    A tiny model on a made-up language ("toy" says two English words in the other order), trained for four
    steps: too little to translate well, enough to show what ``predict`` returns.

    >>> from pathlib import Path
    >>> words = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    >>> pairs = [f"{a} {b}.\\t{b} {a}." for a in words for b in words]  # English<TAB>toy, as Anki files
    >>> _ = Path("toy.txt").write_text("\\n".join(pairs) + "\\n")
    >>> config = TranslationConfig(
    ...     direction="toy-en", source_vocabulary_size=30, target_vocabulary_size=30, embedding_dim=8, units=16,
    ...     attention_units=8, dropout=0.0, label_smoothing=0.0, dev_fraction=0.1, test_fraction=0.1,
    ...     dev_bleu_sentences=4, steps_per_epoch=4, epochs=1, batch_size=16, learning_rate=0.01, beam_size=2)
    >>> task = TranslationTask.train("toy.txt", config)  # the dev BLEU, then Keras' line for the epoch
    epoch 1: dev_bleu = ...
    4/4 - ... - loss: ... - dev_bleu: ...
    >>> result = task.predict(["two one."], num_results=2)[0]
    >>> result["source"], len(result["nbest"]), result["nbest"][0]["translation"] == result["translation"]
    ('two one.', 2, True)
    >>> result["nbest"][0]["score"] >= result["nbest"][1]["score"]  # best first
    True
    """

    name: ClassVar[str] = "translation"
    config_class: ClassVar[type] = TranslationConfig
    default_data: ClassVar[str] = "spa-eng"

    @functools.cached_property
    def decoder(self) -> Decoder:
        """Greedy and beam search over the model, compiled on first use."""
        return Decoder(self.model)

    source_tokenizer = Asset[SubwordTokenizer]("source", "Source text <-> subword ids.")
    target_tokenizer = Asset[SubwordTokenizer]("target", "Target text <-> subword ids.")

    # ------------------------------------------------------------------------------------- training
    @classmethod
    def _train(cls, data: Any, config: TranslationConfig, run: training.TrainingRun) -> TranslationTask:
        path = registry.resolve(data)
        pairs = read_pairs(path, config.direction)
        split = split_pairs(pairs, config.dev_fraction, config.test_fraction, config.seed)
        train_pairs = _cap(split["train"], config.max_train_examples, config.seed)
        if not train_pairs:
            raise NlpsuiteError(f"{path}: no training pairs left after holding out dev and test")
        base = _base_task(config) if config.init_from else None
        if base is not None:  # continue training a saved model: its vocabularies and weights
            source_tok, target_tok = base.source_tokenizer, base.target_tokenizer
        else:
            source_tok, target_tok = _vocabularies(config, train_pairs, run.side_dir("vocab"), run.resume)
        source_ids, target_ids = _encode_pairs(train_pairs, source_tok, target_tok, config.max_length)
        dataset = make_dataset(source_ids, target_ids, config.batch_size, config.seed,
                               endless=config.steps_per_epoch > 0)
        with run.scope():
            model = _compiled_model(config, len(source_tok), len(target_tok), base)
        task = cls(config, model, {"source": source_tok, "target": target_tok, "split": _split_hashes(split, config)})
        dev = _spread_sample(split["dev"], config.dev_bleu_sentences, config.seed)
        run.fit(model, dataset, monitor="dev_bleu" if dev else None, mode="max",
                dev_metric=lambda: task._bleu(dev, beam_size=1), steps_per_epoch=config.steps_per_epoch or None,
                shuffle=False)  # the dataset shuffles (by length buckets) itself
        task.info = run.info(
            data=f"{data} ({path.name}), direction {config.direction}",
            split=(
                f"grouped by sentence: {len(split['train'])} train pairs / "
                f"{len(split['dev'])} dev / {len(split['test'])} test sources (seed {config.seed})"
            ),
            model=model,
            data_notes=_data_notes(len(pairs), len(train_pairs), len(source_ids), source_tok, target_tok, config),
            notes=_training_notes(config, len(dev), run.logged("dev_bleu")),
            title=f"translation {config.direction}",
        )
        return task

    # ----------------------------------------------------------------------------------- evaluation
    def evaluate(self, data: Any, split: str = "test") -> dict[str, Any]:
        """BLEU and chrF (sacrebleu, detokenised, 0-100) with beam search and with greedy decoding.

        Args:
            data: the dataset the model was trained on (name or path); ``split`` picks the held-out part
                recorded at training time. Any other pairs file with ``split="all"``.
            split: ``test``, ``dev`` or ``all`` (every distinct source in ``data``).
        """
        pairs = self._pairs_for(data, split)
        beam = self._score(pairs, beam_size=self.config.beam_size)
        greedy = self._score(pairs, beam_size=1)
        return {
            "bleu": beam["bleu"],
            "chrf": beam["chrf"],
            "bleu_greedy": greedy["bleu"],
            "chrf_greedy": greedy["chrf"],
            "signature": beam["signature"],
            "chrf_signature": beam["chrf_signature"],
            "beam_size": self.config.beam_size,
            "length_penalty": self.config.length_penalty,
            "split": split,
            "sentences": len(pairs),
            "direction": self.config.direction,
            "examples": [
                {"source": p.source, "reference": p.target, "translation": t}
                for p, t in list(zip(pairs, beam["translations"], strict=True))[:5]
            ],
        }

    def choose_decoding(
        self,
        data: Any,
        beam_sizes: Sequence[int] = DEFAULT_BEAM_SIZES,
        length_penalties: Sequence[float] = DEFAULT_LENGTH_PENALTIES,
        split: str = "dev",
        max_sentences: int = 1000,
        progress: Callable[[dict[str, Any], int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Scores every beam size x length penalty on dev BLEU and returns the best pair (never the test split).

        The sentences are a seeded sample spread over the whole split (the files are in length order, so the
        first ones would favour short outputs), the same sample the training's dev BLEU draws. The task is
        not changed: ``nlpsuite tune-decoding`` saves the choice (``save_decoding_choice``).

        Args:
            data: the dataset the model was trained on (name or path).
            beam_sizes: beams per sentence to try (1 = greedy).
            length_penalties: GNMT alphas to try (beam size 1 ignores them: scored once).
            split: ``dev`` (the model's dev split), or ``all``: every pair of ``data`` whose source is not in
                the model's test split (e.g. a tuning file of your own).
            max_sentences: sentences scored (0 = the whole split).
            progress: called after each setting with its row, the number done and the total.

        Returns:
            ``grid`` (one row per setting: ``beam_size``, ``length_penalty``, ``bleu``), the chosen
            ``beam_size``, ``length_penalty`` and ``bleu`` (highest BLEU; ties go to the smaller beam, then to
            the length penalty closest to the current one), ``previous`` (the current settings), ``split``,
            ``sentences`` and the BLEU ``signature``.

        Example:
        >>> from nlpsuite.tasks.translation._examples import toy_task
        >>> task = toy_task()  # untrained, on a made-up language written to toy.txt
        >>> choice = task.choose_decoding("toy.txt", beam_sizes=[1, 2], length_penalties=[0.0, 1.0])
        >>> [(r["beam_size"], r["length_penalty"]) for r in choice["grid"]], choice["split"]
        ([(1, 0.0), (1, 1.0), (2, 0.0), (2, 1.0)], 'dev')
        >>> task.choose_decoding("toy.txt", split="test")
        Traceback (most recent call last):
        ...
        nlpsuite.errors.OptionError: split must not be 'test': ... (got 'test')
        """
        grid = decoding_grid(beam_sizes, length_penalties)
        if split == "test":
            raise OptionError("split", split, "must not be 'test': settings chosen on the test sentences would "
                              "inflate their BLEU; choose on 'dev'")
        check_choice("split", split, ("dev", "all"))
        if isinstance(max_sentences, bool) or not isinstance(max_sentences, int) or max_sentences < 0:
            raise OptionError("max_sentences", max_sentences, "must be a whole number >= 0 (0 = the whole split)")
        pairs = self._pairs_for(data, split)
        if split == "all":  # a file holding the test sentences must not choose on them
            test = set(self.assets["split"]["test"])
            pairs = [p for p in pairs if sentence_hash(p.source) not in test]
        sample = _spread_sample(pairs, max_sentences, self.config.seed)
        if not sample:
            raise NlpsuiteError(f"{data}: no pairs left to score outside the model's test split")
        rows: list[dict[str, Any]] = []
        scored: dict[tuple[int, float], dict[str, Any]] = {}
        for beam_size, alpha in grid:
            key = (beam_size, 0.0 if beam_size == 1 else alpha)  # greedy decoding has no length penalty
            if key not in scored:
                scored[key] = self._score(sample, beam_size=beam_size, length_penalty=alpha)
            rows.append({"beam_size": beam_size, "length_penalty": alpha, "bleu": scored[key]["bleu"]})
            if progress is not None:
                progress(rows[-1], len(rows), len(grid))
        best = pick_decoding(rows, self.config.length_penalty)
        return {
            **best,
            "previous": {"beam_size": self.config.beam_size, "length_penalty": self.config.length_penalty},
            "grid": rows,
            "split": split,
            "sentences": len(sample),
            "signature": next(iter(scored.values()))["signature"],
        }

    def _pairs_for(self, data: Any, split: str) -> list[TextPair]:
        path = registry.resolve(data)
        pairs = read_pairs(path, self.config.direction)
        if split == "all":
            return dedupe_by_source(pairs)
        check_choice("split", split, ("test", "dev", "all"))
        selected = select_by_hashes(pairs, self.assets["split"][split])
        if not selected:
            raise NlpsuiteError(
                f"none of the {len(pairs)} pairs in {path} is in this model's {split} split "
                "(it was made from the training data); evaluate with split='all' to score every pair of "
                "another file"
            )
        return selected

    def _score(
        self, pairs: Sequence[TextPair], beam_size: int, length_penalty: float | None = None
    ) -> dict[str, Any]:
        import sacrebleu

        sources = [p.source for p in pairs]
        results = self.predict(sources, beam_size=beam_size, length_penalty=length_penalty, num_results=1)
        translations = [r["translation"] for r in results]
        references = [[p.target for p in pairs]]
        tokenize = "zh" if Direction.parse(self.config.direction).is_chinese("target") else "13a"
        bleu = sacrebleu.metrics.BLEU(tokenize=tokenize)
        chrf = sacrebleu.metrics.CHRF()
        return {
            "bleu": round(float(bleu.corpus_score(translations, references).score), 2),
            "chrf": round(float(chrf.corpus_score(translations, references).score), 2),
            "signature": str(bleu.get_signature()),
            "chrf_signature": str(chrf.get_signature()),
            "translations": translations,
        }

    def _bleu(self, pairs: Sequence[TextPair], beam_size: int) -> float:
        return self._score(pairs, beam_size)["bleu"]

    # ----------------------------------------------------------------------------------- prediction
    def predict(self, inputs: list[Any], **options: Any) -> list[dict[str, Any]]:
        """Translates each input sentence.

        Args:
            inputs: source sentences.
            beam_size: beams per sentence (1 = greedy); default the config's.
            length_penalty: GNMT alpha for ranking finished hypotheses; default the config's.
            max_length: most output subwords (default ``2 * source length + 10``, at most 3x the
                training cap).
            min_length: fewest output subwords before ``[END]`` is allowed (0).
            num_results: size of the n-best list (default ``beam_size``).
            return_attention: add ``attention``: source/target subwords and the weights matrix
                (target x source) of the best translation.
            batch_size: sentences decoded together (64).

        Returns:
            One dict per input: ``source``, ``translation``, ``score``, ``nbest`` (``translation``, ``score``
            = length-normalised log-probability, ``log_prob``), ``attention`` when asked, and ``warnings`` when the
            source is not in the model's source language or has no letters (``nlpsuite.data.script``).
        """
        unknown = sorted(set(options) - set(PREDICT_OPTIONS))
        if unknown:
            raise NlpsuiteError(
                f"unknown translation option(s) {', '.join(unknown)}; known: {', '.join(PREDICT_OPTIONS)}"
            )
        beam_size = _int_option(options, "beam_size", self.config.beam_size, *BEAM_SIZE_RANGE)
        alpha = _float_option(options, "length_penalty", self.config.length_penalty, *LENGTH_PENALTY_RANGE)
        batch_size = _int_option(options, "batch_size", 64, 1, 4096)
        max_length = options.get("max_length")
        min_length = _int_option(options, "min_length", 0, 0, 1000)
        num_results = _int_option(options, "num_results", beam_size, 1, beam_size)
        return_attention = bool(options.get("return_attention", False))
        texts = [_check_input(x, i) for i, x in enumerate(inputs)]
        encoded = [ids[:MAX_SOURCE_TOKENS] for ids in self.source_tokenizer.encode(texts)]
        results: list[dict[str, Any] | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))  # similar lengths batch together
        for index in [i for i in order if not encoded[i]]:
            results[index] = {"source": texts[index], "translation": "", "score": 0.0, "nbest": []}
        todo = [i for i in order if encoded[i]]
        for batch in chunks(todo, batch_size):
            source = pad_batch([encoded[i] for i in batch])
            limit = _int_option(
                {"max_length": max_length},
                "max_length",
                min(2 * source.shape[1] + 10, 3 * self.config.max_length),
                1,
                1000,
            )
            limit = max(limit, min_length + 1)
            if beam_size == 1:
                found = [[h] for h in self.decoder.greedy(source, limit, min_length, return_attention)]
            else:
                found = self.decoder.beam_search(
                    source, beam_size, alpha, limit, min_length, num_results, return_attention
                )
            for row, index in enumerate(batch):
                results[index] = self._result(texts[index], encoded[index], found[row], return_attention)
        language = self.config.direction.split("-")[0]
        return [with_script_warnings(r, r["source"], language, OTHER_MODELS) for r in results]

    def _result(
        self, text: str, source_ids: list[int], hypotheses: list[Hypothesis], return_attention: bool
    ) -> dict[str, Any]:
        nbest = [
            {
                "translation": self.target_tokenizer.decode(h.tokens),
                "score": round(h.score, 4),
                "log_prob": round(h.log_prob, 4),
            }
            for h in hypotheses
        ]
        best = hypotheses[0]
        result = {
            "source": text,
            "translation": nbest[0]["translation"],
            "score": nbest[0]["score"],
            "nbest": nbest,
        }
        if return_attention and best.attention is not None:
            target_pieces = self.target_tokenizer.pieces(best.tokens) + (["</s>"] if best.finished else [])
            weights = np.asarray(best.attention)[:, : len(source_ids)]
            result["attention"] = {
                "source_tokens": self.source_tokenizer.pieces(source_ids),
                "target_tokens": target_pieces,
                "weights": np.round(weights, 4).tolist(),
            }
        return result

    # --------------------------------------------------------------------------------------- saving
    def save_model(self, directory: Path) -> None:
        """Saves the network without its optimizer state (a subclassed model: built on a dummy pair)."""
        from nlpsuite.tasks.base import MODEL_FILE, without_optimizer

        dummy = (np.ones((1, 2), "int32"), np.ones((1, 2), "int32"))
        without_optimizer(self.model, dummy).save(directory / MODEL_FILE)

    def save_assets(self, directory: Path) -> None:
        self.source_tokenizer.save(directory, "source")
        self.target_tokenizer.save(directory, "target")
        (directory / SPLIT_FILE).write_text(json.dumps(self.assets["split"]) + "\n", encoding="utf-8")

    @classmethod
    def load_assets(cls, directory: Path) -> dict[str, Any]:
        try:
            split = json.loads((directory / SPLIT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NlpsuiteError(f"cannot read {directory / SPLIT_FILE} ({exc}); retrain the model") from None
        return {
            "source": SubwordTokenizer.load(directory, "source"),
            "target": SubwordTokenizer.load(directory, "target"),
            "split": split,
        }


# ------------------------------------------------------------------------------------------- helpers


def _base_task(config: TranslationConfig) -> TranslationTask:
    from nlpsuite.tasks.base import load

    base = load(config.init_from)
    if not isinstance(base, TranslationTask):
        raise OptionError("init_from", config.init_from, f"is a {base.name} model, not a translation model")
    if base.config.direction != config.direction:
        raise OptionError(
            "init_from", config.init_from, f"translates {base.config.direction}, not {config.direction}"
        )
    return base


def _copy_weights(source: Any, target: Any, name: str) -> None:
    weights = source.get_weights()
    shapes = [tuple(w.shape) for w in target.get_weights()]
    if [tuple(w.shape) for w in weights] != shapes:
        raise OptionError(
            "init_from", name, "is a model whose architecture differs; use the same embedding_dim, units, "
            "num_layers, cell and attention options it was trained with"
        )
    target.set_weights(weights)


def _vocabularies(
    config: TranslationConfig, pairs: list[TextPair], directory: Path | None, resume: bool
) -> tuple[SubwordTokenizer, SubwordTokenizer]:
    """Learns both vocabularies, or on ``resume`` reloads the ones the interrupted run learned.

    The checkpointed weights only make sense with the exact vocabularies they were trained with, so they are
    kept in ``directory``, beside the checkpoint, until training finishes (None = a run without checkpoints).
    """
    if resume and directory is not None and (directory / "source.spm").exists() and (directory / "target.spm").exists():
        return (SubwordTokenizer.load(directory, "source"), SubwordTokenizer.load(directory, "target"))
    direction = Direction.parse(config.direction)
    tokenizers = []
    for side, size in (("source", config.source_vocabulary_size), ("target", config.target_vocabulary_size)):
        coverage = 0.9995 if direction.is_chinese(side) else 1.0
        texts = [getattr(p, side) for p in pairs]
        tokenizers.append(SubwordTokenizer(learn_vocabulary(texts, size, coverage)))
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        tokenizers[0].save(directory, "source")
        tokenizers[1].save(directory, "target")
    return tokenizers[0], tokenizers[1]


def _encode_pairs(
    pairs: list[TextPair], source_tok: SubwordTokenizer, target_tok: SubwordTokenizer, max_length: int
) -> tuple[list[list[int]], list[list[int]]]:
    """Subword ids of both sides, skipping pairs with an empty side or one longer than ``max_length``."""
    source_ids = source_tok.encode([p.source for p in pairs])
    target_ids = target_tok.encode([p.target for p in pairs])
    kept = [
        i
        for i, (s, t) in enumerate(zip(source_ids, target_ids, strict=True))
        if 0 < len(s) <= max_length and 0 < len(t) < max_length
    ]
    return [source_ids[i] for i in kept], [target_ids[i] for i in kept]


def _split_hashes(split: dict[str, list[TextPair]], config: TranslationConfig) -> dict[str, Any]:
    """The held-out sources of a split, by hash, so ``evaluate`` finds them again in the data file."""
    return {
        "dev": sorted({sentence_hash(p.source) for p in split["dev"]}),
        "test": sorted({sentence_hash(p.source) for p in split["test"]}),
        "seed": config.seed,
        "direction": config.direction,
    }


def _compiled_model(
    config: TranslationConfig, source_size: int, target_size: int, base: TranslationTask | None
) -> Any:
    """A new ``TranslationModel`` (with ``base``'s weights when continuing one), compiled for training."""
    import keras

    from nlpsuite.tasks.translation.model import masked_accuracy, masked_loss

    model = TranslationModel(
        source_size,
        target_size,
        embedding_dim=config.embedding_dim,
        units=config.units,
        num_layers=config.num_layers,
        cell=config.cell,
        attention=config.attention,
        attention_units=config.attention_units,
        dropout=config.dropout,
    )
    model((np.ones((1, 2), "int32"), np.ones((1, 2), "int32")))  # create the weights
    if base is not None:
        _copy_weights(base.model, model, config.init_from)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm),
        loss=masked_loss(config.label_smoothing),
        metrics=[masked_accuracy],
        jit_compile=config.jit_compile,
    )
    return model


def _data_notes(
    pairs: int, train_pairs: int, used: int, source_tok: SubwordTokenizer, target_tok: SubwordTokenizer,
    config: TranslationConfig,
) -> list[str]:
    return [
        f"{pairs} pairs read; pairs sharing a source or a target sentence (lower-cased, punctuation removed) "
        "form one group, and each group lies wholly in train, dev or test",
        "dev and test keep one pair per distinct source (its first translation is the reference)",
        f"{train_pairs - used} training pairs longer than {config.max_length} subwords skipped; {used} used",
        f"SentencePiece vocabularies: {len(source_tok)} source / {len(target_tok)} target pieces",
    ]


def _training_notes(config: TranslationConfig, dev_sentences: int, dev_bleu: list[float]) -> list[str]:
    notes = [
        f"dev BLEU (greedy, {dev_sentences} dev sentences sampled across the dev split) by epoch: "
        + ", ".join(f"{v:.2f}" for v in dev_bleu)
    ]
    if config.init_from:
        notes.append(
            f"continued from {config.init_from} (its vocabularies and weights); the training time above "
            "covers this continuation only"
        )
    return notes


def _cap(pairs: list[TextPair], limit: int, seed: int) -> list[TextPair]:
    if not limit or limit >= len(pairs):
        return pairs
    chosen = np.random.default_rng(seed).choice(len(pairs), size=limit, replace=False)
    return [pairs[i] for i in sorted(chosen)]


def _spread_sample(pairs: list[TextPair], limit: int, seed: int) -> list[TextPair]:
    """At most ``limit`` pairs drawn uniformly from all of ``pairs``.

    The corpus files are sorted by length, so their first sentences are the shortest: a dev BLEU on
    the head (3.6 words on average against 6.25 for the whole split) was a biased stopping signal.
    """
    if not limit or limit >= len(pairs):
        return list(pairs)
    chosen = np.random.default_rng(seed + 1).choice(len(pairs), size=limit, replace=False)
    return [pairs[i] for i in sorted(chosen)]


def _check_input(text: Any, index: int) -> str:
    if not isinstance(text, str):
        raise NlpsuiteError(f"input {index + 1} is {type(text).__name__}, expected a sentence (str)")
    return " ".join(text.split())


def _int_option(options: dict, key: str, default: int, low: int, high: int) -> int:
    value = options.get(key)
    if value is None:
        return default
    whole = not isinstance(value, bool) and isinstance(value, (int, float)) and int(value) == value
    if not whole or not low <= int(value) <= high:
        raise OptionError(key, value, f"must be a whole number from {low} to {high}")
    return int(value)


def _float_option(options: dict, key: str, default: float, low: float, high: float) -> float:
    value = options.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= float(value) <= high:
        raise OptionError(key, value, f"must be a number from {low} to {high}")
    return float(value)
