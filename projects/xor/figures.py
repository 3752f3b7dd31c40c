"""The figures of demos.py: activations, optimizers' losses and decision regions."""

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.runs import save_figure  # noqa: E402


def activations(z: np.ndarray, values: dict, derivatives: dict, out: Path) -> Path:
    """activations.png: each activation g(z) and its derivative, {name: curve over z}."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name in values:
        axes[0].plot(z, values[name], label=name)
        axes[1].plot(z, derivatives[name], label=name)
    axes[0].set(title="activation g(z)", xlabel="z", ylim=(-1.5, 4))
    axes[1].set(title="derivative g'(z)", xlabel="z", ylim=(-0.1, 1.1))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, out / "activations.png")


def optimizers(losses: dict, learning_rate: float, out: Path) -> Path:
    """optimizers.png: one panel per batch regime, {regime: {optimizer: loss per epoch}}."""
    fig, axes = plt.subplots(1, len(losses), figsize=(5 * len(losses), 4), sharey=True)
    for ax, (title, by_optimizer) in zip(axes, losses.items(), strict=True):
        for name, curve in by_optimizer.items():
            ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
        ax.set(title=f"{title}, lr {learning_rate}", xlabel="epoch", yscale="log")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("training loss (cross-entropy)")
    return save_figure(fig, out / "optimizers.png")


def boundaries(gx, gy, regions: dict, x, labels, out: Path) -> Path:
    """boundaries.png: P(class 1) over the plane for each hidden activation, the four points on
    top; regions is {activation: (probabilities on the grid, points right)}."""
    fig, axes = plt.subplots(1, len(regions), figsize=(4 * len(regions), 3.8))
    for ax, (name, (p1, right)) in zip(axes, regions.items(), strict=True):
        ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.8)
        ax.contour(gx, gy, p1, levels=[0.5], colors="k")
        ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="coolwarm", edgecolors="k", s=120)
        ax.set(title=f"{name}: {right}/{len(x)} right", xlabel="x1", ylabel="x2")
    return save_figure(fig, out / "boundaries.png")
