import numpy as np
import pytest

from common.errors import UserError
from common.normalization import minmax_layer, scaler_layer, zscore_layer

TRAIN = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]], dtype="float32")


def test_zscore_uses_training_mean_and_std():
    layer = zscore_layer(TRAIN)
    out = np.asarray(layer(np.array([[3.0, 20.0], [5.0, 30.0]], dtype="float32")))
    std = TRAIN.std(axis=0)  # population std, as Normalization uses
    np.testing.assert_allclose(out, [[0.0, 0.0], [2.0 / std[0], 10.0 / std[1]]], rtol=1e-5)


def test_minmax_maps_training_range_to_unit_interval():
    out = np.asarray(minmax_layer(TRAIN)(np.array([[1.0, 10.0], [5.0, 30.0], [3.0, 40.0]])))
    np.testing.assert_allclose(out, [[0.0, 0.0], [1.0, 1.0], [0.5, 1.5]], atol=1e-6)


def test_statistics_come_from_training_data_only():
    layer = minmax_layer(TRAIN)
    before = np.asarray(layer(TRAIN))
    layer(np.full((2, 2), 1e6, dtype="float32"))  # applying to other data changes nothing
    np.testing.assert_array_equal(np.asarray(layer(TRAIN)), before)


def test_constant_feature_maps_to_zero():
    train = np.array([[2.0, 1.0], [2.0, 3.0]], dtype="float32")
    np.testing.assert_allclose(np.asarray(minmax_layer(train)(train))[:, 0], [0.0, 0.0])


def test_scalar_statistics_for_images():
    images = np.array([[[0.0, 255.0]], [[255.0, 0.0]]], dtype="float32")
    out = np.asarray(minmax_layer(images, axis=None)(images))
    np.testing.assert_allclose(out, images / 255.0, atol=1e-6)


def test_bad_training_data():
    with pytest.raises(UserError, match="NaN"):
        zscore_layer(np.array([[1.0], [np.nan]]))
    with pytest.raises(UserError, match="unknown scaling"):
        scaler_layer("robust", TRAIN)
