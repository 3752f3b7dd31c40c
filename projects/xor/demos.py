"""Figures that explain the XOR network: activations, optimizers, and why non-linearity matters.

    python -m projects.xor.demos [--out runs/xor/demos] [--epochs 300]

activations.png   the five activations and their derivatives (central differences)
optimizers.png    loss per epoch of full-batch, stochastic (batch 1) and minibatch (batch 2)
                  gradient descent, each plain, with momentum and with Nesterov momentum
boundaries.png    decision regions of networks with each hidden activation: a linear hidden
                  layer draws one straight line and gets at most three of the four points right
"""

import argparse
import dataclasses
from pathlib import Path

import keras
import numpy as np

from common import runtime
from common.config import Parser
from common.errors import main_guard
from common.optimizers import build_optimizer

from . import NAME, data, figures
from .config import Config
from .model import build_model, hidden_activation

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")
SGD_LEARNING_RATE = 0.5  # plain SGD needs a larger step than Adam's 0.05 to finish in 300 epochs
STEP = 1e-3  # central-difference step: far below the plot's resolution, far above float32's


def derivative(fn, z: np.ndarray) -> np.ndarray:
    """g'(z) by central differences: the same on every Keras backend (autodiff is not)."""
    ahead, behind = (
        keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z + d))) for d in (STEP, -STEP)
    )
    return (ahead - behind) / (2 * STEP)


def activation_curves(z: np.ndarray) -> tuple[dict, dict]:
    """Each activation's values and derivative over z, {name: curve}."""
    values, derivatives = {}, {}
    for name in ACTIVATIONS:
        fn = keras.activations.get(hidden_activation(name))
        values[name] = keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z)))
        derivatives[name] = derivative(fn, z)
    return values, derivatives


def train_curve(config: Config) -> tuple[keras.Model, np.ndarray]:
    """Train one network as train.py does (without a run directory); return it and its losses."""
    keras.utils.set_random_seed(config.seed)
    x, y = data.load()
    model = build_model(config)
    model.compile(
        optimizer=build_optimizer(config.optimizer, config.learning_rate, config.momentum),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    stream, steps = data.training_stream(x, y, config.batch_size, config.seed)
    history = model.fit(
        stream, steps_per_epoch=steps, epochs=config.epochs, shuffle=False, verbose=0
    )
    return model, np.array(history.history["loss"])


def optimizer_losses(epochs: int) -> dict:
    """Training loss per epoch of plain SGD, momentum and Nesterov in three batch regimes."""
    regimes = {"full batch (4)": 4, "stochastic (1)": 1, "minibatch (2)": 2}
    losses = {}
    for title, batch in regimes.items():
        losses[title] = {}
        for opt in ("sgd", "momentum", "nesterov"):
            config = Config(
                optimizer=opt, learning_rate=SGD_LEARNING_RATE, batch_size=batch, epochs=epochs
            )
            _, losses[title][opt] = train_curve(config)
            print(f"{title:16s} {opt:9s} final loss {losses[title][opt][-1]:.4f}")
    return losses


def decision_regions(gx: np.ndarray, gy: np.ndarray, x: np.ndarray, epochs: int) -> dict:
    """For each hidden activation, a trained network's P(class 1) over the grid and how many of
    the four points it gets right."""
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    regions = {}
    for name in ACTIVATIONS:
        model, _ = train_curve(dataclasses.replace(Config(), activation=name, epochs=epochs))
        p1 = model.predict(points, verbose=0)[:, 1].reshape(gx.shape)
        right = int(np.sum(np.argmax(model.predict(x, verbose=0), axis=1) == data.LABELS))
        regions[name] = (p1, right)
        print(f"{name:10s} {right}/4 right")
    return regions


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", default=f"runs/{NAME}/demos", help=f"(default: runs/{NAME}/demos)")
    parser.add_argument("--epochs", type=int, default=300, help="per training run (default: 300)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runtime.setup(seed=0)
    z = np.linspace(-4, 4, 401, dtype="float32")
    grid = np.linspace(-0.5, 1.5, 121, dtype="float32")
    gx, gy = np.meshgrid(grid, grid)
    x, _ = data.load()
    for path in (
        figures.activations(z, *activation_curves(z), out),
        figures.optimizers(optimizer_losses(args.epochs), SGD_LEARNING_RATE, out),
        figures.boundaries(gx, gy, decision_regions(gx, gy, x, args.epochs), x, data.LABELS, out),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
