"""The captioner's figures: test images with the generated caption and a reference, and BLEU-4
with the loss over the epochs."""

import textwrap
from pathlib import Path

import numpy as np

from common.runs import save_figure

from .evaluate import is_reference


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def captioned_images(images, generated, references, path: Path, columns: int = 4) -> Path:
    """A grid of images, each with its generated caption above (green: word for word one of the
    references; red: not) and its first reference below."""
    plt = _plt()
    count = len(images)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.3 * columns, 4.4 * rows))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    cells = zip(np.atleast_1d(axes).ravel(), images, generated, references, strict=False)
    for ax, image, caption, refs in cells:
        ax.imshow(image, interpolation="nearest")
        exact = is_reference(caption, refs)
        ax.set_title("\n".join(textwrap.wrap(caption, 36)), fontsize=8,
                     color="darkgreen" if exact else "firebrick")  # fmt: skip
        ax.text(0, -0.03, "\n".join(textwrap.wrap(f"reference: {refs[0]}", 40)), fontsize=7,
                transform=ax.transAxes, va="top", color="dimgray")  # fmt: skip
    fig.suptitle("test images: generated caption above, a reference below")
    fig.tight_layout()
    return save_figure(fig, path)


def learning(history: dict, path: Path) -> Path:
    """Loss per epoch (training and validation) beside validation BLEU-4."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs = np.arange(1, len(history["loss"]) + 1)
    left.plot(epochs, history["loss"], label="training")
    if "val_loss" in history:
        left.plot(epochs, history["val_loss"], label="validation")
    left.set(xlabel="epoch", ylabel="loss (nats per word)", yscale="log")
    left.legend()
    if "val_bleu4" in history:
        right.plot(epochs, history["val_bleu4"], marker="o")
    right.set(xlabel="epoch", ylabel="validation BLEU-4 (greedy)", ylim=(0, 1))
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)
