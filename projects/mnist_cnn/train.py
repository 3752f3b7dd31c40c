"""Train a convolutional network on MNIST (or Fashion-MNIST) and measure it on the test set.

    python -m projects.mnist_cnn.train [--epochs=15] [--pooling=average] [--quick]
    python -m projects.mnist_cnn.train --dataset=fashion_mnist
    python -m projects.mnist_cnn.train --data_dir=path/to/idx/files

Writes runs/mnist_cnn/<run-id>/ (see common/runs.py) with a confusion matrix, the most
confidently wrong test images, and the first layer's feature maps.
"""

import math
from pathlib import Path

import keras
import numpy as np

from common import runs, runtime
from common.config import parse_config
from common.encoding import one_hot
from common.errors import main_guard
from common.optimizers import build_optimizer

from . import NAME, data, figures
from .config import Config
from .model import build_model


def learning_rate(config: Config, steps_per_epoch: int):
    """Linear warm-up, then cosine decay to zero over the remaining steps (or a constant)."""
    if config.schedule == "constant":
        return config.learning_rate
    total = config.epochs * steps_per_epoch
    warmup = min(int(config.warmup_epochs * steps_per_epoch), total - 1)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else config.learning_rate,
        decay_steps=total - warmup,
        warmup_target=config.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def train_and_evaluate(config: Config, workdir: Path, verbose: int = 2, extra_callbacks=()) -> dict:
    """Train on the training images, then measure loss and accuracy on the test images."""
    runtime.setup(config.seed, config.mixed_precision, config.jit_compile)
    digits = data.load(config.dataset, config.data_dir)
    (x_train, y_train), (x_val, y_val) = data.split_validation(digits, config)
    print(
        f"{config.dataset} from {digits.source}: train {len(x_train)}, "
        f"validation {len(x_val)}, test {len(digits.x_test)}"
    )
    model = build_model(config)
    steps = math.ceil(len(x_train) / config.batch_size)
    model.compile(
        optimizer=build_optimizer(config.optimizer, learning_rate(config, steps), config.momentum),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=runtime.jit_compile(config.jit_compile),
    )
    model.fit(
        **runtime.batches_shuffled(
            x_train,
            one_hot(y_train, data.NUM_CLASSES),
            config.batch_size,
            config.seed,
            validation_data=(x_val, one_hot(y_val, data.NUM_CLASSES)),
        ),
        epochs=config.epochs,
        verbose=verbose,
        callbacks=[*runs.standard_callbacks(workdir), *extra_callbacks],
    )
    probabilities = model.predict(digits.x_test, batch_size=1000, verbose=0)
    predicted = np.argmax(probabilities, axis=1)
    losses = keras.losses.categorical_crossentropy(
        one_hot(digits.y_test, data.NUM_CLASSES), probabilities
    )
    metrics = {
        "test_accuracy": float(np.mean(predicted == digits.y_test)),
        "test_loss": float(np.mean(np.asarray(losses))),
        "test_errors": int(np.sum(predicted != digits.y_test)),
        "test_images": len(digits.y_test),
        "epochs_run": len(runs.read_history(workdir).get("epoch", [])),
    }
    names = data.CLASS_NAMES[config.dataset]
    figures.confusion(digits.y_test, predicted, names, workdir)
    figures.confident_mistakes(digits.x_test, digits.y_test, probabilities, names, workdir)
    figures.feature_maps(model, digits.x_test[0], workdir)
    runs.finish(workdir, model, metrics, digits.x_test[:16], title=config.dataset)
    return metrics


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        m = train_and_evaluate(config, workdir)
    print(
        f"test accuracy {m['test_accuracy']:.4f} ({m['test_errors']} of {m['test_images']:,} wrong)"
        f" after {m['epochs_run']} epochs; results in {workdir}"
    )


if __name__ == "__main__":
    main()
