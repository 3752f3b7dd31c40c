"""The four XOR examples and their one-hot targets: class 1 when exactly one input is 1."""

import numpy as np

from common.encoding import one_hot

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
LABELS = np.array([0, 1, 1, 0])


def load() -> tuple[np.ndarray, np.ndarray]:
    """(inputs, one-hot targets): (0,0)->(1,0), (0,1)->(0,1), (1,0)->(0,1), (1,1)->(1,0)."""
    return INPUTS.copy(), one_hot(LABELS, 2)
