import numpy as np

from common.augment import augmentation


def digits():
    x = np.zeros((8, 28, 28, 1), dtype="float32")
    x[:, 6:22, 12:16, 0] = 1.0  # a vertical bar, off-centre so every transform moves it
    return x


def test_identity_at_inference():
    block = augmentation(rotation=0.1, translation=0.1, zoom=0.1, contrast=0.2, seed=0)
    x = digits()
    np.testing.assert_array_equal(np.asarray(block(x, training=False)), x)


def test_changes_images_in_training():
    block = augmentation(rotation=0.1, translation=0.1, zoom=0.1, seed=0)
    x = digits()
    out = np.asarray(block(x, training=True))
    assert out.shape == x.shape
    assert np.abs(out - x).sum(axis=(1, 2, 3)).min() > 0  # every image moved


def test_flip_only_mirrors():
    block = augmentation(flip="horizontal", seed=3)
    x = digits()
    out = np.asarray(block(x, training=True))
    for before, after in zip(x, out, strict=True):
        assert np.array_equal(after, before) or np.array_equal(after, before[:, ::-1])


def test_nothing_requested_is_identity():
    x = digits()
    np.testing.assert_array_equal(np.asarray(augmentation()(x, training=True)), x)
