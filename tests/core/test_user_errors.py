"""Bad input to library functions the tasks and pages call raises ``NlpsuiteError`` (``OptionError`` where one
argument is at fault), so the CLI prints one ``error:`` line and a page shows a message, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from nlpsuite.errors import NlpsuiteError, OptionError


def test_poetry_step_engine_must_be_known():
    from nlpsuite.tasks.poetry.model import build_model, build_step_model, compile_step

    model = build_model(10, embedding_dim=4, units=8, num_layers=1, cell="lstm", dropout=0.0)
    with pytest.raises(OptionError, match=r"^engine must be one of 'auto', 'numpy', 'keras' \(got 'fast'\)$"):
        compile_step(build_step_model(model), "fast")


def test_poetry_numpy_engine_names_the_engines_that_work():
    from nlpsuite.tasks.poetry.model import build_model, build_step_model, compile_step

    model = build_model(10, embedding_dim=4, units=8, num_layers=1, cell="lstm", dropout=0.0, architecture="rwkv")
    with pytest.raises(OptionError, match="LSTM/GRU stacks .* only; use 'auto' or 'keras'"):
        compile_step(build_step_model(model), "numpy")


def test_stock_windows_reject_unknown_features():
    from nlpsuite.data.prices import PriceSeries
    from nlpsuite.tasks.stock import features as F

    n = 200
    dates = np.busday_offset(np.datetime64("2020-01-01"), np.arange(n), roll="forward")
    close = 50 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, n)))
    data = F.prepare(PriceSeries("synthetic", dates, close, None))
    assert F.windows(data, np.array([150]), 10).shape == (1, 10, len(F.FEATURES))
    with pytest.raises(OptionError, match=r"^features has unknown feature\(s\) \['colour'\]"):
        F.windows(data, np.array([150]), 10, features=("colour",))


@pytest.mark.parametrize("kwargs, option", [({"refit_every": 0}, "refit_every"), ({"window": 1}, "window")])
def test_garch_forecaster_names_the_bad_argument(kwargs, option):
    from nlpsuite.tasks.stock.garch import GarchForecaster

    with pytest.raises(OptionError, match=f"^{option} must be at least"):
        GarchForecaster(**kwargs)


def test_rnn_lab_rejects_an_unknown_cell():
    from nlpsuite import lab

    with pytest.raises(OptionError, match=r"^kind must be one of simple_rnn, lstm, gru \(got 'rnn'\)$"):
        lab.gradient_norms("rnn", length=3, units=2)


def test_malformed_ner_tags_are_user_errors():
    from nlpsuite.data import conll

    with pytest.raises(NlpsuiteError, match="tag 'PER' is neither O nor PREFIX-TYPE"):
        conll.get_spans(["O", "PER"])
    assert conll.check_tag("PER", "BIO") == "tag 'PER' is neither O nor PREFIX-TYPE"
