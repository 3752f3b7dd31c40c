"""Convolution -> pooling -> convolution -> pooling -> flatten -> dense -> dropout -> softmax.

The model takes raw 28x28 pixels (0-255): scaling and augmentation are its first layers, and
augmentation is active only in training.
"""

import keras
from keras import layers

from common.augment import augmentation
from common.initializers import xavier

from .data import NUM_CLASSES

POOLS = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}


def augmentation_block(config) -> keras.layers.Layer:
    """The config's random rotations, shifts, zooms and shears, composed into one transform per
    image and one resampling (identity outside training)."""
    return augmentation(
        rotation=config.rotation,
        translation=config.translation,
        zoom=config.zoom,
        shear=config.shear,
        interpolation=config.interpolation,
        seed=config.seed,
    )


def build_model(config) -> keras.Model:
    inputs = keras.Input(shape=(28, 28), name="pixels")
    h = layers.Reshape((28, 28, 1), name="one_channel")(inputs)
    h = layers.Rescaling(1 / 255, name="to_unit_range")(h)
    h = augmentation_block(config)(h)
    for i, filters in enumerate(config.filters, start=1):
        h = layers.Conv2D(
            filters,
            config.kernel_size,
            padding=config.padding,
            use_bias=not config.batch_norm,  # batch norm's shift replaces the bias
            kernel_initializer=xavier(config.initializer, seed=config.seed + i),
            name=f"conv_{i}",
        )(h)
        if config.batch_norm:
            h = layers.BatchNormalization(name=f"batch_norm_{i}")(h)
        h = layers.Activation("relu", name=f"relu_{i}")(h)
        h = POOLS[config.pooling](2, name=f"{config.pooling}_pool_{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(
        config.dense_units,
        activation="relu",
        kernel_initializer=xavier(config.initializer, seed=config.seed + 10),
        name="dense",
    )(h)
    h = layers.Dropout(config.dropout, name="dropout")(h)
    outputs = layers.Dense(
        NUM_CLASSES,
        activation="softmax",
        kernel_initializer=xavier(config.initializer, seed=config.seed + 11),
        dtype="float32",  # softmax in float32 even under mixed precision
        name="class_probabilities",
    )(h)
    return keras.Model(inputs, outputs, name="mnist_cnn")
