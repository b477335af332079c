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
    # page file, title, icon, one line on what it does, models with their headline metric
    ("ner.py", "Named entities", ":material/label:", "People, places and organisations in English and Chinese text.",
     [("ner-en", "f1", "entity F1"), ("ner-zh", "f1", "entity F1")]),
    ("sentiment.py", "Sentiment", ":material/sentiment_satisfied:",
     "Positive or negative, with the words that decided it; whole CSVs too.",
     [("sentiment-en", "accuracy", "accuracy"), ("sentiment-zh", "accuracy", "accuracy")]),
    ("translation.py", "Translation", ":material/translate:",
     "Spanish and Chinese into English, with the beam's n-best list and attention.",
     [("translation-spa-en", "bleu", "BLEU"), ("translation-zh-en", "bleu", "BLEU")]),
    ("poetry.py", "Poetry", ":material/edit_note:", "Tang quatrains in exact form, acrostics, or Shakespearean text.",
     [("poetry-en", "bits_per_char", "bits/char"), ("poetry-zh", "form_validity", "form validity")]),
    ("stock.py", "Stock forecast", ":material/show_chart:",
     "10/50/90% price quantiles up to 20 days ahead, backtested against naive.",
     [("stock", "by_horizon.1.coverage_80", "80% coverage")]),
]
LAB = ("rnn_lab.py", "RNN lab", ":material/science:")

def _metric(metrics: dict, path: str) -> float | None:
    value = metrics
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, (int, float)) else None


def _format(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    if key in ("bleu", "bits_per_char"):
        return f"{value:.2f}"
    return f"{100 * value:.1f}%"


def _card(page: st.Page, title: str, icon: str, summary: str, models: list[tuple[str, str, str]]) -> None:
    with st.container(border=True):
        st.subheader(f"{icon} {title}")
        st.caption(summary)
        for column, (name, key, label) in zip(st.columns(2), models, strict=False):
            value = _metric(ui.read_metrics(name), key)
            variant = name.partition("-")[2]  # ner-en -> en, translation-spa-en -> spa-en
            column.metric(f"{variant} · {label}" if variant else label, _format(key, value),
                          help=f"saved_models/{name}/metrics.json")
            if value is None:
                column.caption(f"Not trained: `make train-{name.split('-')[0]}`")
        st.page_link(page, label=f"Open {title}", icon=":material/arrow_forward:")


def overview() -> None:
    st.title("nlpsuite")
    st.write("Sequence models built with Keras 3: pick an app below or in the sidebar. Every figure is read from "
             "the model's `metrics.json`, written by `nlpsuite evaluate` on held-out data.")
    cards = [(PAGES[page], title, icon, summary, models) for page, title, icon, summary, models in APPS]
    cards.append((LAB_PAGE, LAB[1], LAB[2], "Vanishing gradients, LSTM gates and the cost of recurrence vs. "
                  "attention, measured live.", []))
    for row in (cards[:3], cards[3:]):
        for column, card in zip(st.columns(3), row, strict=True):
            with column:
                _card(*card)


@st.cache_resource
def _environment() -> tuple[str, str]:
    from nlpsuite import distribute

    return distribute.backend(), ", ".join(distribute.devices())


PAGES = {page: st.Page(str(HERE / "pages" / page), title=title, icon=icon, url_path=page[:-3])
         for page, title, icon, _, _ in APPS}
LAB_PAGE = st.Page(str(HERE / "pages" / LAB[0]), title=LAB[1], icon=LAB[2], url_path=LAB[0][:-3])
navigation = st.navigation({
    "": [st.Page(overview, title="Home", icon=":material/home:", default=True)],
    "Apps": list(PAGES.values()),
    "Learn": [LAB_PAGE],
})
with st.sidebar:
    backend, devices = _environment()
    st.caption(f"Keras backend: **{backend}** · devices: {devices}")
navigation.run()
