import json

import numpy as np
import pytest

import nlpsuite
from nlpsuite import cli


def test_train_saved_everything(tiny_model):
    for name in (
        "model.keras",
        "config.json",
        "MODEL_CARD.md",
        "assets/scaler.json",
        "assets/walk_forward.json",
        "assets/training.json",
    ):
        assert (tiny_model / name).exists(), name
    walk = json.loads((tiny_model / "assets" / "walk_forward.json").read_text())
    assert walk["refits"] >= 2 and set(walk["by_horizon"]) == {"1", "2", "3", "4", "5"}
    assert np.isfinite(walk["pinball_ratio_garch_h1"]) and "garch" in walk["baselines"]
    scaler = json.loads((tiny_model / "assets" / "scaler.json").read_text())
    assert len(scaler["features"]) == len(scaler["mean"]) > 4
    card = (tiny_model / "MODEL_CARD.md").read_text()
    assert "Walk-forward backtest" in card and "2016-06-30" in card
    # The GARCH weight was chosen on the dev period at training and saved with the config.
    choice = json.loads((tiny_model / "assets" / "garch_weight.json").read_text())
    config = json.loads((tiny_model / "config.json").read_text())["config"]
    assert config["garch_weight"] == choice["garch_weight"] and choice["origins"] > 0
    assert choice["pinball"] == min(choice["pinball_by_weight"].values()) and "garch_weight" in card
    # ... jointly with HAR-X's, over the simplex (every pair of 0, 0.05, .., 1 summing to at most 1).
    assert config["har_weight"] == choice["har_weight"] and "har_weight" in card
    assert len(choice["pinball_by_weight"]) == 231
    assert choice["garch_weight"] + choice["har_weight"] <= 1 and np.isfinite(choice["pinball_har"])
    # ... once per group of horizons (blend_per_horizon, on by default), horizon 1's in the config.
    assert config["blend_per_horizon"] and [g["horizons"] for g in choice["by_group"]] == ["1", "2-5"]
    assert len(choice["garch_weight_by_horizon"]) == len(choice["har_weight_by_horizon"]) == 5
    assert (choice["garch_weight_by_horizon"][0], choice["har_weight_by_horizon"][0]) == (
        config["garch_weight"], config["har_weight"])
    assert "model/GARCH/HAR-X" in card and "har_x" in walk["baselines"]


def test_evaluate_json_backtests_after_the_cutoff(tiny_model, series_csv, capsys):
    assert cli.main(["evaluate", "--model", str(tiny_model), "--data", str(series_csv), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["split"] == "test" and metrics["first_origin"] > "2016-06-30"
    assert 0 < metrics["garch_weight"] + metrics["har_weight"] <= 1  # the default forecast is a blend
    assert set(metrics["by_horizon"]) == {"1", "2", "3", "4", "5"}
    row = metrics["by_horizon"]["1"]
    for key in (
        "mae",
        "rmse",
        "mase",
        "directional_accuracy",
        "up_share",
        "coverage_80",
        "width_80",
        "pinball",
        "pinball_baseline",
        "pinball_garch",
        "pinball_ratio_garch",
        "coverage_80_garch",
    ):
        assert np.isfinite(row[key]), key
    assert row["pinball_ratio_garch"] == pytest.approx(row["pinball"] / row["pinball_garch"])
    assert 0 <= row["coverage_80"] <= 1 and row["width_80"] > 0
    # The naive forecast's MAE from the CSV itself: mean |log(close[t+1] / close[t])| over the origins
    # after the cutoff (every one of them has a next row at horizon 1).
    rows = [line.split(",") for line in series_csv.read_text().splitlines()[1:]]
    closes = np.log([float(r[1]) for r in rows])
    after = [i for i, r in enumerate(rows[:-1]) if r[0] > "2016-06-30"]
    naive_mae = float(np.mean(np.abs(closes[np.array(after) + 1] - closes[after])))
    assert row["n"] == len(after)
    assert row["mae_naive"] == pytest.approx(naive_mae, rel=1e-9)
    assert row["mase"] == pytest.approx(row["mae"] / naive_mae, rel=1e-9)
    assert metrics["baselines"]["naive"]["1"]["mase"] == pytest.approx(1.0)
    assert set(metrics["baselines"]) == {"naive", "drift", "seasonal_naive", "empirical", "garch", "har_x"}
    assert len(metrics["garch_weight_by_horizon"]) == 5 and metrics["blend_weights"].startswith("model/GARCH/HAR-X")


def test_evaluate_save_writes_metrics(tiny_model, series_csv, tmp_path):
    import shutil

    copy = tmp_path / "stock"
    shutil.copytree(tiny_model, copy)
    assert cli.main(["evaluate", "--model", str(copy), "--data", str(series_csv), "--save"]) == 0
    saved = json.loads((copy / "metrics.json").read_text())
    assert "by_horizon" in saved and "mase_h1" in (copy / "MODEL_CARD.md").read_text()


def test_predict_cli_prints_ordered_quantiles(tiny_model, series_csv, capsys):
    assert cli.main(["predict", "--model", str(tiny_model), "--set", "horizon=3", str(series_csv)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[0])
    assert result["input"] == str(series_csv) and len(result["forecast"]) == 3
    for step in result["forecast"]:
        assert set(step) == {"date", "q10", "q50", "q90"}
        assert 0 < step["q10"] < step["q50"] < step["q90"]
    dates = [np.datetime64(s["date"]) for s in result["forecast"]]
    assert dates[0] > np.datetime64(result["last_date"]) and all(np.is_busday(dates))


def test_loaded_task_matches_and_checks_options(tiny_model, series_csv):
    task = nlpsuite.load(tiny_model)
    first = task.predict([str(series_csv)], horizon=5, history=10)[0]
    assert len(first["history"]) == 10 and first["history"][-1]["close"] == first["last_close"]
    # A shorter horizon is a prefix of the full forecast (the loaded-vs-trained check, scaler included,
    # is test_save_load_oracle.py).
    assert task.predict([str(series_csv)], horizon=2)[0]["forecast"] == first["forecast"][:2]
    with pytest.raises(nlpsuite.NlpsuiteError, match="horizon=9"):
        task.predict([str(series_csv)], horizon=9)
    with pytest.raises(nlpsuite.NlpsuiteError, match="unknown option"):
        task.predict([str(series_csv)], beam_size=3)


@pytest.mark.parametrize(
    "argv, match",
    [
        (["predict", "--model", "{model}", "/nonexistent.csv"], "price file not found"),
        (["predict", "--model", "{model}", "{fixtures}/short.csv"], "short.csv has 30 rows"),
        (["evaluate", "--model", "{model}", "--data", "{fixtures}/bad_price.csv"], "line 4"),
        (["evaluate", "--model", "{model}", "--data", "bokeh:IBM"], "no origins after"),
    ],
)
def test_cli_errors_are_one_line(tiny_model, argv, match, capsys):
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "stock"
    argv = [a.format(model=tiny_model, fixtures=fixtures) for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err and err.count("\n") == 1


def test_backtest_errors_are_user_errors(series_csv):
    from nlpsuite.data import prices
    from nlpsuite.errors import OptionError
    from nlpsuite.tasks.stock import backtest, features

    datas = [features.prepare(prices.read_prices(str(series_csv)))]
    with pytest.raises(OptionError, match=r"min_train must be below the longest series' length \(560 rows\)"):
        backtest.walk_forward(datas, lookback=20, horizon=5, make_model=lambda: None, min_train=10_000)
    with pytest.raises(nlpsuite.NlpsuiteError, match="no origin to forecast"):
        backtest.Forecasts.concat([])
