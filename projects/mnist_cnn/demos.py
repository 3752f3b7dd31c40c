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
import numpy as np

from common import runtime
from common.config import Parser
from common.errors import main_guard

from . import NAME, data, figures
from .config import Config
from .model import augmentation_block

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


def pooled(grid: np.ndarray) -> dict[str, np.ndarray]:
    """One feature map through 2x2 max pooling and 2x2 average pooling, as the layers do it."""
    x = grid[None, :, :, None]
    return {
        f"{kind} pooling 2x2": keras.ops.convert_to_numpy(layer(2)(x))[0, :, :, 0]
        for kind, layer in (
            ("max", keras.layers.MaxPooling2D),
            ("average", keras.layers.AveragePooling2D),
        )
    }


def augmented(image: np.ndarray, config: Config, count: int = 15) -> np.ndarray:
    """`count` variations of one digit from the training pipeline's augmentation block."""
    batch = np.repeat(image[None, :, :, None].astype("float32"), count, axis=0)
    return np.asarray(augmentation_block(config)(batch, training=True))[..., 0]


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
    filtered = {name: convolve(digit, kernel) for name, kernel in KERNELS.items()}
    for path in (
        figures.kernels(digit, KERNELS, filtered, out),
        figures.pooling({"feature map 6x6": FEATURE_MAP, **pooled(FEATURE_MAP)}, out),
        figures.augmented(digit, augmented(digit, config), config, out),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
