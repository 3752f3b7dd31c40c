"""Write text with a trained model, streaming the characters as they come.

    python -m projects.text_lstm.predict --prompt "ROMEO:" --length 400 --temperature 0.8
    python -m projects.text_lstm.predict --prompt "" --top_k 20 --seed 1 --run runs/text_lstm/<id>
    python -m projects.text_lstm.predict --prompt "To be" --export   # from export/ (TensorFlow)

model.keras carries the recurrent state from one character to the next; --export uses only the
exported SavedModel (and vocabulary.json to spell its answers), reading the whole text again at
every step. The same seed writes the same text.
"""

import argparse
import json
import math
import sys

from common import runs
from common.config import Parser
from common.errors import UserError, main_guard
from common.export import load_for_inference, require_finished

from . import NAME
from .sampling import Writer, write_with_export


def positive_float(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number (try 0.8)")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is below 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative (0 keeps every character)")
    return value


def characters(
    workdir,
    prompt: str,
    length: int,
    temperature: float,
    top_k: int,
    seed: int,
    use_export: bool = False,
):
    """The generated characters, one at a time, from model.keras or (use_export) export/."""
    require_finished(workdir)
    if use_export:
        vocabulary = json.loads((workdir / "vocabulary.json").read_text())
        if not (workdir / "export" / "saved_model.pb").exists():
            raise UserError(f"{workdir} has no export/ (TensorFlow was missing); drop --export")
        predict = load_for_inference(workdir)
        return write_with_export(predict, vocabulary, prompt, length, temperature, top_k, seed)
    import keras

    from . import model as _registers  # noqa: F401  (the lookup layer of model.keras)

    model = keras.saving.load_model(workdir / "model.keras")
    return Writer(model).write(prompt, length, temperature, top_k, seed)


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: the latest run)")
    parser.add_argument("--prompt", default="", help="text to continue (default: a new line)")
    parser.add_argument("--length", type=positive_int, default=400, help="characters to write")
    parser.add_argument(
        "--temperature",
        type=positive_float,
        default=0.8,
        help="below 1: safer, more repetitive; above 1: wilder (default 0.8)",
    )
    parser.add_argument(
        "--top_k",
        type=non_negative_int,
        default=0,
        help="pick among the k most likely characters only (default 0: all)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the same seed writes the same text")
    parser.add_argument("--export", action="store_true", help="use export/ instead of model.keras")
    args = parser.parse_args(argv)
    workdir = runs.resolve_run(NAME, args.run)
    stream = characters(
        workdir, args.prompt, args.length, args.temperature, args.top_k, args.seed, args.export
    )
    sys.stdout.write(args.prompt)
    for char in stream:
        sys.stdout.write(char)
        sys.stdout.flush()
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
