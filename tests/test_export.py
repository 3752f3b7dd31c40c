"""Export: the served model answers like the trained one, augmentation switched off."""

import keras
import numpy as np

from common.augment import augmentation
from common.export import check_fresh_process, export_model, load_exported


def test_export_runs_augmentation_in_inference_mode(tmp_path):
    inputs = keras.Input(shape=(8, 8, 1), name="pixels")
    h = augmentation(rotation=0.2, translation=0.2, zoom=0.2, seed=0)(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).random((5, 8, 8, 1)).astype("float32")
    export_model(model, tmp_path, x)  # raises if the export answers differently
    expected = np.asarray(model(x, training=False))
    np.testing.assert_allclose(load_exported(tmp_path)(x), expected, atol=1e-6)
    answers = check_fresh_process(tmp_path, x)
    np.testing.assert_allclose(answers["keras"], expected, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "model.keras"]
