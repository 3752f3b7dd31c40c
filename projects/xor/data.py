"""The four XOR examples and their one-hot targets: class 1 when exactly one input is 1."""

import math

import numpy as np

from common.encoding import one_hot

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
LABELS = np.array([0, 1, 1, 0])


def load() -> tuple[np.ndarray, np.ndarray]:
    """(inputs, one-hot targets): (0,0)->(1,0), (0,1)->(0,1), (1,0)->(0,1), (1,1)->(1,0)."""
    return INPUTS.copy(), one_hot(LABELS, 2)


def training_stream(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
    """An endless stream of shuffled batches and the number of steps that make one epoch.

    Each pass over the four examples is a fresh permutation, cut into batches. One long stream,
    rather than numpy arrays, lets Keras keep a single iterator across epochs: on four examples
    the per-epoch set-up would otherwise cost several times the training itself. A plain Python
    generator runs on every Keras backend.
    """
    rng = np.random.default_rng(seed)

    def batches():
        while True:
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                chosen = order[start : start + batch_size]
                yield x[chosen], y[chosen]

    return batches(), math.ceil(len(x) / batch_size)
