"""Train a character-level language model and measure it in nats and bits per character.

    python -m projects.text_lstm.train [--text=my.txt] [--cell=gru] [--batching=windows] [--quick]

Writes runs/text_lstm/<run-id>/ (see common/runs.py) with samples.txt (text written after each
epoch), learning.png (loss against characters seen) and vocabulary.json.
"""

import dataclasses
import json
import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from common import runs, runtime
from common.config import parse_config
from common.errors import main_guard
from common.optimizers import CosineSchedule, averaged_weights, build_optimizer

from . import NAME, data, figures
from .config import Config
from .model import build_model, reset_states, training_model
from .sampling import Writer

PROGRESS_SECONDS = 30  # a progress line this often
SAMPLE_TEMPERATURE = 0.8  # the samples printed during training: readable, not repetitive
EVAL_STREAMS = 128  # the held-out text is read as up to this many streams in parallel (fast)
EVAL_CHUNKS = 8  # but each stream at least this many windows long (a stream starts cold)
NATS = "nats"  # history.csv: the training loss in nats per character, where the loss is not


class HeldOut(keras.callbacks.Callback):
    """After each epoch: the held-out loss (into the epoch's logs, so history.csv has it) and
    a short sample of generated text (printed and appended to samples.txt); with `keep_best`
    (a KeepBest), the weights measured are offered to it before the trained ones come back."""

    def __init__(self, evaluator, val_x, val_y, writer, progress: runs.Progress, config, workdir,
                 keep_best=None):  # fmt: skip
        super().__init__()
        self.evaluator, self.val_x, self.val_y = evaluator, val_x, val_y
        self.writer, self.progress, self.config = writer, progress, config
        self.keep_best = keep_best
        self.eval_streams = evaluator.input_shape[0]
        self.workdir = Path(workdir)
        self.points: list[tuple[float, float, float]] = []  # (characters, seconds, loss)
        self.last: float | None = None  # the loss after the last epoch: the final model's

    def on_epoch_end(self, epoch, logs=None):
        with averaged_weights(self.model.optimizer):  # the model that --ema saves
            loss = held_out_loss(self.evaluator, self.val_x, self.val_y, self.eval_streams)
            if self.keep_best:  # while the model holds the weights just measured
                self.keep_best.offer(epoch, loss)
        self.last = loss
        if logs is not None:
            logs["val_loss"] = loss
            logs["val_bpc"] = loss / math.log(2)
        self.points.append((*self.progress.position(), loss))
        print(
            f"epoch {epoch + 1}: held-out loss {loss:.4f} nats/char ({loss / math.log(2):.3f} bpc)"
        )
        if self.config.sample_length:
            text = "".join(
                self.writer.write(
                    "", self.config.sample_length, SAMPLE_TEMPERATURE, seed=self.config.seed
                )
            )
            print(f"--- sample after epoch {epoch + 1} ---\n{text}\n---", flush=True)
            with open(self.workdir / "samples.txt", "a") as f:
                f.write(f"--- after epoch {epoch + 1}, held-out loss {loss:.4f} ---\n{text}\n")


class KeepBest:
    """--keep_best: after each epoch that lowers the held-out loss, HeldOut hands over the
    model's weights as it measured them (the averaged ones where --ema is set) and they go to
    best.weights.h5; `restore` puts them back when training ends, so the run saves and exports
    the best model it passed through, not the last. Their epoch and loss go beside them
    (best.json): a resumed run competes with them, also where the epoch was one that it redoes
    (backups come every --backup_minutes, not after every epoch), and then keeps that epoch's
    first attempt unless the second does better."""

    FILE, NOTE = "best.weights.h5", "best.json"

    def __init__(self, model: keras.Model, workdir):
        self.net, self.path = model, Path(workdir) / self.FILE
        self.note = self.path.with_name(self.NOTE)
        self.best, self.epoch = math.inf, 0
        if self.path.exists() and self.note.exists():  # a resumed run
            saved = json.loads(self.note.read_text())
            self.epoch, self.best = int(saved["epoch"]), float(saved["loss"])

    def offer(self, epoch: int, loss: float) -> None:
        """Keep the model's weights if `loss`, epoch `epoch`'s (from 0), is the lowest yet."""
        if loss >= self.best:
            return
        partial = self.path.with_name(".partial." + self.FILE)  # a kill leaves the last one whole
        self.net.save_weights(partial)
        os.replace(partial, self.path)
        self.best, self.epoch = loss, epoch + 1
        runs.atomic_write_text(self.note, json.dumps({"epoch": self.epoch, "loss": loss}))

    def restore(self, logged) -> bool:
        """Load the best epoch's weights unless the model holds them (the last epoch logged,
        in this attempt); True if it did. `logged`: history.csv's held-out losses."""
        epochs = len(logged)
        if not self.path.exists() or not self.epoch:
            return False
        if self.epoch == epochs and float(logged[-1]) == self.best:
            return False
        print(f"keeping the weights of epoch {self.epoch} of {epochs} (held-out {self.best:.4f})")
        self.net.load_weights(self.path)
        return True


def training_loss(penalty: float = 0.0):
    """Nats per character; with several networks (--members: logits (batch, time, members,
    vocabulary)) each network's against the same labels, averaged, so that each learns on its
    own as if alone. With --confidence_penalty, less `penalty` x the entropy of the predicted
    distribution (Pereyra et al. 2017), which holds back the overconfident predictions an
    overfitting model makes (EXPERIMENTS.md: a confidence penalty)."""
    ops = keras.ops

    def loss(labels, logits):
        if len(logits.shape) == len(labels.shape) + 2:  # one label for every network's logits
            labels = ops.broadcast_to(ops.expand_dims(labels, -1), ops.shape(logits)[:-1])
        nats = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        if not penalty:
            return nats
        log_p = ops.log_softmax(logits, axis=-1)
        return nats + penalty * ops.sum(ops.exp(log_p) * log_p, axis=-1)

    return loss


def evaluation_config(config: Config, val_characters: int) -> Config:
    """How the held-out text is read: in order, as parallel streams with their state carried."""
    streams = min(EVAL_STREAMS, max(1, (val_characters - 1) // (EVAL_CHUNKS * config.window)))
    return dataclasses.replace(config, batching="streams", batch_size=streams)


def held_out_streams(config: Config, val_codes, vocabulary: str):
    """The held-out text as every measurement reads it: the reading's config and its batches."""
    eval_config = evaluation_config(config, len(val_codes))
    x, y = data.val_streams(val_codes, data.to_ids(val_codes, vocabulary), eval_config)
    return eval_config, x, y


def held_out_loss(evaluator: keras.Model, x, y, batch_size: int) -> float:
    """Mean nats per held-out character, the state carried through each stream of the text.
    Batch by batch: through `evaluate` on TensorFlow a core stood idle in most passes, 20.5 s
    against 12.5 to 16.5 (EXPERIMENTS.md: the held-out pass, batch by batch). Every batch holds
    all the streams (the evaluator's state has their number), so the batches' mean is the
    characters'."""
    reset_states(evaluator)
    n = batch_size
    losses = [evaluator.test_on_batch(x[i : i + n], y[i : i + n]) for i in range(0, len(x), n)]
    reset_states(evaluator)
    return float(np.mean(losses))


def train_and_evaluate(
    config: Config, workdir: Path, verbose: int = 2, extra_callbacks=(), parts=None
) -> dict:
    """Train, measure on the held-out text, save. `extra_callbacks` join `fit` (a benchmark's
    measurements); `parts`, a dict, receives the model, evaluator and vocabulary for them, and
    the Progress whose clock counts the minutes of training."""
    # the networks of --members run at once on TensorFlow: each gets its share of the cores
    runtime.setup(config.seed, config.mixed_precision, config.jit_compile, branches=config.members)
    corpus = data.load_corpus(config)
    vocabulary = data.vocabulary(corpus.train)
    train_codes, val_codes = data.encode(corpus.train), data.encode(corpus.val)
    held = ", ".join(corpus.val_names[:6]) + (" ..." if len(corpus.val_names) > 6 else "")
    print(
        f"training text {len(train_codes):,} characters ({len(corpus.train_names)} files), "
        f"held out {len(val_codes):,} ({held}); vocabulary {len(vocabulary)} characters + unknown"
    )
    Path(workdir, "vocabulary.json").write_text(json.dumps(vocabulary) + "\n")

    model = build_model(config, vocabulary)
    trainer = training_model(model, config, each_member=True)
    eval_config, val_x, val_y = held_out_streams(config, val_codes, vocabulary)
    streams = eval_config.batch_size
    evaluator = training_model(model, eval_config)
    batches = data.Batches(train_codes, data.to_ids(train_codes, vocabulary), config, config.seed)
    total_steps = batches.steps * config.epochs
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    jit = runtime.jit_compile(config.jit_compile)
    penalty = config.confidence_penalty  # with one, the loss is not nats: a metric keeps them
    in_nats = [keras.metrics.MeanMetricWrapper(training_loss(), name=NATS)]
    trainer.compile(
        optimizer=build_optimizer(
            config.optimizer,
            config.learning_rate,
            # the loss averages the networks': each one's gradient is 1/members of what it would
            # be alone, so its clip is too (Adam's steps do not depend on the gradient's scale)
            clipnorm=config.clipnorm / config.members or None,
            weight_decay=config.weight_decay,
            ema=config.ema,
        ),
        loss=training_loss(penalty),
        metrics=in_nats if penalty else None,
        jit_compile=jit,
    )
    evaluator.compile(loss=loss, jit_compile=jit)
    chars_per_step = config.batch_size * config.window
    progress = runs.Progress(
        batches.steps,
        config.epochs,
        chars_per_step,
        config.max_minutes,
        "chars",
        f"nats/char less {penalty:g} x entropy" if penalty else "nats/char",
        every=PROGRESS_SECONDS,
        workdir=workdir,
    )
    if parts is not None:
        parts.update(model=model, evaluator=evaluator, vocabulary=vocabulary, config=eval_config,
                     progress=progress)  # fmt: skip
    # the rate reaches its end when the minutes of training do (the held-out passes not counted)
    schedule = CosineSchedule(
        config.learning_rate,
        config.final_learning_rate,
        total_steps,
        config.max_minutes,
        clock=progress.seconds,
        warmup_steps=config.warmup_steps,
    )
    keep_best = KeepBest(model, workdir) if config.keep_best else None
    held_out = HeldOut(evaluator, val_x, val_y, Writer(model), progress, config, workdir,
                       keep_best)  # fmt: skip

    def begin_epoch(epoch, logs=None):
        batches.begin(epoch)
        if not batches.skip:  # every stream starts from a zero state, but an epoch resumed
            reset_states(trainer)  # within goes on from the states its backup kept

    epoch_start = keras.callbacks.LambdaCallback(on_epoch_begin=begin_epoch)
    print(
        f"{config.epochs} epochs of {batches.steps} steps ({chars_per_step:,} characters each, "
        f"{config.batching}); a progress line every {PROGRESS_SECONDS} s"
    )
    callbacks = [
        epoch_start,
        progress,  # before the schedule, which reads its clock
        schedule,
        held_out,  # and with --keep_best, keeps the best epoch's weights
        *extra_callbacks,
        *runs.standard_callbacks(
            workdir,
            monitor="val_loss",
            progress=progress,
            backup_minutes=config.backup_minutes,
            epochs=config.epochs,
        ),
    ]
    # Keras resumes a run at the start of the epoch it was killed in; a pass here takes minutes,
    # so a run killed within one (a backup every --backup_minutes) first trains the rest of that
    # epoch, in a fit of its own. The batches come in the order data.Batches chose: shuffle=False.
    point = runs.resume_point(workdir)
    start = time.time()
    if point["step"] and not point["finished"]:
        epoch = point["epoch"]
        batches.begin(epoch, skip=point["step"])
        trainer.fit(batches, shuffle=False, initial_epoch=epoch, epochs=epoch + 1, verbose=0,
                    callbacks=callbacks)  # fmt: skip
        batches.begin(epoch + 1)
    if not trainer.stop_training:  # --max_minutes may have ended the run in that epoch
        trainer.fit(batches, shuffle=False, epochs=config.epochs, verbose=0, callbacks=callbacks)
    seconds = time.time() - start
    # `fit` ends every epoch, the one --max_minutes cut short too, with HeldOut, which measured
    # what fit leaves (the averaged weights, where --ema is set): no second pass over the text,
    # unless fit trained no epoch (a --resume of a run whose epochs were all done) or
    # --keep_best put an earlier epoch's weights back (measured again: the figure is always
    # that of the weights saved)
    val_loss = held_out.last
    history = runs.read_history(workdir)
    if keep_best and keep_best.restore(history.get("val_loss", ())):
        val_loss = None
    if val_loss is None:
        val_loss = held_out_loss(evaluator, val_x, val_y, streams)
    kept = keep_best.epoch if keep_best and keep_best.epoch else len(history.get("loss", ()))
    nats = NATS if NATS in history else "loss"  # (an epoch resumed within: its steps since)
    metrics = {
        "val_loss": val_loss,
        "val_bpc": val_loss / math.log(2),
        # the last epoch's, or with --keep_best the kept one's
        "train_loss": float(history[nats][kept - 1]) if nats in history else float("nan"),
        "val_characters": int(val_x.size),
        "vocabulary_size": len(vocabulary),
        "fit_seconds": seconds,  # wall time of `fit` in this process, its evaluations included
        "train_minutes": progress.seconds() / 60,  # training alone, a resume's earlier part too
        "characters_per_second": progress.pace(),  # of training, as the progress lines
    }
    if keep_best:
        metrics["kept_epoch"] = kept
    if progress.points:
        # the kept epoch's point, where it was measured in this process (not before a resume)
        best = keep_best.best if keep_best else None
        kept_point = next((p for p in held_out.points if p[2] == best), None)
        figures.learning_curve(progress.points, held_out.points, Path(workdir), kept_point)
    sample = data.encode("ROMEO:\nWhat light")[None, :].repeat(2, axis=0)
    runs.finish(workdir, model, metrics, sample, title=f"text_lstm, {config.cell}")
    if keep_best:  # like the backup, kept only until the run has finished
        keep_best.path.unlink(missing_ok=True)
        keep_best.note.unlink(missing_ok=True)
    return metrics


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        m = train_and_evaluate(config, workdir)
    print(
        f"held-out loss {m['val_loss']:.4f} nats per character ({m['val_bpc']:.3f} bits), "
        f"training loss {m['train_loss']:.4f}; {m['characters_per_second'] / 1000:.1f}k "
        f"characters/s; results in {workdir}"
    )


if __name__ == "__main__":
    main()
