"""Iris: this template against scikit-learn references, on the same splits, in one run.

    python -m benchmarks.iris_reference [--seeds 10]

For each seed (which fixes the split and the initial weights) it trains the template's default
configuration and two references on identical train/validation/test flowers: logistic regression
and scikit-learn's MLPClassifier (16 relu units, Adam, up to 2000 epochs), both on z-scored
features and fitted on train + validation (they need no validation split). Prints a table of test
accuracy (mean, min, max over seeds) and wall time per fit, and writes it to
benchmarks/results/iris.md. The template's time is a whole train_and_evaluate: training, export,
the export check and its figures.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.run import write_headline
from projects.iris import data
from projects.iris.config import Config
from projects.iris.train import train_and_evaluate

RESULTS = Path(__file__).parent / "results" / "iris.md"


def references(seed: int) -> dict:
    return {
        "sklearn LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression()),
        "sklearn MLPClassifier(16)": make_pipeline(
            StandardScaler(),
            MLPClassifier((16,), max_iter=2000, random_state=seed),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default: 10)")
    args = parser.parse_args()
    scores: dict[str, list[float]] = {}
    times: dict[str, list[float]] = {}
    for seed in range(args.seeds):
        config = Config(seed=seed)
        split = data.load(config.test_fraction, config.val_fraction, seed)
        x_fit = np.concatenate([split.x_train, split.x_val])  # references split off their own
        y_fit = np.concatenate([split.y_train, split.y_val])
        for name, model in references(seed).items():
            start = time.perf_counter()
            model.fit(x_fit, y_fit)
            times.setdefault(name, []).append(time.perf_counter() - start)
            scores.setdefault(name, []).append(model.score(split.x_test, split.y_test))
        with tempfile.TemporaryDirectory() as workdir:
            start = time.perf_counter()
            metrics = train_and_evaluate(config, Path(workdir))
            name = "this template (default config)"
            times.setdefault(name, []).append(time.perf_counter() - start)
            scores.setdefault(name, []).append(metrics["test_accuracy"])
        print(f"seed {seed}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in scores.items()))

    lines = [
        f"Iris test accuracy over seeds 0..{args.seeds - 1} (30 test flowers per seed)",
        "",
        "| model | mean accuracy | min | max | seconds per fit |",
        "|---|---|---|---|---|",
    ]
    for name, values in scores.items():
        lines.append(
            f"| {name} | {np.mean(values):.4f} | {np.min(values):.4f} | {np.max(values):.4f} "
            f"| {np.mean(times[name]):.2f} |"
        )
    lines += ["", f"Command: `python -m benchmarks.iris_reference --seeds {args.seeds}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)
    ours, logistic = scores["this template (default config)"], scores["sklearn LogisticRegression"]
    write_headline(
        "iris",
        f"test accuracy {np.mean(ours):.3f}, the mean over {args.seeds} splits of 30 test flowers "
        f"(scikit-learn's logistic regression: {np.mean(logistic):.3f})",
        f"{np.mean(times['this template (default config)']):.0f} s per run (training, export)",
    )


if __name__ == "__main__":
    main()
