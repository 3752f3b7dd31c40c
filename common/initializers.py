"""Xavier initialization as Keras initializers.

The course defines Xavier initialization as a Gaussian with mean 0 and variance 1/n_in, where n_in
is the number of inputs of the layer. Glorot and Bengio's paper uses 2/(n_in + n_out) instead;
Keras ships that as GlorotNormal (truncated) and GlorotUniform (its default for Dense and Conv).
"""

import typing

import keras

XavierKind = typing.Literal["xavier", "glorot_normal", "glorot_uniform"]
XAVIER_KINDS = typing.get_args(XavierKind)


def xavier(kind: str = "xavier", seed: int | None = None) -> keras.initializers.Initializer:
    """Return a Keras initializer.

    xavier          N(0, 1/n_in), the course's definition (untruncated)
    glorot_normal   truncated N(0, 2/(n_in + n_out)) as in Glorot & Bengio (2010)
    glorot_uniform  U(-a, a) with a = sqrt(6/(n_in + n_out)), variance 2/(n_in + n_out)
    """
    if kind == "xavier":
        return keras.initializers.VarianceScaling(
            scale=1.0, mode="fan_in", distribution="untruncated_normal", seed=seed
        )
    if kind == "glorot_normal":
        return keras.initializers.GlorotNormal(seed=seed)
    if kind == "glorot_uniform":
        return keras.initializers.GlorotUniform(seed=seed)
    raise ValueError(f"unknown initializer {kind!r}: use one of {', '.join(XAVIER_KINDS)}")
