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
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common import runtime  # noqa: E402
from common.config import Parser  # noqa: E402
from common.errors import main_guard  # noqa: E402
from common.optimizers import build_optimizer  # noqa: E402
from common.runs import save_figure  # noqa: E402

from . import NAME, data  # noqa: E402
from .config import Config  # noqa: E402
from .model import build_model, hidden_activation  # noqa: E402

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")
SGD_LEARNING_RATE = 0.5  # plain SGD needs a larger step than Adam's 0.05 to finish in 300 epochs
STEP = 1e-3  # central-difference step: far below the plot's resolution, far above float32's


def derivative(fn, z: np.ndarray) -> np.ndarray:
    """g'(z) by central differences: the same on every Keras backend (autodiff is not)."""
    ahead, behind = (
        keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z + d))) for d in (STEP, -STEP)
    )
    return (ahead - behind) / (2 * STEP)


def activations_figure(out: Path) -> Path:
    z = np.linspace(-4, 4, 401, dtype="float32")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name in ACTIVATIONS:
        fn = keras.activations.get(hidden_activation(name))
        axes[0].plot(z, keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(z))), label=name)
        axes[1].plot(z, derivative(fn, z), label=name)
    axes[0].set(title="activation g(z)", xlabel="z", ylim=(-1.5, 4))
    axes[1].set(title="derivative g'(z)", xlabel="z", ylim=(-0.1, 1.1))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, out / "activations.png")


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


def optimizers_figure(out: Path, epochs: int) -> Path:
    regimes = {"full batch (4)": 4, "stochastic (1)": 1, "minibatch (2)": 2}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    for ax, (title, batch) in zip(axes, regimes.items(), strict=True):
        for opt in ("sgd", "momentum", "nesterov"):
            config = Config(
                optimizer=opt, learning_rate=SGD_LEARNING_RATE, batch_size=batch, epochs=epochs
            )
            _, losses = train_curve(config)
            ax.plot(np.arange(1, epochs + 1), losses, label=opt)
            print(f"{title:16s} {opt:9s} final loss {losses[-1]:.4f}")
        ax.set(title=f"{title}, lr {SGD_LEARNING_RATE}", xlabel="epoch", yscale="log")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("training loss (cross-entropy)")
    return save_figure(fig, out / "optimizers.png")


def boundaries_figure(out: Path, epochs: int) -> Path:
    grid = np.linspace(-0.5, 1.5, 121, dtype="float32")
    gx, gy = np.meshgrid(grid, grid)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    x, _ = data.load()
    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(4 * len(ACTIVATIONS), 3.8))
    for ax, name in zip(axes, ACTIVATIONS, strict=True):
        model, _ = train_curve(dataclasses.replace(Config(), activation=name, epochs=epochs))
        p1 = model.predict(points, verbose=0)[:, 1].reshape(gx.shape)
        right = int(np.sum(np.argmax(model.predict(x, verbose=0), axis=1) == data.LABELS))
        ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.8)
        ax.contour(gx, gy, p1, levels=[0.5], colors="k")
        ax.scatter(x[:, 0], x[:, 1], c=data.LABELS, cmap="coolwarm", edgecolors="k", s=120)
        ax.set(title=f"{name}: {right}/4 right", xlabel="x1", ylabel="x2")
        print(f"{name:10s} {right}/4 right")
    return save_figure(fig, out / "boundaries.png")


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", default=f"runs/{NAME}/demos", help=f"(default: runs/{NAME}/demos)")
    parser.add_argument("--epochs", type=int, default=300, help="per training run (default: 300)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runtime.setup(seed=0)
    for path in (
        activations_figure(out),
        optimizers_figure(out, args.epochs),
        boundaries_figure(out, args.epochs),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
