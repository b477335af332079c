"""Contrast rules: which clause of "A but B" / "A, though B" carries the sentence's sentiment.

Hu et al. (2016, *Harnessing Deep Neural Networks with Logic Rules*) distil the rule "in A but B, the
sentiment of the sentence is that of B" into a classifier: a teacher distribution ``q`` is the network's own
prediction ``p(y | x)`` pulled towards its prediction on the dominant clause,
``q(y | x) ∝ p(y | x) · exp(-C · (1 - p(y | clause)))``, and the network learns to imitate ``q`` besides
the labels; at prediction time ``q`` itself can be served.

The rule table below was read from the training data, not assumed: on SST-2's training phrases of the
form "A , <connective> B" whose two clauses the committed model labels differently, the phrase's gold label
follows B after "but" (539 of 645) and A before "though" (16 of 22), "although" (9 of 11) and "even though"
(9 of 10); "yet" (4 / 5), "however" (6 / 6) and "while" (8 / 9) split evenly and are left out.
Chinese has no rule here: in ChnSentiCorp's multi-sentence reviews the clause after 但是 / 但 / 可是
decides the review's label in only 57-58% of the disagreements (141 / 246, 185 / 317, 28 / 48), after
不过 and 只是 less than half (70 / 157, 31 / 84): one clause rarely decides a whole review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

__all__ = [
    "CONTRAST_RULES",
    "RuleTeacher",
    "clause_ids",
    "rule_tokens",
    "dominant_clause",
    "rule_projected",
    "rule_projection",
]

# language -> connective (a tuple of tokens) -> the clause that decides: "after" (B) or "before" (A).
CONTRAST_RULES: dict[str, dict[tuple[str, ...], str]] = {
    "en": {
        ("but",): "after",
        ("though",): "before",
        ("although",): "before",
        ("even", "though"): "before",
    },
}
_CLAUSE_BREAKS = (",", ";", ":")
# "" stands for a token removed from the text (occlusion sets its id to padding): it is no word.
_PUNCTUATION = set(_CLAUSE_BREAKS) | {"", ".", "!", "?", "-", "--", "...", "(", ")", "'", '"', "`", "``", "''"}


def rule_tokens(language: str) -> list[str]:
    """The tokens the rules of ``language`` look for: connectives, then clause breaks (none without rules).

    The classifier reads ids, and the task finds a text's clauses from them: these tokens need ids of
    their own even where the training data is too small to give them one by frequency.

    Example:
    >>> rule_tokens("en")
    ['but', 'though', 'although', 'even', ',', ';', ':']
    >>> rule_tokens("zh")
    []
    """
    if language not in CONTRAST_RULES:
        return []
    connectives = [token for connective in CONTRAST_RULES[language] for token in connective]
    return list(dict.fromkeys(connectives + list(_CLAUSE_BREAKS)))


def dominant_clause(tokens: Sequence[str], language: str) -> tuple[int, int] | None:
    """The ``[start, end)`` token span that decides the sentiment under ``CONTRAST_RULES``, or None.

    The first connective with words on both sides decides. A sentence that opens with a "before"
    connective ("although B, A") is read as its main clause after the first comma. Tokens are compared
    lower-cased; punctuation at a clause's edges is left out of the span.

    Args:
        tokens: the text's tokens, as the classifier's tokenizer makes them.
        language: a language of ``CONTRAST_RULES`` (``en``); others have no rules (None).

    Returns:
        ``(start, end)`` with ``0 <= start < end <= len(tokens)``, or None when no rule applies.

    Example:
    >>> tokens = "a gripping film , though the ending drags".split()
    >>> start, end = dominant_clause(tokens, "en")
    >>> tokens[start:end]
    ['a', 'gripping', 'film']
    >>> tokens = "slow start but a great ending".split()
    >>> tokens[slice(*dominant_clause(tokens, "en"))]
    ['a', 'great', 'ending']
    >>> print(dominant_clause("not bad at all".split(), "en"))
    None
    """
    rules = CONTRAST_RULES.get(language)
    if not rules:
        return None
    lowered = [t.lower() for t in tokens]
    for i in range(len(lowered)):
        for connective, side in rules.items():
            if tuple(lowered[i : i + len(connective)]) == connective:
                span = _sides(lowered, i, i + len(connective), side)
                if span is not None:
                    return span
    return None


def _sides(tokens: Sequence[str], i: int, after: int, side: str) -> tuple[int, int] | None:
    """The deciding span for a connective at ``tokens[i:after]``, when both of its clauses hold words."""
    n = len(tokens)
    if side == "after":
        span, other = _trimmed(tokens, after, n), _trimmed(tokens, 0, i)
    elif _trimmed(tokens, 0, i) is None:  # "although B, A": the main clause follows the first comma
        comma = next((j for j in range(after, n) if tokens[j] in _CLAUSE_BREAKS), n)
        span, other = _trimmed(tokens, comma + 1, n), _trimmed(tokens, after, comma)
    else:
        span, other = _trimmed(tokens, 0, i), _trimmed(tokens, after, n)
    return span if span is not None and other is not None else None


def _trimmed(tokens: Sequence[str], start: int, end: int) -> tuple[int, int] | None:
    """``[start, end)`` without punctuation at its edges; None when no word is left."""
    while start < end and tokens[start] in _PUNCTUATION:
        start += 1
    while end > start and tokens[end - 1] in _PUNCTUATION:
        end -= 1
    return (start, end) if start < end else None


def rule_projection(sentence: np.ndarray, clause: np.ndarray, strength: float) -> np.ndarray:
    """Hu et al.'s teacher: ``q(y) ∝ sentence(y) · exp(-strength · (1 - clause(y)))``, row by row.

    Args:
        sentence: ``[n, classes]`` the classifier's probabilities for the whole texts.
        clause: ``[n, classes]`` its probabilities for their dominant clauses.
        strength: ``C``, how far the rule pulls (0 = ``sentence`` unchanged; Hu et al. use 6).

    Returns:
        ``[n, classes]`` probabilities.

    Example:
    >>> q = rule_projection(np.array([[0.6, 0.4]]), np.array([[0.01, 0.99]]), strength=6.0)
    >>> q.round(3)
    array([[0.004, 0.996]])
    """
    # In log space: a confident clause (1 - clause(y) near 1 for the other class) must not underflow.
    logits = np.log(np.clip(sentence, 1e-12, 1.0)) - strength * (1.0 - clause)
    logits -= logits.max(axis=-1, keepdims=True)
    q = np.exp(logits)
    return q / q.sum(axis=-1, keepdims=True)


def clause_ids(
    ids: Sequence[np.ndarray], spans: Sequence[tuple[int, int] | None]
) -> tuple[list[int], list[np.ndarray]]:
    """The texts a rule applies to, and their deciding clauses' token ids (padding ids left out).

    Args:
        ids: token ids per text (0 = padding).
        spans: per text, ``dominant_clause``'s span over those ids, or None.

    Returns:
        ``(row indices, clause ids)``, one clause per row.

    Example:
    >>> rows, clauses = clause_ids([np.array([4, 5, 0, 6]), np.array([7])], [(1, 4), None])
    >>> rows, [c.tolist() for c in clauses]
    ([0], [[5, 6]])
    """
    rows, clauses = [], []
    for i, (x, span) in enumerate(zip(ids, spans, strict=True)):
        if span is None:
            continue
        clause = np.asarray(x[span[0] : span[1]])
        clause = clause[clause != 0]
        if len(clause):
            rows.append(i)
            clauses.append(clause)
    return rows, clauses


def rule_projected(
    probabilities: np.ndarray,
    ids: Sequence[np.ndarray],
    spans: Sequence[tuple[int, int] | None],
    network: Callable[[Sequence[np.ndarray]], np.ndarray],
    strength: float,
) -> np.ndarray:
    """``probabilities`` with every text that has a deciding clause replaced by ``rule_projection``.

    Args:
        probabilities: ``[n, classes]`` the network's probabilities for the texts.
        ids: the texts' token ids.
        spans: per text, its deciding clause (``dominant_clause``) or None.
        network: ``token ids per text -> [n, classes]`` probabilities (scores the clauses).
        strength: the rule's ``C``.

    Example:
    >>> network = lambda texts: np.array([[0.1, 0.9] if 5 in x else [0.5, 0.5] for x in texts])
    >>> rule_projected(np.array([[0.7, 0.3]]), [np.array([4, 5])], [(1, 2)], network, 6.0).round(2)
    array([[0.02, 0.98]])
    """
    rows, clauses = clause_ids(ids, spans)
    if not rows:
        return probabilities
    result = np.array(probabilities, copy=True)
    result[rows] = rule_projection(result[rows], network(clauses), strength)
    return result


class RuleTeacher(keras.callbacks.Callback):
    """Rule distillation's targets: after every epoch, ``(1 - imitation) · gold + imitation · q`` for
    the texts a contrast rule applies to, with ``q`` the network's rule projection (Hu et al. 2016).

    ``targets`` is updated in place, so a dataset that reads it batch by batch (``make_dataset``) trains
    the next epoch on the new teacher; the first epoch trains on the gold labels alone (as does the first
    epoch of a resumed run: the teacher is recomputed, not saved, since it is a function of the weights).

    Args:
        labels: ``[n]`` gold class ids.
        num_classes: the classes.
        ids: token ids per training text.
        spans: per text, its deciding clause (``dominant_clause``) or None.
        network: ``token ids per text -> [n, classes]`` probabilities of the model being trained.
        strength: the rule's ``C``.
        imitation: ``π``, the teacher's share of the target.

    Example:
    >>> network = lambda texts: np.array([[0.2, 0.8] if 5 in x else [0.6, 0.4] for x in texts])
    >>> teacher = RuleTeacher(np.array([0, 1]), 2, [np.array([4, 5]), np.array([6])], [(1, 2), None],
    ...                       network, strength=6.0, imitation=0.5)
    >>> teacher.targets.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    >>> teacher.on_epoch_end(0)
    >>> teacher.targets.round(2).tolist()  # half gold (class 0), half the teacher (its clause's class 1)
    [[0.5, 0.5], [0.0, 1.0]]
    """

    def __init__(
        self,
        labels: np.ndarray,
        num_classes: int,
        ids: Sequence[np.ndarray],
        spans: Sequence[tuple[int, int] | None],
        network: Callable[[Sequence[np.ndarray]], np.ndarray],
        strength: float,
        imitation: float,
    ) -> None:
        super().__init__()
        self.gold = np.eye(num_classes, dtype="float32")[np.asarray(labels)]
        self.targets = self.gold.copy()
        self.rows, self.clauses = clause_ids(ids, spans)
        self.sentences = [ids[i] for i in self.rows]
        self.network, self.strength, self.imitation = network, strength, imitation

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if not self.rows or not self.imitation:
            return
        q = rule_projection(self.network(self.sentences), self.network(self.clauses), self.strength)
        self.targets[self.rows] = (1.0 - self.imitation) * self.gold[self.rows] + self.imitation * q
