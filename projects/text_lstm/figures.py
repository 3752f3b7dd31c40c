"""The template's figures: written into the run directory, never shown on screen."""

from pathlib import Path

import numpy as np

from common import runs


def learning_curve(train_points, held_out_points, workdir: Path, kept=None) -> Path:
    """learning.png: training loss (every progress line) and held-out loss (every epoch)
    against the characters seen and against the minutes trained; `kept`, one of the held-out
    points, marks the epoch whose weights the run kept (--keep_best)."""
    plt = _pyplot()
    train = np.asarray(train_points, dtype=float).reshape(-1, 3)
    held = np.asarray(held_out_points, dtype=float).reshape(-1, 3)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for ax, column, label, scale in (
        (axes[0], 0, "characters seen (millions)", 1e6),
        (axes[1], 1, "minutes of training", 60),
    ):
        ax.plot(
            train[:, column] / scale,
            train[:, 2],
            label="training (mean since the previous point)",
            lw=1,
        )
        if len(held):
            ax.plot(held[:, column] / scale, held[:, 2], "o-", label="held-out text")
        if kept is not None:
            ax.plot(kept[column] / scale, kept[2], "*", ms=14, color="C3", label="the saved model")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("loss (nats per character)")
    fig.suptitle("character-level language model")
    return runs.save_figure(fig, Path(workdir) / "learning.png")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def memory(distances, accuracy: dict, chance: float, out: Path) -> Path:
    """memory.png: accuracy on the remember-the-key task against the distance, one panel per
    noise level ({noise: {cell: accuracies}})."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(accuracy), figsize=(6 * len(accuracy), 4), sharey=True)
    for ax, (noise, by_cell) in zip(np.atleast_1d(axes), accuracy.items(), strict=True):
        for cell, values in by_cell.items():
            ax.plot(distances, values, "o-", label=cell)
        ax.axhline(chance, color="gray", ls="--", lw=1, label="chance")
        ax.set_xscale("log")
        ax.set_xticks(distances, [str(d) for d in distances])
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("steps between the key and the answer")
        words = "clean words" if noise == 0 else f"noise (std {noise:g}) on every word"
        ax.set_title(f"after the key: {words}")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("accuracy on new sequences")
    np.atleast_1d(axes)[0].legend()
    fig.suptitle('"I am from Hungary ... I speak fluent ___"')
    return runs.save_figure(fig, Path(out) / "memory.png")


def _reach(norms: dict, ylabel: str, title: str, path: Path) -> Path:
    """Gradient norm reaching each earlier step, by steps back from the answer, relative to the
    gradient at the last step (the networks' losses differ widely), one line per network."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, values in norms.items():
        back = np.arange(len(values))[::-1]  # step t is len - 1 - t steps before the answer
        ax.semilogy(back, np.maximum(values / values[-1], 1e-30), label=label)
    ax.set_xlabel("steps back from the answer (the key is the last point)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return runs.save_figure(fig, path)


def gradient_reach(norms: dict, distance: int, noise: float, out: Path) -> Path:
    """gradients.png: the loss's gradient reaching each earlier step's input, trained networks."""
    title = f"gradient reaching earlier steps, distance {distance}, noise {noise:g}"
    ylabel = "|d loss / d input|, relative to the last step"
    return _reach(norms, ylabel, title, Path(out) / "gradients.png")


def gradient_at_start(norms: dict, distance: int, noise: float, out: Path) -> Path:
    """start.png: before training, the answer's gradient reaching each step's state (the LSTM's
    cell)."""
    title = f"untrained networks, distance {distance}, noise {noise:g}"
    ylabel = "|d answer / d state|, relative to the last step"
    return _reach(norms, ylabel, title, Path(out) / "start.png")


def one_distance(curves: dict, noise: float, chance: float, out: Path) -> Path:
    """one_distance.png: networks trained on one distance only ({distance: {label: accuracy
    after each epoch}}): the last epoch's accuracy against the distance, and the accuracy
    epoch by epoch at the longest."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    distances = sorted(curves)
    longest = distances[-1]
    for label in curves[longest]:
        axes[0].plot(distances, [curves[d][label][-1] for d in distances], "o-", label=label)
        by_epoch = curves[longest][label]
        axes[1].plot(np.arange(1, len(by_epoch) + 1), by_epoch, "o-", ms=3, label=label)
    axes[0].set_xscale("log")
    axes[0].set_xticks(distances, [str(d) for d in distances])
    axes[0].set_xlabel("steps between the key and the answer (the only distance trained on)")
    axes[0].set_ylabel("accuracy on new sequences")
    axes[0].set_title("after the last epoch")
    axes[1].set_xlabel("epoch")
    axes[1].xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes[1].set_title(f"epoch by epoch, distance {longest}")
    for ax in axes:
        ax.axhline(chance, color="gray", ls="--", lw=1)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"trained on one distance only, noise {noise:g}: no short sequences to start from")
    return runs.save_figure(fig, Path(out) / "one_distance.png")


def exploding(reach: np.ndarray, losses: dict, gain: float, out: Path) -> Path:
    """exploding.png: a SimpleRNN with too-large recurrent weights, gradient by distance, and
    its training loss with and without clipping."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    back = np.arange(len(reach))[::-1]
    axes[0].semilogy(back, np.maximum(reach, 1e-30))
    axes[0].set_xlabel("steps back from the answer")
    axes[0].set_ylabel("|d loss / d input|")
    axes[0].set_title(f"ReLU SimpleRNN, orthogonal recurrent weights times {gain:g}")
    for label, values in losses.items():
        shown = np.where(np.isfinite(values), values, np.nan)
        line = axes[1].plot(shown, label=label, lw=1)[0]
        if not np.all(np.isfinite(values)):
            first = int(np.argmin(np.isfinite(values)))
            axes[1].axvline(first, color=line.get_color(), ls=":", label=f"{label}: NaN")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("training step")
    axes[1].set_ylabel("training loss")
    axes[1].set_title("plain SGD on it, without and with clipping")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    axes[1].legend()
    return runs.save_figure(fig, Path(out) / "exploding.png")
