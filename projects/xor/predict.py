"""Ask a trained XOR network for the class of two inputs.

python -m projects.xor.predict 1 0
python -m projects.xor.predict --run runs/xor/<run-id> 0.9 0.1
"""

import argparse

import numpy as np

from common import runs
from common.config import Parser
from common.errors import UserError, main_guard
from common.export import load_for_inference

from . import NAME


def parse_inputs(values: list[str]) -> np.ndarray:
    """Two numbers -> a (1, 2) float32 batch, or a one-line UserError."""
    if len(values) != 2:
        raise UserError(f"give exactly two inputs, e.g. `1 0` (got {len(values)})")
    try:
        with np.errstate(over="ignore"):  # beyond float32's range becomes inf, refused below
            x = np.array([[float(v) for v in values]], dtype="float32")
    except ValueError:
        raise UserError(f"inputs must be numbers, got {' '.join(values)}") from None
    if not np.all(np.isfinite(x)):
        raise UserError(f"inputs must be finite numbers (float32), got {' '.join(values)}")
    return x


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: runs/xor/latest)")
    parser.add_argument("inputs", nargs="*", metavar="X", help="the two inputs, e.g. 1 0")
    args = parser.parse_args(argv)
    x = parse_inputs(args.inputs)
    predict = load_for_inference(runs.resolve_run(NAME, args.run))
    p = predict(x)[0]
    print(f"class {int(np.argmax(p))}  (P(class 0)={p[0]:.4f}, P(class 1)={p[1]:.4f})")


if __name__ == "__main__":
    main()
