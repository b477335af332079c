"""A synthetic daily series and one tiny stock model, trained once per test session through the
CLI."""

from __future__ import annotations

import numpy as np
import pytest

TINY_SETTINGS = {
    "units": "8",
    "lookback": "20",
    "horizon": "5",
    "batch_size": "64",
    "jit_compile": "false",
    "walk_forward": "true",
    "refit_every": "120",
    "min_train_days": "300",
    "initial_epochs": "1",
    "refit_epochs": "1",
    "refit_samples": "256",
    "baseline_window": "100",
    "train_end": "2016-06-30",
    "patience": "1",
    "garch_refit_every": "60",
}


def write_series(
    path,
    n: int = 560,
    seed: int = 3,
    start: str = "2015-01-01",
    volume: bool = True,
    garch: bool = True,
) -> None:
    """A GARCH(1,1)-like random walk: returns have no predictable mean, only clustered
    volatility."""
    rng = np.random.default_rng(seed)
    variance, returns = 1e-4, []
    for _ in range(n):
        shock = rng.standard_normal()
        returns.append(np.sqrt(variance) * shock)
        if garch:
            variance = 2e-6 + 0.1 * returns[-1] ** 2 + 0.88 * variance
    close = 50 * np.exp(np.cumsum(returns))
    dates = np.busday_offset(np.datetime64(start), np.arange(n), roll="forward")
    header = "Date,Close,Volume" if volume else "Date,Close"
    lines = [header]
    for d, c in zip(dates, close, strict=True):
        lines.append(f"{d},{c:.4f},{rng.integers(1_000, 2_000)}" if volume else f"{d},{c:.4f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def series_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("stock-data") / "synthetic.csv"
    write_series(path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, series_csv):
    """``saved_models``-style folder holding a ``stock`` model trained for 2 epochs (plus a
    walk-forward)."""
    from nlpsuite import cli

    models = tmp_path_factory.mktemp("stock-models")
    argv = [
        "train",
        "stock",
        "--data",
        str(series_csv),
        "--out",
        str(models / "stock"),
        "--epochs",
        "2",
    ]
    for key, value in TINY_SETTINGS.items():
        argv += ["--set", f"{key}={value}"]
    assert cli.main(argv) == 0
    return models / "stock"
