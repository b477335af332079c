"""LSTM vs RWKV vs Transformer in the apps: the poetry page's architecture choice and the RNN lab's
measured tab (read from ``bench/results/architectures.json``, which ``make bench`` writes from the
trained ``saved_models/poetry-en-*`` models).

Apps never reach past the task API: this module reads JSON files and lists model folders only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from apps import ui

RESULTS = ui.ROOT / "bench" / "results" / "architectures.json"
LABELS = {"lstm": "LSTM", "gru": "GRU", "rwkv": "RWKV", "transformer": "Transformer"}


def architecture_of(folder: Path) -> str:
    """The architecture a saved poetry model's config.json names (``cell`` for older models)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError):
        return "?"
    return config.get("architecture") or config.get("cell", "lstm")


def poetry_variants(base: str = "poetry-en") -> dict[str, str]:
    """``{model folder name: label}`` of the saved models ``<base>`` and ``<base>-*``.

    Example: ``{"poetry-en": "LSTM (poetry-en)", "poetry-en-rwkv": "RWKV (poetry-en-rwkv)"}``.
    """
    folders = [ui.model_path(base), *sorted(ui.MODELS_DIR.glob(f"{base}-*"))]
    found = {}
    for folder in folders:
        if (folder / "config.json").exists():
            architecture = architecture_of(folder)
            found[folder.name] = f"{LABELS.get(architecture, architecture)} ({folder.name})"
    return found


def pick_variant(name: str) -> str:
    """``name``, or the variant the user picks when more than one ``name``/``name-*`` model is saved."""
    variants = poetry_variants(name)
    if len(variants) < 2:
        return name
    return st.selectbox("Architecture", list(variants), format_func=variants.get, key=f"{name}_architecture")


def read_results(path: Path = RESULTS) -> dict[str, Any] | None:
    """The benchmark's JSON, or None when it has not been produced (or is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data.get("architectures"), dict) else None


def summary_table(results: dict[str, Any]) -> pd.DataFrame:
    """One row per architecture: size, training speed, quality, state, speed at each position."""
    rows = []
    for name, entry in results["architectures"].items():
        row = {
            "architecture": LABELS.get(name, name),
            "parameters": entry.get("parameters"),
            "test nats/char": entry.get("test_nats_per_char"),
            "train tokens/s": entry.get("train_tokens_per_s"),
            "training s": entry.get("training_seconds"),
            "state bytes / sequence": entry.get("state_bytes_per_sequence"),
        }
        for position, cost in entry.get("generation", {}).items():
            row[f"chars/s @ {position}"] = cost.get("chars_per_s")
        rows.append(row)
    return pd.DataFrame(rows)


def cost_table(results: dict[str, Any]) -> pd.DataFrame:
    """Long table of per-character cost by position: ``architecture, position, ms_per_char, peak_memory_mb``."""
    rows = []
    for name, entry in results["architectures"].items():
        for position, cost in entry.get("generation", {}).items():
            rate = cost.get("chars_per_s") or 0
            rows.append(
                {
                    "architecture": LABELS.get(name, name),
                    "position": int(position),
                    "ms_per_char": 1000.0 / rate if rate else None,
                    "peak_memory_mb": cost.get("peak_memory_mb"),
                    "state_kib": (entry.get("state_bytes_by_position") or {}).get(position, 0) / 1024,
                }
            )
    return pd.DataFrame(rows)


def budget_table(results: dict[str, Any]) -> pd.DataFrame:
    """Dev loss against training time for each architecture (from the model cards' ``dev_curve``),
    with the final test score as the last point when there is no curve."""
    rows = []
    for name, entry in results["architectures"].items():
        label = LABELS.get(name, name)
        for point in entry.get("dev_curve") or []:
            rows.append({"architecture": label, "minutes": point["seconds"] / 60, "nats_per_char": point["dev_loss"]})
        if not entry.get("dev_curve") and entry.get("training_seconds") and entry.get("test_nats_per_char"):
            rows.append(
                {
                    "architecture": label,
                    "minutes": entry["training_seconds"] / 60,
                    "nats_per_char": entry["test_nats_per_char"],
                }
            )
    return pd.DataFrame(rows, columns=["architecture", "minutes", "nats_per_char"])


def _position_chart(costs: pd.DataFrame, field: str, axis_title: str, title: str, extra_tooltip: list) -> Any:
    """One measured quantity of each architecture against the position in the text (log scale)."""
    import altair as alt

    return (
        alt.Chart(costs)
        .mark_line(point=True)
        .encode(
            x=alt.X("position:Q", scale=alt.Scale(type="log"), title="position (characters, log)"),
            y=alt.Y(f"{field}:Q", title=axis_title),
            color="architecture:N",
            tooltip=["architecture", "position", *extra_tooltip],
        )
        .properties(title=title, height=300)
    )


def _budget_chart(budget: pd.DataFrame) -> Any:
    """Dev loss of each architecture against its training minutes."""
    import altair as alt

    return (
        alt.Chart(budget)
        .mark_line(point=True)
        .encode(
            x=alt.X("minutes:Q", title="training minutes"),
            y=alt.Y("nats_per_char:Q", scale=alt.Scale(zero=False), title="dev nats / character"),
            color="architecture:N",
            tooltip=["architecture", alt.Tooltip("minutes:Q", format=".1f"), "nats_per_char"],
        )
        .properties(title="Quality vs training budget", height=300)
    )


def _show_missing(path: Path) -> None:
    shown = path.relative_to(ui.ROOT) if path.is_relative_to(ui.ROOT) else path
    st.info(
        f"No measurements yet: `{shown}` is missing. Train the comparison models with "
        "`bash scripts/train_architectures.sh` (about 30 minutes each), then run `make bench` (or "
        "`python -m bench architectures`)."
    )


def _show_measurements(results: dict[str, Any]) -> None:
    import altair as alt

    st.dataframe(summary_table(results), hide_index=True)
    costs = cost_table(results)
    left, right = st.columns(2)
    speed = [alt.Tooltip("ms_per_char:Q", format=".2f")]
    left.altair_chart(_position_chart(costs, "ms_per_char", "ms per character", "Per-character cost vs position",
                                      speed), width="stretch")
    memory = [alt.Tooltip("state_kib:Q", format=".1f"), "peak_memory_mb"]
    right.altair_chart(_position_chart(costs, "state_kib", "state / cache per sequence (KiB)",
                                       "Generation state vs position", memory), width="stretch")
    budget = budget_table(results)
    if not budget.empty:
        st.altair_chart(_budget_chart(budget), width="stretch")


def render_measured_tab(path: Path = RESULTS) -> None:
    """The RNN lab's tab of measured figures; says how to produce them when they are missing."""
    results = read_results(path)
    if results is None:
        _show_missing(path)
        return
    st.write(
        "Trained models of each architecture at about the same parameter count and wall-clock budget, on "
        "Tiny Shakespeare, measured on this machine by `make bench`. A recurrent state has a fixed size, so "
        "a character costs the same at position 5,000 as at 100; a Transformer's key/value cache grows "
        "with the position."
    )
    if results["architectures"]:
        _show_measurements(results)
    else:
        st.warning("The benchmark found no trained comparison models.")
    for note in results.get("notes", []):
        st.caption(note)
