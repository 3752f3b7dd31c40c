"""The shared optimizers' learning-rate schedule: by steps, by minutes, and inside fit."""

import keras
import numpy as np
import pytest

from common.optimizers import CosineSchedule, averaged_weights, build_optimizer
from common.testing import on_other_backend


class Clock:
    """Seconds the run has trained, as a Progress's `seconds` gives them."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_by_steps_it_is_keras_cosine_decay():
    schedule = CosineSchedule(4e-3, 2e-4, total_steps=50)
    schedule.on_train_begin()
    reference = keras.optimizers.schedules.CosineDecay(4e-3, 50, alpha=2e-4 / 4e-3)
    for step in (0, 1, 17, 25, 49, 50, 80):
        schedule.step = step
        assert schedule.rate() == pytest.approx(float(reference(step)), rel=1e-5)


def test_warmup_ramps_the_rate_up_then_follows_the_cosine():
    schedule = CosineSchedule(1.0, 0.0, total_steps=100, warmup_steps=10)
    schedule.on_train_begin()
    cosine = CosineSchedule(1.0, 0.0, total_steps=100)
    cosine.on_train_begin()
    rates = []
    for step in (0, 4, 9, 10, 50):
        schedule.step = cosine.step = step
        rates.append(schedule.rate())
        if step >= 10:
            assert schedule.rate() == cosine.rate()
    assert rates[:3] == pytest.approx([0.1 * cosine_at(0), 0.5 * cosine_at(4), cosine_at(9)])
    assert rates[0] < rates[1] < rates[2]


def cosine_at(step: int, total: int = 100) -> float:
    return 0.5 * (1 + np.cos(np.pi * step / total))


def test_the_time_limit_brings_the_rate_down_to_final_in_time():
    clock = Clock()
    schedule = CosineSchedule(1.0, 0.1, total_steps=1000, max_minutes=1, clock=clock)
    schedule.on_train_begin()
    schedule.step = 10  # 1% of the steps
    assert schedule.rate() == pytest.approx(1.0, abs=1e-3)
    clock.now += 2  # within the grace (3 s of the minute): the steps' share still
    assert schedule.share() == pytest.approx(0.01)
    clock.now += 28  # half the minutes: the minutes' share, which starts 3 s late
    half = (0.5 - CosineSchedule.GRACE) / (1 - CosineSchedule.GRACE)
    assert schedule.share() == pytest.approx(half)
    assert schedule.rate() == pytest.approx(0.1 + 0.45 * (1 + np.cos(np.pi * half)))
    clock.now += 29  # and ends with them
    assert schedule.share() == pytest.approx(1 - 1 / 60 / (1 - CosineSchedule.GRACE))
    clock.now += 2  # past the limit: the final rate, not below
    assert schedule.rate() == pytest.approx(0.1)
    schedule.step = 900  # the steps lead when they are further along
    clock.now -= 61
    assert schedule.share() == pytest.approx(0.9)


def test_fit_sets_the_rate_each_step_and_starts_from_the_optimizer_count():
    x = np.zeros((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    schedule = CosineSchedule(1.0, 0.0, total_steps=8)
    model.fit(x, x[:, :1], batch_size=2, epochs=1, verbose=0, callbacks=[schedule])
    assert schedule.step == 4
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert rate == pytest.approx(0.5 * (1 + np.cos(np.pi * 3 / 8)), rel=1e-5)  # set before step 4
    model.fit(x, x[:, :1], batch_size=2, epochs=1, verbose=0, callbacks=[schedule])
    assert schedule.step == 8  # the second fit continued from the optimizer's 4 steps
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert rate == pytest.approx(0.5 * (1 + np.cos(np.pi * 7 / 8)), rel=1e-5)


def weights_after_a_schedule_that_stops_after_one_step() -> list[float]:
    """Four steps of SGD on a zero-initialized Dense, the schedule at 1 for the first step and at
    0 (its final rate) after it: the weights of one step at rate 1 if fit uses the rate set."""
    x = np.ones((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(5.0), loss="mse")
    model.fit(x, x[:, :1], batch_size=2, verbose=0, callbacks=[CosineSchedule(1.0, 0.0, 1)])
    return model.get_weights()[0].ravel().tolist()


EXPECTED = [2.0, 2.0]  # one step at rate 1: w = 0 - 1 * d/dw mean((w.x + b - 1)^2) = 2


def test_fit_trains_with_the_rate_set():
    assert weights_after_a_schedule_that_stops_after_one_step() == EXPECTED


@pytest.mark.slow  # a second backend in a subprocess: make test-full
def test_fit_trains_with_the_rate_set_on_the_other_backend():
    assert (
        on_other_backend(__name__, "weights_after_a_schedule_that_stops_after_one_step") == EXPECTED
    )


def decay_and_average() -> dict:
    """Two SGD steps with no gradient (zero inputs, targets reached), so only the decay moves
    the kernel; what the model holds during training, inside averaged_weights and after fit."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.layers[0].kernel.assign(np.ones((2, 1), "float32"))
    model.layers[0].bias.assign(np.zeros(1, "float32"))
    optimizer = build_optimizer("sgd", 0.1, weight_decay=0.5, ema=0.5)
    model.compile(optimizer=optimizer, loss="mse")
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    seen = []

    def probe(*_):
        kernel = model.layers[0].kernel
        trained = float(keras.ops.convert_to_numpy(kernel)[0, 0])
        with averaged_weights(optimizer):
            averaged = float(keras.ops.convert_to_numpy(kernel)[0, 0])
            model.evaluate(x + 1, y, verbose=0)  # JAX may donate the buffers it evaluates with
        back = float(keras.ops.convert_to_numpy(kernel)[0, 0])
        seen.append({"trained": trained, "averaged": averaged, "back": back})

    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=probe)])  # fmt: skip
    return {
        **seen[-1],
        "kernel": keras.ops.convert_to_numpy(model.layers[0].kernel).ravel().tolist(),
        "bias": float(keras.ops.convert_to_numpy(model.layers[0].bias)[0]),
    }


def test_weight_decay_spares_biases_and_the_average_is_measured_then_saved():
    """Decay and average on this backend; text_lstm's quick run trains with both on JAX."""
    got = decay_and_average()
    assert got["trained"] == pytest.approx(0.95**2)  # shrunk by 0.5 x 0.1 each step, 2 steps
    # Keras starts the average at the first step's weights, then momentum 0.5
    assert got["averaged"] == pytest.approx(0.5 * 0.95 + 0.5 * 0.95**2)
    assert got["back"] == got["trained"]  # the trained weights return after the block
    assert got["kernel"] == pytest.approx([got["averaged"]] * 2)  # fit ends with the average
    assert got["bias"] == 0.0
