"""The sentiment task's options."""

from __future__ import annotations

import dataclasses
from typing import Literal

from nlpsuite.errors import OptionError
from nlpsuite.tasks.base import TaskConfig

__all__ = ["SentimentConfig"]


@dataclasses.dataclass
class SentimentConfig(TaskConfig):
    """Options of the sentiment classifier (plus the common ``TaskConfig`` ones).

    Args:
        text_column, label_column: column names in the data files ("" = detect).
        language: ``auto`` (from the share of Han characters), ``en`` or ``zh``.
        tokenizer: ``auto`` (``word`` for English, ``char`` for Chinese), ``word``, ``char`` or
            ``jieba``.
        simplify: convert traditional Chinese to simplified before tokenising.
        max_vocab: vocabulary cap (ids 0 and 1 are padding and OOV).
        min_count: a token needs this many training occurrences to get its own id.
        max_length: tokens kept per text (head and tail halves of longer texts).
        embedding_dim: size of the learned token embeddings (no pretrained vectors).
        cell: ``gru`` or ``lstm``.
        units: recurrent units (per direction).
        num_layers: stacked recurrent layers.
        bidirectional: read the text in both directions.
        pooling: ``last`` (final state), ``attention`` (masked additive attention), ``mean``
            (masked mean), ``max`` (masked feature-wise maximum) or ``attention_max`` (the attention
            and max poolings side by side, as ULMFiT's concat pooling joins several summaries).
        attention_units: hidden size of the attention scorer.
        dropout: rate on embeddings, between recurrent layers and before the classifier.
        token_dropout: while training, each token becomes ``<unk>`` with this probability (word
            dropout, ``nlpsuite.layers.TokenDropout``).
        dev_fraction: share of (deduplicated) training texts held out for early stopping.
        dev_split: how that dev split is carved when the data has no dev file: ``random`` texts, or
            ``whole_texts`` (the share is taken of the longest 10% of texts, and training drops every
            phrase of a dev text and every text containing one: for phrase-level corpora like SST).
        clipnorm: gradient-norm clipping for the Adam optimizer.
        ensemble: members trained side by side (each its own embedding, encoder and classifier, from
            its own initial weights) whose probabilities the saved model averages; 1 = a single
            classifier. From scratch, the seed alone moves SST-2 test accuracy by about two points;
            averaging members removes most of that variance (``--set ensemble=3``).
        ngram_order: add a bag of hashed token n-grams of orders 1 to this (``HashedNgramBag``, fastText's
            features) beside the pooled encoder, before the classifier; 0 = none.
        ngram_buckets: rows of the n-gram embedding table (collisions share a row).
        ngram_dim: the n-gram embedding size.
        ngram_member: make the n-gram bag a classifier of its own (fastText: the bag -> Dense(classes)),
            trained on its own loss beside the recurrent classifier(s) and averaged with them in the saved
            model, instead of feeding the recurrent classifier. Trained jointly under one loss, the
            recurrent branch fits the training texts within a few epochs and the bag stops learning; as
            a member it trains until the average stops improving. Needs ``ngram_order``.
        ngram_step_scale: the n-gram member's bag is multiplied by this before its classifier. Adam's steps
            do not depend on the scale of the gradient, so the member's outputs then move this many times
            faster per step than at scale 1: a sparse bag of rare n-grams needs rates near fastText's 0.1,
            twenty or more times the recurrent classifier's.
        contrast_rules: apply the English contrast rules of ``nlpsuite.tasks.sentiment.contrast`` ("A but B" is
            decided by B; "A, though B" by A): while training, the classifier also imitates its own
            prediction pulled towards its prediction on the deciding clause (Hu et al. 2016's rule
            distillation), and the saved model's predictions are pulled the same way.
        rule_strength: ``C``, how far a rule pulls a prediction towards its deciding clause's.
        rule_imitation: the weight of the rule teacher against the gold label in the training target
            (from the second epoch; the first trains on the labels alone, as the teacher is the
            classifier's own prediction).

    Example:
    >>> SentimentConfig(cell="lstm", pooling="attention").validate()
    >>> SentimentConfig(dropout=1.0).validate()
    Traceback (most recent call last):
    ...
    nlpsuite.errors.OptionError: dropout must be in [0, 1) (got 1.0)
    >>> SentimentConfig(ensemble=3).validate()  # three members, their probabilities averaged
    >>> SentimentConfig(contrast_rules=True, rule_strength=2.0).validate()
    """

    epochs: int = 10
    batch_size: int = 64
    text_column: str = ""
    label_column: str = ""
    language: Literal["auto", "en", "zh"] = "auto"
    tokenizer: Literal["auto", "word", "char", "jieba"] = "auto"
    simplify: bool = True
    max_vocab: int = 30000
    min_count: int = 1
    max_length: int = 256
    embedding_dim: int = 100
    cell: Literal["gru", "lstm"] = "gru"
    units: int = 256
    num_layers: int = 1
    bidirectional: bool = False
    pooling: Literal["last", "attention", "mean", "max", "attention_max"] = "last"
    attention_units: int = 128
    dropout: float = 0.0
    token_dropout: float = 0.0
    dev_fraction: float = 0.05
    dev_split: Literal["random", "whole_texts"] = "random"
    clipnorm: float = 5.0
    ensemble: int = 1
    ngram_order: int = 0
    ngram_buckets: int = 2**17
    ngram_dim: int = 32
    ngram_member: bool = False
    ngram_step_scale: float = 1.0
    contrast_rules: bool = False
    rule_strength: float = 6.0
    rule_imitation: float = 0.6

    @property
    def members(self) -> int:
        """The classifiers the saved model averages: the recurrent ``ensemble`` and the n-gram member."""
        return self.ensemble + int(self.ngram_member)

    def validate(self) -> None:
        super().validate()
        self.require_at_least(1, "max_length", "units", "embedding_dim", "num_layers", "ensemble")
        self.require_at_least(3, "max_vocab")  # ids 0 and 1 are padding and OOV
        self.require_fraction("dropout", "token_dropout")
        self.require_at_least(0.0, "rule_strength", "ngram_order")
        if self.ngram_member and not self.ngram_order:
            raise OptionError("ngram_member", self.ngram_member, "needs ngram_order (the n-gram orders to read)")
        if self.ngram_step_scale <= 0:
            raise OptionError("ngram_step_scale", self.ngram_step_scale, "must be above 0")
        if self.ngram_order:
            self.require_at_least(2, "ngram_buckets")
            self.require_at_least(1, "ngram_dim")
        if not 0.0 <= self.rule_imitation <= 1.0:
            raise OptionError("rule_imitation", self.rule_imitation, "must be in [0, 1] (0 = labels only)")
