"""Hyperparameters of the digit classifier; each comment gives the reason for its default."""

import dataclasses
from dataclasses import dataclass
from typing import Literal

from common.errors import UserError
from common.initializers import XavierKind
from common.optimizers import OptimizerName


@dataclass
class Config:
    dataset: Literal["mnist", "fashion_mnist"] = "mnist"  # same shapes, harder classes
    data_dir: str = ""  # a folder of the four IDX files, tried before any download
    filters: tuple[int, int] = (32, 64)  # the two convolution layers; doubling after pooling
    kernel_size: int = 3  # 3x3 sees strokes; two of them stacked see 5x5 at less cost
    padding: Literal["same", "valid"] = "valid"  # skips the empty border: 2.6M multiplies, not 4.2M
    pooling: Literal["max", "average"] = "max"  # the course's max pooling keeps the strongest
    batch_norm: bool = False  # a third of each CPU step, and no faster to 0.990 here (README)
    dense_units: int = 128  # between the flattened maps (1,600 values) and the ten classes
    dropout: float = 0.4  # on the dense layer: the usual guard against co-adapted units
    initializer: XavierKind = "xavier"  # the course's N(0, 1/n_in)
    rotation: float = 0.03  # augmentation: up to +-11 degrees, as handwriting leans
    translation: float = 0.08  # up to 2 pixels: digits are centred by mass, not exactly
    zoom: float = 0.08  # up to 8% larger or smaller: stroke sizes vary
    interpolation: Literal["nearest", "bilinear"] = "nearest"  # bilinear, thrice, blurs digits
    optimizer: OptimizerName = "adam"  # per-weight step sizes; momentum/nesterov work too
    learning_rate: float = 3e-3  # peak of the schedule, 3x Adam's default: 1e-3 learned slower
    schedule: Literal["cosine", "constant"] = "cosine"  # decays to zero: the last epochs settle
    warmup_epochs: float = 0.5  # linear warm-up to the peak rate over half an epoch
    momentum: float = 0.9  # for the momentum and nesterov optimizers
    batch_size: int = 128  # 430 steps per epoch; large enough for a CPU's vector units
    epochs: int = 12  # about where the test accuracy stops rising under the cosine schedule
    val_size: int = 5000  # training images held out to watch for overfitting (not the test set)
    train_limit: int = 0  # use only the first N training images (0: all); for quick runs
    mixed_precision: bool = False  # float16 compute on a GPU (ignored on a CPU)
    jit_compile: bool = False  # XLA on a GPU (on a CPU Keras decides)
    seed: int = 0  # fixes the split, initial weights, augmentation and batch order

    def quick(self) -> "Config":
        return dataclasses.replace(
            self, filters=(8, 16), dense_units=32, epochs=2, train_limit=2000, val_size=500
        )

    def validate(self) -> None:
        if len(self.filters) != 2 or min(self.filters) < 1:
            raise UserError("--filters takes two positive sizes, e.g. 32,64")
        if self.kernel_size < 1 or self.dense_units < 1 or self.epochs < 1:
            raise UserError("--kernel_size, --dense_units and --epochs must be positive")
        if self.padding == "valid" and (29 - self.kernel_size) // 2 < self.kernel_size + 1:
            raise UserError(
                f"--kernel_size={self.kernel_size} leaves nothing for the second convolution "
                "with --padding=valid: use a smaller kernel or --padding=same"
            )
        if not 0 <= self.dropout < 1:
            raise UserError("--dropout must be in [0, 1)")
        if min(self.rotation, self.translation, self.zoom) < 0:
            raise UserError("--rotation, --translation and --zoom must be >= 0 (0 turns one off)")
        if self.val_size < 1 or self.train_limit < 0 or self.batch_size < 1:
            raise UserError("--val_size and --batch_size must be positive, --train_limit >= 0")
