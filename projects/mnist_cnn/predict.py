"""Read the digit in a picture: any size, colour or grey, dark on light or light on dark.

    python -m projects.mnist_cnn.predict my_digit.png [more.jpg ...]
    python -m projects.mnist_cnn.predict --run runs/mnist_cnn/<run-id> my_digit.png

Each picture is brought to 28x28 the way MNIST's digits were made: light digit on a dark
background, cropped to the digit, scaled to fit a 20x20 box, and placed so that its centre of
mass is the centre of the 28x28 image.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from common import runs
from common.config import Parser, load_config
from common.errors import UserError, main_guard
from common.export import load_for_inference

from . import NAME
from .config import Config
from .data import CLASS_NAMES

BOX = 20  # MNIST digits fit a 20x20 box ...
SIZE = 28  # ... inside a 28x28 image
INK = 0.25  # a pixel brighter than this share of the brightest one belongs to the digit


def _flatten_transparency(image: Image.Image) -> Image.Image:
    """Put a picture with transparency on a background of the opposite polarity to its ink:
    white ink on a transparent background goes onto black, dark ink onto white."""
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype="float64")
    grey = np.asarray(rgba.convert("L"), dtype="float64")
    opaque = alpha > 127
    ink_is_light = opaque.any() and opaque.mean() < 0.5 and grey[opaque].mean() > 127
    background = (0, 0, 0, 255) if ink_is_light else (255, 255, 255, 255)
    return Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba)


def read_grey(path) -> np.ndarray:
    """A picture as float grey levels 0-255, turned upright as its EXIF orientation says;
    16-bit pictures keep their full range, transparency goes onto a contrasting background."""
    try:
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # phone photos are stored sideways
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or wider grey
                grey = np.asarray(image, dtype="float64")
                return grey * (255.0 / 65535.0) if grey.max() > 255 else grey
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = _flatten_transparency(image)
            return np.asarray(image.convert("L"), dtype="float64")
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except Image.DecompressionBombError:
        raise UserError(
            f"{path} is too large to read safely (over {2 * Image.MAX_IMAGE_PIXELS:,} pixels); "
            "give a smaller picture"
        ) from None
    except (UnidentifiedImageError, OSError):
        raise UserError(f"{path} is not an image PIL can read; give a PNG or JPEG") from None


def to_mnist(grey: np.ndarray, name: str = "the image") -> np.ndarray:
    """Grey levels of any size -> a 28x28 uint8 digit, light on dark and centred by mass."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > grey.mean():  # a light background: dark ink, as on paper
        grey, border = 255.0 - grey, 255.0 - border
    grey = np.clip(grey - np.median(border), 0, None)  # the background becomes 0
    if grey.max() <= 0:
        raise UserError(f"{name} is blank: no digit found")
    grey = grey * (255.0 / grey.max())
    rows, cols = np.nonzero(grey > INK * 255)
    digit = grey[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX / max(digit.shape)
    height, width = (max(1, round(s * scale)) for s in digit.shape)
    small = Image.fromarray(digit.astype("uint8")).resize((width, height), Image.LANCZOS)
    small = np.asarray(small, dtype="float64")
    centre = np.array(ndimage.center_of_mass(small))  # (row, column)
    top, left = np.round(SIZE / 2 - 0.5 - centre).astype(int)
    top = int(np.clip(top, 0, SIZE - height))
    left = int(np.clip(left, 0, SIZE - width))
    canvas = np.zeros((SIZE, SIZE))
    canvas[top : top + height, left : left + width] = small
    return np.clip(np.rint(canvas), 0, 255).astype("uint8")


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: the latest run)")
    parser.add_argument("--save", default="", help="also write each 28x28 input to this folder")
    parser.add_argument("images", nargs="+", help="PNG or JPEG files")
    args = parser.parse_args(argv)
    workdir = runs.resolve_run(NAME, args.run)
    names = CLASS_NAMES[load_config(Config, workdir / "config.json").dataset]
    batch = np.stack([to_mnist(read_grey(p), p) for p in args.images])
    probabilities = load_for_inference(workdir)(batch.astype("float32"))
    for path, digit, p in zip(args.images, batch, probabilities, strict=True):
        best = int(np.argmax(p))
        ranked = "  ".join(f"{names[k]}:{p[k]:.3f}" for k in np.argsort(-p)[:3])
        print(f"{path}: {names[best]} ({p[best]:.1%})   top 3: {ranked}")
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            Image.fromarray(digit).save(Path(args.save) / f"{Path(path).stem}_28x28.png")


if __name__ == "__main__":
    main()
