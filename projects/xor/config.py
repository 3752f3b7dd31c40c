"""Hyperparameters of the XOR network; each comment gives the reason for its default."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, POSITIVE, SEED, Range
from common.initializers import XavierKind
from common.optimizers import OptimizerName

Activation = Literal["linear", "sigmoid", "tanh", "relu", "leaky_relu"]


@dataclass
class Config:
    hidden_units: int = 4  # two can solve XOR, but four find a solution from almost any start
    activation: Activation = "tanh"  # non-linear and zero-centred; 'linear' cannot solve XOR
    optimizer: OptimizerName = "adam"  # a step size per weight: the fewest epochs here
    learning_rate: float = 0.05  # large steps are safe on four points; plain SGD wants about 0.5
    momentum: float = 0.9  # used by the momentum and nesterov optimizers; the usual value
    batch_size: int = 4  # the whole data set per step: plain (full-batch) gradient descent
    epochs: int = 300  # Adam reaches 100% well before this; the loss keeps shrinking after
    initializer: XavierKind = "xavier"  # the course's N(0, 1/n_in); or glorot_normal/uniform
    seed: int = 0  # fixes initial weights and batch order, so a rerun gives the same numbers

    RANGES: ClassVar[dict[str, Range]] = {
        "hidden_units": COUNT,
        "learning_rate": POSITIVE,
        "momentum": FRACTION,
        "batch_size": Range(1, 4),  # XOR has four examples
        "epochs": COUNT,
        "seed": SEED,
    }

    def quick(self) -> "Config":
        return dataclasses.replace(self, epochs=150)
