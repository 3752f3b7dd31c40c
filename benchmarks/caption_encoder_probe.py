"""Can image_captioning's encoder see shapes? Train it as a 3-way shape classifier on one-shape
scenes, with and without batch normalization after each convolution, and measure held-out
accuracy in inference mode (and, for batch normalization, with batch statistics).

    python -m benchmarks.caption_encoder_probe [--epochs 3] [--train 6000]

About a minute per variant on a 2-core CPU. Chance is 1/3.
"""

import argparse
import dataclasses

import keras
import numpy as np
from keras import layers

from projects.image_captioning import data, model
from projects.image_captioning.config import Config


def one_shape_scenes(count: int, size: int, rng: np.random.Generator):
    images, labels = [], []
    for _ in range(count):
        shape = int(rng.integers(len(data.SHAPES)))
        obj = (
            data.SHAPES[shape],
            list(data.COLOURS)[rng.integers(len(data.COLOURS))],
            list(data.SIZES)[rng.integers(len(data.SIZES))],
            int(rng.integers(3)),
        )
        images.append(data.draw([obj], size, rng))
        labels.append(shape)
    return np.stack(images).astype("float32"), np.array(labels)


def with_batch_norm(config) -> keras.Model:
    """The encoder as it was first written: convolution, batch normalization, ReLU, pooling."""
    image = keras.Input((config.image_size, config.image_size, 3))
    x = layers.Rescaling(1 / 255)(image)
    for block in range(3):
        x = layers.Conv2D(config.filters * 2**block, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Dense(config.features, activation="relu")(layers.Flatten()(x))
    return keras.Model(image, x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train", type=int, default=6000)
    args = parser.parse_args()
    config = Config()
    rng = np.random.default_rng(0)
    x, y = one_shape_scenes(args.train, config.image_size, rng)
    x_test, y_test = one_shape_scenes(1000, config.image_size, rng)
    for name, encoder in (
        ("batch normalization", with_batch_norm),
        ("template encoder", model.encoder),
    ):
        keras.utils.set_random_seed(0)
        image = keras.Input((config.image_size, config.image_size, 3))
        classifier = keras.Model(
            image, layers.Dense(3)(encoder(dataclasses.replace(config))(image))
        )
        classifier.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        history = classifier.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
        held_out = np.mean(np.argmax(classifier.predict(x_test, verbose=0), 1) == y_test)
        batch_stats = np.mean(
            np.argmax(keras.ops.convert_to_numpy(classifier(x_test[:500], training=True)), 1)
            == y_test[:500]
        )
        print(
            f"{name}: training accuracy {history.history['accuracy'][-1]:.3f}, held out "
            f"{held_out:.3f} (inference mode), {batch_stats:.3f} (batch statistics)"
        )


if __name__ == "__main__":
    main()
