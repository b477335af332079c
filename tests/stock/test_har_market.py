"""The HAR-X forecaster of ``nlpsuite.tasks.stock.har`` (HAR of the log range variance plus market,
leverage and calendar regressors): no look-ahead, across series too, and sane bands on a smoke-sized set."""

import numpy as np
import pytest

from nlpsuite.data.prices import PriceSeries
from nlpsuite.tasks.stock import features as F
from nlpsuite.tasks.stock.har import HarMarketForecaster, HarRangeForecaster

from .test_feature_leakage import ohlc_series, tamper_after

HORIZON = 5
SMALL = {"refit_every": 20, "window": 300, "min_rows": 100}


def named(series, name):
    """``series`` under another name (the market of a series is every series of another name)."""
    return PriceSeries(name, series.dates, series.close, series.volume, [], series.ohlc)


def forecasts(series_list, origins, **options):
    """HAR-X forecasts of the first series, with the whole list as the market."""
    datas = [F.prepare(s) for s in series_list]
    return HarMarketForecaster(datas, **SMALL, **options).forecast(datas[0], origins, HORIZON)


@pytest.mark.parametrize("row", [260, 330])
def test_har_x_at_an_origin_ignores_later_prices_of_its_own_and_the_other_series(row):
    own, other = ohlc_series(seed=0), named(ohlc_series(seed=1), "other")
    origins = np.arange(200, row + 1)  # refits at 200, 220, ..; the last origin is the tampered row itself
    original = forecasts([own, other], origins)
    tampered = forecasts([tamper_after(own, row), tamper_after(other, row)], origins)
    assert np.abs(original[-1]).min() > 0  # fitted, not the all-zero "no forecast"
    np.testing.assert_array_equal(original, tampered)
    # The check can fail: the same tampering reaches the forecasts after the row, through either series.
    later = np.array([row + 25])
    assert not np.array_equal(forecasts([own, other], later), forecasts([tamper_after(own, row), other], later))
    assert not np.array_equal(forecasts([own, other], later), forecasts([own, tamper_after(other, row)], later))


def test_market_columns_average_the_other_series_on_shared_dates_only():
    own, a, b = ohlc_series(n=300, seed=0), ohlc_series(n=300, seed=1), ohlc_series(n=300, seed=2)
    missing = 150  # b has no row on own's date 150: that day's market value is a's alone
    b = PriceSeries("b", np.delete(b.dates, missing), np.delete(b.close, missing), np.delete(b.volume, missing), [],
                    np.delete(b.ohlc, missing, axis=0))
    a = named(a, "a")
    datas = [F.prepare(s) for s in (own, a, b)]
    har_x = HarMarketForecaster(datas, leverage=False, calendar=False)
    x, _, names = har_x.regressors(datas[0])
    market = x[:, names.index("market_log_v_5")]
    a5 = HarMarketForecaster([datas[1]]).regressors(datas[1])[0][:, names.index("log_v_5")]
    b5 = HarMarketForecaster([datas[2]]).regressors(datas[2])[0][:, names.index("log_v_5")]
    assert market[missing] == a5[missing]
    np.testing.assert_allclose(market[missing + 1], (a5[missing + 1] + b5[missing]) / 2)  # b's row 150 is day 151
    alone = HarMarketForecaster(datas[:1], leverage=False, calendar=False).regressors(datas[0])[0]
    np.testing.assert_array_equal(alone[:, 4:7], alone[:, 1:4])  # no other series: its own value, nothing new


def test_har_x_on_a_smoke_sized_set_gives_finite_non_crossing_bands():
    # Two OHLC tickers and a closes-only one, 1,400 rows each as in `--quick`, with the default fit settings.
    series = [ohlc_series(1400, seed=0), named(ohlc_series(1400, seed=1), "b"), PriceSeries.random_walk(1400, seed=2)]
    datas = [F.prepare(s) for s in series]
    origins = np.arange(F.first_origin(20), 1399)
    for data in datas:
        har_x = HarMarketForecaster(datas)
        q = har_x.forecast(data, origins, HORIZON)
        fitted = origins - origins % har_x.refit_every - 22 >= har_x.min_rows  # the first fit's refit row
        assert np.isfinite(q).all()
        assert (q[~fitted] == 0).all()
        assert (np.diff(q[fitted], axis=-1) >= 0).all() and (q[fitted, :, 2] > q[fitted, :, 0]).all()
        assert np.shape(har_x.coefficients)[1] == len(har_x.regressors(data)[2]) == 16
    plain = HarRangeForecaster().forecast(datas[0], origins, HORIZON)
    assert np.isfinite(plain).all() and not np.array_equal(plain, har_x.forecast(datas[0], origins, HORIZON))
