"""Poetry: Tang regulated verse and acrostics (poetry-zh), or free text in Shakespeare's style (poetry-en).

The poem streams character by character from the model's step-by-step generator (``task.stream``) and is shown
one verse line per line.
"""

import html
import re
from collections.abc import Iterable
from typing import Any

import streamlit as st

from apps import ui
from nlpsuite.data import corpus
from nlpsuite.errors import NlpsuiteError

FORMS = {
    "": "free (no form)",
    "wujue": "五言绝句 (4 × 5)",
    "qijue": "七言绝句 (4 × 7)",
    "wulv": "五言律诗 (8 × 5)",
    "qilv": "七言律诗 (8 × 7)",
}
MODELS = {"poetry-zh": "Chinese verse (Tang poems)", "poetry-en": "English text (Shakespeare)"}
ACROSTIC = "Acrostic (藏头): one character per line"
RHYME = "Rhyme the even lines (中华新韵 groups)"
LINE_ENDS = "，。！？；"  # a Chinese verse line ends with one of these
# A speaker's name at the start of a line ("ROMEO:", "First Citizen:") followed by speech on the same line.
SPEAKER = re.compile(r"(?m)^((?:[A-Z][A-Za-z']*[ ]){0,2}[A-Z][A-Za-z']*):[ \t]+(?=\S)")
REFRESH_EVERY = 8  # characters between redraws while streaming (a redraw per character floods the browser)


def _next_seed() -> None:
    # Runs before the rerun, so the seed widget may still be changed here.
    st.session_state["poetry_seed"] = int(st.session_state.get("poetry_seed", 0)) + 1
    st.session_state["poetry_go"] = True


def _go() -> None:
    st.session_state["poetry_go"] = True


def _forget_poem() -> None:
    st.session_state.pop("poetry_text", None)


def verse_html(text: str, chinese: bool) -> str:
    """The poem as HTML with one verse line per line: Chinese lines end at ，/。; English keeps its own line breaks,
    and a speaker's name (``ROMEO:``) gets a line of its own when the speech follows it on the same line.

    >>> "ROMEO:<br>" in verse_html("ROMEO: But soft!", chinese=False).replace(chr(10), "<br>")
    True
    """
    if chinese:
        for mark in LINE_ENDS:
            text = text.replace(mark, mark + "\n")
    else:
        text = SPEAKER.sub(r"\1:\n", text)
    body = html.escape(text.strip("\n"))
    return f'<div style="white-space: pre-wrap; line-height: 1.7; font-size: 1.15em">{body}</div>'


def check_choices(form: str, acrostic: str, rhyme: bool) -> None:
    """The form options checked in the page's own words before the model sees them."""
    if rhyme and not (form or acrostic):
        raise NlpsuiteError(f"“{RHYME}” needs a Form or an acrostic, so the page knows which lines are even.")
    if not acrostic:
        return
    other = next((c for c in acrostic if not corpus.is_han(c)), None)
    if other is not None:
        raise NlpsuiteError(f"Acrostic (藏头): {other!r} is not a Chinese character; give one Chinese character per "
                            "line.")
    lines = corpus.FORMS[form][0] if form else None
    if lines and len(acrostic) != lines:
        raise NlpsuiteError(f"Acrostic (藏头) has {len(acrostic)} characters but {FORMS[form]} has {lines} lines; "
                            "give one character per line.")


def _form_options() -> dict[str, Any]:
    left, right = st.columns(2)
    form = left.selectbox("Form", list(FORMS), format_func=FORMS.get, index=2, key="poetry_form")
    acrostic = "".join(right.text_input(ACROSTIC, key="poetry_acrostic", max_chars=16).split())
    rhyme = st.checkbox(RHYME, key="poetry_rhyme")
    return {"form": form or None, "acrostic": acrostic or None, "rhyme": rhyme}


def _sampling_options(max_length: bool) -> dict[str, Any]:
    st.session_state.setdefault("poetry_seed", 0)  # set here, not as the widget's default, so Regenerate may change it
    with st.expander("Sampling", expanded=False):
        a, b, c, d = st.columns(4)
        options = {
            "temperature": a.slider("Temperature", 0.0, 2.0, 0.8, 0.05, key="poetry_temperature"),
            "top_k": int(b.number_input("Top-k (0 = off)", 0, 5000, 0, key="poetry_top_k")),
            "top_p": c.slider("Top-p", 0.05, 1.0, 0.95, 0.05, key="poetry_top_p"),
            "seed": int(d.number_input("Seed", min_value=0, max_value=2**31 - 1, key="poetry_seed")),
        }
        if max_length:
            options["max_length"] = int(st.number_input("Characters to write", 20, 5000, 400, key="poetry_max_length"))
    return options


def read_options(chinese: bool) -> tuple[str, dict[str, Any]]:
    """The prompt and the generation options from the widgets; raises on a choice the page refuses."""
    options = _form_options() if chinese else {}
    placeholder = "Opening characters (optional), e.g. 春风" if chinese else "A prompt to continue, e.g. ROMEO:"
    prompt = st.text_area("Prompt", key="poetry_prompt", placeholder=placeholder, height=80)
    options.update(_sampling_options(max_length=not options.get("form")))
    # Checked after every widget is drawn, so a refused choice leaves the rest of the page in place.
    if chinese:
        check_choices(options["form"] or "", options["acrostic"] or "", options["rhyme"])
    return ui.check_text(prompt, max_chars=2000) if prompt.strip() else "", options


def stream_poem(characters: Iterable[str], chinese: bool) -> str:
    """Draws the poem as it is written, one verse line per line; returns the whole text."""
    box, text = st.empty(), ""
    for i, char in enumerate(characters):
        text += char
        if i % REFRESH_EVERY == 0 or char in LINE_ENDS or char == "\n":
            box.markdown(verse_html(text, chinese), unsafe_allow_html=True)
    box.markdown(verse_html(text, chinese), unsafe_allow_html=True)
    return text


def show_poem(task: Any, prompt: str | None, options: dict[str, Any], chinese: bool) -> None:
    """Streams a new poem when Generate was pressed, else shows the last one (if it still answers the page)."""
    go = st.session_state.pop("poetry_go", False)
    if prompt is None or go:
        _forget_poem()  # a refused prompt or a new poem: the previous one no longer answers the page
    if go and prompt is not None:
        for warning in task.prompt_warnings(prompt):
            st.warning(warning, icon=":material/translate:")
        with ui.user_errors():
            stream = task.stream(prompt, **options)  # checks the options before anything is shown
            st.session_state["poetry_text"] = stream_poem(stream, chinese)
    elif st.session_state.get("poetry_text"):
        st.markdown(verse_html(st.session_state["poetry_text"], chinese), unsafe_allow_html=True)


def main() -> None:
    st.title("Poetry")
    st.caption(
        "A character-level LSTM writes one character at a time. Forms, acrostics and rhymes are "
        "enforced by masking the vocabulary at every step, so every poem has exactly the form "
        "asked."
    )
    name = st.radio("Model", list(MODELS), format_func=MODELS.get, horizontal=True, key="poetry_model",
                    on_change=_forget_poem)  # another model's poem must not stay on screen
    task = ui.load_model(name)
    if task is None:
        return
    chinese = task.language == "zh"
    prompt, options = None, {}  # stay so when a choice is refused, so nothing is generated
    with ui.user_errors():
        prompt, options = read_options(chinese)
    left, right = st.columns([1, 1])
    left.button("Generate", type="primary", key="poetry_generate", on_click=_go)
    right.button("Regenerate (next seed)", key="poetry_regenerate", on_click=_next_seed)
    show_poem(task, prompt, options, chinese)
    ui.model_card(name)


if __name__ == "__main__":
    main()
