"""Naive forecasts and the error measures that compare a model with them on the same days."""

import numpy as np


def persistence(last: np.ndarray) -> np.ndarray:
    """Tomorrow equals today."""
    return np.asarray(last, dtype="float64")


def drift(last: np.ndarray, mean_log_return: float) -> np.ndarray:
    """Tomorrow equals today grown by the training period's mean daily log return."""
    return np.asarray(last, dtype="float64") * np.exp(mean_log_return)


def moving_average(x: np.ndarray, days: int) -> np.ndarray:
    """Tomorrow equals the mean of the last `days` prices of each window."""
    return np.asarray(x, dtype="float64")[:, -days:].mean(axis=1)


def forecast_metrics(y, predicted, last, x, ma_days: int) -> dict[str, float]:
    """MAE, RMSE, MAPE, MASE against persistence, direction accuracy, and the baselines' MAE.

    mase < 1 means the model's absolute error is smaller than that of "tomorrow equals today".
    direction_accuracy: the share of days whose move (up, or not up) the forecast called right;
    always_up_accuracy is the same for a forecast that always says "up", the bar to clear in a
    market that mostly rose.
    """
    y, predicted, last = (np.asarray(a, dtype="float64") for a in (y, predicted, last))
    error = predicted - y
    persistence_mae = np.mean(np.abs(persistence(last) - y))
    mae = np.mean(np.abs(error))
    went_up = y > last
    return {
        "test_mae": float(mae),
        "persistence_mae": float(persistence_mae),
        "moving_average_mae": float(np.mean(np.abs(moving_average(x, ma_days) - y))),
        "mase": float(mae / persistence_mae) if persistence_mae > 0 else float("inf"),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(100 * np.mean(np.abs(error) / y)),
        "direction_accuracy": float(np.mean((predicted > last) == went_up)),
        "always_up_accuracy": float(np.mean(went_up)),
        "test_days": len(y),
    }
