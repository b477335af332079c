"""What each task exports, and how an exported folder plugs back into the task's own code.

For every task, ``graphs(task, loop_batch)`` returns the functions a device needs, each as
``(fn(inputs: dict) -> dict, {name: tf.TensorSpec})``, and ``attach(task, functions)`` puts runners for
them where the task would call its Keras model, so tokenisation, batching, decoding search, scoring
and result formatting stay the task's. ``loop_batch`` is the batch size of functions that run a
recurrent loop over time: 1 for LiteRT (a dynamic batch there lowers to TensorFlow list ops), ``None``
(any) for ONNX. Per-step functions have no loop and always take any batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "ADAPTERS",
    "ner_attach",
    "ner_graphs",
    "poetry_attach",
    "poetry_graphs",
    "sentiment_attach",
    "sentiment_graphs",
    "stock_attach",
    "stock_graphs",
    "translation_attach",
    "translation_graphs",
]

Graphs = dict[str, tuple[Callable[[dict], dict], dict[str, Any]]]


def _spec(name: str, shape: tuple, dtype: str = "int32") -> Any:
    import tensorflow as tf

    return tf.TensorSpec(shape, dtype, name=name)


# ---------------------------------------------------------------------------------------------- ner


def ner_graphs(task: Any, loop_batch: int | None) -> Graphs:
    """``tag``: the model's inputs -> ``tags [batch, time]`` (in-graph Viterbi) and ``marginals``.

    Args:
        task: a ``NerTask``.
        loop_batch: the batch size of the exported function (1 for LiteRT, None for any).

    Example:
    >>> from nlpsuite.tasks.ner._examples import tiny_task
    >>> task = tiny_task()  # an untrained English network
    >>> tag, specs = ner_graphs(task, loop_batch=None)["tag"]
    >>> sorted(specs), sorted(tag(task.preprocessor.batch([["Anna", "visited"]]).inputs))
    (['casing', 'chars', 'words'], ['marginals', 'tags'])
    """
    from nlpsuite.tasks.ner import model as ner_model

    model = task.model
    specs = {
        name: _spec(name, (loop_batch,) + (None,) * (len(t.shape) - 1))
        for name, t in ner_model.input_dict(model).items()
    }

    def tag(inputs: dict) -> dict:
        tags, marginals = ner_model.decode_outputs(model(inputs, training=False), True)
        return {"tags": tags, "marginals": marginals}

    return {"tag": (tag, specs)}


def ner_attach(task: Any, functions: Mapping[str, Any]) -> None:
    """Makes ``task`` run its model through ``functions["tag"]`` (an ``ExportedFunction`` when loading
    an export), keeping its own tokenisation and formatting.

    Example:
    >>> import numpy as np
    >>> from nlpsuite.tasks.ner._examples import tiny_task
    >>> task = tiny_task()  # an untrained English network
    >>> before = task.tag([["Anna", "visited", "Paris"]])
    >>> tag, _ = ner_graphs(task, loop_batch=None)["tag"]
    >>> calls = []
    >>> ner_attach(task, {"tag": lambda **inputs: calls.append(1) or {
    ...     k: np.asarray(v) for k, v in tag(inputs).items()}})  # a stand-in runner: the graph itself
    >>> task.tag([["Anna", "visited", "Paris"]]) == before, len(calls) > 0
    (True, True)
    """
    tag = functions["tag"]

    def infer(inputs: dict[str, np.ndarray], with_marginals: bool) -> tuple[np.ndarray, Any]:
        out = tag(**inputs)
        return out["tags"], (out["marginals"] if with_marginals else None)

    # The task caches its compiled inference per jit flag; both now run the export.
    task._infer = {False: infer, True: infer}


# ---------------------------------------------------------------------------------------- sentiment


def sentiment_graphs(task: Any, loop_batch: int | None) -> Graphs:
    """``classify``: ``token_ids [batch, time]`` (0 = padding) -> ``probabilities [batch, classes]``."""
    model = task.model
    return {
        "classify": (
            lambda inputs: {"probabilities": model(inputs["token_ids"], training=False)},
            {"token_ids": _spec("token_ids", (loop_batch, None))},
        )
    }


def sentiment_attach(task: Any, functions: Mapping[str, Any]) -> None:
    """Routes the task's forward pass through ``functions["classify"]`` (see ``ner_attach``'s example)."""
    classify = functions["classify"]
    task._forward = lambda token_ids: classify(token_ids=token_ids)["probabilities"]


# -------------------------------------------------------------------------------------------- stock


def stock_graphs(task: Any, loop_batch: int | None) -> Graphs:
    """``forecast``: ``window [batch, lookback, features]`` (scaled) -> ``quantiles [batch, horizon, 3]``."""
    model = task.model
    _, lookback, features = model.input.shape
    return {
        "forecast": (
            lambda inputs: {"quantiles": model(inputs["window"], training=False)},
            {"window": _spec("window", (loop_batch, lookback, features), "float32")},
        )
    }


class _PredictOnBatch:
    """Stands in for the Keras model where the task calls ``model.predict_on_batch(x)``.

    The backtest pads its chunks with all-zero rows to a multiple of 64 (a few shapes for XLA); a
    batch-1 LiteRT graph would run each of them, so trailing zero rows run once and are copied.
    """

    def __init__(self, function: Callable[[np.ndarray], np.ndarray]) -> None:
        self.function = function

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        nonzero = np.flatnonzero(np.any(x.reshape(len(x), -1) != 0, axis=1))
        rows = int(nonzero[-1]) + 1 if len(nonzero) else 0
        if rows == len(x):
            return self.function(x)
        padding = self.function(x[rows : rows + 1])
        parts = [self.function(x[:rows])] if rows else []
        return np.concatenate([*parts, np.repeat(padding, len(x) - rows, axis=0)], axis=0)


def stock_attach(task: Any, functions: Mapping[str, Any]) -> None:
    """Puts ``functions["forecast"]`` where the task calls ``model.predict_on_batch`` (see ``ner_attach``)."""
    forecast = functions["forecast"]
    task.model = _PredictOnBatch(lambda x: forecast(window=x)["quantiles"])


# ------------------------------------------------------------------------------------------- poetry


def poetry_graphs(task: Any, loop_batch: int | None) -> Graphs:
    """``step``: ``ids [batch]`` and ``state_0..state_{k-1} [batch, units]`` -> ``logits [batch, vocab]``
    and ``new_state_0..``: the generator's one-character step, state in, state out. (Outputs never share
    an input's name: tf2onnx would wire the two into one node, a cycle.)"""
    from nlpsuite.tasks.poetry.model import build_step_model, zero_states

    step_model = build_step_model(task.model)
    sizes = [int(s.shape[-1]) for s in zero_states(task.model)]  # [h, c] * layers for an LSTM
    specs = {"ids": _spec("ids", (None,))}
    specs.update({f"state_{i}": _spec(f"state_{i}", (None, n), "float32") for i, n in enumerate(sizes)})

    def step(inputs: dict) -> dict:
        logits, *states = step_model([inputs["ids"], *(inputs[f"state_{i}"] for i in range(len(sizes)))])
        return {"logits": logits, **{f"new_state_{i}": s for i, s in enumerate(states)}}

    return {"step": (step, specs)}


class _StepSequence:
    """Runs the exported step over a ``[batch, time]`` id matrix from zero states, as the full-sequence
    model would: ``predict_on_batch(x) -> logits [batch, time, vocab]`` (what evaluation calls)."""

    def __init__(self, step: Callable, zero: Callable[[int], list[np.ndarray]]) -> None:
        self.step, self.zero = step, zero

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        states = self.zero(len(x))
        logits = []
        for t in range(x.shape[1]):
            out, states = self.step(np.asarray(x[:, t], "int32"), states)
            logits.append(out)
        return np.stack(logits, axis=1)


def poetry_attach(task: Any, functions: Mapping[str, Any]) -> None:
    """Gives the task a ``Generator`` that steps through ``functions["step"]`` (see ``ner_attach``)."""
    from nlpsuite.tasks.poetry.generate import Generator

    run = functions["step"]
    names = sorted((n for n in run.inputs if n.startswith("state_")), key=lambda n: int(n.split("_")[1]))
    sizes = [run.inputs[n]["shape"][-1] for n in names]

    def step(ids: np.ndarray, states: list) -> tuple[np.ndarray, list]:
        out = run(ids=ids, **dict(zip(names, states, strict=True)))
        return out["logits"], [out[f"new_{n}"] for n in names]

    def zero(batch: int = 1) -> list[np.ndarray]:
        return [np.zeros((batch, n), "float32") for n in sizes]

    task.model = _StepSequence(step, zero)
    task.__dict__["_generator"] = Generator(None, task.codec, task.config.simplified, step=step, initial_states=zero)


# -------------------------------------------------------------------------------------- translation


def translation_graphs(task: Any, loop_batch: int | None) -> Graphs:
    """``encode``: ``source_ids [batch, S]`` -> ``encoder_outputs``, ``source_mask``, ``state_i`` (the
    decoder's initial states); ``decode_step``: ``token_ids [N]``, ``state_i``, ``encoder_outputs``,
    ``source_mask`` -> ``logits [N, vocab]``, ``new_state_i``, attention ``weights [N, S]``. The search
    (greedy or beam) runs outside, so a device streams tokens one step at a time."""
    model = task.model
    units = model.decoder.state_dim
    count = model.decoder.num_layers * model.decoder.states_per_layer
    width = model.encoder.output_dim

    def encode(inputs: dict) -> dict:
        outputs, mask, states = model.encode(inputs["source_ids"], training=False)
        return {"encoder_outputs": outputs, "source_mask": mask, **{f"state_{i}": s for i, s in enumerate(states)}}

    def decode_step(inputs: dict) -> dict:
        states = [inputs[f"state_{i}"] for i in range(count)]
        logits, states, weights = model.decode_step(
            inputs["token_ids"], states, inputs["encoder_outputs"], inputs["source_mask"]
        )
        return {"logits": logits, "weights": weights, **{f"new_state_{i}": s for i, s in enumerate(states)}}

    step_specs = {"token_ids": _spec("token_ids", (None,))}
    step_specs.update({f"state_{i}": _spec(f"state_{i}", (None, units), "float32") for i in range(count)})
    step_specs["encoder_outputs"] = _spec("encoder_outputs", (None, None, width), "float32")
    step_specs["source_mask"] = _spec("source_mask", (None, None), "bool")
    return {
        "encode": (encode, {"source_ids": _spec("source_ids", (loop_batch, None))}),
        "decode_step": (decode_step, step_specs),
    }


class _Seq2Seq:
    """Stands in for ``TranslationModel`` where the task's ``Decoder`` calls ``encode`` and ``decode_step``."""

    def __init__(self, encode: Any, decode_step: Any) -> None:
        self._encode, self._step = encode, decode_step
        self.count = sum(1 for n in decode_step.inputs if n.startswith("state_"))

    def encode(self, source_ids: Any, training: bool = False) -> tuple:
        out = self._encode(source_ids=np.asarray(source_ids))
        return out["encoder_outputs"], out["source_mask"], [out[f"state_{i}"] for i in range(self.count)]

    def decode_step(self, token_ids: Any, states: list, encoder_outputs: Any, source_mask: Any) -> tuple:
        out = self._step(
            token_ids=np.asarray(token_ids),
            encoder_outputs=np.asarray(encoder_outputs),
            source_mask=np.asarray(source_mask),
            **{f"state_{i}": np.asarray(s) for i, s in enumerate(states)},
        )
        return out["logits"], [out[f"new_state_{i}"] for i in range(self.count)], out["weights"]


def translation_attach(task: Any, functions: Mapping[str, Any]) -> None:
    """Gives the task a ``Decoder`` over ``functions["encode"]`` and ``["decode_step"]`` (see ``ner_attach``)."""
    from nlpsuite.tasks.translation.decoding import Decoder

    decoder = Decoder(_Seq2Seq(functions["encode"], functions["decode_step"]))
    # The search steps stay the task's own code, run eagerly on the runners' NumPy outputs (tracing them
    # into a tf.function would try to trace the runtime call too).
    decoder._encode, decoder._greedy_step, decoder._beam_step = (
        decoder._encode_fn, decoder._greedy_step_fn, decoder._beam_step_fn)
    task.__dict__["decoder"] = decoder  # TranslationTask.decoder is a cached_property: fill its cache
    task.model = decoder.model


ADAPTERS: dict[str, tuple[Callable, Callable]] = {
    "ner": (ner_graphs, ner_attach),
    "sentiment": (sentiment_graphs, sentiment_attach),
    "stock": (stock_graphs, stock_attach),
    "poetry": (poetry_graphs, poetry_attach),
    "translation": (translation_graphs, translation_attach),
}
