"""How overconfident a finished text_lstm run's model is on its held-out text: the held-out loss
with the model's logits divided by each temperature T (T = 1: the run's own figure; a loss that
falls for T > 1 means the predictions are too sure, for T < 1 too unsure).

    python -m benchmarks.text_temperature [--run runs/text_lstm/<id>] [--runs_dir runs]

A diagnostic, not a way to score a model: a temperature chosen on the held-out text fits the
measure to the text it measures (projects/text_lstm/EXPERIMENTS.md: the confidence penalty
where the first weights count nothing).
"""

import argparse
import json

import keras
import numpy as np

from common import runs
from common.config import load_config
from common.errors import main_guard
from common.export import require_finished
from projects.text_lstm import NAME, data
from projects.text_lstm.config import Config
from projects.text_lstm.model import reset_states, training_model
from projects.text_lstm.train import held_out_streams

TEMPERATURES = (0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5)


def losses_at(logits: np.ndarray, labels: np.ndarray, temperatures=TEMPERATURES) -> dict:
    """Mean nats per label of softmax(logits / T), for each temperature T."""
    nats = keras.losses.sparse_categorical_crossentropy
    return {
        t: float(np.mean(keras.ops.convert_to_numpy(nats(labels, logits / t, from_logits=True))))
        for t in temperatures
    }


def held_out_logits(workdir) -> tuple[np.ndarray, np.ndarray]:
    """The saved model's logits over the run's held-out text, read as the run measured it."""
    require_finished(workdir)
    config = load_config(Config, workdir / "config.json")
    vocabulary = json.loads((workdir / "vocabulary.json").read_text())
    val = data.encode(data.load_corpus(config).val)
    eval_config, x, y = held_out_streams(config, val, vocabulary)
    evaluator = training_model(keras.saving.load_model(workdir / "model.keras"), eval_config)
    reset_states(evaluator)
    n = eval_config.batch_size  # batch by batch, as train.held_out_loss reads it
    logits = [evaluator.predict_on_batch(x[i : i + n]) for i in range(0, len(x), n)]
    return np.concatenate([keras.ops.convert_to_numpy(b) for b in logits]), np.asarray(y)


def report(scores: dict) -> list[str]:
    """One line per temperature, the lowest marked, and a warning where it is the range's end."""
    best = min(scores, key=scores.get)
    lines = [f"  T = {t:<4g} {loss:.4f}" + ("  <- lowest" if t == best else "")
             for t, loss in scores.items()]  # fmt: skip
    if best in (min(scores), max(scores)):
        lines.append(f"  (the lowest is at the end of the range: it may lie beyond T = {best:g})")
    return lines


@main_guard
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", default=None, help="a run directory or id (default: the latest)")
    parser.add_argument("--runs_dir", default="runs")
    args = parser.parse_args(argv)
    workdir = runs.resolve_run(NAME, args.run, args.runs_dir)
    lines = report(losses_at(*held_out_logits(workdir)))
    print(f"{workdir}: held-out loss (nats per character) with the logits divided by T")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
