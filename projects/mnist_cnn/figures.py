"""Figures of a trained digit classifier (confusion matrix, confident mistakes, feature maps) and
the explanatory ones of demos.py (kernels, pooling, augmentation)."""

from pathlib import Path

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from common.runs import save_figure  # noqa: E402

MISTAKES_SHOWN = 24  # four rows of six


def confusion(y_true, y_pred, names, workdir: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 7))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=names, ax=ax, cmap="Blues", colorbar=False
    )
    ax.set_title(f"test set: {np.sum(y_true != y_pred)} of {len(y_true)} wrong")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    return save_figure(fig, Path(workdir) / "confusion_matrix.png")


def confident_mistakes(x, y_true, probabilities, names, workdir: Path) -> Path:
    """The wrong test images the model was surest of: often ambiguous, sometimes mislabelled."""
    predicted = np.argmax(probabilities, axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    worst = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:MISTAKES_SHOWN]
    cols = 6
    rows = max(1, int(np.ceil(len(worst) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), worst, strict=False):
        ax.imshow(x[i], cmap="gray_r")
        ax.set_title(
            f"said {names[predicted[i]]} ({probabilities[i, predicted[i]]:.0%})\n"
            f"label {names[y_true[i]]}",
            fontsize=9,
        )
    fig.suptitle("most confidently wrong test images")
    return save_figure(fig, Path(workdir) / "confident_mistakes.png")


def feature_maps(model: keras.Model, image: np.ndarray, workdir: Path) -> Path:
    """What the trained first convolution layer (after its activation) sees in one test image."""
    layer = model.get_layer("relu_1") if _has(model, "relu_1") else model.get_layer("conv_1")
    probe = keras.Model(model.input, layer.output)
    maps = keras.ops.convert_to_numpy(probe(image[None], training=False))[0]
    count = maps.shape[-1]
    cols = 8
    rows = int(np.ceil((count + 1) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.7 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=8)
    for k in range(count):
        ax = axes.ravel()[k + 1]
        ax.imshow(maps[..., k], cmap="viridis")
        ax.set_title(f"filter {k}", fontsize=8)
    fig.suptitle("first convolution layer's feature maps")
    return save_figure(fig, Path(workdir) / "feature_maps.png")


def kernels(image: np.ndarray, kernels: dict, filtered: dict, out: Path) -> Path:
    """kernels.png: a digit, each kernel's output on it, and the kernels with their numbers."""
    fig, axes = plt.subplots(2, len(kernels) + 1, figsize=(3.2 * (len(kernels) + 1), 6.4))
    axes[0, 0].imshow(image, cmap="gray")
    axes[0, 0].set_title("test digit")
    axes[1, 0].axis("off")
    for col, (name, kernel) in enumerate(kernels.items(), start=1):
        axes[0, col].imshow(filtered[name], cmap="gray")
        axes[0, col].set_title(name)
        axes[1, col].imshow(kernel, cmap="coolwarm", vmin=-5, vmax=5)
        for (r, c), v in np.ndenumerate(np.asarray(kernel)):
            axes[1, col].text(c, r, str(v), ha="center", va="center", fontsize=14)
        axes[1, col].set_title(f"{name} kernel")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, out / "kernels.png")


def pooling(grids: dict, out: Path) -> Path:
    """pooling.png: a feature map and its pooled versions side by side, every number shown."""
    fig, axes = plt.subplots(1, len(grids), figsize=(4 * len(grids), 4))
    for ax, (title, grid) in zip(axes, grids.items(), strict=True):
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=9)
        for (r, c), v in np.ndenumerate(grid):
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=13)
        ax.set_title(title)
        ax.set_xticks(np.arange(-0.5, grid.shape[1], 2 if grid.shape[0] == 6 else 1), minor=False)
        ax.set_yticks(np.arange(-0.5, grid.shape[0], 2 if grid.shape[0] == 6 else 1), minor=False)
        ax.grid(color="k", lw=1.5)
        ax.set_xticklabels([])
        ax.set_yticklabels([])
    return save_figure(fig, out / "pooling.png")


def augmented(image: np.ndarray, varied: np.ndarray, config, out: Path) -> Path:
    """augmented.png: a digit and 15 variations of it from the augmentation block."""
    fig, axes = plt.subplots(2, 8, figsize=(14, 4))
    axes[0, 0].imshow(image, cmap="gray")
    axes[0, 0].set_title("original")
    for ax, img in zip(axes.ravel()[1:], varied, strict=True):
        ax.imshow(img, cmap="gray")
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(
        f"augmentation: rotation {config.rotation}, translation {config.translation}, "
        f"zoom {config.zoom} (training only)"
    )
    return save_figure(fig, out / "augmented.png")


def _has(model: keras.Model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)
