"""The stock app: multi-horizon quantile forecasts of daily prices (see ``task.StockTask``).

Split the way keras-hub splits a model family: ``features`` (inputs and targets from log returns,
daily ranges and volume), ``quantile_head`` (the non-crossing output layer), ``model`` (network and
pinball loss), ``garch`` (the GARCH(1,1)-t baseline), ``conformal`` (trailing recalibration of the
band), ``har`` (HAR-X, the range-variance regression blended into the forecast), ``combination``
(quantile averaging and its dev-period weights), ``backtest`` (forecasters, baselines, scoring,
walk-forward) and ``task`` (the ``Task`` API).
"""

from nlpsuite.tasks.stock.task import StockConfig, StockTask

__all__ = ["StockConfig", "StockTask"]
