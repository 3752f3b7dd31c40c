"""common.augment: one random affine transform per image, checked against scipy.ndimage."""

import keras
import numpy as np
import pytest
import scipy.ndimage as ndimage
from keras import ops

from common.augment import RandomAffine, augmentation, inverse_transforms, resample

ORDER = {"nearest": 0, "bilinear": 1}


def digits(n=8):
    x = np.zeros((n, 28, 28, 1), dtype="float32")
    x[:, 6:22, 12:16, 0] = 1.0  # a vertical bar, off-centre so every transform moves it
    return x


def noise(n=2, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28, 1)).astype("float32")


def transform(n=1, angle=0.0, scale=1.0, shear=0.0, flip=1.0, dx=0.0, dy=0.0, size=28):
    def column(v):
        return ops.convert_to_tensor(np.full((n,), v, dtype="float32"))

    args = (angle, scale, shear, flip, dx, dy)
    return inverse_transforms(*map(column, args), height=size, width=size)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_identity_transform_returns_the_image_exactly(interpolation):
    x = noise(3)
    out = np.asarray(resample(x, transform(3), interpolation))
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("degrees", [20.0, -35.0, 90.0])
def test_rotation_matches_scipy(interpolation, degrees):
    x = noise(1)
    out = np.asarray(resample(x, transform(angle=np.deg2rad(degrees)), interpolation))[0, ..., 0]
    expected = ndimage.rotate(
        x[0, ..., 0], degrees, reshape=False, order=ORDER[interpolation], mode="grid-constant"
    )
    np.testing.assert_allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_zoom_and_shift_match_scipy(interpolation):
    x = noise(1)
    scale, dx, dy = 0.8, 1.3, -2.2
    out = np.asarray(resample(x, transform(scale=scale, dx=dx, dy=dy), interpolation))
    centre = np.array([13.5, 13.5])
    # scipy: input (row, col) = matrix @ output + offset
    offset = centre - (centre + np.array([dy, dx])) / scale
    expected = ndimage.affine_transform(
        x[0, ..., 0], np.eye(2) / scale, offset=offset, order=ORDER[interpolation],
        mode="grid-constant",
    )  # fmt: skip
    np.testing.assert_allclose(out[0, ..., 0], expected, atol=1e-5)


def test_whole_pixel_shift_moves_the_picture_and_fills_the_gap():
    x = noise(1)
    out = np.asarray(resample(x, transform(dx=3.0, dy=-2.0)))[0, ..., 0]
    np.testing.assert_array_equal(out[:26, 3:], x[0, 2:, :25, 0])  # right 3, up 2
    assert out[26:].max() == 0 and out[:, :3].max() == 0


def test_flip_mirrors_left_right():
    x = noise(1)
    out = np.asarray(resample(x, transform(flip=-1.0), "nearest"))
    np.testing.assert_array_equal(out, x[:, :, ::-1])


def test_identity_outside_training():
    layer = augmentation(rotation=0.1, translation=0.1, zoom=0.1, shear=0.05, flip=True, seed=0)
    x = digits()
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)


def test_changes_every_image_in_training():
    layer = augmentation(rotation=0.1, translation=0.1, zoom=0.1, seed=0)
    x = digits()
    out = np.asarray(layer(x, training=True))
    assert out.shape == x.shape
    assert np.abs(out - x).sum(axis=(1, 2, 3)).min() > 0


def test_nothing_requested_is_identity():
    x = digits()
    np.testing.assert_array_equal(np.asarray(augmentation()(x, training=True)), x)


def test_sampled_parameters_follow_the_settings():
    layer = RandomAffine(rotation=0.05, zoom=0.1, translation=0.08, shear=0.02, flip=True, seed=3)
    p = {k: np.asarray(v) for k, v in layer.sample_parameters(20000, 28, 32).items()}
    limits = {
        "angle": 0.05 * 2 * np.pi,
        "shear": 0.02 * 2 * np.pi,
        "dx": 0.08 * 32,
        "dy": 0.08 * 28,
    }
    for name, limit in limits.items():
        values = p[name]
        assert values.min() >= -limit and values.max() <= limit, name
        assert values.min() < -0.98 * limit and values.max() > 0.98 * limit, name  # full range
        assert abs(values.mean()) < 0.02 * limit, name
        assert values.std() == pytest.approx(limit / np.sqrt(3), rel=0.03), name  # uniform
    assert p["scale"].min() >= 0.9 and p["scale"].max() <= 1.1
    assert p["scale"].std() == pytest.approx(0.1 / np.sqrt(3), rel=0.03)
    assert set(np.unique(p["flip"])) == {-1.0, 1.0}
    assert np.mean(p["flip"] < 0) == pytest.approx(0.5, abs=0.02)


def test_same_seed_same_batch():
    x = digits()

    def run(seed):
        layer = augmentation(rotation=0.1, translation=0.1, zoom=0.1, seed=seed)
        return np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))

    first, again = run(7), run(7)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # the next batch gets new transforms
    assert not np.array_equal(first[0], run(8)[0])


def test_saves_and_loads_with_the_model(tmp_path):
    inputs = keras.Input(shape=(28, 28, 1))
    h = augmentation(rotation=0.1, zoom=0.05, interpolation="bilinear", seed=1)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    layer = loaded.layers[1]
    assert isinstance(layer, RandomAffine)
    assert (layer.rotation, layer.zoom, layer.interpolation) == (0.1, 0.05, "bilinear")
    x = digits(2)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="zoom"):
        RandomAffine(zoom=1.0)
    with pytest.raises(ValueError, match=">= 0"):
        RandomAffine(rotation=-0.1)
    with pytest.raises(ValueError, match="interpolation"):
        RandomAffine(interpolation="cubic")


def test_mixed_precision_keeps_coordinates_in_float32():
    layer = RandomAffine(rotation=0.1, zoom=0.1, seed=0, dtype="mixed_float16")
    x = np.zeros((2, 96, 96, 1), dtype="float32")
    x[:, 40:56, 40:56] = 1.0
    out = np.asarray(layer(x, training=True))
    assert out.dtype == np.float16 and np.isfinite(out).all()
    # a whole-pixel shift near the far edge lands exactly, as it does in float32
    shifted = np.asarray(resample(x.astype("float16"), transform(1, dx=1.0, size=96)))
    np.testing.assert_array_equal(shifted[0, :, 1:], x[0, :, :-1].astype("float16"))
