"""Figures of a trained Iris classifier: the test set's confusion matrix."""

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from common import runs  # noqa: E402

from . import data  # noqa: E402


def confusion(y_true, y_pred, workdir: Path) -> Path:
    """The test flowers' confusion matrix, titled with how many were right."""
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=data.SPECIES, cmap="Blues", colorbar=False
    )
    display.ax_.set_title(f"Iris test set: {np.sum(y_true == y_pred)}/{len(y_true)} right")
    return runs.save_figure(display.figure_, Path(workdir) / "confusion_matrix.png")
