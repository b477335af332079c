"""Poetry: Tang regulated verse and acrostics (poetry-zh), or free text in Shakespeare's style
(poetry-en).

The poem streams character by character from the model's step-by-step generator (``task.stream``).
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402

from apps import architectures, ui  # noqa: E402

FORMS = {
    "": "free (no form)",
    "wujue": "五言绝句 (4 × 5)",
    "qijue": "七言绝句 (4 × 7)",
    "wulv": "五言律诗 (8 × 5)",
    "qilv": "七言律诗 (8 × 7)",
}
MODELS = {"poetry-zh": "Chinese verse (poetry-zh)", "poetry-en": "English text (poetry-en)"}


def _next_seed() -> None:
    # Runs before the rerun, so the seed widget may still be changed here.
    st.session_state["poetry_seed"] = int(st.session_state.get("poetry_seed", 0)) + 1
    st.session_state["poetry_go"] = True


def _go() -> None:
    st.session_state["poetry_go"] = True


def _options(chinese: bool) -> tuple[str, dict]:
    options: dict = {}
    if chinese:
        left, right = st.columns(2)
        form = left.selectbox(
            "Form", list(FORMS), format_func=FORMS.get, index=2, key="poetry_form"
        )
        acrostic = right.text_input(
            "Acrostic (藏头): one character per line", key="poetry_acrostic", max_chars=16
        )
        rhyme = st.checkbox("Rhyme the even lines (中华新韵 groups)", key="poetry_rhyme")
        options.update(form=form or None, acrostic=acrostic.strip() or None, rhyme=rhyme)
        placeholder = "Opening characters (optional), e.g. 春风"
    else:
        placeholder = "A prompt to continue, e.g. ROMEO:"
    prompt = st.text_area("Prompt", key="poetry_prompt", placeholder=placeholder, height=80)
    with st.expander("Sampling", expanded=False):
        a, b, c, d = st.columns(4)
        options["temperature"] = a.slider(
            "Temperature", 0.0, 2.0, 0.8, 0.05, key="poetry_temperature"
        )
        options["top_k"] = int(b.number_input("Top-k (0 = off)", 0, 5000, 0, key="poetry_top_k"))
        options["top_p"] = c.slider("Top-p", 0.05, 1.0, 0.95, 0.05, key="poetry_top_p")
        options["seed"] = int(d.number_input("Seed", 0, 2**31 - 1, 0, key="poetry_seed"))
        if not chinese or not options.get("form"):
            options["max_length"] = int(
                st.number_input("Characters to write", 20, 5000, 400, key="poetry_max_length")
            )
    return ui.check_text(prompt, max_chars=2000) if prompt.strip() else "", options


def main() -> None:
    st.title("Poetry")
    st.caption(
        "A character-level LSTM writes one character at a time. Forms, acrostics and rhymes are "
        "enforced by masking the vocabulary at every step, so every poem has exactly the form "
        "asked."
    )
    name = st.radio(
        "Model", list(MODELS), format_func=MODELS.get, horizontal=True, key="poetry_model"
    )
    name = architectures.pick_variant(name)  # poetry-en-rwkv, ... when more than one is saved
    task = ui.load_model(name)
    if task is None:
        return
    prompt = None  # stays None when the prompt is rejected (too long), so nothing is generated
    options: dict = {}
    with ui.user_errors():
        prompt, options = _options(task.codec.mode == "poems")
    left, right = st.columns([1, 1])
    left.button("Generate", type="primary", key="poetry_generate", on_click=_go)
    right.button("Regenerate (next seed)", key="poetry_regenerate", on_click=_next_seed)
    if st.session_state.pop("poetry_go", False) and prompt is not None:
        with ui.user_errors():
            stream = task.stream(prompt, **options)  # checks the options before anything is shown
            st.session_state["poetry_text"] = st.write_stream(stream)
    elif st.session_state.get("poetry_text"):
        st.markdown(st.session_state["poetry_text"])
    ui.model_card(name)


main()
