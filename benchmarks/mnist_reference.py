"""mnist_cnn against the keras-io "Simple MNIST convnet", on the same data, in one run.

    python -m benchmarks.mnist_reference [--epochs_reference 15]

The reference is keras-io's configuration: Conv32-MaxPool-Conv64-MaxPool-Flatten-Dropout(0.5)-
Dense10, Adam, batch 128, validation split 0.1, 15 epochs (keras-io reports about 0.992 test
accuracy). After every epoch both are measured on the 10,000 test images, with the clock paused,
which gives each one's training time to first reach 0.990 test accuracy, its final accuracy and
its training throughput. Writes benchmarks/results/mnist.md.
"""

import argparse
import shutil
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from common import runtime
from common.config import save_config
from common.encoding import one_hot
from projects.mnist_cnn import data
from projects.mnist_cnn.config import Config
from projects.mnist_cnn.train import train_and_evaluate

RESULTS = Path(__file__).parent / "results" / "mnist.md"
TEMPLATE_RUN = Path("runs/mnist_cnn/benchmark")  # the template's run, kept: predict --run it
THRESHOLD = 0.990


class TestClock(keras.callbacks.Callback):
    """Training seconds (evaluation excluded) and test accuracy at the end of every epoch."""

    def __init__(self, x_test, y_test, scale=1.0):
        super().__init__()
        self.x_test, self.y_test, self.scale = x_test, y_test, scale
        self.points: list[tuple[float, float]] = []
        self.samples = 0

    def on_train_begin(self, logs=None):
        self.elapsed, self.start = 0.0, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.samples += 1  # counted in batches; multiplied by the batch size in the report

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed += time.perf_counter() - self.start
        x = self.x_test.astype("float32") * self.scale
        predicted = np.argmax(self.model.predict(x, batch_size=1000, verbose=0), axis=1)
        accuracy = float(np.mean(predicted == self.y_test))
        self.points.append((self.elapsed, accuracy))
        print(
            f"  epoch {epoch + 1}: {self.elapsed:7.1f} s of training, test accuracy {accuracy:.4f}"
        )
        self.start = time.perf_counter()

    def summary(self, batch_size: int) -> dict:
        reached = [(t, e) for e, (t, acc) in enumerate(self.points, 1) if acc >= THRESHOLD]
        return {
            "epochs": len(self.points),
            "time_to_threshold": reached[0][0] if reached else float("nan"),
            "epoch_to_threshold": reached[0][1] if reached else "never",
            "final_accuracy": self.points[-1][1],
            "best_accuracy": max(acc for _, acc in self.points),
            "samples_per_second": self.samples * batch_size / self.points[-1][0],
            "train_seconds": self.points[-1][0],
        }


def reference_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def run_reference(digits: data.Digits, epochs: int) -> dict:
    runtime.setup(seed=0)
    x = (digits.x_train.astype("float32") / 255)[..., None]
    clock = TestClock(digits.x_test[..., None], digits.y_test, scale=1 / 255)
    model = reference_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(
        x,
        one_hot(digits.y_train, 10),
        batch_size=128,
        epochs=epochs,
        validation_split=0.1,
        verbose=0,
        callbacks=[clock],
    )
    return clock.summary(128)


def run_template(digits: data.Digits, config: Config) -> dict:
    clock = TestClock(digits.x_test, digits.y_test)
    shutil.rmtree(TEMPLATE_RUN, ignore_errors=True)
    TEMPLATE_RUN.mkdir(parents=True)
    save_config(config, TEMPLATE_RUN / "config.json")
    train_and_evaluate(config, TEMPLATE_RUN, verbose=0, extra_callbacks=[clock])
    return clock.summary(config.batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs_reference", type=int, default=15, help="(default: 15)")
    parser.add_argument("--epochs", type=int, default=Config().epochs, help="template epochs")
    args = parser.parse_args()
    digits = data.load("mnist")
    results = {}
    print("keras-io reference:")
    results["keras-io simple convnet (reference)"] = run_reference(digits, args.epochs_reference)
    print("this template (default config):")
    config = Config(epochs=args.epochs)
    results["mnist_cnn (default config)"] = run_template(digits, config)

    lines = [
        f"MNIST, 10,000 test images; training seconds to first reach {THRESHOLD:.3f} test accuracy "
        "(checked after each epoch, evaluation time excluded)",
        "",
        f"| model | epochs | seconds to {THRESHOLD:.3f} (epoch) | final accuracy | best "
        "| samples/s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['epochs']} | {r['time_to_threshold']:.0f} ({r['epoch_to_threshold']}) "
            f"| {r['final_accuracy']:.4f} "
            f"| {r['best_accuracy']:.4f} | {r['samples_per_second']:.0f} |"
        )
    ref, ours = results.values()
    ratio = ours["time_to_threshold"] / ref["time_to_threshold"]  # nan if either never got there
    ends_higher = ours["final_accuracy"] > ref["final_accuracy"]
    lines += [
        "",
        f"Time to {THRESHOLD:.3f}: {ratio:.2f} of the reference's (goal: at most 0.50, "
        f"{'met' if ratio <= 0.5 else 'NOT met'}); final accuracy "
        f"{'higher' if ends_higher else 'NOT higher'} than the reference's. "
        "Command: `python -m benchmarks.mnist_reference --epochs_reference "
        f"{args.epochs_reference} --epochs {args.epochs}`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
