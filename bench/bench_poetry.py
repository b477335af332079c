"""Poetry generation speed: characters per second of one stream, measured around positions 100,
1,000 and 5,000 of a single generation (the state is carried, so the cost per character must not
grow with position).

Uses ``saved_models/poetry-en`` (free text runs to 5,000 characters without an end marker) and
``saved_models/poetry-zh`` for form-constrained quatrains; where a model is missing, an untrained
model of the same default size stands in (speed does not depend on the weights). ``quick=True`` uses
a tiny untrained model and short streams.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

NAME = "poetry"
ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(os.environ.get("NLPSUITE_MODELS_DIR", ROOT / "saved_models"))
WINDOW = 100  # characters timed before each position


def _load_or_untrained(name: str, mode: str, quick: bool) -> tuple[object, str]:
    import nlpsuite
    from nlpsuite.data.vocab import Vocabulary
    from nlpsuite.tasks.poetry import PoetryConfig, PoetryTask
    from nlpsuite.tasks.poetry.preprocess import POEM_EXTRAS, CharCodec

    if not quick and (MODELS / name / "config.json").exists():
        return nlpsuite.load(MODELS / name), name
    if mode == "text":
        chars = [chr(c) for c in range(32, 127)] + ["\n"]
        extras = ()
    else:
        chars = [chr(c) for c in range(0x4E00, 0x4E00 + (300 if quick else 4000))] + ["，", "。"]
        extras = POEM_EXTRAS
    codec = CharCodec(Vocabulary(["<pad>", "<unk>", *extras, *chars]), mode)
    config = PoetryConfig(units=16 if quick else 256, embedding_dim=64 if mode == "text" else 128)
    return PoetryTask(config, PoetryTask._build(len(codec), config), {"codec": codec}), f"{name} (untrained)"


def _rates_at(task, positions: list[int], window: int, **options) -> dict[int, tuple[float, float]]:
    """``{position: (chars/s wall, chars/s of CPU time)}`` over the ``window`` characters before each
    position of one stream. CPU time is reported too because the machine may be shared: wall-clock
    rates then measure the neighbours as much as the generator."""
    wanted = {max(p - window, 0) for p in positions} | set(positions)
    marks = {0: (time.perf_counter(), time.process_time())}
    for count, _ in enumerate(task.stream("", **options), start=1):
        if count in wanted:
            marks[count] = (time.perf_counter(), time.process_time())
        if count >= max(positions):
            break
    rates = {}
    for p in positions:
        (wall0, cpu0), (wall1, cpu1) = marks[max(p - window, 0)], marks[p]
        chars = p - max(p - window, 0)
        rates[p] = (chars / (wall1 - wall0), chars / max(cpu1 - cpu0, 1e-9))
    return rates


def _row(model: str, mode: str, position: object, wall: float, cpu: float, **extra: object) -> dict:
    return {
        "model": model,
        "mode": mode,
        "position": position,
        "chars_per_s": round(wall, 1),
        "chars_per_cpu_s": round(cpu, 1),
        "target": ">= 500",
        **extra,
    }


def run(quick: bool = False) -> list[dict]:
    from nlpsuite.data import corpus
    from nlpsuite.tasks.poetry.generate import Generator

    rows = []
    positions = [60, 120] if quick else [100, 1000, 5000]
    window = 40 if quick else WINDOW
    en, en_name = _load_or_untrained("poetry-en", "text", quick)
    for engine in ("numpy", "keras"):
        en.__dict__["_generator"] = Generator(en.model, en.codec, engine=engine)
        "".join(en.stream("", seed=0, max_length=20))  # warm-up: traces the Keras step once
        wanted = positions if engine == "numpy" else positions[:1]
        rates = _rates_at(en, wanted, window, seed=0, max_length=max(wanted), temperature=0.8)
        rows += [_row(en_name, f"free text, {engine} step", p, *rates[p]) for p in wanted]
    zh, zh_name = _load_or_untrained("poetry-zh", "poems", quick)
    "".join(zh.stream("", form="qilv", seed=0, rhyme=True))  # warm-up: builds the rhyme table
    poems = 2 if quick else 20
    wall, cpu, chars, valid = time.perf_counter(), time.process_time(), 0, 0
    for seed in range(poems):
        text = "".join(zh.stream("", form="qilv", seed=seed, rhyme=True, top_p=0.95))
        chars += len(text)
        valid += corpus.check_form(text, "qilv")
    rows.append(
        _row(
            zh_name,
            f"{poems} qilv poems, rhyme, top_p, numpy step",
            "1-64",
            chars / (time.perf_counter() - wall),
            chars / (time.process_time() - cpu),
            form_validity=valid / poems,
        )
    )
    return rows
