"""Feature scaling fitted on training data only, as layers that travel inside the exported model.

Both scalers are a keras.layers.Normalization with fixed statistics, so a served model takes raw
inputs and needs no Python from this repository:
  z-score: (x - mean) / std
  min-max: (x - min) / (max - min), which is z-score with mean=min and std=max-min.
"""

import numpy as np
from keras import layers

from common.errors import UserError


def _as_training_array(x_train) -> np.ndarray:
    x = np.asarray(x_train, dtype="float64")
    if x.ndim == 0 or x.shape[0] == 0:
        raise UserError("cannot fit a scaler on an empty training set")
    if not np.all(np.isfinite(x)):
        raise UserError("the training data holds NaN or infinite values; clean them first")
    return x


def _reduce_axes(x: np.ndarray, axis: int | None) -> tuple[int, ...]:
    """Axes to reduce over: all but `axis` (one statistic per feature), or all when axis=None."""
    if axis is None:
        return tuple(range(x.ndim))
    keep = axis % x.ndim
    return tuple(i for i in range(x.ndim) if i != keep)


def zscore_stats(x_train, axis: int | None = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance per feature along `axis` (None: one scalar for all values)."""
    x = _as_training_array(x_train)
    axes = _reduce_axes(x, axis)
    return x.mean(axis=axes), x.var(axis=axes)


def minmax_stats(x_train, axis: int | None = -1) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and range per feature; a constant feature gets range 1 so it maps to 0."""
    x = _as_training_array(x_train)
    axes = _reduce_axes(x, axis)
    low, high = x.min(axis=axes), x.max(axis=axes)
    span = np.where(high > low, high - low, 1.0)
    return low, span


def zscore_layer(x_train, axis: int | None = -1, name: str = "zscore") -> layers.Normalization:
    """A layer computing (x - mean) / std with the training set's statistics."""
    mean, var = zscore_stats(x_train, axis)
    return layers.Normalization(axis=axis, mean=mean, variance=var, name=name)


def minmax_layer(x_train, axis: int | None = -1, name: str = "minmax") -> layers.Normalization:
    """A layer computing (x - min) / (max - min) with the training set's statistics."""
    low, span = minmax_stats(x_train, axis)
    return layers.Normalization(axis=axis, mean=low, variance=span**2, name=name)


def scaler_layer(kind: str, x_train, axis: int | None = -1) -> layers.Layer:
    """'zscore', 'minmax' or 'none' (identity), for configs that let the user choose."""
    if kind == "zscore":
        return zscore_layer(x_train, axis)
    if kind == "minmax":
        return minmax_layer(x_train, axis)
    if kind == "none":
        return layers.Identity(name="no_scaling")
    raise UserError(f"unknown scaling {kind!r}: use zscore, minmax or none")
