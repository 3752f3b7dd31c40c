"""Pretrained image encoders, frozen: EfficientNet-Lite0 (offline, weights from a package
registry) or a keras.applications network (ImageNet weights downloaded by Keras, so a network is
needed), and a cache of their features.

    backbone("efficientnet_lite0")  # (batch, h, w, 3) 0-255 -> (batch, 1280) pooled features
    cached_features(model, "efficientnet_lite0", images)  # computed once per set of images

A frozen encoder gives the same vector for an image in every epoch, so the training images are
encoded once and the decoder trains on the stored vectors: an epoch then costs what the decoder
costs. The cache is keyed by the encoder and a hash of the images' bytes, so another dataset,
image size or seed never reads a stale file.
"""

import hashlib
import os
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from common import datasets
from common.errors import UserError

from . import efficientnet

# name -> (keras.applications constructor, input side, preprocessing mode); None: ours
BACKBONES = {
    "efficientnet_lite0": (None, efficientnet.SIZE, "none"),  # scales inside itself
    "mobilenet_v2": ("MobileNetV2", 224, "tf"),
    "efficientnet_b0": ("EfficientNetB0", 224, "none"),  # Keras's EfficientNets scale inside
    "resnet50": ("ResNet50", 224, "caffe"),
}
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package=__package__)
class Preprocess(layers.Layer):
    """0-255 RGB -> what a keras.applications network was trained on: "tf" scales to [-1, 1],
    "caffe" flips to BGR and subtracts the ImageNet mean, "none" leaves the pixels as they are.
    A layer, so the saved and exported captioner takes plain pixels."""

    def __init__(self, mode: str, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("tf", "caffe", "none"):
            raise ValueError(f"unknown preprocessing mode {mode!r}")
        self.mode = mode

    def call(self, x):
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "caffe":
            return ops.flip(x, axis=-1) - ops.convert_to_tensor(CAFFE_MEAN_BGR, x.dtype)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def backbone(name: str, weights: bool = True, pooled: bool = True) -> keras.Model:
    """The frozen network `name` (BACKBONES): 0-255 images of any size, resized to its input
    side, -> globally average-pooled features (batch, channels), or with pooled=False one
    vector per position of its last feature map (batch, positions, channels)."""
    constructor, side, mode = BACKBONES[name]
    pixels = keras.Input((None, None, 3), name="pixels")
    x = layers.Resizing(side, side, antialias=True, name="to_backbone_size")(pixels)
    if constructor is None:
        network = efficientnet.efficientnet_lite0(top=False, weights=weights)
    else:
        try:
            network = getattr(keras.applications, constructor)(
                include_top=False,
                weights="imagenet" if weights else None,
                input_shape=(side, side, 3),
            )
        except Exception as err:  # an offline machine: the weights cannot be downloaded
            raise UserError(
                f"--encoder={name} needs its ImageNet weights from the internet, which failed "
                f"({datasets.one_line(err)}); without a network use --encoder=efficientnet_lite0"
            ) from None
    x = network(Preprocess(mode, name="preprocess")(x), training=False)
    if pooled:
        features = layers.GlobalAveragePooling2D(name="pool")(x)
    else:
        features = layers.Reshape((-1, x.shape[-1]), name="positions")(x)
    model = keras.Model(pixels, features, name="backbone")
    model.trainable = False
    return model


def _images_key(name: str, images: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(f"{name} {images.shape} {images.dtype}".encode())
    for start in range(0, len(images), 1024):
        digest.update(np.ascontiguousarray(images[start : start + 1024]).tobytes())
    return digest.hexdigest()[:20]


def cached_features(
    model: keras.Model,
    name: str,
    images: np.ndarray,
    what: str = "images",
    batch_size: int = 64,
    folder=None,
) -> np.ndarray:
    """The backbone's features of `images` (n, h, w, 3) 0-255, read from the cache (`folder`,
    by default features/ in the data cache) when these exact images were encoded before, else
    computed (with a progress line) and stored."""
    folder = Path(folder) if folder else datasets.cache_dir() / "features"
    shape = "x".join(str(d) for d in model.output.shape[1:])  # pooled or per position
    path = folder / f"{name}-{shape}-{_images_key(name, images)}.npy"
    if path.exists():
        try:
            features = np.load(path)
            if features.shape[0] == len(images):
                print(f"{what}: {name} features from the cache ({path})", flush=True)
                return features
        except (OSError, ValueError):
            pass  # damaged: computed again below
    start, parts = time.time(), []
    step = max(batch_size, (len(images) // 10 // batch_size) * batch_size)
    for first in range(0, len(images), step):
        part = images[first : first + step].astype("float32")
        parts.append(model.predict(part, batch_size=batch_size, verbose=0))
        done = first + len(part)
        rate = done / max(time.time() - start, 1e-9)
        print(
            f"{what}: {name} features of {done:,}/{len(images):,} images, {rate:.0f} images/s, "
            f"about {(len(images) - done) / rate / 60:.1f} min left",
            flush=True,
        )
    # per-position maps are large (49 x 1280 per image): kept at half precision
    features = np.concatenate(parts).astype("float16" if len(model.output.shape) > 2 else "float32")
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial.npy")
    np.save(partial, features)
    os.replace(partial, path)
    return features
