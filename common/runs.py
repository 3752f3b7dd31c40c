"""The run directory of the run contract, its callbacks, and what a finished run leaves behind.

runs/<name>/<run-id>/
  config.json   the full config          history.csv  one row per epoch (survives a resume)
  metrics.json  final held-out metrics   curves.png   loss and metrics per epoch
  model.keras   the trained model        export/      SavedModel for serving
  logs/         TensorBoard              backup/      resume state, gone once the run finishes
runs/<name>/latest -> <run-id>
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

from common.config import load_config, save_config
from common.errors import UserError

HISTORY = "history.csv"
METRICS = "metrics.json"
BACKUP = "backup"


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


def _point_latest(base: Path, target: Path | None) -> None:
    link = base / "latest"
    if link.is_symlink() or link.exists():
        link.unlink()
    if target is not None:
        link.symlink_to(target.name)


def resolve_run(name: str, run: str | None, runs_dir: str | Path = "runs") -> Path:
    """The run directory a user means: a path, a run id under runs/<name>, or the latest one."""
    base = Path(runs_dir) / name
    if run in (None, "latest"):
        link = base / "latest"
        if not link.exists():
            raise UserError(
                f"no {name} run under {base}; train one first: python -m projects.{name}.train"
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

    A new run that fails on bad input before finishing an epoch is removed again, and `latest`
    goes back to where it pointed, so bad input leaves nothing half-written behind.
    """
    base = Path(flags.get("runs_dir", "runs")) / name
    if flags.get("resume"):
        if flags.get("overrides") or flags.get("quick"):
            raise UserError("--resume continues a run with its saved config; drop the other flags")
        workdir = resolve_run(name, flags["resume"], flags.get("runs_dir", "runs"))
        if (workdir / METRICS).exists():
            raise UserError(f"run {workdir} already finished; start a new one without --resume")
        config = load_config(config_cls, workdir / "config.json")
        print(f"resuming {workdir}")
        yield config, workdir
        return

    base.mkdir(parents=True, exist_ok=True)
    run_id = time.strftime("%Y%m%d-%H%M%S")
    workdir, n = base / run_id, 1
    while workdir.exists():
        n += 1
        workdir = base / f"{run_id}-{n}"
    previous = (base / "latest").resolve() if (base / "latest").exists() else None
    workdir.mkdir()
    save_config(config, workdir / "config.json")
    _point_latest(base, workdir)
    print(f"run directory: {workdir}")
    try:
        yield config, workdir
    except UserError:
        if not (workdir / HISTORY).exists():
            shutil.rmtree(workdir, ignore_errors=True)
            _point_latest(base, previous)
        raise


def _trim_history(workdir: Path) -> int:
    """Drop history rows past the backed-up epoch, so a resumed run repeats no epoch in the log.

    Returns the epoch training resumes from (0 for a new run).
    """
    meta = workdir / BACKUP / "training_metadata.json"
    history = workdir / HISTORY
    if not meta.exists():
        if history.exists():  # killed before the first backup: start the log over
            history.unlink()
        return 0
    resume_epoch = int(json.loads(meta.read_text())["epoch"])
    if history.exists():
        with history.open(newline="") as f:
            rows = list(csv.reader(f))
        kept = rows[:1] + [r for r in rows[1:] if r and int(r[0]) < resume_epoch]
        with history.open("w", newline="") as f:
            csv.writer(f).writerows(kept)
    return resume_epoch


def standard_callbacks(
    workdir: Path,
    monitor: str = "val_loss",
    patience: int | None = None,
    backup_every_batches: int | str = "epoch",
    tensorboard: bool = True,
) -> list[keras.callbacks.Callback]:
    """The callbacks every template trains with.

    TerminateOnNaN stops a diverging run; CSVLogger keeps history.csv (appending across a resume);
    EarlyStopping (when patience is set) stops once `monitor` stops improving and restores the
    best weights; TensorBoard writes logs/; BackupAndRestore saves the training state so a killed
    run continues from its last backup with --resume. The CSV row of an epoch is written before
    its backup, and a resumed run trims rows past the backup, so each epoch is logged once.
    """
    workdir = Path(workdir)
    resume_epoch = _trim_history(workdir)
    if resume_epoch:
        print(f"continuing from epoch {resume_epoch}")
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(workdir / HISTORY), append=True),
    ]
    if patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=patience, restore_best_weights=True, verbose=1
            )
        )
    if tensorboard:
        callbacks.append(
            keras.callbacks.TensorBoard(
                log_dir=str(workdir / "logs"), write_graph=False, profile_batch=0
            )
        )
    callbacks.append(
        keras.callbacks.BackupAndRestore(
            str(workdir / BACKUP), save_freq=backup_every_batches, double_checkpoint=True
        )
    )
    return callbacks


def read_history(workdir: Path) -> dict[str, np.ndarray]:
    """history.csv as columns of floats (every epoch, including those before a resume).

    CSVLogger writes NA for validation columns of a run without validation; those are dropped.
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
    skip = {"epoch", "learning_rate", "lr"}
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
    """Write model.keras, export/ (checked against the model), curves.png, then metrics.json."""
    from common.export import export_model

    workdir = Path(workdir)
    export_model(model, workdir, sample_input)
    if (workdir / HISTORY).exists():
        plot_curves(workdir, title)
    shutil.rmtree(workdir / BACKUP, ignore_errors=True)
    write_metrics(workdir, metrics)
