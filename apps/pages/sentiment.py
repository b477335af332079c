"""Sentiment: text -> label, probabilities and token contributions; CSV upload -> scored CSV."""

import sys, pathlib  # noqa: E401, I001 - the project's standard page preamble

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import html  # noqa: E402
import io  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from apps import ui  # noqa: E402
from nlpsuite.errors import NlpsuiteError  # noqa: E402

MODELS = ("sentiment-en", "sentiment-zh")
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


def show_result(task: Any, result: dict[str, Any]) -> None:
    st.subheader(f"{result['label']}")
    for label, p in sorted(result["probabilities"].items(), key=lambda kv: -kv[1]):
        st.progress(float(p), text=f"{label}: {p:.1%}")
    joiner = "" if task.tokenizer.kind in ("char", "jieba") else " "
    st.caption(
        "Token contributions (occlusion): how much the probability of the predicted label drops "
        "when the token is removed. Green supports the label, red argues against it."
    )
    st.markdown(shaded_tokens(result["contributions"], joiner), unsafe_allow_html=True)


def read_table(uploaded: Any) -> pd.DataFrame:
    text = ui.read_upload(uploaded)
    sep = "\t" if uploaded.name.lower().endswith(".tsv") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise NlpsuiteError(
            f"{uploaded.name} is not a readable CSV ({exc}); check the file"
        ) from None
    if frame.empty:
        raise NlpsuiteError(f"{uploaded.name} has a header but no rows")
    if len(frame) > MAX_ROWS:
        raise NlpsuiteError(f"{uploaded.name} has {len(frame):,} rows; the limit is {MAX_ROWS:,}")
    return frame


def default_column(columns: list[str]) -> int:
    for i, name in enumerate(columns):
        if name.strip().lower() in TEXT_COLUMNS:
            return i
    return 0


def score_frame(task: Any, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Adds ``label`` and ``p_<label>`` columns, scoring in chunks behind a progress bar."""
    texts = frame[column].astype(str).tolist()
    empty = [i + 2 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise NlpsuiteError(f"column '{column}' is empty on line {empty[0]}; fill or remove it")
    bar = st.progress(0.0, text="Scoring…")
    results = []
    for start in range(0, len(texts), CHUNK):
        results += task.predict(texts[start : start + CHUNK])
        done = min(len(texts), start + CHUNK)
        bar.progress(done / len(texts), text=f"Scored {done:,} of {len(texts):,}")
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
            show_result(task, task.predict([text], explain=True)[0])


def csv_tab(task: Any) -> None:
    uploaded = st.file_uploader("CSV or TSV with a text column", type=["csv", "tsv", "txt"])
    if uploaded is None:
        return
    with ui.user_errors():
        frame = read_table(uploaded)
        columns = list(frame.columns)
        column = st.selectbox("Text column", columns, index=default_column(columns))
        scored = score_frame(task, frame, column)
        st.dataframe(scored.head(50), width="stretch")
        st.download_button(
            "Download scored CSV",
            scored.to_csv(index=False).encode("utf-8"),
            file_name=f"{pathlib.Path(uploaded.name).stem}-scored.csv",
            mime="text/csv",
        )


st.title("Sentiment")
st.write(
    "A recurrent classifier (embedding → GRU → softmax) trained from scratch: SST-2 for English, "
    "ChnSentiCorp for Chinese."
)
name = st.selectbox("Model", model_names())
task = ui.load_model(name)
if task is not None:
    single, batch = st.tabs(["Text", "CSV file"])
    with single:
        text_tab(task, name)
    with batch:
        csv_tab(task)
    ui.model_card(name)
