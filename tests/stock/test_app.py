import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ..apps.widgets import by_label

UPLOAD_LABEL = "Daily prices: a CSV with a Date column and Close or Adj Close (Volume optional)"
PAGE = Path(__file__).resolve().parents[2] / "apps" / "views" / "stock.py"


@pytest.fixture
def models_dir(monkeypatch):
    """Points the page at a folder of models (``ui.MODELS_DIR`` is read once, at import)."""
    from apps import ui

    def point(path):
        monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(path))
        monkeypatch.setattr(ui, "MODELS_DIR", Path(path))

    return point


def charts(at):
    return [e for e in at.get("arrow_vega_lite_chart")] or [e for e in at.get("vega_lite_chart")]


def test_missing_model_says_how_to_build_it(models_dir, tmp_path):
    models_dir(tmp_path)
    at = AppTest.from_file(str(PAGE), default_timeout=120).run()
    assert not at.exception
    assert "make train-stock" in at.warning[0].value


def test_bundled_ticker_fan_chart_backtest_and_download(models_dir, tiny_model):
    models_dir(tiny_model.parent)
    at = AppTest.from_file(str(PAGE), default_timeout=180).run()
    assert not at.exception and not at.error
    assert charts(at), "no Altair chart"
    spec = json.loads(charts(at)[0].proto.spec)
    # A legend names the price, the median and the 10%-90% band.
    legend = {label for layer in spec["layer"] for label in layer["encoding"]["color"]["scale"]["domain"]}
    assert {"price", "median (50%)", "80% band (10%–90%)"} <= legend
    assert at.get("download_button")
    # The tiny model's cutoff (2016) is after the bundled data (to 2013): the page says it is
    # in-sample.
    assert "in-sample" in at.warning[0].value
    verdict = " ".join(m.value for m in at.markdown)
    assert "naive forecast" in verdict and "80% band" in verdict
    assert at.dataframe, "no backtest table"
    table = at.dataframe[0].value
    methods = set(table.index.get_level_values("method"))
    assert {"this model", "naive (no change)", "empirical quantiles (500 days)", "GARCH(1,1)-t"} <= methods
    assert "1 trading day" in set(table.index.get_level_values("horizon"))
    assert "GARCH(1,1)-t" in verdict
    by_label(at.select_slider, "Horizon").set_value(2).run()
    assert not at.exception and not at.error
    assert "next 2 trading days" in at.subheader[0].value
    by_label(at.select_slider, "Horizon").set_value(1).run()
    assert "next 1 trading day" in at.subheader[0].value


def test_uploaded_csv_and_a_bad_one(models_dir, tiny_model, series_csv):
    models_dir(tiny_model.parent)
    at = AppTest.from_file(str(PAGE), default_timeout=180).run()
    by_label(at.radio, "Series").set_value("Upload CSV").run()
    assert not at.exception and not at.error
    by_label(at.file_uploader, UPLOAD_LABEL).set_value(("mine.csv", series_csv.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    assert "mine.csv" in at.subheader[0].value and charts(at)
    # Origins after the tiny model's cutoff exist in this series: an out-of-sample backtest, no
    # warning.
    assert not at.warning
    by_label(at.file_uploader, UPLOAD_LABEL).set_value(("bad.csv", b"Close,Volume\n1,2\n", "text/csv")).run()
    assert not at.exception
    assert "no date column" in at.error[0].value



def test_verdict_says_when_the_forecast_is_blended_with_garch():
    from apps.views.stock import verdict

    row = {"mase": 1.0, "coverage_80": 0.8, "pinball_ratio": 0.95, "pinball_ratio_garch": 0.98}
    assert not any("averages" in line for line in verdict({"by_horizon": {"1": row}}))
    blended = " ".join(verdict({"by_horizon": {"1": row}, "garch_weight": 0.4}))
    assert "60% network, 40% GARCH" in blended and "beat" in blended
    three = " ".join(verdict({"by_horizon": {"1": row}, "garch_weight": 0.1, "har_weight": 0.4}))
    assert "50% network, 10% GARCH, 40% HAR-X" in three and "change with the horizon" not in three
    # Weights per horizon (metrics saved since blend_per_horizon): horizon 1's, then the compact line.
    per_h = {"by_horizon": {"1": row}, "garch_weight": 0.1, "har_weight": 0.4,
             "garch_weight_by_horizon": [0.1, 0.3], "har_weight_by_horizon": [0.4, 0.0],
             "blend_weights": "model/GARCH/HAR-X h1 0.50/0.10/0.40, h2 0.70/0.30/0.00"}
    text = " ".join(verdict(per_h))
    assert "10% GARCH, 40% HAR-X (range-variance regression) one day ahead" in text
    assert "change with the horizon (model/GARCH/HAR-X h1 0.50/0.10/0.40, h2 0.70/0.30/0.00)" in text


def test_backtest_table_has_a_har_x_row_when_the_metrics_have_one():
    from apps.views.stock import backtest_table

    row = {"mae": 0.01, "mase": 1.0, "coverage_80": 0.8, "width_80": 0.04, "pinball": 0.004}
    metrics = {"by_horizon": {"1": row}, "baselines": {"garch": {"1": row}}}
    assert "HAR-X (range-variance regression)" not in backtest_table(metrics, 1).index.get_level_values(1)
    metrics["baselines"]["har_x"] = {"1": {**row, "pinball": 0.002}}
    table = backtest_table(metrics, 1)
    assert table.loc[("1 trading day", "HAR-X (range-variance regression)"), "pinball / GARCH"] == 0.5
