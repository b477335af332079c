"""Beam search written in plain Python from the decoder's documented definition (OpenNMT / GNMT /
Hugging Face, plus the greedy path), for raw log-probabilities (``length_penalty=0``) and
``num_results = k``:

- each step ranks the top ``2k`` children of the live prefixes; those among the top ``k`` that end with
  END finish (an END ranked lower does not), and the best ``k`` children not ending stay live (so the
  beam never shrinks when hypotheses end), as in Hugging Face's search;
- the greedy path (the arg-max child of the greedy prefix) is never pruned: when it is not among the
  ``k`` kept it takes the last live slot; when it ends outside the top ``k`` it finishes too;
- the search stops once ``k`` hypotheses have finished and the ``k``-th best of them scores at least
  the best live prefix (exact with raw log-probabilities); out of steps, live prefixes compete too.

It asks a model only for ``next_log_probs(prefix)``, the float64 log-probabilities of every next token.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Hypothesis = tuple[float, tuple[int, ...], bool]  # (log_prob, tokens without END, finished)


def reference_beam_search(next_log_probs: Callable[[tuple[int, ...]], np.ndarray], k: int, max_length: int,
                          end_id: int) -> list[Hypothesis]:
    """The ``k`` best hypotheses, best first."""
    live: dict[tuple[int, ...], float] = {(): 0.0}
    greedy: tuple[int, ...] | None = ()
    finished: list[Hypothesis] = []
    for _ in range(max_length):
        children = sorted(((score + float(p_next), (*prefix, token)) for prefix, score in live.items()
                           for token, p_next in enumerate(next_log_probs(prefix))), key=lambda c: -c[0])[: 2 * k]
        finished += [(score, child[:-1], True) for score, child in children[:k] if child[-1] == end_id]
        kept = [(child, score) for score, child in children if child[-1] != end_id][:k]
        if greedy is not None:
            log_probs = next_log_probs(greedy)
            child, score = (*greedy, int(np.argmax(log_probs))), live[greedy] + float(np.max(log_probs))
            if child[-1] == end_id:
                if child not in [c for _, c in children[:k]]:
                    finished.append((score, greedy, True))
                greedy = None
            else:
                if child not in [c for c, _ in kept]:
                    kept = kept[: k - 1] + [(child, score)] if len(kept) == k else kept + [(child, score)]
                greedy = child
        live = dict(kept)
        ranked = sorted(finished, key=lambda h: -h[0])
        if len(ranked) >= k and ranked[k - 1][0] >= max(live.values()):
            return ranked[:k]
    return sorted(finished + [(score, prefix, False) for prefix, score in live.items()], key=lambda h: -h[0])[:k]


def teacher_forced_next(model, source: np.ndarray, start_id: int) -> Callable[[tuple[int, ...]], np.ndarray]:
    """``next_log_probs`` for one source through a teacher-forced call of the whole model (cached per
    prefix): the logits at the last position of ``[START, *prefix]``."""
    cache: dict[tuple[int, ...], np.ndarray] = {}

    def next_log_probs(prefix: tuple[int, ...]) -> np.ndarray:
        if prefix not in cache:
            decoder_in = np.array([[start_id, *prefix]], "int32")
            logits = np.asarray(model.predict_on_batch((source[None], decoder_in)))[0, -1].astype("float64")
            cache[prefix] = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
        return cache[prefix]

    return next_log_probs
