"""Figures of a trained digit classifier: confusion matrix, confident mistakes, feature maps."""

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


def _has(model: keras.Model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)
