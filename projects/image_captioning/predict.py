"""Caption pictures with a trained captioner.

    python -m projects.image_captioning.predict photo.jpg [more.png ...] [--beam 3]
    python -m projects.image_captioning.predict --run runs/image_captioning/<id> photo.jpg

Any image PIL reads, of any size, colour or grey; the model resizes it itself. With --beam 1
(the default) the answer comes from export/ where TensorFlow is installed (the served model,
whose word ids vocabulary.json spells), else from model.keras; a wider beam needs model.keras,
whose decoder runs one step at a time.
"""

import argparse
import json

import numpy as np

from common import runs
from common.config import Parser
from common.errors import main_guard
from common.export import load_for_inference, require_finished

from . import NAME, data
from . import model as _model  # noqa: F401  (registers the decoder layer)


def beam_width(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (try 3)") from None
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 50 (try 3)")
    return value


def captions(workdir, images: list[np.ndarray], beam: int = 1) -> list[str]:
    """One caption per image (each (h, w, 3) uint8, any size)."""
    if beam == 1:
        predict = load_for_inference(workdir)  # export/ where TensorFlow is, else model.keras
        words = json.loads((workdir / "vocabulary.json").read_text())
        vocabulary = data.Vocabulary(words)
        return [vocabulary.decode(predict(image[None].astype("float32"))[0]) for image in images]
    import keras

    from . import decoding

    require_finished(workdir)
    captioner = keras.saving.load_model(workdir / "model.keras")
    vocabulary = data.Vocabulary(captioner.get_layer("decoder").vocabulary)
    return [
        vocabulary.decode(decoding.beam_ids(captioner, image[None], beam)[0]) for image in images
    ]


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: the latest run)")
    parser.add_argument(
        "--beam", type=beam_width, default=1, help="beam width (default: 1, greedy)"
    )
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, ...)")
    args = parser.parse_args(argv)
    workdir = runs.resolve_run(NAME, args.run)
    images = [data.read_rgb(path) for path in args.images]
    for path, caption in zip(args.images, captions(workdir, images, args.beam), strict=True):
        print(f"{path}: {caption}")


if __name__ == "__main__":
    main()
