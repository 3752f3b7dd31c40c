"""The course's optimizers by name, so every template offers the same choice on its command line."""

from typing import Literal

import keras

OptimizerName = Literal["sgd", "momentum", "nesterov", "rmsprop", "adam"]


def build_optimizer(
    name: str, learning_rate, momentum: float = 0.9, clipnorm: float | None = None
) -> keras.optimizers.Optimizer:
    """sgd (plain), momentum (SGD + momentum), nesterov, rmsprop or adam.

    `learning_rate` may be a float or a keras.optimizers.schedules schedule; `clipnorm` clips
    each gradient's norm (the usual answer to exploding gradients in recurrent networks).
    """
    extra = {"clipnorm": clipnorm} if clipnorm else {}
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, **extra)
    if name == "momentum":
        return keras.optimizers.SGD(learning_rate, momentum=momentum, **extra)
    if name == "nesterov":
        return keras.optimizers.SGD(learning_rate, momentum=momentum, nesterov=True, **extra)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate, **extra)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate, **extra)
    raise ValueError(f"unknown optimizer {name!r}: use sgd, momentum, nesterov, rmsprop or adam")
