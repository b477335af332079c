"""nlpsuite: one Streamlit app with a page per model and an RNN lab.

    python -m streamlit run apps/Home.py        (or `make app`)

The pages live in ``apps/views/`` and import ``apps.ui``: ``apps`` is a package like ``nlpsuite``, importable
once the project is installed (``pip install -e .``) or when Streamlit runs from the checkout's root with
``python -m`` (which puts the working directory on ``sys.path``). The folder is not named ``pages/``: Streamlit
would run such files as old-style pages on a deep link to a fresh server, without this navigation.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from apps import ui

VIEWS = Path(__file__).resolve().parent / "views"

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
# What each headline metric means, for its tooltip (the split it was measured on is added from metrics.json).
MEANINGS = {
    "f1": "Entity F1: the harmonic mean of precision and recall over whole entities (type and both boundaries "
          "must match).",
    "accuracy": "Accuracy: the share of texts whose label the model gets right.",
    "bleu": "BLEU (0–100): word n-gram overlap of the beam-search translations with the reference translations "
            "(sacrebleu).",
    "bits_per_char": "Bits per character on unseen text: how surprised the model is by each next character; "
                     "lower is better.",
    "form_validity": "Form validity: the share of generated poems with exactly the form asked (lines, characters "
                     "per line, punctuation).",
    "by_horizon.1.coverage_80": "80% coverage: how often the next day's close fell inside the forecast's 10–90% "
                                "band; 80% means calibrated.",
}
SIZES = (("sentences", "sentences"), ("examples", "texts"), ("characters", "characters"), ("origins", "forecasts"))


def _split_note(metrics: dict) -> str:
    """Where a metric was measured, e.g. "Measured on the test split of conll2003 (3,453 sentences)."."""
    if not metrics:
        return "Not measured yet."
    note = f"Measured on the {metrics.get('split', 'held-out')} split"
    data = metrics.get("data") or metrics.get("source")
    if data:
        note += f" of {data}"
    size = next(((metrics[key], unit) for key, unit in SIZES if isinstance(metrics.get(key), int)), None)
    if size:
        note += f" ({size[0]:,} {size[1]})"
    return note + "."


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
            metrics = ui.read_metrics(name)
            value = _metric(metrics, key)
            variant = name.partition("-")[2]  # ner-en -> en, translation-spa-en -> spa-en
            column.metric(f"{variant} · {label}" if variant else label, _format(key, value),
                          help=f"{MEANINGS[key]} {_split_note(metrics)}")
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


def main() -> None:
    # No page_title here: each page's st.Page title becomes its browser-tab title ("Poetry · nlpsuite" style).
    st.set_page_config(page_icon=":material/text_fields:", layout="wide")
    navigation = st.navigation({
        "": [st.Page(overview, title="Home", icon=":material/home:", default=True)],
        "Apps": list(PAGES.values()),
        "Learn": [LAB_PAGE],
    })
    with st.sidebar:
        backend, devices = _environment()
        st.caption(f"Keras backend: **{backend}** · devices: {devices}")
    navigation.run()


PAGES = {page: st.Page(str(VIEWS / page), title=title, icon=icon, url_path=page[:-3])
         for page, title, icon, _, _ in APPS}
LAB_PAGE = st.Page(str(VIEWS / LAB[0]), title=LAB[1], icon=LAB[2], url_path=LAB[0][:-3])

if __name__ == "__main__":
    main()
