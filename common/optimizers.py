"""The course's optimizers by name, so every template offers the same choice on its command line."""

import contextlib
import math
import time
from typing import Literal

import keras

OptimizerName = Literal["sgd", "momentum", "nesterov", "rmsprop", "adam"]


def build_optimizer(
    name: str,
    learning_rate,
    momentum: float = 0.9,
    clipnorm: float | None = None,
    weight_decay: float = 0.0,
    ema: float = 0.0,
) -> keras.optimizers.Optimizer:
    """sgd (plain), momentum (SGD + momentum), nesterov, rmsprop or adam.

    `learning_rate` may be a float or a keras.optimizers.schedules schedule; `clipnorm` clips
    each gradient's norm (the usual answer to exploding gradients in recurrent networks);
    `weight_decay` shrinks every weight but the biases by that share of the learning rate each
    step (decoupled, as AdamW does); `ema` keeps a moving average of the weights with that
    momentum, which `fit` puts into the model at its end (see `averaged_weights`).
    """
    extra = {"clipnorm": clipnorm} if clipnorm else {}
    if weight_decay:
        extra["weight_decay"] = weight_decay
    if ema:
        extra.update(use_ema=True, ema_momentum=ema)
    optimizer = _by_name(name, learning_rate, momentum, extra)
    if weight_decay:
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


def _by_name(name: str, learning_rate, momentum: float, extra: dict):
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


class CosineSchedule(keras.callbacks.Callback):
    """The learning rate falls from `peak` to `final` along half a cosine over the run, the run's
    progress being the larger of the share of `total_steps` done and the share of `max_minutes`
    used (0: steps alone). A run that its time limit cuts short (a slower machine, a GPU budget)
    still ends at `final`, not at a high rate. The minutes' share starts `GRACE` of the minutes
    late and then runs faster, to end with them: it leads only in a run that falls more than
    that far behind the pace that ends its steps in time, so a slow start (the first steps are
    slower than the rest) leaves the rates of a run whose steps end first as the steps set them,
    and such a run repeats with its seed.

    Compile the optimizer with a float rate: this sets it before every step. The step count
    starts from the optimizer's, so a resumed run goes on where it stopped. `clock` gives the
    seconds the run has trained, e.g. a Progress's `seconds` (training alone, the minutes before
    a resume included); without one, the wall time since `fit` began counts, starting again in a
    resumed process. `warmup_steps` > 0 ramps the rate up linearly over the first steps (Adam's
    first updates, from estimates of a few batches, are the largest and the least informed).
    """

    GRACE = 0.05  # of the minutes: 45 s of 15 minutes

    def __init__(self, peak: float, final: float, total_steps: int, max_minutes: float = 0.0,
                 clock=None, warmup_steps: int = 0):  # fmt: skip
        super().__init__()
        self.peak, self.final, self.total_steps = peak, final, max(1, total_steps)
        self.warmup_steps = warmup_steps
        self.max_seconds, self.clock = max_minutes * 60, clock
        self.step: int | None = None
        self.start = time.monotonic()

    def on_train_begin(self, logs=None):
        self.start, self.step = time.monotonic(), None

    def seconds(self) -> float:
        return self.clock() if self.clock else time.monotonic() - self.start

    def share(self) -> float:
        done = self.step / self.total_steps
        if self.max_seconds:
            used = self.seconds() / self.max_seconds
            done = max(done, (used - self.GRACE) / (1 - self.GRACE))
        return min(done, 1.0)

    def rate(self) -> float:
        rate = self.final + (self.peak - self.final) * 0.5 * (1 + math.cos(math.pi * self.share()))
        if self.step < self.warmup_steps:
            rate *= (self.step + 1) / self.warmup_steps
        return rate

    def on_train_batch_begin(self, batch, logs=None):
        if self.step is None:  # read once, after a resume has restored the optimizer
            self.step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self.model.optimizer.learning_rate = self.rate()
        self.step += 1


@contextlib.contextmanager
def averaged_weights(optimizer):
    """Within the block the model holds the optimizer's moving average of its weights (an
    optimizer built with `ema`), so an evaluation measures the averaged model; the trained
    weights come back after it. A no-op for an optimizer without an average."""
    averages = getattr(optimizer, "_model_variables_moving_average", None)
    if not getattr(optimizer, "use_ema", False) or not averages:
        yield
        return
    pairs = list(zip(optimizer._trainable_variables, averages, strict=True))
    trained = [keras.ops.convert_to_numpy(variable) for variable, _ in pairs]
    for variable, average in pairs:  # copies: JAX may donate a variable's buffer to a step
        variable.assign(keras.ops.convert_to_numpy(average))
    try:
        yield
    finally:
        for (variable, _), value in zip(pairs, trained, strict=True):
            variable.assign(value)
