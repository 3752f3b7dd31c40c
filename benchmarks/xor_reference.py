"""xor: the default configuration from five starting points, each timed as a user runs it.

    python -m benchmarks.xor_reference [--seeds 5]

Each seed is the whole command `python -m projects.xor.train --seed=N` in a process of its own
(Keras's start-up included, as `make xor` pays it), into a temporary runs folder. Writes the
table to benchmarks/results/xor.md.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.run import write_headline

RESULTS = Path(__file__).parent / "results" / "xor.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default: 5)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as runs:
        for seed in range(args.seeds):
            command = [sys.executable, "-m", "projects.xor.train", f"--seed={seed}"]
            start = time.perf_counter()
            subprocess.run([*command, f"--runs_dir={runs}"], check=True, capture_output=True)
            seconds = time.perf_counter() - start
            metrics = json.loads((Path(runs) / "xor" / "latest" / "metrics.json").read_text())
            rows.append((seed, metrics["accuracy"], metrics["loss"], seconds))
            print(f"seed {seed}: accuracy {metrics['accuracy']:.2f}, {seconds:.1f} s", flush=True)

    accuracy = np.array([r[1] for r in rows])
    seconds = np.array([r[3] for r in rows])
    lines = [
        "xor, default configuration (4 tanh units, Adam 0.05, full batch, 300 epochs); wall time "
        "of the whole command, Keras's start-up included",
        "",
        "| seed | accuracy | loss | seconds |",
        "|---|---|---|---|",
        *(f"| {s} | {a:.2f} | {loss:.4f} | {t:.1f} |" for s, a, loss, t in rows),
        "",
        f"Command: `python -m benchmarks.xor_reference --seeds {args.seeds}`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    solved = int(np.sum(accuracy == 1.0))
    write_headline(
        "xor",
        f"accuracy 1.00 from {solved} of {len(rows)} starting points (seeds)"
        if solved
        else f"accuracy {accuracy.mean():.2f} (no seed solved XOR)",
        f"{np.median(seconds):.0f} s per run, start-up included",
    )


if __name__ == "__main__":
    main()
