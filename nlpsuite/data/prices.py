"""Daily price series: OHLCV CSV files and the tickers bundled with ``bokeh-sampledata``.

A CSV needs a date column (``Date``, ``date``, ``timestamp``, ``datetime`` or ``time``) and a price
column; the split- and dividend-adjusted close is preferred (``Adj Close``, ``adj_close``,
``adjusted_close``), then ``Close`` / ``close`` / ``price``. ``Volume`` is used when present, and so
are ``Open``, ``High`` and ``Low`` (all three or none; rescaled by ``Adj Close / Close`` when both
closes are given, so the day's range and the overnight gap are on the adjusted scale). Rows
are sorted by date; duplicated dates (the last row wins) and gaps of more than four calendar days
are reported in ``PriceSeries.notes``.

An unadjusted close is checked for stock splits: a one-day move within 12% of a split ratio (2:1,
3:1, 7:1, 1:2, ...) is taken as a split, and the earlier prices are divided by the ratio (volumes
multiplied) so the log returns see no fake crash. Prices alone cannot tell a split from a crash of
the same size (AAPL fell 52% overnight on 29 September 2000), so every adjustment is reported in the
notes, and an adjusted column, when the file has one, is always preferred.

``bokeh:TICKER`` reads ``bokeh_sampledata.stocks`` (AAPL, MSFT, IBM, GOOG; 2000-03 to 2013-03,
daily). Its ``close`` is unadjusted (AAPL splits 2:1 in June 2000 and February 2005, MSFT 2:1 in
February 2003), so the source's ``adj_close`` is used: adjusted for every split and dividend, AAPL's
7:1 of June 2014 included; open, high and low are rescaled by the same daily factor.

``yahoo:TICKER`` downloads fresh prices through the optional ``yfinance`` package (see
``nlpsuite.data.yahoo``).

Example:

>>> from nlpsuite.data import prices
>>> series = prices.read_prices("bokeh:IBM")
>>> series.name, len(series) > 3000, str(series.dates[0])
('bokeh:IBM', True, '2000-03-01')
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlpsuite.errors import NlpsuiteError

__all__ = [
    "BOKEH_PREFIX",
    "BOKEH_TICKERS",
    "YAHOO_PREFIX",
    "PriceSeries",
    "detect_splits",
    "parse_csv",
    "read_bokeh",
    "read_many",
    "read_prices",
    "require_length",
]

BOKEH_PREFIX = "bokeh:"
YAHOO_PREFIX = "yahoo:"
BOKEH_TICKERS = ("AAPL", "MSFT", "IBM", "GOOG")
DATE_COLUMNS = ("date", "timestamp", "datetime", "time", "day")
ADJUSTED_COLUMNS = ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close")
CLOSE_COLUMNS = ("close", "close price", "close_price", "price", "last")
VOLUME_COLUMNS = ("volume", "vol")
RANGE_COLUMNS = {"open": ("open",), "high": ("high",), "low": ("low",)}
SPLIT_RATIOS = (2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 10)
# Wide enough for the day's own move on top of the split (AAPL rose 10% on its 2:1 day in June
# 2000).
SPLIT_TOLERANCE = 0.12
GAP_DAYS = 4
MAX_ROWS = 200_000


@dataclass
class PriceSeries:
    """One daily price series, sorted by date, prices positive.

    Args:
        name: where it came from (a path or ``bokeh:TICKER``).
        dates: ``datetime64[D]`` dates, strictly increasing.
        close: adjusted closing prices (float64, > 0).
        volume: traded volume (float64) or None when the file has none.
        notes: what was found and fixed while reading (duplicates, gaps, splits).
        ohlc: ``[n, 3]`` open, high and low on the scale of ``close`` (float64, > 0), or None
            when the source has only closes.

    Example:
    >>> import numpy as np
    >>> series = PriceSeries("demo", np.array(["2024-01-02", "2024-01-03", "2024-01-04"], "datetime64[D]"),
    ...                      np.array([100.0, 110.0, 99.0]))
    >>> np.round(series.log_returns(), 4).tolist(), len(series.until(2))
    ([0.0953, -0.1054], 2)
    """

    name: str
    dates: np.ndarray
    close: np.ndarray
    volume: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    ohlc: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.close)

    @classmethod
    def random_walk(cls, days: int, seed: int = 0, start_price: float = 100.0) -> PriceSeries:
        """A synthetic series for examples and tests: a geometric random walk with 1% daily steps, one
        calendar day apart from 2020-01-01, closes only.

        Args:
            days: number of rows.
            seed: NumPy generator seed.
            start_price: the scale of the prices.

        Example:
        >>> series = PriceSeries.random_walk(300)
        >>> len(series), str(series.dates[0]), series.ohlc is None
        (300, '2020-01-01', True)
        """
        steps = np.random.default_rng(seed).normal(0, 0.01, days)
        return cls("demo", np.datetime64("2020-01-01") + np.arange(days), start_price * np.exp(np.cumsum(steps)))

    def log_returns(self) -> np.ndarray:
        """``log(close[t] / close[t-1])`` for t = 1..n-1."""
        return np.diff(np.log(self.close))

    def until(self, last: int) -> PriceSeries:
        """The first ``last`` rows only (what was known at row ``last - 1``)."""
        volume = None if self.volume is None else self.volume[:last]
        ohlc = None if self.ohlc is None else self.ohlc[:last]
        return PriceSeries(self.name, self.dates[:last], self.close[:last], volume, list(self.notes), ohlc)


def read_prices(source: str | os.PathLike) -> PriceSeries:
    """Reads ``bokeh:TICKER``, ``yahoo:TICKER`` or a CSV file into a :class:`PriceSeries`.

    Raises:
        NlpsuiteError: unknown ticker, missing file, no date or price column, unparsable dates or
        prices, yfinance missing or offline.

    Args:
        source: ``bokeh:TICKER`` (bundled data), ``yahoo:TICKER`` (a download) or a CSV path.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("prices.csv").write_text("Date,Close\\n2024-01-03,11\\n2024-01-02,10\\n")
    >>> series = read_prices("prices.csv")
    >>> series.close.tolist(), series.notes[-1]
    ([10.0, 11.0], 'rows were not in date order; sorted by date')
    """
    text = str(source).strip()
    if text.lower().startswith(BOKEH_PREFIX):
        return read_bokeh(text[len(BOKEH_PREFIX) :])
    if text.lower().startswith(YAHOO_PREFIX):
        from nlpsuite.data import yahoo

        return yahoo.read_yahoo(text[len(YAHOO_PREFIX) :])
    path = Path(text).expanduser()
    if not path.is_file():
        raise NlpsuiteError(
            f"price file not found: {text}; give a CSV path, yahoo:TICKER or one of "
            f"{', '.join(BOKEH_PREFIX + t for t in BOKEH_TICKERS)}"
        )
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NlpsuiteError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    return parse_csv(content, str(path))


def read_many(sources: str | os.PathLike | list[str]) -> list[PriceSeries]:
    """Comma-separated sources (``bokeh:AAPL,bokeh:MSFT``) or a list of them -> series.

    Example:
    >>> from pathlib import Path
    >>> _ = Path("a.csv").write_text("Date,Close\\n2024-01-02,10\\n")
    >>> _ = Path("b.csv").write_text("Date,Close\\n2024-01-02,20\\n")
    >>> [s.close.tolist() for s in read_many("a.csv, b.csv")]
    [[10.0], [20.0]]
    """
    if isinstance(sources, (list, tuple)):
        names = [str(s) for s in sources]
    else:
        names = [part for part in str(sources).split(",")]
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise NlpsuiteError("no price series given; pass a CSV path, bokeh:TICKER or yahoo:TICKER")
    return [read_prices(name) for name in names]


def read_bokeh(ticker: str) -> PriceSeries:
    """One ticker of ``bokeh_sampledata.stocks`` with its split- and dividend-adjusted close.

    Args:
        ticker: one of ``BOKEH_TICKERS`` (case-insensitive).

    Example:
    >>> series = read_bokeh("msft")
    >>> series.name, bool((series.close > 0).all()), series.ohlc.shape[1]
    ('bokeh:MSFT', True, 3)
    """
    ticker = ticker.strip().upper()
    if ticker not in BOKEH_TICKERS:
        raise NlpsuiteError(
            f"unknown bundled ticker {ticker!r}; choose one of {', '.join(BOKEH_TICKERS)} "
            "(e.g. bokeh:AAPL) or give a CSV path"
        )
    try:
        from bokeh_sampledata import stocks
    except ImportError:
        raise NlpsuiteError("bundled tickers need the bokeh-sampledata package: pip install bokeh-sampledata") from None
    raw = getattr(stocks, ticker)
    close = np.asarray(raw["close"], dtype=np.float64)
    adjusted = np.asarray(raw["adj_close"], dtype=np.float64)
    # Volume is unadjusted too; scaling it by the same factor keeps shares-traded comparable across
    # splits.
    factor = close / adjusted
    volume = np.asarray(raw["volume"], dtype=np.float64) * factor / factor[-1]
    ohlc = np.stack([np.asarray(raw[k], dtype=np.float64) for k in ("open", "high", "low")], axis=1) / factor[:, None]
    dates = np.asarray(raw["date"], dtype="datetime64[D]")
    notes = [f"bokeh-sampledata stocks.{ticker}: adj_close (split- and dividend-adjusted, Quandl WIKI)"]
    series = PriceSeries(f"{BOKEH_PREFIX}{ticker}", dates, adjusted, volume, notes, ohlc)
    return _tidy(series, [str(d) for d in dates], volume_given=True, adjusted=True)


def parse_csv(content: str, name: str = "<upload>") -> PriceSeries:
    """Parses CSV text with a header row into a :class:`PriceSeries` (see the module docstring).

    Args:
        content: the CSV text.
        name: the file name, for notes and errors.

    Example:
    >>> series = parse_csv("Date,Close,Volume\\n2024-01-02,300\\n2024-01-03,100\\n2024-01-04,102,5\\n")
    >>> series.close.tolist()  # a 3:1 fall in an unadjusted close is taken as a split
    [100.0, 100.0, 102.0]
    >>> parse_csv("Date,Close\\n2024-01-02,n/a\\n", "prices.csv")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: prices.csv line 2: Close is 'n/a', not a number; fix or delete that row
    """
    reader = csv.reader(io.StringIO(content))
    try:
        header = next(reader)
    except StopIteration:
        raise NlpsuiteError(f"{name} is empty; expected a CSV with a header row (Date,Close,...)") from None
    except csv.Error as exc:
        raise NlpsuiteError(f"{name} line 1: not a CSV file ({exc})") from None
    columns = [h.strip().lower() for h in header]
    date_col = _find(columns, DATE_COLUMNS)
    if date_col is None:
        raise NlpsuiteError(f"{name}: no date column in the header {header}; name one of {', '.join(DATE_COLUMNS)}")
    price_col = _find(columns, ADJUSTED_COLUMNS)
    adjusted = price_col is not None
    if price_col is None:
        price_col = _find(columns, CLOSE_COLUMNS)
    if price_col is None:
        raise NlpsuiteError(
            f"{name}: no price column in the header {header}; name one of Adj Close, Close, close, price"
        )
    volume_col = _find(columns, VOLUME_COLUMNS)
    # Open/high/low on the close's scale: with an adjusted close they need the raw close to rescale.
    range_cols = [_find(columns, RANGE_COLUMNS[k]) for k in ("open", "high", "low")]
    raw_close_col = _find(columns, CLOSE_COLUMNS) if adjusted else price_col
    if any(c is None for c in range_cols) or raw_close_col is None:
        range_cols = []
    date_text, prices, volumes, ranges = [], [], [], []
    try:
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(date_text) >= MAX_ROWS:
                raise NlpsuiteError(f"{name} has more than {MAX_ROWS:,} rows; trim it to the period you need")
            if len(row) <= max(date_col, price_col):
                raise NlpsuiteError(f"{name} line {line_no}: {len(row)} fields, expected {len(header)}")
            date_text.append((row[date_col].strip(), line_no))
            prices.append(_number(row[price_col], name, line_no, header[price_col]))
            if volume_col is not None:
                volumes.append(_optional_number(row, volume_col, name, line_no, header))
            if range_cols:
                ranges.append([_optional_number(row, c, name, line_no, header) for c in (*range_cols, raw_close_col)])
    except csv.Error as exc:
        raise NlpsuiteError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None
    if not date_text:
        raise NlpsuiteError(f"{name} has a header but no data rows")
    dates = _parse_dates(date_text, name)
    close = np.asarray(prices, dtype=np.float64)
    bad = np.flatnonzero(~(close > 0))
    if bad.size:
        line = date_text[bad[0]][1]
        raise NlpsuiteError(f"{name} line {line}: {header[price_col]} is {close[bad[0]]}; prices must be > 0")
    volume = np.asarray(volumes, dtype=np.float64) if volume_col is not None else None
    series = PriceSeries(name, dates, close, volume, [])
    series.notes.append(
        f"price column: {header[price_col].strip()}" + ("" if adjusted else " (unadjusted: checked for splits)")
    )
    if ranges:
        table = np.asarray(ranges, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            series.ohlc = table[:, :3] * (close / table[:, 3])[:, None]
        series.notes.append("open/high/low: used for the daily range and overnight gap")
    return _tidy(series, [d for d, _ in date_text], volume_given=volume is not None, adjusted=adjusted)


def require_length(series: PriceSeries, needed: int, purpose: str) -> None:
    """Raises a clear error when ``series`` is shorter than ``needed`` rows.

    Args:
        series: the series.
        needed: the rows needed.
        purpose: what needs them, for the message.

    Example:
    >>> import numpy as np
    >>> require_length(PriceSeries("short.csv", np.array(["2024-01-02"], "datetime64[D]"), np.ones(1)), 30, "training")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: short.csv has 1 rows after cleaning; training needs at least 30. ...
    """
    if len(series) < needed:
        raise NlpsuiteError(
            f"{series.name} has {len(series)} rows after cleaning; {purpose} needs at least "
            f"{needed}. Give a longer daily history"
        )


# ------------------------------------------------------------------------------------------ helpers


def _find(columns: list[str], names: tuple[str, ...]) -> int | None:
    for wanted in names:
        if wanted in columns:
            return columns.index(wanted)
    return None


def _number(text: str, name: str, line_no: int, column: str, allow_empty: bool = False) -> float:
    cleaned = text.strip().replace(",", "").replace("$", "")
    if not cleaned and allow_empty:
        return np.nan
    try:
        value = float(cleaned)
    except ValueError:
        raise NlpsuiteError(
            f"{name} line {line_no}: {column.strip()} is {text.strip()!r}, not a number; fix or delete that row"
        ) from None
    if not np.isfinite(value):
        raise NlpsuiteError(f"{name} line {line_no}: {column.strip()} is {text.strip()!r}; give a finite number")
    return value


def _optional_number(row: list[str], col: int, name: str, line_no: int, header: list[str]) -> float:
    """A numeric cell that may be empty or absent (NaN then)."""
    return _number(row[col], name, line_no, header[col], allow_empty=True) if len(row) > col else np.nan


def _clean_ohlc(ohlc: np.ndarray, close: np.ndarray, notes: list[str]) -> np.ndarray:
    """Open/high/low that bracket the close: a missing or non-positive row becomes the close (a
    zero range), and high/low are widened to contain the open and the close."""
    bad = ~np.all(np.isfinite(ohlc) & (ohlc > 0), axis=1)
    if bad.any():
        notes.append(f"{int(bad.sum())} row(s) without a valid open/high/low; their range counts as zero")
        ohlc = np.where(bad[:, None], close[:, None], ohlc)
    high = np.maximum.reduce([ohlc[:, 1], ohlc[:, 0], close])
    low = np.minimum.reduce([ohlc[:, 2], ohlc[:, 0], close])
    return np.stack([ohlc[:, 0], high, low], axis=1)


def _parse_dates(date_text: list[tuple[str, int]], name: str) -> np.ndarray:
    import pandas as pd

    values = [d for d, _ in date_text]
    parsed = pd.to_datetime(pd.Series(values), errors="coerce", format="mixed")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        text, line = date_text[bad[0]]
        raise NlpsuiteError(f"{name} line {line}: date {text!r} is not a date; use YYYY-MM-DD")
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.to_numpy().astype("datetime64[D]")


def _tidy(series: PriceSeries, date_text: list[str], volume_given: bool, adjusted: bool) -> PriceSeries:
    """Sorts, drops duplicate dates, reports gaps and undoes splits in an unadjusted close."""
    order = np.argsort(series.dates, kind="stable")
    dates, close = series.dates[order], series.close[order]
    volume = None if series.volume is None else series.volume[order]
    ohlc = None if series.ohlc is None else series.ohlc[order]
    if np.any(order != np.arange(len(order))):
        series.notes.append("rows were not in date order; sorted by date")
    # Keep the last row of each date: a later row in a file is usually a correction.
    keep = np.append(dates[1:] != dates[:-1], True)
    duplicates = int(np.sum(~keep))
    if duplicates:
        first = str(dates[:-1][~keep[:-1]][0])
        series.notes.append(f"{duplicates} duplicated date(s) (first {first}); kept the last row of each")
        dates, close = dates[keep], close[keep]
        volume = None if volume is None else volume[keep]
        ohlc = None if ohlc is None else ohlc[keep]
    gaps = np.diff(dates).astype(np.int64)
    long_gaps = np.flatnonzero(gaps > GAP_DAYS)
    if long_gaps.size:
        worst = long_gaps[np.argmax(gaps[long_gaps])]
        series.notes.append(
            f"{long_gaps.size} gap(s) of more than {GAP_DAYS} calendar days; the longest is "
            f"{gaps[worst]} days after {dates[worst]}"
        )
    if volume is not None and (not volume_given or np.all(np.isnan(volume))):
        volume = None
    if volume is not None and np.any(np.isnan(volume) | (volume < 0)):
        series.notes.append("missing or negative volumes were filled with the previous value")
        volume = _ffill_volume(volume)
    series.dates, series.close, series.volume = dates, close, volume
    series.ohlc = None if ohlc is None else _clean_ohlc(ohlc, close, series.notes)
    if not adjusted:
        _undo_splits(series)
    return series


def _ffill_volume(volume: np.ndarray) -> np.ndarray:
    volume = np.where(volume < 0, np.nan, volume)
    valid = ~np.isnan(volume)
    if not valid.any():
        return np.zeros_like(volume)
    index = np.where(valid, np.arange(len(volume)), 0)
    np.maximum.accumulate(index, out=index)
    filled = volume[index]
    filled[: np.argmax(valid)] = volume[np.argmax(valid)]
    return filled


def detect_splits(close: np.ndarray) -> list[tuple[int, float]]:
    """Rows where an unadjusted series looks split: ``[(row, ratio)]``, the price falling
    ``ratio``-fold at ``row``.

    A one-day price ratio within ``SPLIT_TOLERANCE`` of a split ratio counts. Volume cannot confirm
    it: some sources (Quandl WIKI, the bundled data) already scale volume across splits, others do
    not.

    Example:
    >>> import numpy as np
    >>> detect_splits(np.array([100.0, 101.0, 50.4, 51.0, 12.8]))
    [(2, 2.0), (4, 4.0)]
    """
    found = []
    moves = close[:-1] / close[1:]
    for row in np.flatnonzero((moves > 1.7) | (moves < 0.6)):
        ratio = float(moves[row])
        match = min(SPLIT_RATIOS, key=lambda r: abs(np.log(ratio / r)))
        if abs(np.log(ratio / match)) <= np.log1p(SPLIT_TOLERANCE):
            found.append((int(row) + 1, match))
    return found


def _undo_splits(series: PriceSeries) -> None:
    for row, ratio in detect_splits(series.close):
        before, after = series.close[row - 1], series.close[row]
        series.close[:row] = series.close[:row] / ratio
        if series.ohlc is not None:
            series.ohlc[:row] = series.ohlc[:row] / ratio
        if series.volume is not None:
            series.volume[:row] = series.volume[:row] * ratio
        shown = f"{ratio:g}:1" if ratio >= 1 else f"1:{1 / ratio:g}"
        series.notes.append(
            f"close went from {before:.4g} to {after:.4g} on {series.dates[row]}: taken as a "
            f"{shown} split and earlier prices divided by {ratio:g} (give an Adj Close column if "
            "it was a real move)"
        )
