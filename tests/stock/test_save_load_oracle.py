"""Save/load oracle for the stock task, scaler included: the reloaded task forecasts exactly as the
trained object, and its forecasts move when only the saved scaler is changed (so the saved scaler,
not a default or a refit, is what scales the inputs)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import nlpsuite
from nlpsuite.cli import apply_overrides
from nlpsuite.tasks.stock import StockTask
from nlpsuite.tasks.stock.task import StockConfig

from .conftest import TINY_SETTINGS


@pytest.fixture(scope="module")
def trained_and_saved(series_csv, tmp_path_factory):
    # One epoch: the oracle needs trained (non-initial) weights and a fitted scaler, not a good model.
    # Blend weights fixed (not chosen on the tiny dev period, which may leave the network no weight),
    # so the network, and with it the scaler, is part of the forecast; HAR-X and GARCH too.
    fixed = {"choose_garch_weight": "false", "garch_weight": "0.2", "choose_har_weight": "false", "har_weight": "0.3"}
    config = apply_overrides(StockConfig(), {**TINY_SETTINGS, "walk_forward": "false", "epochs": "1", **fixed})
    out = tmp_path_factory.mktemp("stock-oracle") / "stock"
    trained = StockTask.train(str(series_csv), config, out=out)
    trained.save(out)
    return trained, out


def _quantiles(result: dict) -> np.ndarray:
    return np.array([[step["q10"], step["q50"], step["q90"]] for step in result["forecast"]])


def test_reloaded_task_forecasts_identical_quantiles(trained_and_saved, series_csv):
    trained, out = trained_and_saved
    loaded = nlpsuite.load(out)
    assert loaded.model is not trained.model
    assert loaded.predict([str(series_csv)]) == trained.predict([str(series_csv)])
    saved = json.loads((out / "assets" / "scaler.json").read_text())
    forecaster = trained.forecaster()
    while not hasattr(forecaster, "scaler"):  # under the GARCH blend and the conformal recalibration, when on
        forecaster = getattr(forecaster, "inner", None) or forecaster.first
    np.testing.assert_array_equal(saved["mean"], forecaster.scaler.mean)
    np.testing.assert_array_equal(saved["std"], forecaster.scaler.std)
    # A fitted scaler, not the identity a missing one would fall back to.
    assert not np.allclose(saved["std"], 1.0)


def test_forecasts_follow_the_saved_scaler(trained_and_saved, series_csv, tmp_path):
    trained, out = trained_and_saved
    reference = _quantiles(trained.predict([str(series_csv)])[0])
    copy = tmp_path / "stock"
    shutil.copytree(out, copy)
    scaler_path = copy / "assets" / "scaler.json"
    scaler = json.loads(scaler_path.read_text())
    scaler["mean"] = [m + 2.0 * s for m, s in zip(scaler["mean"], scaler["std"], strict=True)]
    scaler_path.write_text(json.dumps(scaler))
    perturbed = _quantiles(nlpsuite.load(copy).predict([str(series_csv)])[0])
    assert np.max(np.abs(np.log(perturbed / reference))) > 1e-6, "the saved scaler is not what scales the inputs"
