"""``yahoo:TICKER`` parsing on a recorded frame (no network) and its one-line errors."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlpsuite.data import prices, yahoo
from nlpsuite.errors import NlpsuiteError

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "stock" / "yahoo_history.csv"


def recorded_frame():
    """The frame ``yf.Ticker("AAPL").history(auto_adjust=False, actions=False)`` returned, as saved
    by ``frame.to_csv()`` (time-zone aware dates across the March 2024 clock change)."""
    frame = pd.read_csv(RECORDED, index_col="Date")
    frame.index = pd.to_datetime(frame.index, utc=True).tz_convert("America/New_York")
    return frame


def test_recorded_frame_parses_with_local_dates_adjusted_close_and_range():
    frame = recorded_frame()
    series = yahoo.parse_frame(frame, "yahoo:AAPL")
    assert series.name == "yahoo:AAPL" and len(series) == 12
    assert str(series.dates[0]) == "2024-03-01" and str(series.dates[6]) == "2024-03-11"
    np.testing.assert_allclose(series.close, frame["Adj Close"].to_numpy(), rtol=1e-9)
    # Open/high/low are rescaled by Adj Close / Close, so intraday ratios stay and the overnight
    # gap is on the adjusted scale.
    factor = frame["Adj Close"].to_numpy() / frame["Close"].to_numpy()
    np.testing.assert_allclose(series.ohlc[:, 1], frame["High"].to_numpy() * factor, rtol=1e-9)
    assert np.all(series.ohlc[:, 1] >= series.close) and np.all(series.ohlc[:, 2] <= series.close)
    np.testing.assert_allclose(series.volume, frame["Volume"].to_numpy())


def test_download_columns_and_an_asian_exchange_keep_the_local_date():
    frame = recorded_frame().iloc[:3]
    frame.index = pd.DatetimeIndex(["2024-03-01", "2024-03-04", "2024-03-05"], tz="Asia/Tokyo", name="Date")
    frame.columns = pd.MultiIndex.from_product([frame.columns, ["7203.T"]], names=["Price", "Ticker"])
    series = yahoo.parse_frame(frame, "yahoo:7203.T")
    assert [str(d) for d in series.dates] == ["2024-03-01", "2024-03-04", "2024-03-05"]
    with pytest.raises(NlpsuiteError, match="yahoo:X: the download has no Close column"):
        yahoo.parse_frame(frame.droplevel(1, axis=1)[["Open", "Volume"]], "yahoo:X")


def test_missing_yfinance_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import yfinance -> ImportError
    with pytest.raises(NlpsuiteError, match=r"yahoo:AAPL needs the yfinance package: pip install 'nlpsuite\[yahoo\]'"):
        prices.read_prices("yahoo:aapl")


class Offline:
    """Stands in for ``yfinance`` on a machine without network: every download raises."""

    class Ticker:
        def __init__(self, symbol):
            self.symbol = symbol

        def history(self, **kwargs):
            raise ConnectionError("Failed to resolve 'query2.finance.yahoo.com'")


class Empty(Offline):
    class Ticker(Offline.Ticker):
        def history(self, **kwargs):
            return pd.DataFrame()


def test_offline_and_empty_downloads_are_one_line_errors(monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", Offline)
    with pytest.raises(NlpsuiteError, match=r"yahoo:MSFT: download failed \(Failed to resolve .*internet") as err:
        prices.read_prices("yahoo:MSFT")
    assert "\n" not in str(err.value)
    monkeypatch.setitem(sys.modules, "yfinance", Empty)
    with pytest.raises(NlpsuiteError, match="returned no prices"):
        prices.read_prices("yahoo:NOPE")
    with pytest.raises(NlpsuiteError, match="needs a ticker"):
        prices.read_prices("yahoo: ")
