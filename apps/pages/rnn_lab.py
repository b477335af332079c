"""RNN lab: the ideas behind the suite, measured live on this machine."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from apps import architectures, ui  # noqa: E402
from nlpsuite import lab  # noqa: E402

st.title(":material/science: RNN lab")
st.write("Three measurements computed now with random weights, and one from trained models.")

gradients, gates, cost, measured = st.tabs(
    ["Vanishing gradients", "LSTM gates", "Recurrence vs. attention", "Trained: LSTM vs RWKV vs Transformer"]
)


@st.cache_data(show_spinner="Back-propagating through time…")
def _gradient_table(length: int, units: int, input_scale: float, gate_bias: float, seed: int) -> pd.DataFrame:
    frames = []
    names = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
    for kind in lab.CELLS:
        norms = lab.gradient_norms(kind, length, units, seed, input_scale, gate_bias)
        frames.append(pd.DataFrame({"t": range(1, length + 1), "norm": norms, "cell": names[kind]}))
    table = pd.concat(frames)
    table["norm"] = table["norm"].clip(lower=1e-300)  # log scale cannot show an exact zero
    return table


with gradients:
    st.write("How much the last hidden state h_T still depends on the state at step t: ‖∂h_T/∂s_t‖₂, the "
             "product of step Jacobians that backpropagation through time multiplies. SimpleRNN's shrinks "
             "geometrically; gated cells keep it when their gates lean towards remembering.")
    left, right = st.columns(2)
    length = left.slider("Sequence length T", 10, 200, 200, step=10)
    gate_bias = right.slider("Remember bias (LSTM forget gate, GRU update gate)", 0.0, 5.0, 3.0, step=0.5)
    input_scale = left.slider("Input scale", 0.1, 2.0, 1.0, step=0.1)
    units = right.select_slider("Units", [8, 16, 32, 64], value=32)
    with ui.user_errors():
        table = _gradient_table(length, units, input_scale, gate_bias, 0)
        chart = (
            alt.Chart(table)
            .mark_line()
            .encode(
                x=alt.X("t:Q", title="step t"),
                y=alt.Y("norm:Q", scale=alt.Scale(type="log"), title="‖∂h_T/∂s_t‖ (log scale)"),
                color="cell:N",
                tooltip=["cell", "t", alt.Tooltip("norm:Q", format=".2e")],
            )
            .properties(height=360)
        )
        st.altair_chart(chart, use_container_width=True)
        first = table[table["t"] == 1].set_index("cell")["norm"]
        st.caption("At t = 1: " + ", ".join(f"{cell} {value:.1e}" for cell, value in first.items()))

with gates:
    st.write("Input, forget and output gates of a random-weight LSTM reading your sentence one character at "
             "a time (rows: units; columns: characters).")
    sentence = st.text_input("Sentence", "The cat sat on the mat.", max_chars=200)
    gate = st.radio("Gate", ["input", "forget", "output", "cell"], horizontal=True)
    with ui.user_errors():
        text = ui.check_text(sentence, max_chars=200)
        values = lab.lstm_gates(text, units=16)[gate]
        frame = pd.DataFrame(
            [{"position": i, "char": f"{i}:{ch}", "unit": u, "value": float(values[i, u])}
             for i, ch in enumerate(text) for u in range(values.shape[1])]
        )
        heatmap = (
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
        st.altair_chart(heatmap, use_container_width=True)

with cost:
    st.write("Seconds for one forward pass over a sequence: a GRU does T steps of constant work (linear in T); "
             "self-attention compares all T² pairs of positions, in parallel.")
    max_length = st.select_slider("Longest sequence", [256, 512, 1024, 2048], value=1024)
    if st.button("Time them on this machine", type="primary"):
        with ui.user_errors(), st.spinner("Timing…"):
            lengths = [n for n in (32, 64, 128, 256, 512, 1024, 2048) if n <= max_length]
            rows = pd.DataFrame(lab.recurrent_vs_attention(lengths))
            chart = (
                alt.Chart(rows)
                .mark_line(point=True)
                .encode(
                    x=alt.X("length:Q", scale=alt.Scale(type="log", base=2), title="sequence length"),
                    y=alt.Y("seconds:Q", scale=alt.Scale(type="log"), title="seconds (log)"),
                    color="layer:N",
                    tooltip=["layer", "length", alt.Tooltip("seconds:Q", format=".4f")],
                )
            )
            st.altair_chart(chart, use_container_width=True)
            st.dataframe(rows, hide_index=True)

with measured:
    architectures.render_measured_tab()
