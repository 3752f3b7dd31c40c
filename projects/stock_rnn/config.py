"""Hyperparameters of the price forecaster; each comment gives the reason for its default."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, NON_NEGATIVE, POSITIVE, SEED, Range
from common.errors import UserError
from common.optimizers import OptimizerName


@dataclass
class Config:
    series: Literal["sp500", "nasdaq"] = "sp500"  # daily 1999-2018, fetched once and cached
    csv: str = ""  # your own Yahoo-format CSV instead of --series
    column: str = "Close"  # the price to forecast (Yahoo's 'Adj Close' also works)
    lookback: int = 30  # trading days the network sees: six weeks
    target: Literal["log_return", "close"] = "log_return"  # returns are stationary, prices not
    cell: Literal["simple", "lstm", "gru"] = "lstm"  # the course's three recurrent cells
    units: tuple[int, ...] = (32,)  # one layer; stacking (e.g. 32,32) overfits daily noise
    dropout: float = 0.1  # on the recurrent layers' inputs; daily returns are mostly noise
    clipnorm: float = 1.0  # clip each gradient's norm: the course's cure for exploding gradients
    optimizer: OptimizerName = "adam"  # rmsprop is the classic choice for RNNs; adam does as well
    learning_rate: float = 1e-3  # Keras's default for adam
    batch_size: int = 64  # about 55 steps per epoch on 3,500 training days
    epochs: int = 30  # an upper bound; early stopping ends sooner
    patience: int = 5  # epochs without a better validation loss before stopping
    val_fraction: float = 0.15  # the 15% of days after training (about 2010-2015 for sp500)
    test_fraction: float = 0.15  # the last 15% of days (about 2016-2018), never seen in training
    moving_average: int = 5  # days averaged by the moving-average baseline (one trading week)
    walk_forward: int = 0  # K > 0: split the test period into K windows, fine-tuning after each
    finetune_epochs: int = 3  # epochs of fine-tuning on each walk-forward window once it is past
    seed: int = 0  # fixes initial weights and batch order

    RANGES: ClassVar[dict[str, Range]] = {
        "lookback": Range(2),
        "units": COUNT,
        "dropout": FRACTION,
        "clipnorm": POSITIVE,
        "learning_rate": POSITIVE,
        "batch_size": COUNT,
        "epochs": COUNT,
        "patience": NON_NEGATIVE,  # 0: no early stopping
        "val_fraction": Range(0, 0.5, low_open=True, high_open=True),
        "test_fraction": Range(0, 0.5, low_open=True, high_open=True),
        "moving_average": COUNT,
        "walk_forward": NON_NEGATIVE,  # checked against the test period's length when loaded
        "finetune_epochs": COUNT,
        "seed": SEED,
    }

    def quick(self) -> "Config":
        return dataclasses.replace(self, lookback=10, units=(8,), epochs=2, patience=1)

    def validate(self) -> None:
        if not self.units:
            raise UserError("--units needs one or more positive sizes, e.g. 32 or 32,16")
