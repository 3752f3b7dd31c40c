"""Raw measurements -> scaling layer -> dense hidden layer(s) -> softmax over three species."""

import keras
from keras import layers

from common.initializers import xavier
from common.normalization import scaler_layer

from .data import FEATURES, SPECIES


def build_model(config, x_train) -> keras.Model:
    """`x_train` fits the scaling layer (training data only), which then travels with the model."""
    inputs = keras.Input(shape=(len(FEATURES),), name="measurements_cm")
    h = scaler_layer(config.scaling, x_train)(inputs)
    for i, units in enumerate(config.hidden_units):
        h = layers.Dense(
            units,
            activation=config.activation,
            kernel_initializer=xavier(config.initializer, seed=config.seed + i),
            name=f"hidden_{i + 1}",
        )(h)
        if config.dropout:
            h = layers.Dropout(config.dropout, name=f"dropout_{i + 1}")(h)
    outputs = layers.Dense(
        len(SPECIES),
        activation="softmax",
        kernel_initializer=xavier(config.initializer, seed=config.seed + 100),
        name="species_probabilities",
    )(h)
    return keras.Model(inputs, outputs, name="iris")
