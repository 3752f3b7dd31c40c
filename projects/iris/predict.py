"""Name the species of an iris from its four measurements in centimetres.

    python -m projects.iris.predict 5.1 3.5 1.4 0.2
    python -m projects.iris.predict --run runs/iris/<run-id> 6.7 3.0 5.2 2.3

The order is sepal length, sepal width, petal length, petal width.
"""

import argparse

import numpy as np

from common import runs
from common.config import Parser
from common.errors import UserError, main_guard
from common.export import load_for_inference

from . import NAME, data
from .data import FEATURES, SPECIES

MAX_CM = 100.0  # a flower measured in millimetres by mistake is caught, not classified


def parse_measurements(values: list[str]) -> np.ndarray:
    """Four positive numbers -> a (1, 4) float32 batch, or a one-line UserError."""
    if len(values) != len(FEATURES):
        raise UserError(
            f"give {len(FEATURES)} measurements in cm ({', '.join(FEATURES)}), got {len(values)}"
        )
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise UserError(f"measurements must be numbers in cm, got {' '.join(values)}") from None
    for name, value in zip(FEATURES, numbers, strict=True):
        if not 0 < value < MAX_CM:
            raise UserError(f"{name} {value} is not a plausible length in cm (0 to {MAX_CM:g})")
    return np.array([numbers], dtype="float32")


def outside_range(x: np.ndarray) -> list[str]:
    """A note for each measurement outside the range of the data the model learned from: the
    softmax answers there too, often with full confidence, but it extrapolates."""
    low, high = data.measured_range()
    return [
        f"note: {name} {value:g} is outside the data's range, {lo:g} to {hi:g}: "
        "the answer below extrapolates"
        for name, value, lo, hi in zip(FEATURES, x[0], low, high, strict=True)
        if not lo <= value <= hi
    ]


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: runs/iris/latest)")
    parser.add_argument("values", nargs="*", metavar="CM", help=", ".join(FEATURES))
    args = parser.parse_args(argv)
    x = parse_measurements(args.values)
    for note in outside_range(x):
        print(note)
    probabilities = load_for_inference(runs.resolve_run(NAME, args.run))(x)[0]
    best = int(np.argmax(probabilities))
    print(f"{SPECIES[best]} ({probabilities[best]:.1%})")
    for name, p in zip(SPECIES, probabilities, strict=True):
        print(f"  {name:10s} {p:.4f}")


if __name__ == "__main__":
    main()
