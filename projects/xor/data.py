"""The four XOR examples and their one-hot targets: class 1 when exactly one input is 1."""

import math

import numpy as np
import tensorflow as tf

from common.encoding import one_hot

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
LABELS = np.array([0, 1, 1, 0])


def load() -> tuple[np.ndarray, np.ndarray]:
    """(inputs, one-hot targets): (0,0)->(1,0), (0,1)->(0,1), (1,0)->(0,1), (1,1)->(1,0)."""
    return INPUTS.copy(), one_hot(LABELS, 2)


def training_stream(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
    """An endless stream of shuffled batches and the number of steps that make one epoch.

    Each run of four examples is a fresh permutation of the data. One long stream, rather than
    numpy arrays, lets Keras keep a single iterator across epochs: on four examples the per-epoch
    iterator set-up would otherwise cost five times the training itself.
    """
    stream = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size)
    )
    return stream, math.ceil(len(x) / batch_size)
