from pathlib import Path

import numpy as np
import pytest

from nlpsuite.data import prices
from nlpsuite.errors import NlpsuiteError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stock"


@pytest.mark.parametrize(
    "name, match",
    [
        ("no_date.csv", r"no_date.csv: no date column"),
        ("no_price.csv", r"no price column"),
        ("bad_price.csv", r"bad_price.csv line 4: Close is 'n/a', not a number"),
        ("bad_date.csv", r"bad_date.csv line 3: date '2020-13-45' is not a date"),
        ("negative.csv", r"negative.csv line 3: Close is -1.0; prices must be > 0"),
    ],
)
def test_reader_errors_name_file_line_and_field(name, match):
    with pytest.raises(NlpsuiteError, match=match):
        prices.read_prices(FIXTURES / name)


def test_missing_file_and_unknown_ticker():
    with pytest.raises(NlpsuiteError, match="price file not found"):
        prices.read_prices("/nonexistent/prices.csv")
    with pytest.raises(NlpsuiteError, match="unknown bundled ticker 'TSLA'"):
        prices.read_prices("bokeh:TSLA")


def test_too_few_rows_for_the_lookback():
    series = prices.read_prices(FIXTURES / "short.csv")
    assert len(series) == 30
    with pytest.raises(NlpsuiteError, match=r"short.csv has 30 rows .* needs at least 121"):
        prices.require_length(series, 121, "lookback 60 + warm-up 60")


def test_adjusted_column_is_preferred_and_lowercase_names_are_found():
    series = prices.read_prices(FIXTURES / "adjusted.csv")
    assert series.close[0] == pytest.approx(100.0)  # Adj Close, not the 7x unadjusted close
    assert not any("split" in note for note in series.notes)
    assert np.abs(series.log_returns()).max() < 0.1


def test_sorts_dedups_and_undoes_a_7_for_1_split():
    series = prices.read_prices(FIXTURES / "split_7to1.csv")
    assert np.all(np.diff(series.dates).astype(int) > 0)
    notes = " ".join(series.notes)
    assert "sorted by date" in notes and "1 duplicated date(s)" in notes
    assert "7:1 split" in notes and str(series.dates[180]) in notes
    # After the adjustment no fake -85% day remains; prices before the split are on today's scale.
    assert np.abs(series.log_returns()).max() < 0.1
    assert series.close[0] == pytest.approx(100.0, rel=1e-3)
    assert series.volume is not None and series.volume[0] > 500_000


def test_bundled_ticker_uses_split_adjusted_close():
    aapl = prices.read_prices("bokeh:AAPL")
    assert str(aapl.dates[0]) == "2000-03-01" and len(aapl) == 3270
    day = int(np.flatnonzero(aapl.dates == np.datetime64("2000-06-21"))[0])
    # Raw close halves on 2000-06-21 (a 2:1 split); the adjusted series rose that day.
    assert aapl.log_returns()[day - 1] > 0
    # The 52% overnight crash of 2000-09-29 was real and stays.
    crash = int(np.flatnonzero(aapl.dates == np.datetime64("2000-09-29"))[0])
    assert aapl.log_returns()[crash - 1] < -0.6


def test_unadjusted_bundled_close_splits_are_detected():
    from bokeh_sampledata import stocks

    raw = stocks.MSFT
    text = "Date,Close,Volume\n" + "\n".join(
        f"{d},{c},{v}" for d, c, v in zip(raw["date"], raw["close"], raw["volume"], strict=True)
    )
    series = prices.parse_csv(text, "msft.csv")
    assert any("2003-02-18" in note and "2:1 split" in note for note in series.notes)
    assert np.abs(series.log_returns()).max() < 0.2


def test_read_many_splits_commas():
    names = [s.name for s in prices.read_many("bokeh:IBM, bokeh:GOOG")]
    assert names == ["bokeh:IBM", "bokeh:GOOG"]
    with pytest.raises(NlpsuiteError, match="no price series"):
        prices.read_many(" , ")


def test_bundled_open_high_low_are_on_the_adjusted_scale():
    from bokeh_sampledata import stocks

    aapl = prices.read_prices("bokeh:AAPL")
    assert aapl.ohlc is not None and aapl.ohlc.shape == (len(aapl), 3)
    assert np.all(aapl.ohlc[:, 1] >= aapl.close) and np.all(aapl.ohlc[:, 2] <= aapl.close)
    raw = stocks.AAPL
    # The day's range is a ratio, the same before and after adjustment.
    np.testing.assert_allclose(aapl.ohlc[:, 1] / aapl.ohlc[:, 2], np.asarray(raw["high"]) / np.asarray(raw["low"]))


def test_csv_open_high_low_are_read_cleaned_and_split_adjusted():
    text = (
        "Date,Open,High,Low,Close\n"
        "2020-01-02,10,11,9,10.5\n"
        "2020-01-03,10.4,10.2,10.1,10.6\n"  # high below the close: widened to contain it
        "2020-01-06,,,,10.7\n"  # no range: counts as zero
        "2020-01-07,5.4,5.5,5.3,5.4\n"  # a 2:1 split
    )
    series = prices.parse_csv(text, "ohlc.csv")
    np.testing.assert_allclose(series.ohlc[0], [5.0, 5.5, 4.5])
    np.testing.assert_allclose(series.ohlc[1], [5.2, 5.3, 5.05])
    np.testing.assert_allclose(series.ohlc[2], [5.35, 5.35, 5.35])
    assert any("1 row(s) without a valid open/high/low" in n for n in series.notes)
    assert prices.parse_csv("Date,Close\n2020-01-02,1\n", "c.csv").ohlc is None
