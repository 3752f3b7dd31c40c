"""Image augmentation as Keras preprocessing layers: active in training, identity in inference.

Placed at the start of a model, the block is saved with it; at inference (predict, the exported
SavedModel) the Random* layers pass images through unchanged.
"""

import keras
from keras import layers


def augmentation(
    rotation: float = 0.0,
    translation: float = 0.0,
    zoom: float = 0.0,
    flip: str | None = None,
    contrast: float = 0.0,
    interpolation: str = "bilinear",
    seed: int | None = None,
    name: str = "augmentation",
) -> keras.Sequential:
    """Build the augmentation block; a zero (or None) switches a transform off.

    rotation     fraction of a full turn, e.g. 0.03 is about +-11 degrees
    translation  fraction of height and width, e.g. 0.1 shifts by up to 10%
    zoom         fraction, e.g. 0.1 zooms in or out by up to 10%
    flip         'horizontal', 'vertical', 'horizontal_and_vertical' or None (digits: None)
    contrast     factor, e.g. 0.2 scales contrast by a random value in [0.8, 1.2]
    interpolation  'bilinear' or 'nearest'. Each geometric layer resamples the image, and
                 bilinear resampling three times in a row visibly blurs small images such as
                 28x28 digits; 'nearest' keeps them sharp.
    """
    blocks = []
    if flip:
        blocks.append(layers.RandomFlip(flip, seed=seed))
    if rotation:
        blocks.append(
            layers.RandomRotation(
                rotation, fill_mode="constant", interpolation=interpolation, seed=seed
            )
        )
    if translation:
        blocks.append(
            layers.RandomTranslation(
                translation,
                translation,
                fill_mode="constant",
                interpolation=interpolation,
                seed=seed,
            )
        )
    if zoom:
        blocks.append(
            layers.RandomZoom(zoom, fill_mode="constant", interpolation=interpolation, seed=seed)
        )
    if contrast:
        blocks.append(layers.RandomContrast(contrast, seed=seed))
    return keras.Sequential(blocks or [layers.Identity()], name=name)
