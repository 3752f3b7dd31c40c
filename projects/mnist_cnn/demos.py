"""Figures of what a convolutional network does, before any training.

    python -m projects.mnist_cnn.demos [--out runs/mnist_cnn/demos] [--data_dir DIR]

kernels.png     the course's three 3x3 kernels (sharpen, edge detection, blur) on a test digit
pooling.png     max pooling next to average pooling on a small feature map, numbers shown
augmented.png   one digit as the training pipeline's augmentation varies it

The trained network's own figures (first-layer feature maps, confusion matrix, most confidently
wrong digits) are written by every training run into its run directory.
"""

import argparse
from pathlib import Path

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common import runtime  # noqa: E402
from common.config import Parser  # noqa: E402
from common.errors import main_guard  # noqa: E402
from common.runs import save_figure  # noqa: E402

from . import NAME, data  # noqa: E402
from .config import Config  # noqa: E402
from .model import augmentation_block  # noqa: E402

KERNELS = {
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "edge detection": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "blur (all ones)": [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
}
FEATURE_MAP = np.array(
    [[1, 3, 2, 0, 1, 0], [4, 6, 1, 1, 0, 2], [0, 2, 9, 4, 3, 1],
     [1, 0, 5, 7, 2, 2], [3, 1, 0, 2, 8, 0], [0, 2, 1, 1, 0, 5]],
    dtype="float32",
)  # fmt: skip


def convolve(image: np.ndarray, kernel) -> np.ndarray:
    """One 3x3 kernel over one image, as a Conv2D layer with that single filter computes it."""
    x = image.astype("float32")[None, :, :, None] / 255
    k = np.asarray(kernel, dtype="float32")[:, :, None, None]
    return keras.ops.convert_to_numpy(keras.ops.conv(x, k, padding="same"))[0, :, :, 0]


def kernels_figure(image: np.ndarray, out: Path) -> Path:
    fig, axes = plt.subplots(2, len(KERNELS) + 1, figsize=(3.2 * (len(KERNELS) + 1), 6.4))
    axes[0, 0].imshow(image, cmap="gray")
    axes[0, 0].set_title("test digit")
    axes[1, 0].axis("off")
    for col, (name, kernel) in enumerate(KERNELS.items(), start=1):
        axes[0, col].imshow(convolve(image, kernel), cmap="gray")
        axes[0, col].set_title(name)
        axes[1, col].imshow(kernel, cmap="coolwarm", vmin=-5, vmax=5)
        for (r, c), v in np.ndenumerate(np.asarray(kernel)):
            axes[1, col].text(c, r, str(v), ha="center", va="center", fontsize=14)
        axes[1, col].set_title(f"{name} kernel")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, out / "kernels.png")


def pooling_figure(out: Path) -> Path:
    x = FEATURE_MAP[None, :, :, None]
    pooled = {
        "max pooling 2x2": keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(x))[0, :, :, 0],
        "average pooling 2x2": keras.ops.convert_to_numpy(keras.layers.AveragePooling2D(2)(x))[
            0, :, :, 0
        ],
    }
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for ax, (title, grid) in zip(
        axes, {"feature map 6x6": FEATURE_MAP, **pooled}.items(), strict=True
    ):
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


def augmented_figure(image: np.ndarray, config: Config, out: Path) -> Path:
    block = augmentation_block(config)
    batch = np.repeat(image[None, :, :, None].astype("float32"), 15, axis=0)
    varied = np.asarray(block(batch, training=True))[..., 0]
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


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", default=f"runs/{NAME}/demos", help=f"(default: runs/{NAME}/demos)")
    parser.add_argument("--data_dir", default="", help="a folder of MNIST IDX files (optional)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = Config()
    runtime.setup(config.seed)
    digit = data.load(config.dataset, args.data_dir).x_test[0]
    for path in (
        kernels_figure(digit, out),
        pooling_figure(out),
        augmented_figure(digit, config, out),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
