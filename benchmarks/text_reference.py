"""text_lstm against the keras-io character LSTM, for the same minutes, on the same split.

    KERAS_BACKEND=tensorflow python -m benchmarks.text_reference [--minutes 15] [--marks 1,...]

On TensorFlow, as `make text` runs the template (`make bench` sets it). The reference is the
configuration of keras-io's "Character-level text generation with LSTM": one-hot windows of
40 characters taken every 3 characters, LSTM(128), a softmax over the characters,
RMSprop(0.01), batch 128; it predicts the one character after each window. Both train on the
same training plays for the same wall time. At each mark (minutes of training) both are
measured on the first VAL_MARK_CHARS of the held-out plays (the template reading them as 16
streams with its state carried, the reference with its 40 characters of context, as each is
used); at the end, on the whole held-out text (the template as its runs measure it). Prints a
table and writes it to benchmarks/results/text.md.

Each runs in a process of its own, set up as it would be alone: the template's networks share
the CPU's cores out among them (`runtime.share_cores`, as `make text` does), which TensorFlow
takes only before its runtime starts, and the reference keeps TensorFlow's own choice.
"""

import argparse
import dataclasses
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from benchmarks.run import write_headline
from common import runtime
from projects.text_lstm import data
from projects.text_lstm.config import Config
from projects.text_lstm.model import training_model
from projects.text_lstm.train import held_out_loss, train_and_evaluate

RESULTS = Path(__file__).parent / "results"
VAL_MARK_CHARS = 120_000  # what each mark measures on: seconds of evaluation for both
MARK_STREAMS = 16  # the template reads it as 16 streams of 7,500 characters (few cold starts)
REF_CONTEXT = 40  # keras-io's maxlen
REF_STEP = 3  # keras-io's step between windows
REF_BATCH = 128
REF_UNITS = 128
REF_LEARNING_RATE = 0.01


class Marks(keras.callbacks.Callback):
    """At each mark, the held-out loss on a fixed part of the held-out text. The clock that
    decides the marks and the stop leaves out the time spent measuring and, as the template's
    does, the first step, which compiles; `training_clock`, the template's (runs.Progress),
    also leaves out its held-out pass after each epoch."""

    def __init__(self, marks_minutes, minutes, measure, training_clock=None):
        super().__init__()
        self.marks = [m * 60 for m in marks_minutes]
        self.limit, self.measure, self.training_clock = minutes * 60, measure, training_clock
        self.rows: list[tuple[float, int, float]] = []  # (minutes, characters trained, loss)
        self.trained_chars = 0
        self.chars_per_step = 0

    def on_train_begin(self, logs=None):
        if not hasattr(self, "start"):  # the reference calls fit once per epoch
            self.start, self.paused = None, 0.0  # the clock starts after the first step

    def on_train_end(self, logs=None):
        self.trained_seconds = self.clock()

    def clock(self) -> float:
        if self.training_clock:
            return self.training_clock()
        if self.start is None:
            return 0.0
        return time.time() - self.start - self.paused

    def on_train_batch_end(self, batch, logs=None):
        if self.start is None:
            self.start = time.time()
        self.trained_chars += self.chars_per_step
        if self.marks and self.clock() >= self.marks[0]:
            self.marks.pop(0)
            begin = time.time()
            loss = self.measure()
            self.paused += time.time() - begin
            self.rows.append((self.clock() / 60, self.trained_chars, loss))
            print(f"  {self.clock() / 60:5.1f} min: held-out loss {loss:.4f}", flush=True)
        if self.clock() >= self.limit:
            self.model.stop_training = True


class OneHotWindows(keras.utils.PyDataset):
    """keras-io's training windows, one-hot encoded batch by batch (its arrays would take
    several GB for this corpus)."""

    def __init__(self, ids, vocab_size, starts, batch_size, shuffle_seed=None):
        super().__init__()
        self.ids, self.vocab_size, self.batch_size = ids, vocab_size, batch_size
        rng = np.random.default_rng(shuffle_seed)
        self.starts = rng.permutation(starts) if shuffle_seed is not None else starts

    def __len__(self):
        return math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, i):
        s = self.starts[i * self.batch_size : (i + 1) * self.batch_size]
        window = self.ids[s[:, None] + np.arange(REF_CONTEXT)]
        return np.eye(self.vocab_size, dtype="float32")[window], self.ids[s + REF_CONTEXT]


def reference_model(vocab_size: int) -> keras.Model:
    x = keras.Input((REF_CONTEXT, vocab_size))
    h = layers.LSTM(REF_UNITS)(x)
    model = keras.Model(x, layers.Dense(vocab_size, activation="softmax")(h))
    model.compile(keras.optimizers.RMSprop(REF_LEARNING_RATE), "sparse_categorical_crossentropy")
    return model


def run_reference(corpus, minutes: float, marks, seed: int) -> dict:
    keras.utils.set_random_seed(seed)
    vocabulary = data.vocabulary(corpus.train)
    size = len(vocabulary) + 1
    train_ids = data.to_ids(data.encode(corpus.train), vocabulary)
    val_ids = data.to_ids(data.encode(corpus.val), vocabulary)
    model = reference_model(size)
    evaluator = keras.Model(model.input, model.output)  # the same layers, evaluated apart
    evaluator.compile(loss="sparse_categorical_crossentropy")

    def held_out(ids):
        if hasattr(model, "jax_state_sync"):  # JAX keeps the weights apart inside fit
            model.jax_state_sync()
        starts = np.arange(len(ids) - REF_CONTEXT)
        loss = evaluator.evaluate(OneHotWindows(ids, size, starts, 1024), verbose=0)
        return float(loss)

    mark = Marks(marks, minutes, lambda: held_out(val_ids[: VAL_MARK_CHARS + REF_CONTEXT]))
    mark.chars_per_step = REF_BATCH
    starts = np.arange(0, len(train_ids) - REF_CONTEXT, REF_STEP)
    epoch = 0
    while epoch == 0 or mark.clock() < minutes * 60:
        batches = OneHotWindows(train_ids, size, starts, REF_BATCH, shuffle_seed=seed + epoch)
        model.fit(batches, epochs=1, verbose=0, callbacks=[mark])
        epoch += 1
    trained = mark.clock()
    return {
        "rows": mark.rows,
        "val_loss": held_out(val_ids),
        "chars_per_second": mark.trained_chars / trained,
        "trained_chars": mark.trained_chars,
        "minutes": trained / 60,
    }


def run_template(config: Config, corpus, minutes: float, marks, keep: str = "") -> dict:
    parts = {}
    mark_config = dataclasses.replace(config, batching="streams", batch_size=MARK_STREAMS)

    def measure():
        with parts["progress"].pause():  # not training: the template's minutes stand still
            if hasattr(mark.model, "jax_state_sync"):  # JAX keeps the weights apart inside fit
                mark.model.jax_state_sync()
            if "marker" not in parts:  # the trained layers, read as MARK_STREAMS streams
                parts["marker"] = training_model(parts["model"], mark_config)
                parts["marker"].compile(
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                )
            marker, vocabulary = parts["marker"], parts["vocabulary"]
            codes = data.encode(corpus.val[:VAL_MARK_CHARS])
            x, y = data.val_streams(codes, data.to_ids(codes, vocabulary), mark_config)
            return held_out_loss(marker, x, y, MARK_STREAMS)

    mark = Marks(marks, minutes, measure, training_clock=lambda: parts["progress"].seconds())
    mark.chars_per_step = config.batch_size * config.window
    start = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(keep) if keep else Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        m = train_and_evaluate(config, workdir, extra_callbacks=[mark], parts=parts)
    print(f"  whole run (data, training, evaluation, export): {(time.time() - start) / 60:.1f} min")
    return {
        "rows": mark.rows,
        "val_loss": m["val_loss"],
        "chars_per_second": mark.trained_chars / mark.trained_seconds,
        "trained_chars": mark.trained_chars,
        "minutes": mark.trained_seconds / 60,
        "metrics": m,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=15.0, help="training time of each")
    parser.add_argument("--marks", default="1,2,4,7,10,14", help="minutes at which to measure")
    parser.add_argument("--train_chars", type=int, default=0, help="(0: all; for a dry run)")
    parser.add_argument("--keep", default="", help="a new folder to keep the template's run in")
    parser.add_argument("--reference_to", default="", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    marks = [float(m) for m in args.marks.split(",") if float(m) <= args.minutes]
    config = dataclasses.replace(Config(), train_chars=args.train_chars, max_minutes=args.minutes)
    if args.reference_to:  # the reference, in a process of its own (the docstring says why)
        runtime.setup(config.seed, verbose=False)
        reference = run_reference(data.load_corpus(config), args.minutes, marks, config.seed)
        Path(args.reference_to).write_text(json.dumps(reference))
        return
    report = runtime.setup(config.seed, branches=config.members)
    corpus = data.load_corpus(config)
    print(f"template (default configuration), {args.minutes:g} minutes at most")
    template = run_template(config, corpus, args.minutes, marks, args.keep)
    print(f"keras-io reference, {args.minutes:g} minutes (in a process of its own)")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch, "reference.json")
        command = [sys.executable, "-m", "benchmarks.text_reference", *sys.argv[1:]]
        subprocess.run([*command, f"--reference_to={out}"], check=True)
        reference = json.loads(out.read_text())

    backend_prefix = (
        "" if report["backend"] == "tensorflow" else f"KERAS_BACKEND={report['backend']} "
    )
    lines = [
        f"Held-out loss in nats per character on the last {len(corpus.val_names)} plays "
        f"({', '.join(corpus.val_names)}): at each mark on their first {VAL_MARK_CHARS:,} "
        f"characters, at the end on all {len(corpus.val):,}. Keras {keras.__version__} on "
        f"{report['backend']}, devices {', '.join(report['devices'])}.",
        "",
        "| minutes of training | " + " | ".join(f"{m:g}" for m in marks) + " | end (all held out) "
        "| characters/s | characters trained |",
        "|---" * (len(marks) + 4) + "|",
    ]
    for label, r in (("text_lstm (default)", template), ("keras-io char LSTM", reference)):
        by_mark = [f"{row[2]:.3f}" for row in r["rows"]] + ["-"] * (len(marks) - len(r["rows"]))
        lines.append(
            f"| {label} | " + " | ".join(by_mark) + f" | **{r['val_loss']:.3f}** "
            f"({r['minutes']:.1f} min) | {r['chars_per_second'] / 1000:.1f}k "
            f"| {r['trained_chars'] / 1e6:.1f}M |"
        )
    lines += [
        "",
        f"Command: `{backend_prefix}python -m benchmarks.text_reference --minutes {args.minutes:g} "
        f"--marks {args.marks}`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "text.md").write_text(text)
    if not args.train_chars:
        write_headline(
            "text_lstm",
            f"held-out Shakespeare plays: {template['val_loss']:.3f} nats "
            f"({template['val_loss'] / math.log(2):.3f} bits) per character; keras-io's char "
            f"LSTM in the same {args.minutes:g} minutes: {reference['val_loss']:.3f}",
            f"{template['minutes']:.1f} min of training on {report['backend']}",
        )


if __name__ == "__main__":
    main()
