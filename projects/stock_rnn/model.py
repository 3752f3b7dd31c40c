"""Raw prices in, next-day price out: scaling, a recurrent stack, and the way back to prices.

build_model returns two models that share their layers:
  train_model  prices -> the scaled target (what the loss sees)
  serve_model  prices -> the next day's price (what is exported; it carries all the scaling)
"""

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

CELLS = {"simple": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


@keras.saving.register_keras_serializable(package=__package__)
class LogReturns(layers.Layer):
    """(batch, days) prices -> (batch, days - 1) daily log returns log(p[t] / p[t-1])."""

    def call(self, prices):
        return ops.log(prices[:, 1:] / prices[:, :-1])


@keras.saving.register_keras_serializable(package=__package__)
class NextPrice(layers.Layer):
    """(predicted value, window of prices) -> next price: last * exp(r) for a log return."""

    def __init__(self, target: str, **kwargs):
        super().__init__(**kwargs)
        self.target = target

    def call(self, inputs):
        value, prices = inputs
        value = ops.squeeze(value, axis=-1)
        return prices[:, -1] * ops.exp(value) if self.target == "log_return" else value

    def get_config(self):
        return {**super().get_config(), "target": self.target}


@dataclass
class Stats:
    """Scaling fitted on the training period only."""

    input_mean: float
    input_var: float
    target_mean: float
    target_var: float


def fit_stats(train_prices: np.ndarray, target: str) -> Stats:
    """Log-return targets: mean and variance of training returns; price targets: min and range."""
    prices = np.asarray(train_prices, dtype="float64")
    if target == "log_return":
        r = np.diff(np.log(prices))
        return Stats(r.mean(), r.var(), r.mean(), r.var())
    low, span = prices.min(), prices.max() - prices.min()
    return Stats(low, span**2, low, span**2)


def scaled_target(y: np.ndarray, last: np.ndarray, stats: Stats, target: str) -> np.ndarray:
    """What train_model learns to output for next price y after a window ending at `last`."""
    value = np.log(y / last) if target == "log_return" else y
    return ((value - stats.target_mean) / np.sqrt(stats.target_var)).astype("float32")


def build_model(config, stats: Stats) -> tuple[keras.Model, keras.Model]:
    prices = keras.Input(shape=(config.lookback,), name="prices")
    features = LogReturns(name="log_returns")(prices) if config.target == "log_return" else prices
    h = layers.Normalization(
        axis=None, mean=stats.input_mean, variance=stats.input_var, name="scale_inputs"
    )(features)
    h = layers.Reshape((-1, 1), name="one_feature_per_day")(h)
    cell = CELLS[config.cell]
    for i, units in enumerate(config.units):
        last_layer = i == len(config.units) - 1
        h = cell(
            units,
            dropout=config.dropout,
            return_sequences=not last_layer,
            name=f"{config.cell}_{i}",
        )(h)
    scaled = layers.Dense(1, name="scaled_target")(h)
    value = layers.Normalization(
        axis=None,
        mean=stats.target_mean,
        variance=stats.target_var,
        invert=True,
        name="unscale_target",
    )(scaled)
    next_price = NextPrice(config.target, name="next_price")([value, prices])
    train_model = keras.Model(prices, scaled, name="stock_rnn_train")
    serve_model = keras.Model(prices, next_price, name="stock_rnn")
    return train_model, serve_model
