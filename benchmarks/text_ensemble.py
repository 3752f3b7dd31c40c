"""What averaging the predictions of finished text_lstm runs scores on their held-out text: each
run's held-out loss, and that of the mean of their probabilities (an ensemble; `--members N`
trains one in a single run).

    python -m benchmarks.text_ensemble RUN RUN [RUN ...] [--runs_dir runs]

The runs must have held out the same text and built the same vocabulary (the same --text,
--train_chars, --val_fraction and --val_chars).
"""

import argparse
import math

import numpy as np
from scipy.special import log_softmax, logsumexp

from common import runs
from common.errors import UserError, main_guard
from projects.text_lstm import NAME

from .text_temperature import held_out_logits


def nats(log_p: np.ndarray, labels: np.ndarray) -> float:
    """Mean nats per label of the log-probabilities."""
    return float(-np.take_along_axis(log_p, labels[..., None], axis=-1).mean())


def ensemble_log_probabilities(each: list[np.ndarray]) -> np.ndarray:
    """log of the mean of the probabilities, from each run's log-probabilities."""
    return logsumexp(np.stack(each), axis=0) - math.log(len(each))


@main_guard
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", nargs="+", help="run directories or ids, two or more")
    parser.add_argument("--runs_dir", default="runs")
    args = parser.parse_args(argv)
    if len(args.run) < 2:
        raise UserError("an ensemble needs two runs or more; name them all")
    workdirs = [runs.resolve_run(NAME, run, args.runs_dir) for run in args.run]
    each, labels = [], None
    for workdir in workdirs:
        logits, y = held_out_logits(workdir)
        if labels is not None and not np.array_equal(y, labels):
            raise UserError(
                f"{workdir} held out other text than {workdirs[0]} (or reads it with another "
                "vocabulary); give runs with the same --text, --train_chars, --val_fraction and "
                "--val_chars"
            )
        labels = y
        each.append(log_softmax(logits, axis=-1))
        print(f"{workdir}: {nats(each[-1], labels):.4f} nats per character", flush=True)
    mixed = nats(ensemble_log_probabilities(each), labels)
    bits = mixed / math.log(2)
    print(f"the {len(each)} averaged: {mixed:.4f} nats per character ({bits:.3f} bits)")


if __name__ == "__main__":
    main()
