"""The captioner's figures: test images with the generated caption and a reference, BLEU-4 with
the loss over the epochs, and (attention decoder) where it looks for each word."""

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


def attention_maps(images, steps, vocabulary, path: Path, words: int = 8) -> Path:
    """One row per image: the image, then for each word written (up to `words`) the image
    darkened where that word's attention weights are low (weights relative to their largest;
    evenly spread weights leave the image as it is)."""
    plt = _plt()
    columns = 1 + min(words, max(len(s) for s in steps))
    fig, axes = plt.subplots(len(images), columns, figsize=(1.9 * columns, 2.1 * len(images)))
    axes = np.atleast_2d(axes)
    for row, image, written in zip(axes, images, steps, strict=True):
        for ax in row:
            ax.axis("off")
        row[0].imshow(image, interpolation="nearest")
        row[0].set_title("image", fontsize=8)
        size = image.shape[0]
        for ax, (word, grid) in zip(row[1:], written, strict=False):
            shade = np.zeros((*grid.shape, 4))
            shade[..., 3] = 0.8 * (1 - grid / grid.max())  # black, opaque where not looked at
            ax.imshow(image, interpolation="nearest")
            ax.imshow(shade, extent=(0, size, size, 0), interpolation="bilinear")
            ax.set_title(vocabulary.words[word], fontsize=9)
    fig.suptitle("where the attention decoder looks for each word it writes (test images)")
    fig.tight_layout()
    return save_figure(fig, path)
