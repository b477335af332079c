"""``NerConfig``: every option of the NER task, round-tripped through config.json."""

from __future__ import annotations

import dataclasses

from nlpsuite.data import conll
from nlpsuite.errors import NlpsuiteError, OptionError, check_choice
from nlpsuite.tasks.base import TaskConfig

__all__ = ["OPTIMIZERS", "NerConfig"]

OPTIMIZERS = ("adam", "nadam", "adamw", "sgd")
TRAINING_SCHEMES = ("BIOES", "BIO", "BMES")


@dataclasses.dataclass
class NerConfig(TaskConfig):
    """Options of the BiLSTM-CRF tagger (plus the common ``TaskConfig`` ones).

    Args:
        language: ``en`` (words + character CNN + casing) or ``zh`` (characters + character bigrams);
            ``auto`` picks from the training data's script and is replaced by the choice.
        scheme: the tag scheme the CRF is trained in (``BIOES``, ``BIO`` or ``BMES``); results are reported
            in the data's own scheme.
        word_dim: size of the word (or, for Chinese, character) embedding.
        lowercase: look words up lowercased (the character features keep the case).
        min_word_count: words rarer than this in training map to ``<unk>``.
        unk_replace: probability of replacing a singleton training word by ``<unk>`` (Lample et al. 2016).
        char_encoder: ``cnn`` (Ma & Hovy 2016), ``bilstm`` (Lample et al. 2016) or ``none``.
        char_dim: size of each character embedding inside ``CharEmbedding``.
        char_output_dim: size of the character-derived word vector.
        char_kernel_size: width of the character CNN's window.
        max_word_chars: characters of a token the character encoder sees.
        casing_dim: size of the casing-class embedding (0 turns casing features off).
        bigrams: character-bigram features; None = on for Chinese, off for English.
        bigram_dim: size of the bigram embedding.
        min_bigram_count: bigrams rarer than this map to ``<unk>``.
        softword: each character's position (B/M/E/S) in its jieba word as one more feature (Zhang & Yang
            2018's "softword"); Chinese only (``language`` ``zh``, or ``auto`` on Chinese data).
        softword_dim: size of the softword embedding (50 did better than 20 on Resume's dev split).
        cell: ``lstm`` or ``gru``.
        units: recurrent units per direction.
        num_layers: stacked bidirectional layers.
        dropout: dropout on the embeddings and on the recurrent output.
        optimizer: ``adam``, ``nadam``, ``adamw`` or ``sgd`` (momentum 0.9).
        clipnorm: gradient-norm clipping (0 = off).
        lr_decay: learning-rate decay per epoch, ``lr / (1 + lr_decay * epoch)`` (0 = constant).
        pretrained_vectors: a local GloVe/word2vec text file to initialise word embeddings ("" = none;
            nothing is ever downloaded).
        max_vectors: how many vectors of that file to read (0 = all), most frequent first.
        pad_to: batch lengths round up to this multiple, so the compiled step sees few shapes.
        predict_batch_size: sentences per batch in ``predict``/``evaluate``.
        predict_jit: XLA-compile ``predict`` (raw text): ~5x lower latency on CPU, at the cost of one
            compilation per padded shape (lengths and batch sizes round up to powers of two).

    Example:
    >>> config = NerConfig(language="zh", units=64)
    >>> config.validate()
    >>> config.scheme, config.units
    ('BIOES', 64)
    >>> NerConfig(scheme="IOB1").validate()
    Traceback (most recent call last):
    ...
    nlpsuite.errors.OptionError: scheme must be BIOES, BIO or BMES (IOB1 data is converted) (got 'IOB1')
    """

    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 5
    language: str = "auto"
    scheme: str = "BIOES"
    word_dim: int = 100
    lowercase: bool = True
    min_word_count: int = 1
    unk_replace: float = 0.5
    char_encoder: str = "cnn"
    char_dim: int = 30
    char_output_dim: int = 50
    char_kernel_size: int = 3
    max_word_chars: int = 20
    casing_dim: int = 10
    bigrams: bool | None = None
    bigram_dim: int = 50
    min_bigram_count: int = 2
    softword: bool = False
    softword_dim: int = 50
    cell: str = "lstm"
    units: int = 100
    num_layers: int = 1
    dropout: float = 0.5
    optimizer: str = "adam"
    clipnorm: float = 5.0
    lr_decay: float = 0.0
    pretrained_vectors: str = ""
    max_vectors: int = 0
    pad_to: int = 8
    predict_batch_size: int = 256
    predict_jit: bool = True

    def validate(self) -> None:
        super().validate()
        check_choice("language", self.language, ("auto", "en", "zh"))
        check_choice("cell", self.cell, ("lstm", "gru"))
        check_choice("char_encoder", self.char_encoder, ("cnn", "bilstm", "none"))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        self.require_fraction("dropout")
        if self.softword and self.language == "en":
            raise OptionError(
                "softword", self.softword, "needs Chinese character input; set language=zh (or leave it auto)"
            )
        try:
            scheme = conll.normalize_scheme(self.scheme)
        except NlpsuiteError:
            scheme = None
        if scheme not in TRAINING_SCHEMES:
            raise OptionError("scheme", self.scheme, "must be BIOES, BIO or BMES (IOB1 data is converted)")
