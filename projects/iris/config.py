"""Hyperparameters of the Iris classifier; each comment gives the reason for its default."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, NON_NEGATIVE, POSITIVE, SEED, Range
from common.errors import UserError
from common.initializers import XavierKind
from common.optimizers import OptimizerName


@dataclass
class Config:
    test_fraction: float = 0.2  # 30 of 150 flowers held out, 10 per species (stratified)
    val_fraction: float = 0.2  # of the rest: 24 flowers to choose the epoch by (early stopping)
    scaling: Literal["zscore", "minmax", "none"] = "zscore"  # centimetres differ by feature
    hidden_units: tuple[int, ...] = (16,)  # one small hidden layer; the classes are nearly linear
    activation: Literal["relu", "tanh", "sigmoid"] = "relu"  # relu trains fastest here
    dropout: float = 0.0  # 96 training flowers and ~100 weights: early stopping regularizes enough
    optimizer: OptimizerName = "adam"  # robust default; try --optimizer=nesterov
    learning_rate: float = 0.01  # ten times Adam's usual 1e-3: tiny data, few steps per epoch
    momentum: float = 0.9  # for momentum and nesterov
    batch_size: int = 16  # six steps per epoch: noisy enough to escape flat spots
    epochs: int = 300  # an upper bound; early stopping usually ends sooner
    patience: int = 40  # epochs without a better validation loss before stopping
    initializer: XavierKind = "xavier"  # the course's N(0, 1/n_in)
    seed: int = 0  # fixes the split, initial weights and batch order

    RANGES: ClassVar[dict[str, Range]] = {
        "test_fraction": Range(0, 0.5, low_open=True, high_open=True),
        "val_fraction": Range(0, 0.5, low_open=True, high_open=True),
        "hidden_units": COUNT,
        "dropout": FRACTION,
        "learning_rate": POSITIVE,
        "momentum": FRACTION,
        "batch_size": COUNT,
        "epochs": COUNT,
        "patience": NON_NEGATIVE,  # 0: no early stopping
        "seed": SEED,
    }

    def quick(self) -> "Config":
        return dataclasses.replace(self, epochs=30, patience=10)

    def validate(self) -> None:
        if not self.hidden_units:
            raise UserError("--hidden_units needs one or more positive sizes, e.g. 16 or 32,16")
