"""Translation page: source text -> translation, the n-best list, and an attention heatmap.

Run alone with ``python -m streamlit run apps/views/translation.py`` or through ``apps/Home.py``.
"""

import altair as alt
import pandas as pd
import streamlit as st

from apps import ui

MODELS = {
    "Spanish → English": "translation-spa-en",
    "Chinese → English": "translation-zh-en",
}
EXAMPLES = {
    "translation-spa-en": "¿Dónde está la biblioteca?\nMe gusta mucho leer libros por la noche.",
    "translation-zh-en": "我们明天去公园吧。\n你会说英语吗？",
}
MAX_LINES = 20
# Heatmap cells in pixels: the chart grows with the number of subwords instead of squashing them.
CELL_WIDTH, CELL_HEIGHT = 30, 22


def attention_chart(attention: dict) -> alt.Chart:
    """Heatmap of the best translation's attention: target subwords (rows) x source subwords (columns), one
    fixed-size cell per pair, so the chart is as wide as the source and as tall as the translation."""
    sources = [f"{i + 1}. {t}" for i, t in enumerate(attention["source_tokens"])]
    targets = [f"{i + 1}. {t}" for i, t in enumerate(attention["target_tokens"])]
    rows = [
        {"source": sources[j], "target": targets[i], "weight": weight}
        for i, row in enumerate(attention["weights"])
        for j, weight in enumerate(row)
    ]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_rect()
        .encode(
            x=alt.X("source:N", sort=sources, title="source subword",
                    axis=alt.Axis(orient="top", labelAngle=-90, labelOverlap=False, labelLimit=160,
                                  labelFontSize=12)),
            y=alt.Y("target:N", sort=targets, title="output subword",
                    axis=alt.Axis(labelLimit=160, labelFontSize=12)),
            color=alt.Color("weight:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="attention"),
            tooltip=["source", "target", alt.Tooltip("weight:Q", format=".3f")],
        )
        # A step per cell (not a total width): Streamlit fits a total size around axes and legend too,
        # which squashed the cells into a strip. Padding as an object: Streamlit's chart component adds to
        # its sides and fails (draws nothing) on a plain number.
        .properties(width=alt.Step(CELL_WIDTH), height=alt.Step(CELL_HEIGHT),
                    padding={"left": 12, "top": 12, "right": 12, "bottom": 12})
    )


def show_result(result: dict) -> None:
    st.markdown(f"**{result['source']}**  \n→ {result['translation'] or '(empty)'}")
    ui.show_warnings(result)
    if result["nbest"]:
        table = pd.DataFrame(result["nbest"])
        table.index = range(1, len(table) + 1)
        st.dataframe(table, width="stretch")
    if result.get("attention"):
        st.altair_chart(attention_chart(result["attention"]), width="content")


def translate(task, text: str, beam_size: int, length_penalty: float) -> None:
    """Translates each non-empty line (at most ``MAX_LINES``) and shows the results."""
    lines = [line for line in ui.check_text(text).splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        st.info(f"Translating the first {MAX_LINES} of {len(lines)} lines.")
    results = task.predict(lines[:MAX_LINES], beam_size=beam_size, length_penalty=length_penalty,
                           return_attention=True)
    for result in results:
        show_result(result)


def main() -> None:
    st.title("Translation")
    st.caption(
        "A bidirectional-GRU encoder and an attentional GRU decoder over SentencePiece subwords, "
        "decoded with beam search. One sentence per line."
    )
    label = st.radio("Model", list(MODELS), horizontal=True)
    name = MODELS[label]
    task = ui.load_model(name)
    if task is None:
        return
    left, right = st.columns(2)
    beam_size = left.slider("Beam size", 1, 10, int(task.config.beam_size), help="1 = greedy decoding")
    length_penalty = right.slider(
        "Length penalty α", 0.0, 2.0, float(task.config.length_penalty), 0.1,
        help="Scores are log p / ((5 + length) / 6)^α: higher α favours longer translations.",
    )
    text = st.text_area("Source text", EXAMPLES.get(name, ""), height=120, key=f"text-{name}")
    if st.button("Translate", type="primary"):
        with ui.user_errors():
            translate(task, text, beam_size, length_penalty)
    ui.model_card(name)


if __name__ == "__main__":
    main()
