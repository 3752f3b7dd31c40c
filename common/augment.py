"""Image augmentation as one layer: a random affine transform per image, one resampling.

Keras's Random* layers each resample the image once (rotation, then translation, then zoom), and
on the JAX backend each of them costs about ten times what it costs on TensorFlow (keras-team/keras
issues 23229 and 23245). RandomAffine draws rotation, zoom, shift, shear and flip for every image,
composes them into one 2x2 matrix and one offset, and gathers every output pixel from the input in
one pass, in `keras.ops` only, so it runs inside the compiled training step on any backend.

Outside training (evaluation, predict, the exported model) the layer returns its input unchanged.
"""

import math

import keras
import numpy as np
from keras import ops

INTERPOLATIONS = ("nearest", "bilinear")


def inverse_transforms(angle, scale, shear, flip, dx, dy, height: int, width: int):
    """Per-image (batch, 2, 3) matrices that map an output pixel (x, y, 1) to the input pixel
    (x, y) it is read from, with x to the right and y down, both from 0.

    Arguments are 1-D tensors of equal length: `angle` in radians (positive turns the picture
    counter-clockwise as displayed, as scipy.ndimage.rotate does), `scale` (> 1 enlarges),
    `shear` in radians (rows slide sideways in proportion to their height), `flip` (-1 mirrors
    left-right, 1 keeps), and the shift `dx`, `dy` in pixels (positive moves the picture right
    and down). The forward transform about the image centre is shift . scale . rotation . shear .
    flip; its inverse M, as src = M (p - c - shift) + c, is what a resampler needs.
    """
    cos, sin, tan = ops.cos(angle), ops.sin(angle), ops.tan(shear)
    inv_scale = 1.0 / scale
    m00 = flip * (cos - tan * sin) * inv_scale
    m01 = flip * (-sin - tan * cos) * inv_scale
    m10 = sin * inv_scale
    m11 = cos * inv_scale
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    ox, oy = cx + dx, cy + dy  # the centre of the output picture, where the input centre lands
    row_x = ops.stack([m00, m01, cx - m00 * ox - m01 * oy], axis=-1)
    row_y = ops.stack([m10, m11, cy - m10 * ox - m11 * oy], axis=-1)
    return ops.cast(ops.stack([row_x, row_y], axis=1), "float32")


def resample(images, transforms, interpolation: str = "nearest", fill_value: float = 0.0):
    """Read each output pixel of `images` (batch, height, width, channels) from where
    `transforms` (from `inverse_transforms`) says; pixels from outside the image get `fill_value`.

    The batch is padded by one pixel of `fill_value` and source coordinates are clipped onto that
    border, so outside pixels need no test of their own: one gather from the flattened batch for
    'nearest', four weighted ones for 'bilinear' (corners outside the image count as
    `fill_value`, as in scipy.ndimage's mode='grid-constant'). Height and width must be static.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    shape = ops.shape(images)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    ys, xs = np.mgrid[0:height, 0:width].astype("float32")
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(height * width, "float32")])  # (3, H*W)
    row = width + 2  # the padded image's row length
    # Source coordinates in the padded image (+1), and for 'nearest' +0.5 so that floor rounds
    # halves up on every backend (round() rounds them to even), both added to the offsets.
    shift = 1.5 if interpolation == "nearest" else 1.0
    offsets = np.array([[0, 0, shift], [0, 0, shift]], dtype="float32")
    src = ops.matmul(ops.cast(transforms, "float32") + offsets, grid)  # (B, 2, H*W): x and y
    high = np.array([[[width + 1], [height + 1]]], dtype="float32")  # the far border
    src = ops.minimum(ops.maximum(src, 0.0), high)  # anything outside reads the border
    padded = ops.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], constant_values=fill_value)
    flat = ops.reshape(padded, (-1, channels))  # (B*(H+2)*(W+2), C)
    base = ops.expand_dims(ops.arange(batch, dtype="int32") * ((height + 2) * row), 1)
    to_index = np.array([[1.0, row]], dtype="float32")  # x + row * y, as a (1, 2) matrix

    def index(corner):
        return ops.cast(ops.matmul(to_index, corner)[:, 0], "int32") + base

    def gather(index):
        values = ops.take(flat, ops.reshape(index, (-1,)), axis=0)
        return ops.reshape(values, (batch, height * width, channels))

    if interpolation == "nearest":
        corner = ops.floor(src)
        out = gather(index(corner))
    else:
        corner = ops.minimum(ops.floor(src), high - 1.0)  # so that corner + 1 stays on the border
        weight = ops.cast(src - corner, images.dtype)
        wx, wy = weight[:, 0, :, None], weight[:, 1, :, None]
        i00 = index(corner)
        top = gather(i00) * (1 - wx) + gather(i00 + 1) * wx
        bottom = gather(i00 + row) * (1 - wx) + gather(i00 + row + 1) * wx
        out = top * (1 - wy) + bottom * wy
    return ops.reshape(out, shape)


@keras.saving.register_keras_serializable(package="common")
class RandomAffine(keras.layers.Layer):
    """Random rotation, zoom, shift, shear and mirror of each image, in training only.

    rotation     fraction of a full turn: 0.03 turns by up to +-0.03*360 = +-10.8 degrees
    zoom         0.08 scales each image by a factor drawn from [0.92, 1.08]
    translation  fraction of height and width: 0.08 shifts a 28-pixel image by up to 2.2 pixels
    shear        fraction of a full turn, like rotation (0: none)
    flip         mirror left-right with probability one half (never for digits or text)
    interpolation  'nearest' keeps small images such as 28x28 digits sharp; 'bilinear' is
                 smoother for photographs
    fill_value   what pixels that come from outside the image get (0: black)
    Each parameter is drawn uniformly and independently per image.
    """

    def __init__(
        self,
        rotation: float = 0.0,
        zoom: float = 0.0,
        translation: float = 0.0,
        shear: float = 0.0,
        flip: bool = False,
        interpolation: str = "nearest",
        fill_value: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if min(rotation, zoom, translation, shear) < 0:
            raise ValueError("rotation, zoom, translation and shear must be >= 0")
        if zoom >= 1:
            raise ValueError(
                f"zoom must be below 1 (a scale of 1 - zoom must stay positive): {zoom}"
            )
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
            )
        self.rotation, self.zoom, self.translation, self.shear = rotation, zoom, translation, shear
        self.flip, self.interpolation, self.fill_value = bool(flip), interpolation, fill_value
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = False

    @property
    def active(self) -> bool:
        return bool(self.rotation or self.zoom or self.translation or self.shear or self.flip)

    def sample_parameters(self, batch_size, height, width) -> dict:
        """Draw one transform per image: angle and shear in radians, scale, shifts in pixels."""

        # one draw in [-1, 1) for every parameter of every image, scaled column by column
        u = keras.random.uniform((batch_size, 6), minval=-1.0, maxval=1.0, seed=self.seed_generator)
        turn = 2 * math.pi
        flip = ops.where(u[:, 5] < 0, -1.0, 1.0) if self.flip else ops.ones_like(u[:, 5])
        return {
            "angle": u[:, 0] * (self.rotation * turn),
            "scale": 1.0 + u[:, 1] * self.zoom,
            "shear": u[:, 2] * (self.shear * turn),
            "flip": flip,
            "dx": u[:, 3] * (self.translation * width),
            "dy": u[:, 4] * (self.translation * height),
        }

    def call(self, images, training=None):
        if not training or not self.active:
            return images
        batch, height, width = ops.shape(images)[:3]
        p = self.sample_parameters(batch, height, width)
        transforms = inverse_transforms(**p, height=height, width=width)
        return resample(images, transforms, self.interpolation, self.fill_value)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rotation": self.rotation,
            "zoom": self.zoom,
            "translation": self.translation,
            "shear": self.shear,
            "flip": self.flip,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }


def augmentation(name: str = "augmentation", **settings) -> RandomAffine:
    """The augmentation layer a template puts after its input scaling; `settings` are
    RandomAffine's (rotation, zoom, translation, shear, flip, interpolation, seed)."""
    return RandomAffine(name=name, **settings)
