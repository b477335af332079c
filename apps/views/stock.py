"""Stock forecaster: a bundled ticker or an uploaded CSV -> fan chart, backtest against naive,
empirical quantiles, GARCH(1,1)-t and HAR-X, CSV download."""

import hashlib
import pathlib
import tempfile
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from apps import ui
from nlpsuite.errors import NlpsuiteError

MODEL = "stock"
TICKERS = ("AAPL", "MSFT", "IBM", "GOOG")
HISTORY_DAYS = 120
TABLE_HORIZONS = (1, 5, 10, 20)


@st.cache_data(show_spinner="Backtesting over rolling origins…", max_entries=16)
def backtest(_task: Any, source: str, split: str, stamp: float) -> dict[str, Any]:
    """The saved model's rolling-origin backtest on ``source`` (cached per model version)."""
    del stamp  # part of the cache key only
    return _task.evaluate(source, split=split)


def upload_to_path(uploaded: Any) -> str:
    """Writes an uploaded CSV to a temp file named by its content, so reruns hit the cache."""
    text = ui.read_upload(uploaded)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    path = pathlib.Path(tempfile.gettempdir()) / f"nlpsuite-stock-{digest}.csv"
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return str(path)


def trading_days(h: int) -> str:
    """``1 trading day``, ``5 trading days``."""
    return "1 trading day" if h == 1 else f"{h} trading days"


BAND_COLORS = {"price": "#1f77b4", "median (50%)": "#ff7f0e", "80% band (10%–90%)": "#ffbb78"}


def _fan_frames(result: dict[str, Any], context_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history shown and the forecast, the band starting at the last close so the fan opens from the line."""
    history = pd.DataFrame(result["history"]).tail(context_days)
    history["date"] = pd.to_datetime(history["date"])
    history["series"] = "price"
    forecast = pd.DataFrame(result["forecast"])
    forecast["date"] = pd.to_datetime(forecast["date"])
    anchor = {"date": pd.to_datetime(result["last_date"]), **dict.fromkeys(("q10", "q50", "q90"), result["last_close"])}
    forecast = pd.concat([pd.DataFrame([anchor]), forecast], ignore_index=True)
    forecast["band"], forecast["median"] = "80% band (10%–90%)", "median (50%)"
    return history, forecast


def _price_scale(history: pd.DataFrame, forecast: pd.DataFrame) -> alt.Scale:
    """A y scale that fits the prices and the band shown, with 5% room."""
    low = min(history["close"].min(), forecast["q10"].min())
    high = max(history["close"].max(), forecast["q90"].max())
    pad = 0.05 * (high - low)
    return alt.Scale(domain=[low - pad, high + pad], zero=False)


def _quantile_tooltip(column: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(f"{column}:Q", title=title, format=".2f")


def fan_chart(result: dict[str, Any], context_days: int = HISTORY_DAYS) -> alt.LayerChart:
    """The last ``context_days`` closes, the median forecast and its 10–90% band, with a legend.

    The x axis spans only the context window and the horizon, and the y axis fits the prices and the
    band shown, so the band is legible rather than a sliver at the edge of years of history.
    """
    history, forecast = _fan_frames(result, context_days)
    y_scale = _price_scale(history, forecast)
    x = alt.X("date:T", title=None)
    color_scale = alt.Scale(domain=list(BAND_COLORS), range=list(BAND_COLORS.values()))
    legend = alt.Legend(title=None, orient="top-left")

    def color(field: str) -> alt.Color:
        return alt.Color(f"{field}:N", scale=color_scale, legend=legend)

    line = alt.Chart(history).mark_line().encode(
        x, alt.Y("close:Q", title="price", scale=y_scale), color("series"),
        tooltip=[alt.Tooltip("date:T"), alt.Tooltip("close:Q", format=".2f")],
    )
    band = alt.Chart(forecast).mark_area(opacity=0.5).encode(
        x, alt.Y("q10:Q", scale=y_scale), alt.Y2("q90:Q"), color("band"),
        tooltip=[alt.Tooltip("date:T"), _quantile_tooltip("q10", "10%"), _quantile_tooltip("q50", "median"),
                 _quantile_tooltip("q90", "90%")],
    )
    median = alt.Chart(forecast).mark_line(strokeDash=[4, 2]).encode(
        x, alt.Y("q50:Q", scale=y_scale), color("median"),
        tooltip=[alt.Tooltip("date:T"), _quantile_tooltip("q50", "median")],
    )
    return alt.layer(band, line, median).properties(height=360)


METHODS = (
    ("model", "this model"),
    ("naive", "naive (no change)"),
    ("empirical", "empirical quantiles (500 days)"),
    ("garch", "GARCH(1,1)-t"),
    ("har_x", "HAR-X (range-variance regression)"),
)


def backtest_table(metrics: dict[str, Any], horizon: int) -> pd.DataFrame:
    """One row per horizon and method: the model beside the naive forecast, the trailing
    empirical quantiles, GARCH(1,1)-t and HAR-X alone (metrics saved before HAR-X was a baseline have
    no such rows), on the same origins."""
    rows = []
    for h in sorted({*(t for t in TABLE_HORIZONS if t <= horizon), horizon}):
        model = metrics["by_horizon"].get(str(h))
        if not model:
            continue
        garch = metrics.get("baselines", {}).get("garch", {}).get(str(h), {})
        for key, label in METHODS:
            m = model if key == "model" else metrics.get("baselines", {}).get(key, {}).get(str(h))
            if not m:
                continue
            pinball = m.get("pinball", float("nan"))
            rows.append(
                {
                    "horizon": trading_days(h),
                    "method": label,
                    "MAE (%)": 100 * m["mae"],
                    "MASE": m.get("mase", float("nan")),
                    "80% coverage": m.get("coverage_80", float("nan")),
                    "80% width (%)": 100 * m.get("width_80", float("nan")),
                    "pinball (%)": 100 * pinball,
                    "pinball / GARCH": pinball / garch["pinball"] if garch else float("nan"),
                }
            )
    return pd.DataFrame(rows).set_index(["horizon", "method"])


def _mae_sentence(mase: float) -> str:
    if mase < 0.995:
        return f"The median forecast **beats the naive forecast on MAE** one day ahead (MASE {mase:.3f})."
    if mase <= 1.005:
        return (
            f"The median forecast **ties the naive forecast** (tomorrow = today) on MAE one day "
            f"ahead (MASE {mase:.3f}): no skill at predicting direction, as expected "
            f"for daily prices."
        )
    return f"The median forecast **does not beat the naive forecast on MAE** one day ahead (MASE {mase:.3f})."


def _coverage_sentence(coverage: float) -> str:
    calibrated = 0.75 <= coverage <= 0.85
    return f"The 80% band held {coverage:.0%} of next-day outcomes " + (
        "(well calibrated)." if calibrated else "(outside the 75–85% target)."
    )


def _band_sentences(first: dict[str, Any]) -> list[str]:
    """How the bands compare with the empirical-quantile and GARCH baselines, where they were scored."""
    lines = []
    ratio = first.get("pinball_ratio")
    if ratio is not None:
        better = "sharper than" if ratio < 0.995 else "no better than"
        lines.append(
            f"Its bands are **{better}** the trivial ones from the last 500 days' returns "
            f"(pinball loss {ratio:.2f}× theirs)."
        )
    garch = first.get("pinball_ratio_garch")
    if garch is not None:
        better = "beat" if garch < 0.995 else "tie" if garch <= 1.005 else "lose to"
        lines.append(
            f"Against **GARCH(1,1)-t**, the volatility model a practitioner would use, its bands "
            f"**{better}** it one day ahead (pinball loss {garch:.3f}× GARCH's)."
        )
    return lines


def verdict(metrics: dict[str, Any]) -> list[str]:
    """Plain sentences: does the model beat naive on MAE, are its bands calibrated and sharper?"""
    first = metrics["by_horizon"].get("1")
    if not first:
        return []
    lines = [_mae_sentence(first["mase"]), _coverage_sentence(first["coverage_80"]), *_band_sentences(first)]
    blend = _blend_sentence(metrics)
    return [*lines, blend] if blend else lines


def _blend_sentence(metrics: dict[str, Any]) -> str | None:
    """The blend's weights: one day ahead, and per horizon when they change with it (metrics saved
    before per-horizon weights have one pair, ``garch_weight`` and ``har_weight``)."""
    weight, har = metrics.get("garch_weight") or 0.0, metrics.get("har_weight") or 0.0
    pairs = set(zip(metrics.get("garch_weight_by_horizon") or [weight], metrics.get("har_weight_by_horizon") or [har],
                    strict=False))
    if not any(g or h for g, h in pairs):
        return None
    parts = [f"{1 - weight - har:.0%} network", f"{weight:.0%} GARCH" if weight else "",
             f"{har:.0%} HAR-X (range-variance regression)" if har else ""]
    varies = len(pairs) > 1
    line = (
        f"The forecast averages the quantiles of several models ({', '.join(p for p in parts if p)}"
        f"{' one day ahead' if varies else ''}; the weights were chosen before the test period)."
    )
    if varies and metrics.get("blend_weights"):
        line += f" The weights change with the horizon ({metrics['blend_weights']})."
    return line


def forecast_csv(result: dict[str, Any]) -> str:
    return pd.DataFrame(result["forecast"]).to_csv(index=False, float_format="%.4f")


def choose_source() -> tuple[str | None, dict[str, str]]:
    """The series to forecast (``bokeh:TICKER`` or an upload's temp path) and ``{temp path: file name}``."""
    kind = st.radio("Series", ["Bundled ticker", "Upload CSV"], horizontal=True)
    if kind == "Bundled ticker":
        ticker = st.selectbox("Ticker (bokeh-sampledata, 2000–2013, split-adjusted)", TICKERS)
        return f"bokeh:{ticker}", {}
    uploaded = st.file_uploader(
        "Daily prices: a CSV with a Date column and Close or Adj Close (Volume optional)",
        type=["csv", "txt"],
    )
    if uploaded is None:
        return None, {}
    with ui.user_errors():
        path = upload_to_path(uploaded)
        return path, {path: uploaded.name}
    return None, {}


def show_forecast(task: Any, source: str, name: str, horizon: int) -> None:
    result = task.predict([source], horizon=horizon, history=HISTORY_DAYS)[0]
    st.subheader(f"{name}: next {trading_days(horizon)}")
    st.altair_chart(fan_chart(result), width="stretch")
    last = result["forecast"][-1]
    st.write(
        f"Last close {result['last_close']:.2f} on {result['last_date']}. "
        f"In {trading_days(horizon)}: median {last['q50']:.2f}, "
        f"80% band {last['q10']:.2f}–{last['q90']:.2f}."
    )
    st.download_button(
        "Download forecast CSV",
        forecast_csv(result),
        file_name=f"forecast-{name.replace(':', '-').rsplit('.', 1)[0]}.csv",
        mime="text/csv",
    )
    for note in result["notes"]:
        st.caption(note)


def show_backtest(task: Any, source: str, horizon: int) -> None:
    st.subheader("Backtest against naive, empirical quantiles, GARCH and HAR-X")
    stamp = (ui.model_path(MODEL) / "config.json").stat().st_mtime
    try:
        metrics = backtest(task, source, "test", stamp)
        st.caption(
            f"Rolling origins {metrics['first_origin']} to {metrics['last_origin']} "
            f"({metrics['origins']} forecasts), after the model's training data "
            f"(to {metrics['train_end']}); no refitting. Errors are in % of the price."
        )
    except NlpsuiteError:
        metrics = backtest(task, source, "all", stamp)
        st.warning(
            f"This series has no dates after the model's training cutoff "
            f"({task.config.train_end}), so the backtest covers the whole series; for "
            "the bundled tickers that is in-sample and flatters the model."
        )
    for line in verdict(metrics):
        st.markdown(f"- {line}")
    st.dataframe(backtest_table(metrics, horizon).style.format("{:.3f}", na_rep="–"))


def main() -> None:
    st.title("Stock forecaster")
    st.caption(
        "A GRU over the last 60 days of log returns, daily ranges, overnight gaps and volume "
        "forecasts the 10%, 50% and 90% quantiles of the price up to 20 trading days ahead. Not "
        "investment advice: the backtest below says how much (or how little) that is worth, against "
        "the naive forecast, trailing empirical quantiles, GARCH(1,1)-t and HAR-X."
    )
    task = ui.load_model(MODEL)
    if task is None:
        return
    source, names = choose_source()
    horizon = st.select_slider(
        "Horizon",
        options=list(range(1, task.config.horizon + 1)),
        value=min(10, task.config.horizon),
        format_func=trading_days,
    )
    if source is not None:
        with ui.user_errors(names):  # messages name the uploaded file, not its temp copy on the server
            show_forecast(task, source, names.get(source, source), horizon)
            show_backtest(task, source, horizon)
    ui.model_card(MODEL)


if __name__ == "__main__":
    main()
