"""Train a dense softmax classifier on Fisher's Iris flowers.

    python -m projects.iris.train [--hidden_units=32,16] [--optimizer=nesterov] [--quick]

Writes runs/iris/<run-id>/ (see common/runs.py) with curves.png and confusion_matrix.png.
"""

from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report

from common import runs, runtime
from common.config import parse_config
from common.errors import main_guard
from common.optimizers import build_optimizer

from . import NAME, data, figures
from .config import Config
from .model import build_model


def train_and_evaluate(config: Config, workdir: Path, verbose: int = 0) -> dict:
    """Train, stop early on validation loss, and return metrics on the held-out test flowers."""
    runtime.setup(config.seed)
    split = data.load(config.test_fraction, config.val_fraction, config.seed)
    model = build_model(config, split.x_train)
    model.compile(
        optimizer=build_optimizer(config.optimizer, config.learning_rate, config.momentum),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        **runtime.batches_shuffled(
            split.x_train,
            split.one_hot(split.y_train),
            config.batch_size,
            config.seed,
            validation_data=(split.x_val, split.one_hot(split.y_val)),
        ),
        epochs=config.epochs,
        verbose=verbose,
        callbacks=runs.standard_callbacks(workdir, monitor="val_loss", patience=config.patience),
    )
    test_loss, test_accuracy = model.evaluate(split.x_test, split.one_hot(split.y_test), verbose=0)
    predicted = np.argmax(model.predict(split.x_test, verbose=0), axis=1)
    history = runs.read_history(workdir)
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "test_errors": int(np.sum(predicted != split.y_test)),
        "test_size": len(split.y_test),
        "epochs_run": len(history.get("epoch", [])),
    }
    figures.confusion(split.y_test, predicted, workdir)
    print(classification_report(split.y_test, predicted, target_names=data.SPECIES, digits=3))
    runs.finish(workdir, model, metrics, split.x_test, title="Iris")
    return metrics


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        metrics = train_and_evaluate(config, workdir)
    print(
        f"test accuracy {metrics['test_accuracy']:.4f} ({metrics['test_errors']} wrong of "
        f"{metrics['test_size']}) after {metrics['epochs_run']} epochs; results in {workdir}"
    )


if __name__ == "__main__":
    main()
