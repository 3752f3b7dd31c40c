import numpy as np
import pytest

from common.encoding import one_hot
from common.errors import UserError


def test_two_classes_as_in_the_course():
    np.testing.assert_array_equal(one_hot([0, 1], 2), [[1, 0], [0, 1]])


def test_digit_two_of_ten():
    row = one_hot([2], 10)[0]
    assert row.tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert row.dtype == np.float32


def test_whole_floats_are_accepted():
    np.testing.assert_array_equal(one_hot(np.array([2.0, 0.0]), 3), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    "labels, message",
    [([0, 3], "out of range"), ([-1], "out of range"), ([1.5], "whole numbers"), (["a"], "class")],
)
def test_bad_labels_are_rejected(labels, message):
    with pytest.raises(UserError, match=message):
        one_hot(labels, 3)
