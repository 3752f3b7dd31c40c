"""Fisher's Iris flowers: load, stratified train/validation/test split, one-hot targets.

Scaling is not done here: it is a layer of the model (see model.py), fitted on the training
split only, so the exported model takes raw centimetres.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from common.encoding import one_hot

FEATURES = ("sepal length", "sepal width", "petal length", "petal width")  # all in cm
SPECIES = ("setosa", "versicolor", "virginica")


@dataclass
class Split:
    x_train: np.ndarray
    y_train: np.ndarray  # class indices 0..2
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def one_hot(self, y: np.ndarray) -> np.ndarray:
        """(1,0,0) setosa, (0,1,0) versicolor, (0,0,1) virginica."""
        return one_hot(y, len(SPECIES))


def load(test_fraction: float, val_fraction: float, seed: int) -> Split:
    """Split the 150 flowers into train/validation/test with each species equally represented."""
    iris = load_iris()
    x, y = iris.data.astype("float32"), iris.target.astype("int64")
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_fraction, stratify=y, random_state=seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_fraction, stratify=y_rest, random_state=seed
    )
    return Split(x_train, y_train, x_val, y_val, x_test, y_test)


def measured_range() -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest value of each input over every row `load` gives (predict.py
    notes an input outside them); derived from `load`, so it follows a `load` of your own."""
    split = load(test_fraction=0.2, val_fraction=0.2, seed=0)
    x = np.concatenate([split.x_train, split.x_val, split.x_test])
    return x.min(axis=0), x.max(axis=0)
