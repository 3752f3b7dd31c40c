"""The run contract across templates: run directories, resume after a kill, one-line errors."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common import runs
from common.errors import UserError
from projects.iris.config import Config as IrisConfig

ROOT = Path(__file__).resolve().parent.parent
EPOCHS = 12
KILL_AT = 5  # zero-based epoch after which the process is killed

# Runs iris in a child process and kills it with SIGKILL at the end of epoch KILL_AT, either
# after that epoch's backup (a clean cut) or between its CSV row and its backup (the worst case).
KILLER = """
import os, signal, sys
import keras
from projects.iris import train
where = sys.argv[2]
cls = keras.callbacks.BackupAndRestore if where == "after_backup" else keras.callbacks.CSVLogger
original = cls.on_epoch_end
def on_epoch_end(self, epoch, logs=None):
    original(self, epoch, logs)
    if epoch == {kill_at}:
        os.kill(os.getpid(), signal.SIGKILL)
cls.on_epoch_end = on_epoch_end
train.main(["--runs_dir", sys.argv[1], "--epochs={epochs}", "--patience=0", "--batch_size=32"])
"""


def python(*args, **kwargs):
    # a user's shell: without the log level this test process set when it imported common
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, **kwargs
    )


@pytest.mark.parametrize("where", ["after_backup", "before_backup"])
def test_killed_run_resumes_with_every_epoch_once(tmp_path, where):
    killed = python("-c", KILLER.format(kill_at=KILL_AT, epochs=EPOCHS), str(tmp_path), where)
    assert killed.returncode == -9, killed.stderr
    run_dir = (tmp_path / "iris" / "latest").resolve()
    assert not (run_dir / "metrics.json").exists()

    resumed = python("-m", "projects.iris.train", "--runs_dir", str(tmp_path), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "continuing from epoch" in resumed.stdout
    with (run_dir / "history.csv").open() as f:
        epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
    assert epochs == list(range(EPOCHS))
    assert json.loads((run_dir / "metrics.json").read_text())["epochs_run"] == EPOCHS
    assert not (run_dir / "backup").exists()

    again = python("-m", "projects.iris.train", "--runs_dir", str(tmp_path), "--resume")
    assert again.returncode == 2 and "already finished" in again.stderr


def test_cli_errors_are_one_line_with_exit_2(tmp_path):
    bad = python("-m", "projects.iris.train", "--runs_dir", str(tmp_path), "--epochs=many")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: argument --epochs: expected int, got 'many' (see --help)"
    assert not (tmp_path / "iris").exists()

    no_run = python("-m", "projects.xor.predict", "--run", str(tmp_path / "nothing"), "1", "0")
    assert no_run.returncode == 2 and len(no_run.stderr.strip().splitlines()) == 1


def test_failed_new_run_leaves_nothing_behind(tmp_path):
    (tmp_path / "iris").mkdir()
    flags = {"runs_dir": str(tmp_path), "resume": None, "overrides": {}, "quick": False}
    with pytest.raises(UserError):
        with runs.run_directory("iris", IrisConfig, IrisConfig(), flags) as (_, workdir):
            assert (workdir / "config.json").exists()
            raise UserError("the data file is broken")
    assert list((tmp_path / "iris").iterdir()) == []


def test_resume_refuses_new_flags(tmp_path):
    flags = {"runs_dir": str(tmp_path), "resume": "latest", "overrides": {"epochs": 3}}
    with pytest.raises(UserError, match="drop the other flags"):
        with runs.run_directory("iris", IrisConfig, IrisConfig(), flags):
            pass


def test_history_rows_past_the_backup_are_trimmed(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "training_metadata.json").write_text('{"epoch": 2}')
    (tmp_path / "history.csv").write_text("epoch,loss\n0,0.9\n1,0.8\n2,0.7\n")
    assert runs._trim_history(tmp_path) == 2
    assert (tmp_path / "history.csv").read_text().splitlines() == ["epoch,loss", "0,0.9", "1,0.8"]
