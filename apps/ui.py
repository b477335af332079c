"""Shared Streamlit pieces: cached model loading, error display, uploads, the model card panel.

Pages import this module and never reach past the task API (``nlpsuite.load`` / ``task.predict``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import streamlit as st

from nlpsuite.errors import NlpsuiteError

ROOT = Path(__file__).resolve().parent.parent

MODELS_DIR = Path(os.environ.get("NLPSUITE_MODELS_DIR", ROOT / "saved_models"))
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_TEXT_CHARS = 20_000


@st.cache_resource(show_spinner="Loading model…")
def _load_task(directory: str, stamp: float) -> Any:
    import nlpsuite

    return nlpsuite.load(directory)


def model_path(name: str) -> Path:
    return MODELS_DIR / name


def load_model(name: str) -> Any | None:
    """The task saved as ``saved_models/<name>``, cached across reruns; shows how to build it when missing."""
    directory = model_path(name)
    config = directory / "config.json"
    if not config.exists():
        app = name.split("-")[0]
        st.warning(f"Model `{name}` is not in `{MODELS_DIR}`. Build it with `make train-{app}`.")
        return None
    try:
        return _load_task(str(directory), config.stat().st_mtime)
    except NlpsuiteError as exc:
        st.error(f"Could not load `{name}`: {exc}")
    except Exception as exc:  # a damaged model file must not take the page down
        st.error(f"Could not load `{name}` ({type(exc).__name__}: {str(exc)[:200]}). Retrain it with "
                 f"`make train-{name.split('-')[0]}`.")
    return None


@contextlib.contextmanager
def user_errors(names: dict[str, str] | None = None) -> Iterator[None]:
    """Shows bad input as a message and any other failure as a one-line error, never a traceback.

    Args:
        names: ``{server path: what the user knows it as}``, e.g. an upload's temp file -> its file name, so a
            message names the user's file rather than a path on the server.
    """
    try:
        yield
    except NlpsuiteError as exc:
        st.error(_rename(str(exc), names))
    except Exception as exc:
        st.error(f"Something went wrong: {type(exc).__name__}: {_rename(str(exc), names)[:300]}")


def _rename(message: str, names: dict[str, str] | None) -> str:
    for path, name in (names or {}).items():
        message = message.replace(path, name)
    return message


def show_warnings(results: dict[str, Any] | Iterable[dict[str, Any]]) -> None:
    """Shows each distinct ``"warnings"`` entry of one predict result (or several) once, as a warning box."""
    results = [results] if isinstance(results, dict) else results
    seen = dict.fromkeys(w for r in results for w in r.get("warnings", ()))
    for warning in seen:
        st.warning(warning, icon=":material/translate:")


def read_upload(uploaded: Any, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Decodes an uploaded file as UTF-8 text, with a size cap and a clear error for other encodings."""
    data = uploaded.getvalue()
    if len(data) > max_bytes:
        raise NlpsuiteError(f"{uploaded.name} is {len(data) / 1e6:.1f} MB; the limit is "
                            f"{max_bytes / 1e6:.0f} MB — upload a smaller file")
    if not data.strip():
        raise NlpsuiteError(f"{uploaded.name} is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NlpsuiteError(f"{uploaded.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 "
                            "and upload again") from None


def check_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Strips the text and rejects empty or over-long input with a message."""
    text = (text or "").strip()
    if not text:
        raise NlpsuiteError("Type or paste some text first.")
    if len(text) > max_chars:
        raise NlpsuiteError(f"The text has {len(text):,} characters; the limit is {max_chars:,}.")
    return text


def model_card(name: str) -> None:
    """The model card and metrics of ``saved_models/<name>`` in an expander."""
    directory = model_path(name)
    with st.expander("Model card"):
        card = directory / "MODEL_CARD.md"
        if card.exists():
            st.markdown(card.read_text(encoding="utf-8"))
        else:
            st.write("No model card.")
        metrics = directory / "metrics.json"
        if metrics.exists():
            st.json(json.loads(metrics.read_text(encoding="utf-8")), expanded=False)


def read_metrics(name: str) -> dict[str, Any]:
    path = model_path(name) / "metrics.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
