"""Train the course's first network on XOR.

    python -m projects.xor.train [--activation=relu] [--optimizer=nesterov] [--quick]

Writes runs/xor/<run-id>/ (see common/runs.py) and prints the four answers.
"""

from pathlib import Path

import numpy as np

from common import runs, runtime
from common.config import parse_config
from common.errors import main_guard
from common.optimizers import build_optimizer

from . import NAME, data
from .config import Config
from .model import build_model

BACKUP_EVERY_STEPS = 20  # an epoch is one step of a few milliseconds: back up every 20 steps


def train_and_evaluate(config: Config, workdir: Path, verbose: int = 0) -> dict:
    """Train on the four XOR examples and return {'accuracy', 'loss'} measured on them."""
    runtime.setup(config.seed)
    x, y = data.load()
    model = build_model(config)
    model.compile(
        optimizer=build_optimizer(config.optimizer, config.learning_rate, config.momentum),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    stream, steps_per_epoch = data.training_stream(x, y, config.batch_size, config.seed)
    model.fit(
        stream,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # the stream shuffles itself
        epochs=config.epochs,
        verbose=verbose,
        callbacks=runs.standard_callbacks(workdir, backup_every_batches=BACKUP_EVERY_STEPS),
    )
    loss, accuracy = model.evaluate(x, y, verbose=0)
    metrics = {"accuracy": float(accuracy), "loss": float(loss)}
    runs.finish(workdir, model, metrics, x, title=f"XOR, {config.activation}, {config.optimizer}")
    return metrics


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        metrics = train_and_evaluate(config, workdir)
    print(answers_table(workdir))
    print(f"accuracy {metrics['accuracy']:.2f}, loss {metrics['loss']:.4f}; results in {workdir}")


def answers_table(workdir: Path) -> str:
    """The trained network's answer for each of the four inputs, as a small table."""
    from common.export import load_for_inference

    probabilities = load_for_inference(workdir)(data.INPUTS)
    lines = ["x1 x2 -> class  P(class 1)"]
    for (a, b), p in zip(data.INPUTS.astype(int), probabilities, strict=True):
        lines.append(f" {a}  {b} ->   {int(np.argmax(p))}     {p[1]:.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
