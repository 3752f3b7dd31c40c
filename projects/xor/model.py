"""A 2-H-2 dense network: two inputs, one hidden layer, softmax over the two classes."""

import keras
from keras import layers

from common.initializers import xavier


def hidden_activation(name: str):
    """Keras names for the course's activations ('leaky_relu' with Keras's slope of 0.2)."""
    return None if name == "linear" else name


def build_model(config) -> keras.Model:
    inputs = keras.Input(shape=(2,), name="inputs")
    hidden = layers.Dense(
        config.hidden_units,
        activation=hidden_activation(config.activation),
        kernel_initializer=xavier(config.initializer, seed=config.seed),
        name="hidden",
    )(inputs)
    outputs = layers.Dense(
        2,
        activation="softmax",
        kernel_initializer=xavier(config.initializer, seed=config.seed + 1),
        name="probabilities",
    )(hidden)
    return keras.Model(inputs, outputs, name="xor")
