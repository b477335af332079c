"""RNN lab: the ideas behind the suite, measured live on this machine."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps import architectures, ui
from nlpsuite import lab

MAX_SENTENCE = 200  # characters the gates tab reads (an LSTM step per character, computed in NumPy)
NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
LOG_FORMAT = ".0e"  # one number format for every log axis: 1e-12, 1e-6, 1e+0


def log_axis(title: str, base: int = 10) -> tuple[alt.Scale, alt.Axis]:
    """The scale and axis of a log-scale encoding whose tick labels all read the same way (1e-6, 1e-3, 1e+0)."""
    return alt.Scale(type="log", base=base), alt.Axis(format=LOG_FORMAT, title=title)


@st.cache_data(show_spinner="Back-propagating through time…")
def gradient_table(length: int, units: int, input_scale: float, gate_bias: float, seed: int) -> pd.DataFrame:
    frames = []
    for kind in lab.CELLS:
        norms = lab.gradient_norms(kind, length, units, seed, input_scale, gate_bias)
        frames.append(pd.DataFrame({"t": range(1, length + 1), "norm": norms, "cell": NAMES[kind]}))
    table = pd.concat(frames)
    table["norm"] = table["norm"].clip(lower=1e-300)  # log scale cannot show an exact zero
    return table


def gradients_tab() -> None:
    st.write("How much the last hidden state h_T still depends on the state at step t: ‖∂h_T/∂s_t‖₂, the "
             "product of step Jacobians that backpropagation through time multiplies. SimpleRNN's shrinks "
             "geometrically; gated cells keep it when their gates lean towards remembering.")
    left, right = st.columns(2)
    length = left.slider("Sequence length T", 10, 200, 200, step=10)
    gate_bias = right.slider("Remember bias (LSTM forget gate, GRU update gate)", 0.0, 5.0, 3.0, step=0.5)
    input_scale = left.slider("Input scale", 0.1, 2.0, 1.0, step=0.1)
    units = right.select_slider("Units", [8, 16, 32, 64], value=32)
    with ui.user_errors():
        table = gradient_table(length, units, input_scale, gate_bias, 0)
        scale, axis = log_axis("‖∂h_T/∂s_t‖ (log scale)")
        chart = (
            alt.Chart(table)
            .mark_line()
            .encode(
                x=alt.X("t:Q", title="step t"),
                y=alt.Y("norm:Q", scale=scale, axis=axis),
                color=alt.Color("cell:N", title="cell"),
                tooltip=["cell", "t", alt.Tooltip("norm:Q", format=".2e")],
            )
            .properties(height=360)
        )
        st.altair_chart(chart, width="stretch")
        first = table[table["t"] == 1].set_index("cell")["norm"]
        st.caption("At t = 1: " + ", ".join(f"{cell} {value:.1e}" for cell, value in first.items()))


def gates_tab() -> None:
    st.write("Input, forget and output gates of a random-weight LSTM reading your sentence one character at "
             f"a time (rows: units; columns: characters; the first {MAX_SENTENCE} characters).")
    # No max_chars on the box: it would drop longer pasted text silently; the cut is said below instead.
    sentence = st.text_input("Sentence", "The cat sat on the mat.")
    gate = st.radio("Gate", ["input", "forget", "output", "cell"], horizontal=True)
    with ui.user_errors():
        text = ui.check_text(sentence)
        if len(text) > MAX_SENTENCE:
            st.info(f"The sentence has {len(text):,} characters; the gates are drawn for the first {MAX_SENTENCE}.")
            text = text[:MAX_SENTENCE]
        st.altair_chart(gates_chart(text, gate), width="stretch")


def gates_chart(text: str, gate: str) -> alt.Chart:
    values = lab.lstm_gates(text, units=16)[gate]
    frame = pd.DataFrame(
        [{"position": i, "char": f"{i}:{ch}", "unit": u, "value": float(values[i, u])}
         for i, ch in enumerate(text) for u in range(values.shape[1])]
    )
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("char:N", sort=None, title="character"),
            y=alt.Y("unit:O", title="unit"),
            color=alt.Color("value:Q", scale=alt.Scale(scheme="viridis")),
            tooltip=["char", "unit", alt.Tooltip("value:Q", format=".2f")],
        )
        .properties(height=320)
    )


def cost_tab() -> None:
    st.write("Seconds for one forward pass over a sequence: a GRU does T steps of constant work (linear in T); "
             "self-attention compares all T² pairs of positions, in parallel.")
    max_length = st.select_slider("Longest sequence", [256, 512, 1024, 2048], value=1024)
    if not st.button("Time them on this machine", type="primary"):
        return
    with ui.user_errors(), st.spinner("Timing…"):
        lengths = [n for n in (32, 64, 128, 256, 512, 1024, 2048) if n <= max_length]
        rows = pd.DataFrame(lab.recurrent_vs_attention(lengths))
        x_scale = alt.Scale(type="log", base=2)
        y_scale, y_axis = log_axis("seconds (log scale)")
        chart = (
            alt.Chart(rows)
            .mark_line(point=True)
            .encode(
                x=alt.X("length:Q", scale=x_scale, axis=alt.Axis(format="d", title="sequence length (log scale)")),
                y=alt.Y("seconds:Q", scale=y_scale, axis=y_axis),
                color=alt.Color("layer:N", title="layer"),
                tooltip=["layer", "length", alt.Tooltip("seconds:Q", format=".2e")],
            )
        )
        st.altair_chart(chart, width="stretch")
        st.dataframe(rows, hide_index=True, column_config={"seconds": st.column_config.NumberColumn(format="%.2e")})


def main() -> None:
    st.title(":material/science: RNN lab")
    st.write(
        "Three measurements computed now with random weights, and the trained LSTM, RWKV and Transformer "
        "compared on the same text and CPU budget (measured by `make bench`)."
    )
    gradients, gates, cost, trained = st.tabs(
        ["Vanishing gradients", "LSTM gates", "Recurrence vs. attention", "Trained: LSTM vs RWKV vs Transformer"]
    )
    with gradients:
        gradients_tab()
    with gates:
        gates_tab()
    with cost:
        cost_tab()
    with trained:
        architectures.render_measured_tab()


if __name__ == "__main__":
    main()
