"""The run directory of the run contract, its callbacks, and what a finished run leaves behind.

runs/<name>/<run-id>/
  config.json   the full config          history.csv  one row per epoch (survives a resume)
  metrics.json  final held-out metrics   curves.png   loss and metrics per epoch
  model.keras   the trained model        export/      SavedModel for serving
  logs/         TensorBoard              backup/      resume state, gone once the run finishes
runs/<name>/latest -> <run-id>          the last run that finished (has metrics.json)

A run directory is created atomically (mkdir, and the next id if another process took that
one); `latest` moves only when a run finishes, so predict never serves a run in progress. The
backup outlives `fit`: it is removed only once metrics.json is written, so a run killed during
evaluation, figures or export resumes without training again.
"""

import contextlib
import csv
import json
import os
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from common import runtime
from common.config import load_config, save_config
from common.errors import UserError

HISTORY = "history.csv"
METRICS = "metrics.json"
BACKUP = "backup"
MINUTES = "train_minutes"  # history.csv: minutes of training by the end of each epoch


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file under a temporary name and rename it, so readers never see half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_metrics(workdir: Path, metrics: dict) -> None:
    """metrics.json: flat JSON of plain floats and ints; its presence marks a finished run."""
    flat = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in metrics.items()}
    atomic_write_text(Path(workdir) / METRICS, json.dumps(flat, indent=2, sort_keys=True) + "\n")


def point_latest(workdir: Path) -> None:
    """Point runs/<name>/latest at a finished run, atomically (a new link renamed over it)."""
    workdir = Path(workdir)
    link = workdir.parent / "latest"
    tmp = workdir.parent / f".latest.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(workdir.name)
    os.replace(tmp, link)


def _run_order(path: Path) -> tuple:
    """Sort key for run ids: the time stamp, then the number a same-second run got (-2, -3)."""
    day, _, rest = path.name.partition("-")
    stamp, _, n = rest.partition("-")
    return (day, stamp, int(n) if n.isdigit() else 1)


def newest_unfinished(base: Path) -> Path | None:
    """The most recently started run under `base` that has no metrics.json (for --resume);
    only directories named by run id (not, say, a benchmark's fixed folder)."""
    runs = [
        p
        for p in Path(base).glob("[0-9]*-[0-9]*")
        if p.is_dir() and not p.is_symlink() and (p / "config.json").exists()
    ]
    unfinished = [p for p in runs if not (p / METRICS).exists()]
    return max(unfinished, key=_run_order) if unfinished else None


def make_run_dir(base: Path) -> Path:
    """Create a new run directory named by the time; mkdir is atomic, so two runs started in
    the same second get different directories (the second takes the next number)."""
    base.mkdir(parents=True, exist_ok=True)
    run_id = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        workdir = base / (run_id if n == 1 else f"{run_id}-{n}")
        try:
            workdir.mkdir()
        except FileExistsError:
            continue
        return workdir
    raise UserError(f"cannot create a run directory under {base}: too many runs this second")


def resolve_run(name: str, run: str | None, runs_dir: str | Path = "runs") -> Path:
    """The run directory a user means: a path, a run id under runs/<name>, or the latest
    finished one."""
    base = Path(runs_dir) / name
    if run in (None, "latest"):
        link = base / "latest"
        if not link.exists():
            raise UserError(
                f"no finished {name} run under {base}; train one first: "
                f"python -m projects.{name}.train"
            )
        return link.resolve()
    path = Path(run)
    if not path.exists() and (base / run).exists():
        path = base / run
    if not path.is_dir():
        raise UserError(f"run directory {run} does not exist")
    return path.resolve()


@contextlib.contextmanager
def run_directory(name: str, config_cls, config, flags: dict):
    """Create (or reopen with --resume) a run directory and yield (config, workdir).

    A new run that fails with a UserError (bad input, a diverging loss) is removed again, so bad
    input leaves nothing half-written behind; `latest` is not touched until a run finishes.
    """
    runs_dir = flags.get("runs_dir", "runs")
    base = Path(runs_dir) / name
    if flags.get("resume"):
        if flags.get("overrides") or flags.get("quick") or flags.get("preset"):
            raise UserError("--resume continues a run with its saved config; drop the other flags")
        if flags["resume"] == "latest":
            workdir = newest_unfinished(base)
            if workdir is None:
                raise UserError(f"no unfinished {name} run under {base} to resume")
        else:
            workdir = resolve_run(name, flags["resume"], runs_dir)
        if (workdir / METRICS).exists():
            raise UserError(f"run {workdir} already finished; start a new one without --resume")
        config = load_config(config_cls, workdir / "config.json")
        print(f"resuming {workdir}")
        yield config, workdir
        return

    try:
        workdir = make_run_dir(base)
    except OSError as err:
        raise UserError(f"cannot create a run directory under {base}: {err.strerror}") from None
    save_config(config, workdir / "config.json")
    print(f"run directory: {workdir}")
    try:
        yield config, workdir
    except UserError:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def resume_point(workdir: Path) -> dict:
    """Where a resumed run continues: {"epoch", "step" (steps of that epoch already trained, 0
    at an epoch's end), "seconds" (of training by then, where the backup says), "loss_sum" (of
    those steps), "finished"}; all zero for a new run."""
    meta = Path(workdir) / BACKUP / Backup.META
    saved = json.loads(meta.read_text()) if meta.exists() else {}
    return {
        "epoch": int(saved.get("epoch", 0)),
        "step": int(saved.get("step", 0)),
        "seconds": saved.get("seconds"),
        "loss_sum": float(saved.get("loss_sum", 0.0)),  # of the epoch's steps before the backup
        "finished": bool(saved.get("finished")),
    }


def _trim_history(workdir: Path) -> int:
    """Drop history rows past the backed-up epoch, so a resumed run repeats no epoch in the log.

    Returns the epoch training resumes from (0 for a new run).
    """
    meta = workdir / BACKUP / Backup.META
    history = workdir / HISTORY
    if not meta.exists():
        if history.exists():  # killed before the first backup: start the log over
            print("no backup of a finished epoch yet: training starts again from epoch 0")
            history.unlink()
        return 0
    saved = resume_point(workdir)
    resume_epoch = saved["epoch"]
    if saved["finished"]:
        print("training had finished before the run stopped: evaluating the trained model")
    elif saved["step"]:
        print(f"continuing epoch {resume_epoch + 1} after its step {saved['step']}")
    elif resume_epoch:
        print(f"continuing from epoch {resume_epoch}")
    if history.exists():
        with history.open(newline="") as f:
            rows = list(csv.reader(f))
        kept = rows[:1] + [r for r in rows[1:] if r and int(r[0]) < resume_epoch]
        with history.open("w", newline="") as f:
            csv.writer(f).writerows(kept)
    return resume_epoch


class HistoryLogger(keras.callbacks.CSVLogger):
    """CSVLogger (appending) whose columns are the epoch's logs: Keras's adds a `val_` column,
    always NA, for every key of a run without validation. A resumed run that appends keeps the
    columns of the history.csv it finds."""

    def on_epoch_end(self, epoch, logs=None):
        if self.keys is None:
            self.keys = self._header() or sorted(logs or {})
        super().on_epoch_end(epoch, logs)

    def _header(self) -> list[str] | None:
        path = Path(self.filename)
        if not path.exists():
            return None
        with path.open(newline="") as f:
            header = next(csv.reader(f), None)
        return header[1:] if header else None  # after "epoch"


class StopOnNaN(keras.callbacks.Callback):
    """Stop a diverging run with a one-line error that names the epoch and what to try.

    Keras's TerminateOnNaN stops quietly and lets the run go on to save a broken model; this
    raises a UserError instead, so nothing is saved and the run directory is removed.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(np.asarray(loss))):
            epoch = getattr(self, "_epoch", 0) + 1
            raise UserError(
                f"the training loss became {float(np.asarray(loss))} in epoch {epoch}, step "
                f"{batch + 1}: training diverged; try a smaller --learning_rate"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


class Backup(keras.callbacks.BackupAndRestore):
    """BackupAndRestore whose backup outlives `fit`, and that can back up within an epoch.

    Keras deletes the backup when `fit` returns; a kill during evaluation or export then lost the
    whole training. Here the end of training saves the final weights (the best ones, where early
    stopping restored them) marked as finished, so --resume trains no further and goes straight
    to evaluation; `finish` deletes the backup once metrics.json is written.

    Given a Progress and `every_minutes`, it backs up whenever that many minutes have passed
    since its last backup, after a step or as an epoch ends (not after every epoch: on a GPU an
    epoch can take seconds and a backup of a large model one), with the step and the training
    clock (`resume_point` reads them); the time it takes is left out of the clock. Keras itself
    resumes only from an epoch's start: a template whose epochs are long trains the rest of the
    interrupted epoch in a `fit` of its own (text_lstm's train.py). `epochs` is the run's
    (default: `fit`'s), so that such a partial `fit` does not mark the run finished.

    A backup is two files, the weights and the metadata that says where they were saved; Keras
    writes both in place (after copying the last pair aside), so a kill between them left new
    weights under an older step. Here each backup's weights go to a file of their own and the
    metadata, written atomically last, names it: a kill at any moment leaves the last whole
    backup, and nothing is copied (a large model's weights are hundreds of MB).
    """

    META = "training_metadata.json"  # Keras's name for it (_training_metadata_path)

    def __init__(self, *args, progress=None, every_minutes: float = 0.0, epochs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.progress, self.every, self.epochs = progress, every_minutes * 60, epochs
        self.last_save = time.time()
        self.serial = 0  # the number of the last backup's weights file

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)  # loads the backup, which sets the epoch fit begins with
        self._current_epoch = int(getattr(self.model, "_initial_epoch", 0) or 0)
        self.last_save = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch  # Keras counts from 0 in a resumed process until an epoch ends

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch, self._last_batch_seen = epoch + 1, 0
        if self.save_freq == "epoch" and self._due():
            self._save_model()

    def _due(self) -> bool:
        """Whether to back up now: always without `every_minutes`, else once they have passed."""
        return not (self.progress and self.every) or time.time() - self.last_save >= self.every

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        progress = self.progress
        if not progress or not self.every or progress.step >= progress.steps:
            return  # (an epoch's last step is backed up as the epoch ends, when due)
        if self._due():
            with progress.pause():
                self._save_model(progress.step, progress.loss_sum(logs))

    def _save_model(self, step: int = 0, loss_sum: float = 0.0):
        folder = Path(self.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        weights = f"model-{self.serial + 1}.weights.h5"
        self.model.save_weights(folder / weights)
        meta = {"epoch": self._current_epoch, "step": step, "weights": weights}
        if step:
            meta["loss_sum"] = loss_sum
        if self.progress:
            meta["seconds"] = self.progress.seconds()
        # the backup is made here: the metadata, written whole or not at all, names the weights
        atomic_write_text(Path(self._training_metadata_path), json.dumps(meta))
        self.serial += 1
        for old in folder.glob("model-*.weights.h5"):  # the last backup's, or a killed one's
            if old.name != weights:
                old.unlink()
        self.last_save = time.time()

    def _load_model(self):
        """Loads the weights that the metadata names (Keras's own loader, for a backup made
        before this class named them, loads model.weights.h5)."""
        meta = Path(self._training_metadata_path)
        saved = json.loads(meta.read_text()) if meta.exists() else {}
        if "weights" not in saved:
            return super()._load_model()
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)  # its moments are saved
        self.model.load_weights(Path(self.backup_dir) / saved["weights"])
        self.model._initial_epoch = int(saved["epoch"])
        self.serial = int(saved["weights"].split("-")[1].split(".")[0])

    def on_train_end(self, logs=None):
        epochs = self.epochs or int(self.params.get("epochs") or 0)
        partial = not self.model.stop_training and self._current_epoch < epochs
        if not partial:
            self._current_epoch = max(self._current_epoch, epochs)
        self._save_model()
        if partial:  # the fit that follows starts from this backup
            return
        meta = Path(self._training_metadata_path)
        saved = json.loads(meta.read_text())
        atomic_write_text(meta, json.dumps({**saved, "finished": True}))


class Progress(keras.callbacks.Callback):
    """A line every `every` seconds on long runs: epoch and step, the mean loss since the last
    line (Keras reports the epoch's mean so far), items per second, minutes trained and left.
    Stops training after max_minutes (0: never). `points` keeps (items, seconds, loss) for a
    figure.

    Its clock, `seconds()`, counts training alone: the pause between one epoch's last step and
    the next one's first (validation, samples, backups) is left out, so --max_minutes are minutes
    of training however long the measuring takes. So is a new run's first step, which compiles
    the model (seconds on a CPU, up to a minute on a GPU): a clock that counted it would move
    the schedule of a run whose steps end before its minutes, and two runs of one seed would
    differ. A CosineSchedule given the same clock ends with it. Each epoch's minutes go into its
    logs (history.csv's `train_minutes`); given the run's `workdir`, a resumed run's clock goes
    on from the last of them (or from a backup made within an epoch, whose step the first epoch
    then starts after), so --max_minutes and the schedule count the whole run, not each process.
    A resumed process compiles again in its first step: that step counts as long as a step
    took on average before, about the time the uninterrupted run spent on it.

    items_per_step: what one step trains on (characters, words); `unit` names them and
    `loss_unit` says what the loss is measured in.
    """

    def __init__(self, steps, epochs, items_per_step, max_minutes=0.0, unit="items",
                 loss_unit="", every=30.0, workdir=None):  # fmt: skip
        super().__init__()
        self.steps, self.epochs, self.items_per_step = steps, epochs, items_per_step
        self.unit, self.loss_unit, self.every = unit, loss_unit, every
        self.max_seconds = max_minutes * 60 or float("inf")
        self.workdir = workdir
        self.points: list[tuple[float, float, float]] = []
        self.start = self.last_end = self.paused = 0.0
        self.before = 0.0  # seconds trained before a resume
        self.offset = 0  # steps of the first epoch trained before a resume within it
        self.loss_before = 0.0  # and the sum of their losses
        self.epoch = self.step = 0  # where training is: the epoch, and its steps done
        self.done = 0  # steps trained in this process
        self.timed = (0, 0.0)  # (steps done, clock) where this process's clock started
        self.stepping = False  # between an epoch's first step and its end
        self.compiling = False  # a process's first step, not yet ended: the clock stands still

    def seconds(self) -> float:
        """Seconds of training in the run: since training began, less the pauses, plus what the
        run trained before a resume."""
        if not self.start or self.compiling:
            return self.before
        now = time.time() if self.stepping else self.last_end
        return self.before + now - self.start - self.paused

    def pace(self) -> float:
        """Items a second of training in this process, its first step (compiling) left out:
        the progress lines' figure, and metrics.json's (0 until a second step has ended)."""
        steps, seconds = self.done - self.timed[0], self.seconds() - self.timed[1]
        return steps * self.items_per_step / seconds if steps and seconds > 0 else 0.0

    def position(self) -> tuple[float, float]:
        """(items trained on, seconds of training) in the run: where a figure's point lies."""
        return (self.epoch * self.steps + self.step) * self.items_per_step, self.seconds()

    @contextlib.contextmanager
    def pause(self):
        """Leaves the block out of the clock: a measurement in the middle of an epoch."""
        begin = time.time()
        try:
            yield
        finally:
            if self.stepping:  # between epochs the whole gap is left out already
                self.paused += time.time() - begin

    def on_train_begin(self, logs=None):
        self.start = self.last = self.last_end = time.time()
        self.paused = 0.0
        self.before, self.offset, self.loss_before = self._trained_before()
        self.compiling = not self.done

    def _trained_before(self) -> tuple[float, int, float]:
        """(seconds, steps of the epoch resumed, their summed loss): from a backup made within
        an epoch, or else the minutes of the last epoch in history.csv, which a resume has cut
        back to the backup's epoch (0 for a new run, or without a workdir)."""
        if self.workdir is None:
            return 0.0, 0, 0.0
        point = resume_point(self.workdir)
        if point["step"] and point["seconds"] is not None and not point["finished"]:
            return float(point["seconds"]), point["step"], point["loss_sum"]
        if not (Path(self.workdir) / HISTORY).exists():
            return 0.0, 0, 0.0
        minutes = read_history(self.workdir).get(MINUTES, [])
        return (float(minutes[-1]) * 60 if len(minutes) else 0.0), 0, 0.0

    def loss_sum(self, logs) -> float:
        """The summed training loss of the epoch's steps so far (Keras logs the mean of the
        steps of this `fit`, which after a resume within an epoch are not all of them)."""
        return self.loss_before + float(np.asarray(logs["loss"])) * self.epoch_done

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.step = epoch, self.offset
        self.seen = (self.offset, 0.0)  # (step, this fit's summed loss) at the last line
        self.epoch_done = 0

    def on_train_batch_begin(self, batch, logs=None):
        if not self.stepping:  # the pause since the last epoch's last step ends here
            self.paused += time.time() - self.last_end
            self.stepping = True

    def on_epoch_end(self, epoch, logs=None):
        self.stepping = False
        if logs is not None and self.offset and "loss" in logs:  # the whole epoch's mean
            logs["loss"] = self.loss_sum(logs) / (self.offset + self.epoch_done)
        self.offset, self.loss_before = 0, 0.0  # the next epoch starts at its beginning
        if logs is not None:
            logs[MINUTES] = self.seconds() / 60

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last step of the call: one, or several with steps_per_execution; it
        # counts from 0 in a fit that resumes an epoch after `offset` steps
        called = batch + 1 - self.epoch_done
        self.done += called
        self.epoch_done = batch + 1
        self.step = step = self.offset + batch + 1
        last = step >= self.steps
        if last:  # wait for the epoch's last step, so that the pause after it is only a pause
            np.asarray(logs["loss"])
        self.last_end = now = time.time()
        if self.compiling:  # the clock starts now, and the pace from the next step
            self.start, self.paused, self.compiling = now, 0.0, False
            timed = self.epoch * self.steps + step - called - 1  # the steps of `before`
            if self.before and timed > 0:  # a resumed process's first: at the run's pace
                self.before += self.before / timed * called
            self.timed = (self.done, self.before)
        elapsed = self.seconds()
        if elapsed > self.max_seconds:
            self.model.stop_training = last = True
            runtime.note(f"--max_minutes={self.max_seconds / 60:g} reached: training stops here")
        if last:  # whatever runs until the next step (validation, callbacks) is not training
            self.stepping = False
        if now - self.last < self.every and not last:  # an epoch's last step, or the run's
            return
        self.last = now
        mean_so_far = float(np.asarray(logs["loss"]))  # Keras's mean over this fit's batches
        seen, total = self.seen
        self.seen = (step, mean_so_far * self.epoch_done)
        loss = (self.seen[1] - total) / (step - seen)
        self.points.append((self.position()[0], elapsed, loss))
        line = f"epoch {self.epoch + 1}/{self.epochs} step {step}/{self.steps}: "
        line += f"loss {loss:.3f} {self.loss_unit}, "
        pace = self.pace()
        if pace:  # (none yet after the first step, which compiled)
            left_steps = (self.epochs - self.epoch - 1) * self.steps + self.steps - step
            left = min(left_steps * self.items_per_step / pace, max(self.max_seconds - elapsed, 0))
            line += f"{_rate(pace)} {self.unit}/s, "
            line += f"{elapsed / 60:.1f} min trained, about {left / 60:.1f} min left"
        else:
            line += f"{elapsed / 60:.1f} min trained"
        print(line, flush=True)


def _rate(per_second: float) -> str:
    """12.3k above a thousand, 45.6 below: characters by the thousand, images one by one."""
    return f"{per_second / 1000:.1f}k" if per_second >= 1000 else f"{per_second:.1f}"


def standard_callbacks(
    workdir: Path,
    monitor: str = "val_loss",
    patience: int | None = None,
    backup_every_batches: int | str = "epoch",
    tensorboard: bool = True,
    progress: "Progress | None" = None,
    backup_minutes: float = 0.0,
    epochs: int | None = None,
) -> list[keras.callbacks.Callback]:
    """The callbacks every template trains with.

    StopOnNaN stops a diverging run with a one-line error; HistoryLogger keeps history.csv
    (appending across a resume); EarlyStopping (when patience is set) stops once `monitor` stops
    improving and restores the best weights; TensorBoard writes logs/ (where TensorFlow is
    installed); Backup saves the training state so a killed run continues from its last backup
    with --resume, and keeps it after training until the run has finished (given the run's
    `progress`, also every `backup_minutes` within an epoch; `epochs`: the run's, where it
    trains in more than one `fit`). The CSV row of an epoch is written before its backup, and a
    resumed run trims rows past the backup, so each epoch is logged once.
    """
    workdir = Path(workdir)
    _trim_history(workdir)  # says where a resumed run continues
    callbacks = [
        StopOnNaN(),
        HistoryLogger(str(workdir / HISTORY), append=True),
    ]
    if patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=patience, restore_best_weights=True, verbose=1
            )
        )
    if tensorboard and not runtime.has_tensorflow():
        runtime.note("TensorBoard logs skipped: the TensorBoard callback needs TensorFlow")
    elif tensorboard:
        callbacks.append(
            keras.callbacks.TensorBoard(
                log_dir=str(workdir / "logs"), write_graph=False, profile_batch=0
            )
        )
    callbacks.append(  # last: it saves the weights early stopping restored
        Backup(
            str(workdir / BACKUP),
            save_freq=backup_every_batches,
            double_checkpoint=False,  # each backup is whole or not made (Backup)
            progress=progress,
            every_minutes=backup_minutes,
            epochs=epochs,
        )
    )
    return callbacks


def read_history(workdir: Path) -> dict[str, np.ndarray]:
    """history.csv as columns of floats (every epoch, including those before a resume).

    Columns that are NA in every row are dropped (Keras's CSVLogger wrote such `val_` columns for
    a run without validation before HistoryLogger).
    """
    path = Path(workdir) / HISTORY
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}

    def number(text: str) -> float:
        return float("nan") if text in ("", "NA") else float(text)

    columns = {key: np.array([number(r[key]) for r in rows]) for key in rows[0]}
    return {key: col for key, col in columns.items() if not np.all(np.isnan(col))}


def plot_curves(workdir: Path, title: str = "") -> Path:
    """curves.png: one panel per metric, training and validation side by side, against epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = read_history(workdir)
    skip = {"epoch", "learning_rate", "lr", MINUTES}
    names = [k for k in history if k not in skip and not k.startswith("val_")]
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(5 * max(1, len(names)), 3.6))
    axes = np.atleast_1d(axes)
    epochs = history.get("epoch", np.arange(len(next(iter(history.values()), []))))
    for ax, name in zip(axes, names, strict=False):
        ax.plot(epochs + 1, history[name], label="training")
        if f"val_{name}" in history:
            ax.plot(epochs + 1, history[f"val_{name}"], label="validation")
        if "loss" in name and np.all(history[name] > 0):
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(workdir) / "curves.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def save_figure(fig, path: Path) -> Path:
    """Save a matplotlib figure and close it (figures pile up in memory otherwise)."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def finish(workdir: Path, model: keras.Model, metrics: dict, sample_input, title: str = "") -> None:
    """Write model.keras, export/ (checked against the model), curves.png, then metrics.json;
    then drop the backup and point `latest` here."""
    from common.export import export_model

    workdir = Path(workdir)
    bad = {k: v for k, v in metrics.items() if isinstance(v, float) and not np.isfinite(v)}
    if bad and any("loss" in k or "accuracy" in k for k in bad):
        raise UserError(
            f"the trained model gives {bad} on held-out data: training diverged; "
            "try a smaller --learning_rate"
        )
    export_model(model, workdir, sample_input)
    if (workdir / HISTORY).exists():
        plot_curves(workdir, title)
    write_metrics(workdir, metrics)
    shutil.rmtree(workdir / BACKUP, ignore_errors=True)
    point_latest(workdir)
