"""Named entities: text in -> entities highlighted by type, with a confidence table; files -> tagged CoNLL."""

import html
import pathlib
from typing import Any

import pandas as pd
import streamlit as st

from apps import ui

MODELS = {
    "English (CoNLL-2003)": "ner-en",
    "Chinese (Resume NER)": "ner-zh",
}
EXAMPLES = {
    "ner-en": "Angela Merkel met Emmanuel Macron in Paris on Monday, Reuters reported, before flying "
    "to the European Union summit in Brussels.",
    "ner-zh": "张伟，男，汉族，现任北京大学教授，曾任中国银行董事长。",
}
# Colour-blind-friendly pastel backgrounds; types beyond the palette reuse it in order.
PALETTE = (
    "#a6cee3",
    "#b2df8a",
    "#fdbf6f",
    "#cab2d6",
    "#fb9a99",
    "#ffff99",
    "#8dd3c7",
    "#fccde5",
    "#d9d9d9",
    "#bebada",
)
UPLOAD_TYPES = ["txt", "conll", "bmes", "bio", "tsv"]


def colours(types: list[str]) -> dict[str, str]:
    return {kind: PALETTE[i % len(PALETTE)] for i, kind in enumerate(sorted(types))}


def highlight(text: str, entities: list[dict[str, Any]], palette: dict[str, str]) -> str:
    """HTML of ``text`` with each entity in a coloured box labelled by its type (all text escaped)."""
    parts, cursor = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        parts.append(html.escape(text[cursor : entity["start"]]))
        colour = palette.get(entity["type"], "#eeeeee")
        parts.append(
            f'<mark style="background:{colour};padding:0.1em 0.3em;border-radius:0.3em;line-height:2" '
            f'title="{html.escape(entity["type"])} {entity["score"]:.2f}">'
            f"{html.escape(text[entity['start'] : entity['end']])}"
            f' <small style="font-weight:600">{html.escape(entity["type"])}</small></mark>'
        )
        cursor = entity["end"]
    parts.append(html.escape(text[cursor:]))
    return "<div style='font-size:1.1em'>" + "".join(parts).replace("\n", "<br>") + "</div>"


def legend(palette: dict[str, str]) -> str:
    boxes = [
        f'<mark style="background:{c};padding:0.1em 0.4em;border-radius:0.3em">{html.escape(t)}</mark>'
        for t, c in palette.items()
    ]
    return "<div>Types: " + " ".join(boxes) + "</div>"


def entity_types(task: Any) -> list[str]:
    return list(task.preprocessor.entity_types)


def text_tab(task: Any, name: str) -> None:
    text = st.text_area("Text", value=EXAMPLES.get(name, ""), height=140, key=f"text-{name}")
    if st.button("Find entities", type="primary", key=f"run-{name}"):
        with ui.user_errors():
            text = ui.check_text(text)
            with st.spinner("Tagging…"):
                result = task.predict([text])[0]
            ui.show_warnings(result)
            palette = colours(entity_types(task))
            st.markdown(legend(palette), unsafe_allow_html=True)
            st.markdown(
                highlight(result["text"], result["entities"], palette), unsafe_allow_html=True
            )
            if result["entities"]:
                table = pd.DataFrame(result["entities"])[["text", "type", "start", "end", "score"]]
                table = table.rename(columns={"score": "confidence"})
                st.dataframe(
                    table,
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "confidence": st.column_config.ProgressColumn(
                            "confidence", min_value=0.0, max_value=1.0, format="%.2f"
                        )
                    },
                )
            else:
                st.info("No entities found.")


def file_tab(task: Any, name: str) -> None:
    st.write(
        "Upload plain text (one paragraph per line) or a CoNLL file (one token per line, blank line "
        "between sentences); download it tagged in CoNLL format."
    )
    uploaded = st.file_uploader("File", type=UPLOAD_TYPES, key=f"upload-{name}")
    mode = st.radio(
        "Read the file as", ["auto", "conll", "text"], horizontal=True, key=f"mode-{name}"
    )
    if uploaded is None:
        return
    with ui.user_errors():
        text = ui.read_upload(uploaded)
        with st.spinner("Tagging…"):
            result = task.tag_document(text, source=uploaded.name, fmt=mode)
        st.success(
            f"Tagged {result['sentences']:,} sentences as {result['format']}; "
            f"{result['entities']:,} entities found."
        )
        stem = pathlib.Path(uploaded.name).stem
        st.download_button(
            "Download tagged CoNLL",
            result["conll"].encode("utf-8"),
            file_name=f"{stem}.tagged.conll",
            mime="text/plain",
            key=f"download-{name}",
        )
        preview = "\n".join(result["conll"].splitlines()[:40])
        st.code(preview, language=None)


def main() -> None:
    st.title("🏷️ Named entities")
    st.caption(
        "BiLSTM-CRF taggers: English words + characters + casing (CoNLL-2003: PER, LOC, ORG, MISC); "
        "Chinese characters + bigrams + jieba word positions (Resume NER)."
    )
    choice = st.radio("Model", list(MODELS), horizontal=True)
    name = MODELS[choice]
    task = ui.load_model(name)
    if task is not None:
        text, upload = st.tabs(["Text", "File"])
        with text:
            text_tab(task, name)
        with upload:
            file_tab(task, name)
    ui.model_card(name)


if __name__ == "__main__":
    main()
