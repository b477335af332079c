"""On a random walk nothing beats "tomorrow = today": a model that does has seen the future."""

import numpy as np

from nlpsuite import training
from nlpsuite.data.prices import PriceSeries
from nlpsuite.tasks.stock import backtest as B
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.model import build_model, compile_model

HORIZON = 20


def random_walk(n=900, seed=11):
    rng = np.random.default_rng(seed)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.012, n)))
    dates = np.busday_offset(np.datetime64("2001-01-01"), np.arange(n), roll="forward")
    return F.prepare(PriceSeries("random-walk", dates, close, rng.uniform(1e3, 2e3, n)))


def mae_ratios(forecasts, name="model"):
    ratios = []
    for h in range(HORIZON):
        mask = forecasts.valid[:, h]
        y = forecasts.y[mask, h]
        ratios.append(np.mean(np.abs(y - forecasts.quantiles[name][mask, h, 1])) / np.mean(np.abs(y)))
    return np.array(ratios)


def test_walk_forward_model_does_not_beat_naive_on_a_random_walk():
    training.set_seed(5)

    def tiny():
        model = build_model(lookback=20, horizon=HORIZON, quantiles=B.QUANTILES, units=8)
        return compile_model(model, B.QUANTILES, learning_rate=5e-3, jit_compile=False)

    result = B.walk_forward(
        [random_walk()],
        lookback=20,
        horizon=HORIZON,
        make_model=tiny,
        min_train=400,
        refit_every=125,
        initial_epochs=3,
        refit_epochs=1,
        refit_samples=512,
        batch_size=64,
        baseline_window=250,
        log=lambda _: None,
    )
    ratios = mae_ratios(result.forecasts)
    assert len(result.forecasts.y) >= 450
    assert np.all(ratios >= 0.97), f"model MAE / naive MAE below 0.97 (leak?): {np.round(ratios, 3)}"
    # Same code path, scored like the model: the report carries the same numbers.
    report = B.score(result.forecasts, HORIZON)["by_horizon"]
    np.testing.assert_allclose([report[str(h)]["mase"] for h in range(1, HORIZON + 1)], ratios)


def test_the_guard_catches_a_forecaster_that_peeks():
    data = random_walk()
    origins = np.arange(F.first_origin(20), len(data) - 1)

    class Peeking:
        name, point = "model", False

        def forecast(self, data, origins, horizon):
            y, _ = F.targets(data, origins, horizon)
            return np.repeat((0.3 * y)[..., None], 3, axis=-1)

    forecasts = B.collect(data, origins, HORIZON, [Peeking(), B.NaiveForecaster()])
    assert np.all(mae_ratios(forecasts) < 0.97)
