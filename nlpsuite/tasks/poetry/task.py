"""``PoetryTask``: a character-level language model (LSTM, GRU, RWKV or Transformer) for Tang verse and
running text.

```python
task = PoetryTask.train("tang", PoetryConfig(epochs=2))
task.evaluate("tang")        # {"bits_per_char", "perplexity", "form_validity", ...}
task.predict([""], form="qijue", acrostic="春夏秋冬", seed=3)   # [{"prompt": "", "text": "春…。"}]
for char in task.stream("", form="wujue"):                      # one character at a time
    print(char, end="")
```
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from nlpsuite import training
from nlpsuite.data import corpus, registry
from nlpsuite.data.script import script_warnings, with_script_warnings
from nlpsuite.errors import NlpsuiteError, OptionError, check_choice
from nlpsuite.tasks.base import Asset, Task, TaskConfig
from nlpsuite.tasks.poetry import preprocess
from nlpsuite.tasks.poetry.preprocess import CharCodec, CorpusData, PoemBatches, TextWindows

__all__ = ["PoetryConfig", "PoetryTask"]

CODEC_FILE = "codec.json"
# The model to suggest for a prompt in another script (the two committed poetry models).
OTHER_MODELS = {"han": "the Chinese verse model (poetry-zh)", "latin": "the English text model (poetry-en)"}
# Acrostics for the validity check in ``evaluate``: fixed, so the metric is reproducible.
EVAL_ACROSTICS = ("春夏秋冬", "风花雪月", "江山如画", "明月清风", "山高水长", "天地人和")


@dataclasses.dataclass
class PoetryConfig(TaskConfig):
    """Options of the poetry task (``--set key=value``).

    Args:
        architecture: ``lstm``, ``gru`` (recurrent stacks), ``rwkv`` (``nlpsuite.layers.RWKV``) or
            ``transformer`` (decoder-only, keras-hub layers, with a key/value cache for generation).
            Same data, codec, loss, metrics and sampler for all.
        cell: the older name of ``architecture=lstm|gru``, still read: a config with ``cell=gru``
            and no ``architecture`` (models saved before it existed) is a GRU.
        units: units of each recurrent layer; the width of the RWKV / Transformer stream.
        num_layers: stacked recurrent layers (RWKV blocks, Transformer decoder layers).
        num_heads: attention heads of the Transformer (must divide ``units``).
        match_parameters: if > 0, ``units`` is chosen at training time so that the model has this
            many parameters (±10%; see ``nlpsuite.tasks.poetry.sizing``), to compare architectures
            at equal size. The saved config records the chosen ``units``.
        embedding_dim: character embedding size (LSTM/GRU; RWKV and the Transformer embed into
            ``units``).
        dropout: between recurrent layers and before the output layer.
        recurrent_dropout: LSTM/GRU only: dropout on each layer's recurrent state, one mask per sequence
            (Gal and Ghahramani's variational dropout); it regularises the recurrence that ``dropout`` leaves
            alone, and rules out the cuDNN kernel.
        weight_decay: decoupled weight decay of the Adam optimizer (AdamW's; 0 = none).
        seq_len: window length for running text (the truncation of back-propagation through time).
        steps_per_epoch: batches per "epoch" (an epoch is a checkpoint/dev-evaluation interval here:
            batches are drawn at random, so the model never waits for a full pass to be scored).
        max_vocab: most frequent characters kept (rarer ones become ``<unk>``, which is never
            generated).
        min_count: characters seen fewer times are ``<unk>``.
        forms: regulated forms kept from poem corpora.
        simplified: convert traditional characters to simplified (OpenCC t2s) for poem corpora.
        clipnorm: gradient norm clipping (RNNs need it).
        form_samples: poems sampled by ``evaluate`` for ``form_validity``.
        init_from: a saved poetry model folder to continue training from (its vocabulary and
            weights; the architecture options must match it). The optimizer starts afresh.

    Example:
    >>> config = PoetryConfig(architecture="rwkv", units=64, num_layers=2)
    >>> config.validate()
    >>> config.forms
    ['wujue', 'qijue', 'wulv', 'qilv']
    """

    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-3
    patience: int = 4
    architecture: Literal["lstm", "gru", "transformer", "rwkv"] = "lstm"
    cell: Literal["lstm", "gru"] = "lstm"
    units: int = 384
    num_layers: int = 2
    num_heads: int = 4
    match_parameters: int = 0
    embedding_dim: int = 128
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    weight_decay: float = 0.0
    seq_len: int = 128
    steps_per_epoch: int = 200
    max_vocab: int = 4000
    min_count: int = 1
    forms: list[str] = dataclasses.field(default_factory=lambda: list(corpus.FORMS))
    simplified: bool = True
    clipnorm: float = 5.0
    form_samples: int = 100
    init_from: str = ""

    def __post_init__(self) -> None:
        # ``cell`` predates ``architecture``: a GRU saved as cell=gru keeps loading as a GRU.
        if self.architecture == "lstm" and self.cell != "lstm":
            self.architecture = self.cell
        if self.architecture in ("lstm", "gru"):
            self.cell = self.architecture

    def validate(self) -> None:
        super().validate()
        self.require_fraction("dropout", "recurrent_dropout")
        self.require_at_least(0, "weight_decay")
        if self.recurrent_dropout and self.architecture not in ("lstm", "gru"):
            reason = f"needs a recurrent cell (lstm or gru), not {self.architecture}"
            raise OptionError("recurrent_dropout", self.recurrent_dropout, reason)


class PoetryTask(Task):
    """Character LM with streamed, form-exact generation (see ``nlpsuite.tasks.poetry``).

    Example:

    Two training steps on a few lines of running text: the generated characters are noise, but the
    prompt is kept and the length is the one asked for.

    >>> from pathlib import Path
    >>> _ = Path("verse.txt").write_text("Shall I compare thee to a summer's day?\\n" * 40)
    >>> config = PoetryConfig(epochs=1, steps_per_epoch=2, batch_size=8, units=16, embedding_dim=8, seq_len=16)
    >>> task = PoetryTask.train("verse.txt", config)  # Keras logs the epoch
    2/2 - ... - loss: ... - val_loss: ...
    >>> text = task.predict(["Shall"], max_length=12, seed=0)[0]["text"]
    >>> text.startswith("Shall"), len(text) >= len("Shall")
    (True, True)
    """

    name: ClassVar[str] = "poetry"
    config_class: ClassVar[type] = PoetryConfig
    default_data: ClassVar[str] = "tang"

    # ------------------------------------------------------------------------------------ training
    @classmethod
    def _read(cls, data: Any, config: PoetryConfig) -> tuple[str, CorpusData]:
        path = registry.resolve(data)
        return str(data), preprocess.load_corpus(path, config.forms, config.simplified, config.max_train_examples)

    @classmethod
    def _train(cls, data: Any, config: PoetryConfig, run: training.TrainingRun) -> PoetryTask:
        name, data_ = cls._read(data, config)
        previous = _init_model(config) if config.init_from else None
        codec = _codec(config, name, data_, previous)
        config = _sized(config, len(codec))
        train_batches, dev_batches = _batches(codec, data_, config)
        with run.scope():
            model = cls._compiled(len(codec), config, previous)
        curve = _dev_curve()
        run.callbacks = [*run.callbacks, curve]
        run.fit(model, train_batches, dev_batches, monitor="val_loss")
        # Saved without the optimizer state (a third of the file size for Adam's two moments).
        clean = cls._build(len(codec), config)
        clean.set_weights(model.get_weights())
        task = cls(config, clean, {"codec": codec})
        task.info = run.info(
            data=name,
            split="poems split 90/5/5 by text hash" if data_.mode == "poems" else "contiguous 85/5/10",
            model=clean,
            data_notes=data_.notes,
            notes=[
                f"architecture: {_architecture_note(config)}",
                *_training_notes(config, data_.mode, codec, run.best(), previous),
            ],
            title="poetry-zh (Tang regulated verse)" if data_.mode == "poems" else "poetry-en (char LM)",
            dev_curve=curve.points,
        )
        return task

    @classmethod
    def _compiled(cls, vocab_size: int, config: PoetryConfig, previous: PoetryTask | None) -> Any:
        """The network compiled for training, starting from ``previous``'s weights when continuing one."""
        import keras

        model = cls._build(vocab_size, config)
        model.compile(
            optimizer=keras.optimizers.Adam(
                config.learning_rate, clipnorm=config.clipnorm, weight_decay=config.weight_decay or None
            ),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=config.jit_compile,
        )
        if previous:
            model.set_weights(previous.model.get_weights())
        return model

    @staticmethod
    def _build(vocab_size: int, config: PoetryConfig) -> Any:
        from nlpsuite.tasks.poetry.model import build_model

        return build_model(
            vocab_size,
            embedding_dim=config.embedding_dim,
            units=config.units,
            num_layers=config.num_layers,
            cell=config.cell,
            dropout=config.dropout,
            recurrent_dropout=config.recurrent_dropout,
            architecture=config.architecture,
            num_heads=config.num_heads,
        )

    # ---------------------------------------------------------------------------------- evaluation
    def evaluate(self, data: Any, split: str = "test") -> dict[str, Any]:
        check_choice("split", split, ("train", "dev", "test"))
        _, data_ = self._read(data, self.config)
        if data_.mode != self.codec.mode:
            raise NlpsuiteError(
                f"{data} is a {data_.mode} corpus but this model was trained on "
                f"{self.codec.mode}; evaluate it on data of the same kind"
            )
        nats, count = self._negative_log_likelihood(data_.splits[split])
        metrics: dict[str, Any] = {
            "bits_per_char": nats / math.log(2),
            "perplexity": math.exp(nats),
            "loss_nats_per_char": nats,
            "characters": count,
            "split": split,
        }
        if self.codec.mode == "poems":
            metrics.update(self._form_validity(self.config.form_samples))
        else:
            metrics["form_validity"] = None
            metrics["form_validity_note"] = "running-text model: no verse forms to check"
        return metrics

    def _negative_log_likelihood(self, split_data: Any) -> tuple[float, int]:
        """Mean nats per character of ``split_data``, the state carried through each poem / text
        stream."""
        if self.codec.mode == "text":
            ids = self.codec.encode(split_data)
            if self.config.architecture == "transformer":
                return _windowed_nll(self.model, ids, self.config.seq_len)
            # A few contiguous streams run side by side: every character after a stream's first is scored with
            # all the context before it in that stream, as generation sees it.
            streams = max(1, min(8, len(ids) // 2000))
            length = len(ids) // streams
            chunk = ids[: streams * length].reshape(streams, length)
            return _nll(self.model, chunk[:, :-1], chunk[:, 1:], None)
        rows = self.codec.poem_rows(split_data)
        total, count = 0.0, 0
        for form_rows in rows.values():
            for first in range(0, len(form_rows), 64):
                block = form_rows[first : first + 64]
                # The <eos> target is the marker, not a character of the poem: not scored.
                nats, n = _nll(self.model, block[:, :-1], block[:, 1:], self.codec.eos_id)
                total, count = total + nats * n, count + n
        if not count:
            raise NlpsuiteError("the evaluation split holds no poems")
        return total / count, count

    def _form_validity(self, samples: int) -> dict[str, Any]:
        forms = [f for f in corpus.FORMS if f in self.config.forms] or list(corpus.FORMS)
        by_form: dict[str, list[bool]] = {f: [] for f in forms}
        for i in range(samples):
            form = forms[i % len(forms)]
            text = self.generate_text("", form=form, seed=i, rhyme=bool(i % 2))
            by_form[form].append(corpus.check_form(text, form))
        acrostic_ok, rhyme_ok = [], []
        for i in range(max(4, samples // 5)):
            heads = EVAL_ACROSTICS[i % len(EVAL_ACROSTICS)]
            form = forms[i % len(forms)]
            lines = corpus.FORMS[form][0]
            heads = (heads * 2)[:lines]
            text = self.generate_text("", form=form, acrostic=heads, rhyme=True, seed=1000 + i)
            acrostic_ok.append(corpus.check_form(text, form, heads))
            rhyme_ok.append(self.generator.rhymes(text))
        flat = [ok for oks in by_form.values() for ok in oks]
        return {
            "form_validity": sum(flat) / len(flat),
            "form_validity_by_form": {f: sum(v) / len(v) for f, v in by_form.items() if v},
            "acrostic_validity": sum(acrostic_ok) / len(acrostic_ok),
            "rhyme_validity": sum(rhyme_ok) / len(rhyme_ok),
            "form_samples": len(flat) + len(acrostic_ok),
        }

    # ---------------------------------------------------------------------------------- generation
    codec = Asset[CharCodec]("codec", "Characters <-> ids, as in training.")

    @property
    def generator(self) -> Any:
        """The step-by-step generator, built once from the trained layers."""
        if "_generator" not in self.__dict__:
            from nlpsuite.tasks.poetry.generate import Generator

            self.__dict__["_generator"] = Generator(self.model, self.codec, self.config.simplified)
        return self.__dict__["_generator"]

    def stream(self, prompt: str = "", **options: Any) -> Iterator[str]:
        """Yields the poem (or text) one character at a time, prompt first; options as in
        ``predict``."""
        return self.generator.stream(prompt, **options)

    def generate_text(self, prompt: str = "", **options: Any) -> str:
        return "".join(self.stream(prompt, **options))

    def predict(self, inputs: list[Any], **options: Any) -> list[dict[str, Any]]:
        """Generates one poem (or passage) per prompt.

        Args:
            inputs: prompts, the opening characters (may be empty).
            **options: ``form`` (``wujue|qijue|wulv|qilv``), ``acrostic`` (characters that begin the
                lines), ``rhyme`` (even lines rhyme), ``temperature``, ``top_k``, ``top_p``,
                ``seed``, ``max_length`` (characters generated without a form).

        Returns:
            ``[{"prompt", "text"}]``: ``text`` is the poem alone (lines ended by ，/。), prompt
            included; ``warnings`` when the prompt is not in the model's language (``prompt_warnings``).
        """
        self.generator.check_options(options)
        results = []
        for i, prompt in enumerate(inputs):
            if not isinstance(prompt, str):
                raise NlpsuiteError(f"input #{i + 1} is {type(prompt).__name__}; prompts are strings")
            result = {"prompt": prompt, "text": self.generate_text(prompt, **options)}
            results.append(with_script_warnings(result, prompt, self.language, OTHER_MODELS))
        return results

    @property
    def language(self) -> str:
        """``zh`` for a Chinese poem model, ``en`` for a free-text (Shakespeare) one."""
        return "zh" if self.codec.mode == "poems" else "en"

    def prompt_warnings(self, prompt: str) -> list[str]:
        """Why a prompt may give nonsense: it is not in the model's language, or has no letters.

        Args:
            prompt: the opening text (an empty prompt has no warnings).
        """
        return script_warnings(prompt, self.language, OTHER_MODELS)

    # ------------------------------------------------------------------------------------- saving
    @classmethod
    def load_model(cls, directory: Path) -> Any:
        # Registers RecurrentStack, RWKV and CausalTransformer for safe_mode loading.
        import nlpsuite.layers.causal_transformer
        import nlpsuite.layers.recurrent
        import nlpsuite.layers.rwkv  # noqa: F401

        return super().load_model(directory)

    def save_assets(self, directory: Path) -> None:
        import json

        (directory / CODEC_FILE).write_text(json.dumps(self.codec.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load_assets(cls, directory: Path) -> dict[str, Any]:
        from nlpsuite.tasks.base import read_json

        data = read_json(directory / CODEC_FILE)
        try:
            return {"codec": CharCodec.from_dict(data)}
        except (KeyError, TypeError) as exc:
            raise NlpsuiteError(f"{directory / CODEC_FILE}: missing {exc}; retrain the model") from None


def _init_model(config: PoetryConfig) -> PoetryTask:
    from nlpsuite.tasks.base import load

    previous = load(config.init_from)
    if not isinstance(previous, PoetryTask):
        raise OptionError("init_from", config.init_from, f"is a {previous.name} model, not a poetry model")
    mine = {k: getattr(config, k) for k in ("architecture", "units", "num_layers", "embedding_dim", "num_heads")}
    theirs = {k: getattr(previous.config, k) for k in mine}
    if mine != theirs:
        raise OptionError("init_from", config.init_from, f"has {theirs}; set the same options to continue it")
    return previous


def _dev_curve() -> Any:
    """A callback recording ``{"seconds", "dev_loss"}`` after each epoch: quality against training
    time, the RNN lab's "quality vs budget" curve."""
    import time

    import keras

    class DevCurve(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.points: list[dict[str, float]] = []
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if logs and "val_loss" in logs:
                seconds = round(time.perf_counter() - self.start, 1)
                self.points.append({"seconds": seconds, "dev_loss": round(float(logs["val_loss"]), 4)})

    return DevCurve()


def _architecture_note(config: PoetryConfig) -> str:
    if config.architecture == "transformer":
        return (
            f"decoder-only Transformer, {config.num_layers} layers x {config.units} wide, {config.num_heads} heads, "
            f"sine positions; scored in windows of {config.seq_len} characters"
        )
    if config.architecture == "rwkv":
        return f"RWKV-4, {config.num_layers} blocks x {config.units} wide"
    return f"{config.architecture.upper()}, {config.num_layers} layers x {config.units} units"


def _codec(config: PoetryConfig, data_name: str, data: CorpusData, previous: PoetryTask | None) -> CharCodec:
    """The character codec: the continued model's (which must be of the same corpus kind), else a new one."""
    codec = previous.codec if previous else CharCodec.build(data, config.max_vocab, config.min_count)
    if codec.mode != data.mode:
        raise OptionError(
            "init_from", config.init_from, f"is a {codec.mode} model but {data_name} is a {data.mode} corpus"
        )
    return codec


def _sized(config: PoetryConfig, vocab_size: int) -> PoetryConfig:
    """``config`` with ``units`` chosen to give ``match_parameters`` parameters, when that is set."""
    if not config.match_parameters:
        return config
    from nlpsuite.tasks.poetry.sizing import units_for_parameters

    units, _ = units_for_parameters(vocab_size, config, config.match_parameters)
    return dataclasses.replace(config, units=units)


def _training_notes(
    config: PoetryConfig, mode: str, codec: CharCodec, best: tuple[float, int] | None, previous: PoetryTask | None
) -> list[str]:
    if mode == "poems":
        sequences = "one per poem, <form marker> poem <eos>, one form per batch (no padding)"
    else:
        sequences = f"random windows of {config.seq_len} characters (truncated BPTT, zero initial state)"
    notes = [
        f"training sequences: {sequences}",
        f"vocabulary: {len(codec):,} symbols (most frequent characters; rarer -> <unk>)",
        f"best dev loss {best[0]:.4f} nats/symbol" if best else "no dev loss recorded",
        f"one epoch = {config.steps_per_epoch} random batches of {config.batch_size}",
    ]
    if previous:
        notes.append(
            f"continued from {config.init_from} (trained {previous.info.get('training_seconds')} s, "
            f"{previous.info.get('epochs_run')} epochs before)"
        )
    return notes


def _batches(codec: CharCodec, data: CorpusData, config: PoetryConfig) -> tuple[Any, Any]:
    common = {"batch_size": config.batch_size}
    if data.mode == "poems":
        train = PoemBatches(
            codec.poem_rows(data.splits["train"]),
            steps=config.steps_per_epoch,
            seed=config.seed,
            **common,
        )
        dev = PoemBatches(codec.poem_rows(data.splits["dev"]), shuffle=False, **common)
        return train, dev
    train = TextWindows(
        codec.encode(data.splits["train"]),
        config.seq_len,
        steps=config.steps_per_epoch,
        seed=config.seed,
        **common,
    )
    dev = TextWindows(codec.encode(data.splits["dev"]), config.seq_len, shuffle=False, **common)
    return train, dev


def _windowed_nll(model: Any, ids: np.ndarray, window: int, rows_per_batch: int = 32) -> tuple[float, int]:
    """Mean nats per character of ``ids`` for a model with a fixed attention window.

    Windows of ``window`` characters overlap by half: the first window scores all its targets, each
    later one only its second half, so every character is scored once, with at least ``window // 2``
    characters of context (what a Transformer trained on ``window``-long sequences can use).
    """
    half = max(window // 2, 1)
    targets = len(ids) - 1
    starts = range(0, max(targets - half, 1), half)
    x = np.zeros((len(starts), window), "int32")
    y = np.zeros_like(x)
    keep = np.zeros(x.shape, bool)
    for row, start in enumerate(starts):
        length = min(window, targets - start)
        x[row, :length] = ids[start : start + length]
        y[row, :length] = ids[start + 1 : start + 1 + length]
        keep[row, (0 if row == 0 else half) : min(length, 2 * half)] = True
    total, count = 0.0, 0
    for first in range(0, len(x), rows_per_batch):
        block = slice(first, first + rows_per_batch)
        nats, n = _nll(model, x[block], y[block], None, keep[block])
        total, count = total + nats * n, count + n
    return total / max(count, 1), count


def _nll(
    model: Any, x: np.ndarray, y: np.ndarray, skip_id: int | None, keep: np.ndarray | None = None
) -> tuple[float, int]:
    """Mean negative log-likelihood (nats) of ``y`` under ``model(x)``, ignoring targets equal to
    ``skip_id`` and, given ``keep``, targets where it is False; returns ``(mean, count)``."""
    from keras import ops

    # predict_on_batch runs the compiled predict function: the recurrent loop runs in-graph, not as an
    # eager Python loop over thousands of time steps.
    logits = ops.convert_to_numpy(model.predict_on_batch(x)).astype("float32")
    logits -= logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    # float64 only for the sum: a million log-probabilities add up without float32 round-off.
    picked = np.take_along_axis(log_probs, y[..., None].astype("int64"), axis=-1)[..., 0]
    if keep is None:
        keep = np.ones_like(y, dtype=bool)
    if skip_id is not None:
        keep = keep & (y != skip_id)
    count = int(keep.sum())
    return float(-picked[keep].astype("float64").sum() / max(count, 1)), count
