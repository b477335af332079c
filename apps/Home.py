"""nlpsuite: one Streamlit app with a page per model and an RNN lab.

    streamlit run apps/Home.py        (or `make app`)
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps import ui  # noqa: E402

st.set_page_config(page_title="nlpsuite", page_icon=":material/text_fields:", layout="wide")

HERE = Path(__file__).resolve().parent

APPS = [
    # page file, title, icon, models with their headline metric
    ("ner.py", "Named entities", ":material/label:", [("ner-en", "f1", "entity F1"), ("ner-zh", "f1", "entity F1")]),
    ("sentiment.py", "Sentiment", ":material/sentiment_satisfied:",
     [("sentiment-en", "accuracy", "accuracy"), ("sentiment-zh", "accuracy", "accuracy")]),
    ("translation.py", "Translation", ":material/translate:",
     [("translation-spa-en", "bleu", "BLEU"), ("translation-zh-en", "bleu", "BLEU")]),
    ("poetry.py", "Poetry", ":material/edit_note:",
     [("poetry-en", "bits_per_char", "bits/char"), ("poetry-zh", "form_validity", "form validity")]),
    ("stock.py", "Stock forecast", ":material/show_chart:",
     [("stock", "by_horizon.1.coverage_80", "80% coverage, h=1")]),
]


def _metric(metrics: dict, path: str) -> float | None:
    value = metrics
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, (int, float)) else None


def _format(key: str, value: float | None) -> str:
    if value is None:
        return "not trained"
    if key in ("bleu", "bits_per_char"):
        return f"{value:.2f}"
    return f"{100 * value:.1f}%"


def overview() -> None:
    st.title("nlpsuite")
    st.write("Sequence models built with Keras 3: pick an app in the sidebar. Every figure below is read from "
             "the model's `metrics.json`, written by `nlpsuite evaluate` on held-out data.")
    columns = st.columns(len(APPS))
    for column, (page, title, icon, models) in zip(columns, APPS, strict=True):
        with column:
            st.subheader(f"{icon} {title}")
            for name, key, label in models:
                value = _metric(ui.read_metrics(name), key)
                st.metric(f"{name} — {label}", _format(key, value))
                if value is None:
                    st.caption(f"Build it with `make train-{name.split('-')[0]}`.")
            st.page_link(PAGES[page], label=f"Open {title}")


@st.cache_resource
def _environment() -> tuple[str, str]:
    from nlpsuite import distribute

    return distribute.backend(), ", ".join(distribute.devices())


PAGES = {page: st.Page(str(HERE / "pages" / page), title=title, icon=icon, url_path=page[:-3])
         for page, title, icon, _ in APPS}
navigation = st.navigation({
    "": [st.Page(overview, title="Home", icon=":material/home:", default=True)],
    "Apps": list(PAGES.values()),
    "Learn": [st.Page(str(HERE / "pages" / "rnn_lab.py"), title="RNN lab", icon=":material/science:",
                      url_path="rnn_lab")],
})
with st.sidebar:
    backend, devices = _environment()
    st.caption(f"Keras backend: **{backend}** · devices: {devices}")
navigation.run()
