"""Walk-forward look-ahead oracle: change every price after a date X and rerun the backtest with the
same seed; every forecast made at an origin on or before X must come out bit-identical.

A backtest that ever fits (or scales, or warms up a baseline) on data dated after its origin fails
here. It runs the public ``nlpsuite.tasks.stock.task.walk_forward`` with XLA off (CPU: the compiled
step is a plain graph), so bit-identity is the right bar.
"""

from __future__ import annotations

import numpy as np

from nlpsuite import training
from nlpsuite.cli import apply_overrides
from nlpsuite.data import prices
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.task import StockConfig, walk_forward

from .conftest import TINY_SETTINGS, write_series

CUT_ROW = 470  # inside the second refit block (blocks start at rows 300, 420, 540)


def _run(path, config):
    training.set_seed(config.seed)  # the same initial weights and batch order in both runs
    data = F.prepare(prices.read_prices(str(path)))
    return walk_forward([data], config, log=lambda message: None).forecasts


def test_forecasts_up_to_an_origin_ignore_every_later_price(tmp_path):
    config = apply_overrides(StockConfig(), {**TINY_SETTINGS, "jit_compile": "false"})
    original = tmp_path / "original.csv"
    write_series(original, n=600)
    lines = original.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    cut_date = np.datetime64(rows[CUT_ROW].split(",")[0])
    rng = np.random.default_rng(7)
    changed = list(rows[: CUT_ROW + 1])
    for row in rows[CUT_ROW + 1 :]:  # a different future: new closes and volumes after the cut
        date, close, volume = row.split(",")
        changed.append(f"{date},{float(close) * np.exp(rng.normal(0, 0.05)):.4f},{int(volume) * 3}")
    altered = tmp_path / "altered.csv"
    altered.write_text("\n".join([header, *changed]) + "\n")

    before, after = _run(original, config), _run(altered, config)
    np.testing.assert_array_equal(before.dates, after.dates)
    past = before.dates <= cut_date
    later = ~past
    assert past.sum() > 100 and later.sum() > 50  # origins on both sides, in two refit blocks before the cut
    assert len(np.unique(before.dates[past] >= np.datetime64(rows[420].split(",")[0]))) == 2
    for name, q in before.quantiles.items():
        message = f"{name} forecasts changed with prices after {cut_date}"
        np.testing.assert_array_equal(after.quantiles[name][past], q[past], err_msg=message)
    # The oracle has teeth: the changed future does change forecasts made after the cut.
    assert not np.array_equal(after.quantiles["model"][later], before.quantiles["model"][later])
