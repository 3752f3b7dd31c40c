"""mnist_cnn against the keras-io "Simple MNIST convnet", on the same data, in one run.

    python -m benchmarks.mnist_reference [--epochs_reference=15] [template flags]
    python -m benchmarks.mnist_reference --skip_reference --stop_after=2 --batch_norm=true

The reference is keras-io's configuration: Conv32-MaxPool-Conv64-MaxPool-Flatten-Dropout(0.5)-
Dense10, Adam, batch 128, validation split 0.1, 15 epochs (keras-io reports about 0.992 test
accuracy). After every epoch both are measured on the 10,000 test images, with the clock paused,
which gives each one's training time to first reach 0.990 test accuracy, its final accuracy, its
training throughput and its CPU time per step (steadier than wall time on a shared machine).
Any other flag (`--padding=same`, `--seed=1`, ...) changes the template's configuration, as in
`projects.mnist_cnn.train`; `--stop_after=N` ends its training after N epochs while its learning
rate schedule still spans `--epochs`. The default comparison writes benchmarks/results/mnist.md;
variants only print their table.
"""

import argparse
import dataclasses
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from benchmarks.run import write_headline
from common import runtime
from common.config import parse_config, save_config
from common.encoding import one_hot
from common.errors import main_guard
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
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.elapsed, self.start = 0.0, time.perf_counter()
        self.cpu, self.cpu_start = 0.0, time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed += time.perf_counter() - self.start
        self.cpu += time.process_time() - self.cpu_start
        x = self.x_test.astype("float32") * self.scale
        predicted = np.argmax(self.model.predict(x, batch_size=1000, verbose=0), axis=1)
        accuracy = float(np.mean(predicted == self.y_test))
        self.points.append((self.elapsed, accuracy))
        print(
            f"  epoch {epoch + 1}: {self.elapsed:7.1f} s of training, test accuracy {accuracy:.4f}"
        )
        self.start, self.cpu_start = time.perf_counter(), time.process_time()

    def summary(self, batch_size: int) -> dict:
        reached = [(t, e) for e, (t, acc) in enumerate(self.points, 1) if acc >= THRESHOLD]
        return {
            "epochs": len(self.points),
            "time_to_threshold": reached[0][0] if reached else float("nan"),
            "epoch_to_threshold": reached[0][1] if reached else "never",
            "final_accuracy": self.points[-1][1],
            "best_accuracy": max(acc for _, acc in self.points),
            "samples_per_second": self.steps * batch_size / self.points[-1][0],
            "train_seconds": self.points[-1][0],
            "cpu_ms_per_step": 1000 * self.cpu / self.steps,
            "epoch_seconds": epoch_seconds([t for t, _ in self.points]),
        }


def epoch_seconds(elapsed: list[float]) -> float:
    """Median seconds per epoch after the first (which also compiles), from cumulative times."""
    laps = np.diff(elapsed)
    return float(np.median(laps)) if len(laps) else float(elapsed[0])


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


class StopAfter(keras.callbacks.Callback):
    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def run_template(digits: data.Digits, config: Config, stop_after: int = 0) -> dict:
    clock = TestClock(digits.x_test, digits.y_test)
    shutil.rmtree(TEMPLATE_RUN, ignore_errors=True)
    TEMPLATE_RUN.mkdir(parents=True)
    save_config(config, TEMPLATE_RUN / "config.json")
    callbacks = [clock, StopAfter(stop_after)] if stop_after else [clock]
    train_and_evaluate(config, TEMPLATE_RUN, verbose=0, extra_callbacks=callbacks)
    return clock.summary(config.batch_size)


@main_guard
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs_reference", type=int, default=15, help="(default: 15)")
    parser.add_argument("--skip_reference", action="store_true", help="train the template only")
    parser.add_argument("--stop_after", type=int, default=0, help="template epochs to train")
    parser.add_argument(
        "--with_unaugmented",
        action="store_true",
        help="also train the template without augmentation, to compare its epoch time",
    )
    parser.add_argument("--out", default="", help="also write the table to this file")
    args, template_flags = parser.parse_known_args(argv)
    config, flags = parse_config(Config, template_flags, __doc__)
    variant = bool(
        flags["overrides"]
        or flags["quick"]
        or flags["preset"]
        or args.skip_reference
        or args.stop_after
        or args.with_unaugmented
    )
    report = runtime.setup(seed=0, verbose=False)
    digits = data.load(config.dataset, config.data_dir)
    results = {}
    if not args.skip_reference:
        print("keras-io reference:")
        results["keras-io simple convnet (reference)"] = run_reference(
            digits, args.epochs_reference
        )
    label = " ".join(template_flags) or "default config"
    print(f"this template ({label}):")
    template = f"mnist_cnn ({label})"
    results[template] = run_template(digits, config, args.stop_after)
    if args.with_unaugmented:
        print("this template without augmentation:")
        plain = dataclasses.replace(config, rotation=0.0, translation=0.0, zoom=0.0, shear=0.0)
        results["mnist_cnn without augmentation"] = run_template(digits, plain, args.stop_after)

    lines = [
        f"{config.dataset}, 10,000 test images; training seconds to first reach {THRESHOLD:.3f} "
        "test accuracy (checked after each epoch, evaluation time excluded). "
        f"Keras {keras.__version__} on {report['backend']}, devices: "
        f"{', '.join(report['devices'])}.",
        "",
        f"| model | epochs | seconds to {THRESHOLD:.3f} (epoch) | final accuracy | best "
        "| samples/s | s per epoch after the first | CPU ms per step |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['epochs']} | {r['time_to_threshold']:.1f} "
            f"({r['epoch_to_threshold']}) | {r['final_accuracy']:.4f} | {r['best_accuracy']:.4f} "
            f"| {r['samples_per_second']:.0f} | {r['epoch_seconds']:.2f} "
            f"| {r['cpu_ms_per_step']:.0f} |"
        )
    command = " ".join(["python -m benchmarks.mnist_reference", *(argv or sys.argv[1:])])
    if "mnist_cnn without augmentation" in results:
        cost = (
            results[template]["epoch_seconds"]
            / results["mnist_cnn without augmentation"]["epoch_seconds"]
        )
        lines += [
            "",
            f"Epoch with augmentation: {cost:.2f} times the epoch without it "
            f"(goal: at most 1.5, {'met' if cost <= 1.5 else 'NOT met'}).",
        ]
    if "keras-io simple convnet (reference)" in results:
        ref, ours = results["keras-io simple convnet (reference)"], results[template]
        ratio = ours["time_to_threshold"] / ref["time_to_threshold"]  # nan: one never got there
        ends_higher = ours["final_accuracy"] > ref["final_accuracy"]
        lines += [
            "",
            f"Time to {THRESHOLD:.3f}: {ratio:.2f} of the reference's (goal: at most 0.50, "
            f"{'met' if ratio <= 0.5 else 'NOT met'}); final accuracy "
            f"{'higher' if ends_higher else 'NOT higher'} than the reference's; final "
            f"accuracy {ours['final_accuracy']:.4f} (goal: at least 0.995, "
            f"{'met' if ours['final_accuracy'] >= 0.995 else 'NOT met'}).",
        ]
    lines += ["", f"Command: `{command.strip()}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    if variant:
        print(f"(a variant: {RESULTS} is left as it was)")
    else:
        RESULTS.write_text(text)
        ref, ours = results["keras-io simple convnet (reference)"], results[template]
        write_headline(
            "mnist_cnn",
            f"test accuracy {ours['final_accuracy']:.4f} on the 10,000 MNIST test images "
            f"(keras-io's convnet: {ref['final_accuracy']:.4f}); {THRESHOLD:.3f} after "
            f"{ours['time_to_threshold']:.0f} s (keras-io's: {ref['time_to_threshold']:.0f} s, "
            "same run)",
            f"{ours['train_seconds'] / 60:.1f} min of training ({ours['epochs']} epochs)",
        )


if __name__ == "__main__":
    main()
