"""Sentiment: text -> label, probabilities and token contributions; CSV upload -> scored CSV."""

import csv
import html
import io
import pathlib
import re
from typing import Any

import pandas as pd
import streamlit as st

from apps import ui
from nlpsuite.errors import NlpsuiteError

# The committed models, by the name the dropdown shows; other ``sentiment*`` folders show their folder name.
MODELS = {"sentiment-en": "English (SST-2)", "sentiment-zh": "Chinese (ChnSentiCorp)"}
EXAMPLES = {
    "sentiment-en": "A gripping, beautifully acted film, though the ending drags a little.",
    "sentiment-zh": "房间很干净，服务也很周到，就是早餐品种少了点。",
}
TEXT_COLUMNS = ("text", "sentence", "review", "content", "comment")
CHUNK = 256
MAX_ROWS = 20_000


def model_names() -> list[str]:
    """The two committed models first, then any other ``sentiment*`` folder in the models dir."""
    extra = sorted(
        p.name
        for p in ui.MODELS_DIR.glob("sentiment*")
        if (p / "config.json").exists() and p.name not in MODELS
    )
    return [*MODELS, *extra]


def shaded_tokens(contributions: list[dict[str, Any]], joiner: str) -> str:
    """Tokens as HTML spans: green supports the predicted label, red argues against it."""
    peak = max((abs(c["score"]) for c in contributions), default=0.0) or 1.0
    spans = []
    for c in contributions:
        alpha = min(1.0, abs(c["score"]) / peak)
        rgb = "46,160,67" if c["score"] >= 0 else "214,39,40"
        spans.append(
            f'<span title="{c["score"]:+.3f}" style="background: rgba({rgb},{alpha:.2f}); '
            f'padding: 1px 2px; border-radius: 3px">{html.escape(c["token"])}</span>'
        )
    return f'<div style="line-height: 2">{joiner.join(spans)}</div>'


def readable(tokens: str) -> str:
    """Space-joined word tokens as text: no space before punctuation or a split contraction ("is n't").

    >>> readable("a gripping , beautifully acted film that is n't long")
    "a gripping, beautifully acted film that isn't long"
    """
    return re.sub(r" (?=[,.;:!?)]|n't\b|'(?:s|re|ve|ll|d|m)\b)", "", tokens)


def show_result(task: Any, result: dict[str, Any]) -> None:
    st.subheader(f"{result['label']}")
    for label, p in sorted(result["probabilities"].items(), key=lambda kv: -kv[1]):
        st.progress(float(p), text=f"{label}: {p:.1%}")
    joiner = "" if task.tokenizer.kind in ("char", "jieba") else " "
    if result.get("deciding_clause"):
        st.caption(
            f"Contrast rule: in \"A but B\" B decides, in \"A, though B\" A does; here "
            f"\"{readable(result['deciding_clause'])}\" pulled the label towards its own reading."
        )
    st.caption(
        "Token contributions (occlusion): how much the probability of the predicted label drops "
        "when the token is removed. Green supports the label, red argues against it."
    )
    st.markdown(shaded_tokens(result["contributions"], joiner), unsafe_allow_html=True)


def read_rows(uploaded: Any) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the ``(line number, fields)`` rows of an uploaded CSV/TSV; blank lines are skipped."""
    text = ui.read_upload(uploaded)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if uploaded.name.lower().endswith(".tsv")
                        else ",")
    rows = []
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise NlpsuiteError(f"{uploaded.name} is not a readable CSV (line {reader.line_num}: {exc})") from None
    if not rows:
        raise NlpsuiteError(f"{uploaded.name} is empty")
    return rows[0][1], rows[1:]


def text_columns(header: list[str], source: str) -> list[str]:
    """The header's columns named like text; refuses a file without one, naming what it found."""
    found = [name for name in header if name.strip().lower() in TEXT_COLUMNS]
    if not found:
        raise NlpsuiteError(
            f"{source} has no text column: its columns are {', '.join(header)}; name the column with the texts "
            f"'text' (or {', '.join(TEXT_COLUMNS[1:])})"
        )
    return found


def read_table(uploaded: Any) -> pd.DataFrame:
    """An uploaded table as a frame of strings; a row with more fields than the header is refused, since it is
    almost always a comma inside an unquoted text."""
    header, rows = read_rows(uploaded)
    text_columns(header, uploaded.name)
    if not rows:
        raise NlpsuiteError(f"{uploaded.name} has a header but no rows")
    if len(rows) > MAX_ROWS:
        raise NlpsuiteError(f"{uploaded.name} has {len(rows):,} rows; the limit is {MAX_ROWS:,}")
    for line, fields in rows:
        if len(fields) > len(header):
            raise NlpsuiteError(
                f"{uploaded.name}, line {line}: {len(fields)} fields but the header has {len(header)} — "
                "probably an unquoted comma in the text; put that text in double quotes"
            )
    # A short row (a trailing empty field left off) is padded; an empty text is caught when scoring.
    return pd.DataFrame([fields + [""] * (len(header) - len(fields)) for _, fields in rows], columns=header)


def score_frame(task: Any, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Adds ``label`` and ``p_<label>`` columns, scoring in chunks behind a progress bar."""
    texts = frame[column].astype(str).tolist()
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise NlpsuiteError(f"row {empty[0] + 1} has no text in column '{column}'; fill it in or remove the row")
    bar = st.progress(0.0, text="Scoring…")
    results = []
    for start in range(0, len(texts), CHUNK):
        results += task.predict(texts[start : start + CHUNK])
        done = min(len(texts), start + CHUNK)
        bar.progress(done / len(texts), text=f"Scored {done:,} of {len(texts):,}")
    ui.show_warnings(results)
    scored = frame.copy()
    scored["label"] = [r["label"] for r in results]
    for label in task.labels:
        scored[f"p_{label}"] = [round(r["probabilities"][label], 4) for r in results]
    return scored


def text_tab(task: Any, name: str) -> None:
    text = st.text_area("Text", value=EXAMPLES.get(name, ""), height=120, key=f"text-{name}")
    if st.button("Classify", type="primary"):
        with ui.user_errors():
            text = ui.check_text(text)
            result = task.predict([text], explain=True)[0]
            ui.show_warnings(result)
            show_result(task, result)


def csv_tab(task: Any) -> None:
    uploaded = st.file_uploader("CSV or TSV with a text column", type=["csv", "tsv", "txt"])
    if uploaded is None:
        return
    with ui.user_errors():
        frame = read_table(uploaded)
        column = st.selectbox("Text column", text_columns(list(frame.columns), uploaded.name))
        scored = score_frame(task, frame, column)
        st.dataframe(scored.head(50), width="stretch")
        st.download_button(
            "Download scored CSV",
            scored.to_csv(index=False).encode("utf-8"),
            file_name=f"{pathlib.Path(uploaded.name).stem}-scored.csv",
            mime="text/csv",
        )


def main() -> None:
    st.title("Sentiment")
    st.write(
        "A recurrent classifier (embedding → GRU → softmax) trained from scratch: SST-2 for English, "
        "ChnSentiCorp for Chinese."
    )
    name = st.selectbox("Model", model_names(), format_func=lambda folder: MODELS.get(folder, folder))
    task = ui.load_model(name)
    if task is None:
        return
    single, batch = st.tabs(["Text", "CSV file"])
    with single:
        text_tab(task, name)
    with batch:
        csv_tab(task)
    ui.model_card(name)


if __name__ == "__main__":
    main()
