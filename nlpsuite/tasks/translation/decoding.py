"""Greedy and beam-search decoding that carries the decoder's recurrent state step by step.

Each step feeds one token per hypothesis through ``TranslationModel.decode_step`` with the states the previous
step returned, so the cost of a step does not grow with the output length (the prefix is never re-run), and
every sentence of a batch and every beam of a sentence run in one call.

Why not ``keras_hub.samplers.BeamSampler``: it scores beams by their raw summed log-probability with no length
penalty, and a beam that has emitted the end token keeps adding the log-probabilities of the tokens generated
after it, so finished and unfinished hypotheses are not compared fairly and there is no n-best list of finished
translations. The search below follows OpenNMT, GNMT and Hugging Face: each step ranks the top ``2k`` expansions of the
live hypotheses, those that emit ``[END]`` move to the finished list, and the best ``k`` others stay live, so
the beam never shrinks when hypotheses finish. Finished hypotheses are ranked by
``log p / ((5 + length) / 6) ** length_penalty`` (Wu et al., 2016). The greedy path (the arg-max child of the
greedy prefix) is never pruned: when it falls out of the top ``k`` it takes the last live slot, so beam search
always considers the greedy translation and never returns a less likely one (with ``length_penalty=0``) --
plain beam search can, when the greedy prefix is pruned early for prefixes that later go wrong. With
``beam_size=1`` it takes the arg-max at every step and stops at the first ``[END]``: exactly greedy decoding
(an ``[END]`` counts as finished only among a step's top ``k`` expansions, as in Hugging Face's search, or on
the greedy path).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.translation.preprocess import END_ID, START_ID

__all__ = ["Decoder", "Hypothesis", "length_normalizer"]

NEG_INF = -1e30


@dataclasses.dataclass
class Hypothesis:
    """One decoded output: token ids (without start/end), scores and per-step attention weights.

    Args:
        tokens: target ids, without start and end.
        log_prob: summed log-probability.
        score: ``log_prob`` divided by ``length_normalizer``.
        finished: whether it ended with ``[END]``.
        attention: optional per-step attention weights.

    Example:
    >>> Hypothesis([5, 6], log_prob=-1.5, score=-1.2, finished=True).tokens
    [5, 6]
    """

    tokens: list[int]
    log_prob: float
    score: float
    finished: bool
    attention: np.ndarray | None = None  # [len(tokens) (+1 for [END]), source_len]


def length_normalizer(length: int | np.ndarray, alpha: float) -> Any:
    """GNMT's length penalty ``((5 + length) / 6) ** alpha``; alpha 0 scores by raw log-probability.

    Example:
    >>> round(float(length_normalizer(7, 0.6) ** (1 / 0.6)), 6), float(length_normalizer(7, 0.0))
    (2.0, 1.0)
    """
    return ((5.0 + np.asarray(length, dtype="float64")) / 6.0) ** alpha


def _compile(function: Callable) -> Callable:
    """Traces ``function`` into a TensorFlow graph on the TF backend; other backends run it eagerly.

    Autograph is off: the steps have no tensor-dependent Python control flow, so there is nothing
    to convert, and autograph re-reads source files (a run would break if they changed under it).
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(function, reduce_retracing=True, autograph=False)
    return function


class Decoder:
    """Greedy and beam search over a ``TranslationModel``.

    Args:
        model: a built ``TranslationModel``.

    Example:

    >>> import numpy as np
    >>> from nlpsuite.tasks.translation.model import TranslationModel
    >>> model = TranslationModel(20, 30, embedding_dim=8, units=8)
    >>> decoder = Decoder(model)
    >>> greedy = decoder.greedy(np.array([[5, 6, 7]]), max_length=6)[0]
    >>> beam = decoder.beam_search(np.array([[5, 6, 7]]), beam_size=2, length_penalty=0.0, max_length=6)[0]
    >>> len(beam), beam[0].log_prob >= greedy.log_prob - 1e-6  # never less likely than greedy
    (2, True)
    >>> one = decoder.beam_search(np.array([[5, 6, 7]]), beam_size=1, max_length=6)[0][0]
    >>> one.tokens == greedy.tokens  # a beam of one is greedy decoding
    True
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._encode = _compile(self._encode_fn)
        self._greedy_step = _compile(self._greedy_step_fn)
        self._beam_step = _compile(self._beam_step_fn)

    # -- compiled pieces (keras.ops only, so they run on every backend)
    def _encode_fn(self, source_ids):
        return self.model.encode(source_ids, training=False)

    def _greedy_step_fn(self, tokens, states, encoder_outputs, source_mask, allow_end):
        from keras import ops

        logits, states, weights = self.model.decode_step(
            tokens, states, encoder_outputs, source_mask
        )
        log_probs = ops.log_softmax(logits, axis=-1)
        log_probs = _block_end(log_probs, allow_end)
        next_tokens = ops.cast(ops.argmax(log_probs, axis=-1), "int32")
        chosen = ops.take_along_axis(log_probs, ops.expand_dims(next_tokens, -1), axis=-1)[:, 0]
        return next_tokens, chosen, states, weights

    def _beam_step_fn(
        self, tokens, parents, states, encoder_outputs, source_mask, scores, allow_end, width
    ):
        """Reorders states to the surviving parents, runs one step, returns the top ``width`` (2k)
        expansions and each row's arg-max child (the greedy path's continuation, when the row is on it).

        ``width`` is a Python int, so a compiled step has a static ``top_k`` (one trace per beam size).
        """
        from keras import ops

        states = [ops.take(state, parents, axis=0) for state in states]
        logits, states, weights = self.model.decode_step(
            tokens, states, encoder_outputs, source_mask
        )
        log_probs = _block_end(ops.log_softmax(logits, axis=-1), allow_end)
        batch, beams = ops.shape(scores)[0], ops.shape(scores)[1]
        vocabulary = ops.shape(log_probs)[-1]
        candidates = ops.reshape(
            ops.expand_dims(scores, -1) + ops.reshape(log_probs, (batch, beams, -1)), (batch, -1)
        )
        # 2k, so that k live hypotheses remain even when up to k of the best expansions end here.
        top_scores, top_index = ops.top_k(candidates, k=width)
        top_index = ops.cast(top_index, "int32")
        best_tokens = ops.cast(ops.argmax(log_probs, axis=-1), "int32")
        best_log_probs = ops.max(log_probs, axis=-1)
        return (
            top_scores,
            top_index // vocabulary,
            top_index % vocabulary,
            ops.reshape(best_tokens, (batch, beams)),
            ops.reshape(best_log_probs, (batch, beams)),
            states,
            ops.reshape(weights, (batch, beams, -1)),
        )

    # -- searches
    def greedy(
        self,
        source_ids: np.ndarray,
        max_length: int,
        min_length: int = 0,
        return_attention: bool = False,
    ) -> list[Hypothesis]:
        """Arg-max decoding of a padded batch ``source_ids [B, S]``; one ``Hypothesis`` per row."""
        source_ids = np.asarray(source_ids, dtype="int32")
        encoder_outputs, source_mask, states = self._encode(source_ids)
        batch = source_ids.shape[0]
        tokens = np.full((batch,), START_ID, dtype="int32")
        history, log_probs, attention = [], np.zeros(batch), []
        lengths = np.full(batch, -1)
        for step in range(max_length):
            tokens, chosen, states, weights = self._greedy_step(
                tokens, states, encoder_outputs, source_mask, np.asarray(step >= min_length)
            )
            tokens = np.asarray(tokens)
            live = lengths < 0
            log_probs += np.where(live, np.asarray(chosen, dtype="float64"), 0.0)
            history.append(tokens)
            if return_attention:
                attention.append(np.asarray(weights))
            lengths[live & (tokens == END_ID)] = step
            if (lengths >= 0).all():
                break
        steps = np.stack(history, axis=1)
        results = []
        for row in range(batch):
            finished = lengths[row] >= 0
            length = int(lengths[row]) if finished else steps.shape[1]
            weights = None
            if return_attention:
                weights = np.stack([a[row] for a in attention[: length + int(finished)]])
            results.append(
                Hypothesis(
                    steps[row, :length].tolist(),
                    float(log_probs[row]),
                    float(log_probs[row]),
                    finished,
                    weights,
                )
            )
        return results

    def beam_search(
        self,
        source_ids: np.ndarray,
        beam_size: int = 4,
        length_penalty: float = 0.6,
        max_length: int = 50,
        min_length: int = 0,
        num_results: int | None = None,
        return_attention: bool = False,
    ) -> list[list[Hypothesis]]:
        """Beam search for a padded batch ``source_ids [B, S]``, all sentences and beams in one step call.

        Returns:
            Per sentence, up to ``num_results`` (default ``beam_size``) hypotheses, best first by
            length-normalised score.
        """
        if beam_size < 1:
            raise NlpsuiteError(f"beam_size must be >= 1, got {beam_size}")
        if length_penalty < 0:
            raise NlpsuiteError(f"length_penalty must be >= 0, got {length_penalty}")
        source_ids = np.asarray(source_ids, dtype="int32")
        batch, k = source_ids.shape[0], int(beam_size)
        wanted = min(int(num_results or k), k)
        encoder_outputs, source_mask, states = self._encode(source_ids)
        # Every beam of sentence b reads sentence b's encoding; the states start identical too.
        encoder_outputs = _repeat(encoder_outputs, k)
        source_mask = _repeat(source_mask, k)
        states = [_repeat(state, k) for state in states]
        scores = np.full((batch, k), NEG_INF, dtype="float32")
        scores[:, 0] = 0.0  # one live hypothesis at the start, so the first step picks k distinct tokens
        tokens = np.full((batch * k,), START_ID, dtype="int32")
        parents = np.arange(batch * k, dtype="int32")
        greedy_slot = np.zeros(batch, dtype="int64")  # the live slot on the greedy path; -1 once it ended
        steps: list[_Step] = []
        finished: list[list[tuple[float, float, int, int, bool]]] = [[] for _ in range(batch)]
        done = np.zeros(batch, dtype=bool)
        offsets = (np.arange(batch, dtype="int32") * k)[:, None]
        for step in range(max_length):
            top_scores, top_parent, top_token, best_token, best_log_prob, states, weights = self._beam_step(
                tokens, parents, states, encoder_outputs, source_mask, scores,
                np.asarray(step >= min_length), 2 * k,
            )
            candidates = _Step.of(top_scores, top_parent, top_token, best_token, best_log_prob,
                                  scores, greedy_slot, k, weights if return_attention else None)
            steps.append(candidates)
            normalizer = float(length_normalizer(step + 1, length_penalty))
            scores = np.full((batch, k), NEG_INF, dtype="float32")
            for b in np.nonzero(~done)[0]:
                for c in candidates.ended(b, k):
                    log_prob = float(candidates.scores[b, c])
                    finished[b].append((log_prob / normalizer, log_prob, step, int(c), True))
                live = candidates.keep(b, k, greedy_slot)
                candidates.selected[b, : len(live)] = live
                scores[b, : len(live)] = candidates.scores[b, live]
            done |= self._finished(finished, scores, wanted, step + 1, length_penalty)
            scores[done] = NEG_INF
            if done.all():
                break
            chosen = np.maximum(candidates.selected, 0)
            tokens = np.take_along_axis(candidates.tokens, chosen, axis=1).reshape(-1).astype("int32")
            parents = (np.take_along_axis(candidates.parents, chosen, axis=1) + offsets).reshape(-1)
            parents = parents.astype("int32")
        last = len(steps) - 1
        for b in np.nonzero(~done)[0]:  # out of steps: unfinished hypotheses compete too
            for j in np.nonzero(scores[b] > NEG_INF / 2)[0]:
                log_prob = float(scores[b, j])
                score = log_prob / float(length_normalizer(last + 1, length_penalty))
                finished[b].append((score, log_prob, last, int(steps[last].selected[b, j]), False))
        return [self._collect(finished[b], b, steps, wanted) for b in range(batch)]

    @staticmethod
    def _finished(
        finished: list, scores: np.ndarray, wanted: int, length: int, alpha: float
    ) -> np.ndarray:
        """Sentences whose search can stop.

        A sentence stops when nothing is live, or when ``wanted`` hypotheses have finished and the
        ``wanted``-th best of them beats every live hypothesis scored at the current ``length``. With
        ``alpha=0`` that is exact (log-probabilities only fall as a hypothesis grows); with ``alpha>0``
        it is the usual heuristic (as in Hugging Face's beam search): a live hypothesis could in
        principle still overtake after more steps, but rarely does.
        """
        best_live = scores.max(axis=1) / float(length_normalizer(length, alpha))
        done = np.zeros(len(finished), dtype=bool)
        for b, hypotheses in enumerate(finished):
            nothing_live = scores[b].max() <= NEG_INF / 2
            ranked = sorted((h[0] for h in hypotheses), reverse=True)
            beaten = len(ranked) >= wanted and ranked[wanted - 1] >= best_live[b]
            done[b] = nothing_live or beaten
        return done

    @staticmethod
    def _collect(hypotheses: list, b: int, steps: list, count: int) -> list[Hypothesis]:
        ranked = sorted(hypotheses, key=lambda h: -h[0])[:count]
        results = []
        for score, log_prob, last, candidate, ended in ranked:
            tokens, weights = [], []
            for step in range(last, -1, -1):  # follow the back-pointers from the final candidate
                here = steps[step]
                tokens.append(int(here.tokens[b, candidate]))
                slot = int(here.parents[b, candidate])
                if here.weights is not None:  # the parent's query chose this token
                    weights.append(here.weights[b, slot])
                if step:
                    candidate = int(steps[step - 1].selected[b, slot])
            tokens.reverse()
            if ended:
                tokens = tokens[:-1]
            attention = np.stack(weights[::-1]) if weights else None
            results.append(Hypothesis(tokens, log_prob, score, ended, attention))
        return results


@dataclasses.dataclass
class _Step:
    """One beam step's candidates for every sentence: the top-2k expansions in score order, then the
    greedy path's continuation as the last column (a copy of a top-2k column, or beyond them).

    ``parents`` are slots of the previous step; ``selected[b, i]`` is the candidate that live slot ``i``
    holds after this step (-1: empty); ``greedy`` is the greedy continuation's column (-1: none).
    """

    scores: np.ndarray  # [B, C] float32
    parents: np.ndarray  # [B, C] int
    tokens: np.ndarray  # [B, C] int
    greedy: np.ndarray  # [B] int
    selected: np.ndarray  # [B, k] int
    weights: np.ndarray | None  # [B, k, S], indexed by parent slot

    @classmethod
    def of(cls, top_scores, top_parent, top_token, best_token, best_log_prob, scores, greedy_slot, k,
           weights) -> _Step:
        top_scores, top_parent, top_token = (np.asarray(a) for a in (top_scores, top_parent, top_token))
        batch = top_scores.shape[0]
        rows = np.arange(batch)
        on_path = greedy_slot >= 0
        slot = np.maximum(greedy_slot, 0)
        # The greedy continuation as one more column; where it is already a top-2k column, point there.
        extra_token = np.asarray(best_token)[rows, slot]
        extra_score = np.where(on_path, scores[rows, slot] + np.asarray(best_log_prob)[rows, slot], NEG_INF)
        same = (top_parent == slot[:, None]) & (top_token == extra_token[:, None])
        columns = top_scores.shape[1]
        greedy = np.where(same.any(axis=1), same.argmax(axis=1), columns)
        greedy = np.where(on_path & (extra_score > NEG_INF / 2), greedy, -1)
        return cls(
            np.concatenate([top_scores, extra_score[:, None].astype("float32")], axis=1),
            np.concatenate([top_parent, slot[:, None].astype(top_parent.dtype)], axis=1),
            np.concatenate([top_token, extra_token[:, None].astype(top_token.dtype)], axis=1),
            greedy,
            np.full((batch, k), -1, dtype="int64"),
            None if weights is None else np.asarray(weights),
        )

    def ended(self, b: int, k: int) -> list[int]:
        """Columns of sentence ``b`` that finish here: an ``[END]`` among the top ``k`` expansions (those
        a ``k``-beam would have kept; ranks ``k..2k`` only refill live slots), and the greedy path's."""
        columns = [c for c in range(k) if self.scores[b, c] > NEG_INF / 2 and self.tokens[b, c] == END_ID]
        g = int(self.greedy[b])
        if g >= k and self.tokens[b, g] == END_ID:
            columns.append(g)
        return columns

    def keep(self, b: int, k: int, greedy_slot: np.ndarray) -> list[int]:
        """The columns that stay live for sentence ``b`` (best first, the greedy path always among them);
        updates ``greedy_slot[b]`` to the greedy path's new slot (-1 once it has ended)."""
        top = self.scores.shape[1] - 1
        live = [c for c in range(top) if self.scores[b, c] > NEG_INF / 2 and self.tokens[b, c] != END_ID][:k]
        g = int(self.greedy[b])
        if g < 0 or self.tokens[b, g] == END_ID:
            greedy_slot[b] = -1
            return live
        if g not in live:  # pruned by better-scoring prefixes: it takes the last slot
            live = live + [g] if len(live) < k else live[: k - 1] + [g]
        greedy_slot[b] = live.index(g)
        return live


def _block_end(log_probs, allow_end):
    """Sets the end token's log-probability to -inf until ``min_length`` tokens have been produced."""
    from keras import ops

    vocabulary = ops.shape(log_probs)[-1]
    is_end = ops.expand_dims(ops.equal(ops.arange(vocabulary), END_ID), 0)
    blocked = ops.logical_and(is_end, ops.logical_not(ops.cast(allow_end, "bool")))
    return ops.where(blocked, ops.cast(NEG_INF, log_probs.dtype), log_probs)


def _repeat(tensor, times: int):
    from keras import ops

    return ops.repeat(tensor, times, axis=0)
