"""``yahoo:TICKER``: fresh daily prices through the optional ``yfinance`` package.

The download is a pandas frame indexed by the (exchange-local, time-zone aware) trading date with
``Open``, ``High``, ``Low``, ``Close``, ``Adj Close`` and ``Volume`` columns (``yf.download`` adds a
second column level with the ticker). :func:`parse_frame` turns such a frame into CSV text and reads
it with :func:`nlpsuite.data.prices.parse_csv`, so a download gets exactly the checks a CSV upload
gets. Install the extra with ``pip install 'nlpsuite[yahoo]'``; without it, or offline, the reader
fails with a one-line :class:`~nlpsuite.errors.NlpsuiteError`.

Example:

>>> import pandas as pd
>>> from nlpsuite.data import yahoo
>>> frame = pd.DataFrame(
...     {"Open": [10.0, 10.4], "High": [10.6, 10.9], "Low": [9.9, 10.2], "Close": [10.5, 10.8],
...      "Adj Close": [10.5, 10.8], "Volume": [1000, 1200]},
...     index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], tz="America/New_York", name="Date"))
>>> series = yahoo.parse_frame(frame, "yahoo:DEMO")
>>> series.name, [str(d) for d in series.dates], series.ohlc.shape
('yahoo:DEMO', ['2024-01-02', '2024-01-03'], (2, 3))
"""

from __future__ import annotations

from typing import Any

from nlpsuite.data.prices import YAHOO_PREFIX, PriceSeries, parse_csv
from nlpsuite.errors import NlpsuiteError

__all__ = ["parse_frame", "read_yahoo"]

# Ten years: the walk-forward backtest and the model's lookback need a long daily history.
PERIOD = "10y"
COLUMNS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")


def read_yahoo(ticker: str, period: str = PERIOD) -> PriceSeries:
    """Downloads ``period`` of daily prices of ``ticker`` (e.g. ``"AAPL"``) from Yahoo Finance.

    Args:
        ticker: a Yahoo Finance symbol (``AAPL``, ``^GSPC``, ``7203.T``).
        period: how far back, in yfinance's notation (``1y``, ``10y``, ``max``).

    Raises:
        NlpsuiteError: yfinance is not installed, the download failed (offline, unknown ticker) or
            returned no rows.

    Example:
    >>> read_yahoo(" ")  # no network needed to see the message
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: yahoo: needs a ticker after the colon, e.g. yahoo:AAPL
    """
    ticker = ticker.strip().upper()
    name = f"{YAHOO_PREFIX}{ticker}"
    if not ticker:
        raise NlpsuiteError("yahoo: needs a ticker after the colon, e.g. yahoo:AAPL")
    try:
        import yfinance
    except ImportError:
        raise NlpsuiteError(
            f"{name} needs the yfinance package: pip install 'nlpsuite[yahoo]' (or use a CSV file or bokeh:TICKER)"
        ) from None
    try:
        frame = yfinance.Ticker(ticker).history(
            period=period, interval="1d", auto_adjust=False, actions=False, raise_errors=True
        )
    except Exception as exc:  # noqa: BLE001 - yfinance raises many kinds (network, JSON, its own)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NlpsuiteError(
            f"{name}: download failed ({reason}); check the ticker and the internet connection, or give a CSV file"
        ) from None
    if frame is None or len(frame) == 0:
        raise NlpsuiteError(f"{name}: Yahoo Finance returned no prices (unknown ticker or offline); give a CSV file")
    return parse_frame(frame, name)


def parse_frame(frame: Any, name: str) -> PriceSeries:
    """A yfinance price frame (``Ticker.history`` or ``yf.download``) -> :class:`PriceSeries`.

    Args:
        frame: pandas DataFrame indexed by date, with yfinance's column names.
        name: the series name (``yahoo:TICKER``), used in notes and errors.

    Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"Close": [10.0, 11.0], "Adj Close": [5.0, 5.5], "Volume": [100, 200]},
    ...                      index=pd.to_datetime(["2024-01-02 00:00:00-05:00", "2024-01-03 00:00:00-05:00"]))
    >>> series = parse_frame(frame, "yahoo:DEMO")
    >>> series.close.tolist(), [str(d) for d in series.dates]
    ([5.0, 5.5], ['2024-01-02', '2024-01-03'])
    """
    import pandas as pd

    if isinstance(frame.columns, pd.MultiIndex):
        # yf.download: (field, ticker) columns; one ticker was asked for.
        frame = frame.droplevel(list(range(1, frame.columns.nlevels)), axis=1)
    present = [c for c in COLUMNS if c in frame.columns]
    if "Close" not in present and "Adj Close" not in present:
        raise NlpsuiteError(f"{name}: the download has no Close column (got {list(frame.columns)})")
    table = frame[present].copy()
    # The exchange-local date is the first 10 characters of the timestamp, whatever its time zone
    # (converting to UTC would move an Asian session to the previous day).
    table.index = pd.Index([str(d)[:10] for d in frame.index], name="Date")
    return parse_csv(table.to_csv(float_format="%.10g"), name)
