"""stock_rnn: the three recurrent cells and both targets against the naive baselines, in one run.

    python -m benchmarks.stock_reference [--series sp500] [--walk_forward 4]

Every configuration trains on the same days and is measured on the same test days as persistence
("tomorrow equals today") and the moving average. Prints a table and writes it to
benchmarks/results/stock_<series>.md.
"""

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from benchmarks.run import write_headline
from projects.stock_rnn.config import Config
from projects.stock_rnn.train import train_and_evaluate

RESULTS = Path(__file__).parent / "results"
VARIANTS = [
    {"cell": "lstm"},  # the default
    {"cell": "gru"},
    {"cell": "simple"},
    {"cell": "lstm", "units": (32, 32)},
    {"cell": "lstm", "target": "close"},  # the common tutorial set-up: scaled prices
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", default="sp500", choices=["sp500", "nasdaq"])
    parser.add_argument("--walk_forward", type=int, default=4, help="windows (default: 4)")
    args = parser.parse_args()
    rows = []
    for changes in VARIANTS:
        config = dataclasses.replace(
            Config(), series=args.series, walk_forward=args.walk_forward, **changes
        )
        with tempfile.TemporaryDirectory() as workdir:
            start = time.perf_counter()
            m = train_and_evaluate(config, Path(workdir), verbose=0)
            seconds = time.perf_counter() - start
        label = ", ".join(f"{k}={v}" for k, v in changes.items())
        rows.append((label, m, seconds))
        print(f"{label}: mase {m['mase']:.4f}, direction {m['direction_accuracy']:.3f}")

    m0 = rows[0][1]
    lines = [
        f"{args.series}: next-day close on the {m0['test_days']} test days; "
        f"persistence MAE {m0['persistence_mae']:.2f}, {Config().moving_average}-day moving "
        f"average MAE {m0['moving_average_mae']:.2f}, drift (training mean return) mase "
        f"{m0['drift_mase']:.4f}, always-up direction {m0['always_up_accuracy']:.3f}",
        "",
        "| config | test MAE | mase | direction accuracy | walk-forward mase (mean ± std) "
        "| seconds |",
        "|---|---|---|---|---|---|",
    ]
    for label, m, seconds in rows:
        lines.append(
            f"| {label} | {m['test_mae']:.2f} | {m['mase']:.4f} | {m['direction_accuracy']:.3f} "
            f"| {m['walk_forward_mase_mean']:.4f} ± {m['walk_forward_mase_std']:.4f} "
            f"| {seconds:.0f} |"
        )
    lines += [
        "",
        f"Command: `python -m benchmarks.stock_reference --series {args.series} "
        f"--walk_forward {args.walk_forward}` (all other settings at their defaults)",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"stock_{args.series}.md").write_text(text)
    if args.series == "sp500":
        write_headline(
            "stock_rnn",
            f"S&P 500, {m0['test_days']} test days: mase {m0['mase']:.4f} against persistence "
            f'(below 1 beats it), direction {m0["direction_accuracy"]:.3f} (always "up": '
            f"{m0['always_up_accuracy']:.3f})",
            f"{rows[0][2]:.0f} s per run",
        )


if __name__ == "__main__":
    main()
