"""One-hot encoding of class labels, as in the course: 0 -> (1, 0), 1 -> (0, 1) for two classes."""

import numpy as np
from keras.utils import to_categorical

from common.errors import UserError


def one_hot(labels, num_classes: int) -> np.ndarray:
    """Class indices -> float32 one-hot rows; rejects labels that are not whole numbers in range.

    keras.utils.to_categorical does the encoding; this adds the checks it leaves out (it silently
    truncates 1.5 to 1 and wraps -1 to the last class).
    """
    values = np.asarray(labels)
    if values.size and not np.issubdtype(values.dtype, np.number):
        raise UserError(f"labels must be class numbers 0..{num_classes - 1}, got {values.dtype}")
    if values.size and not np.all(np.equal(np.mod(values, 1), 0)):
        bad = values[np.mod(values, 1) != 0].ravel()[0]
        raise UserError(f"labels must be whole numbers, found {bad}")
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        bad = values[(values < 0) | (values >= num_classes)].ravel()[0]
        raise UserError(f"label {bad} is out of range: classes are 0..{num_classes - 1}")
    return to_categorical(values.astype("int64"), num_classes=num_classes).astype("float32")
