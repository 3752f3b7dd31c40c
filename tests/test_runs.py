"""The run contract across templates: run directories, resume after a kill, one-line errors."""

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from common import runs
from common.errors import UserError
from common.testing import Killed
from projects.iris import predict as iris_predict
from projects.iris import train
from projects.iris.config import Config as IrisConfig

ROOT = Path(__file__).resolve().parent.parent
EPOCHS = 12
KILL_AT = 5  # zero-based epoch after which the process is killed

# Runs iris in a child process and kills it with SIGKILL at the end of epoch KILL_AT, either
# after that epoch's backup (a clean cut) or between its CSV row and its backup (the worst case).
KILLER = """
import os, signal, sys
import keras
from common import runs
from projects.iris import train
where = sys.argv[2]
cls = runs.Backup if where == "after_backup" else keras.callbacks.CSVLogger
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


@pytest.mark.parametrize(
    "where",  # the kill before the backup is the rarer case: in `make test-full` only
    ["after_backup", pytest.param("before_backup", marks=pytest.mark.slow)],
)
def test_killed_run_resumes_with_every_epoch_once(tmp_path, where):
    killed = python("-c", KILLER.format(kill_at=KILL_AT, epochs=EPOCHS), str(tmp_path), where)
    assert killed.returncode == -9, killed.stderr
    run_dir = runs.newest_unfinished(tmp_path / "iris")
    assert not (run_dir / "metrics.json").exists()
    assert not (tmp_path / "iris" / "latest").exists()  # latest names finished runs only

    resumed = python("-m", "projects.iris.train", "--runs_dir", str(tmp_path), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "continuing from epoch" in resumed.stdout
    with (run_dir / "history.csv").open() as f:
        epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
    assert epochs == list(range(EPOCHS))
    assert json.loads((run_dir / "metrics.json").read_text())["epochs_run"] == EPOCHS
    assert not (run_dir / "backup").exists()

    assert (tmp_path / "iris" / "latest").resolve() == run_dir
    with pytest.raises(UserError, match="no unfinished iris run"):
        train.main.__wrapped__(["--runs_dir", str(tmp_path), "--resume"])
    with pytest.raises(UserError, match="already finished"):
        train.main.__wrapped__(["--runs_dir", str(tmp_path), f"--resume={run_dir}"])


def test_kill_after_training_keeps_the_training(tmp_path, monkeypatch, capsys):
    train.main(["--runs_dir", str(tmp_path / "whole"), "--quick"])
    expected = json.loads((tmp_path / "whole/iris/latest/metrics.json").read_text())

    def killed(*args, **kwargs):
        raise Killed  # the moment after which Keras alone had deleted its backup

    monkeypatch.setattr(runs, "finish", killed)
    with pytest.raises(Killed):
        train.main(["--runs_dir", str(tmp_path), "--quick"])
    monkeypatch.undo()
    run_dir = runs.newest_unfinished(tmp_path / "iris")
    history = (run_dir / "history.csv").read_text()
    assert json.loads((run_dir / "backup" / "training_metadata.json").read_text())["finished"]
    capsys.readouterr()

    train.main(["--runs_dir", str(tmp_path), "--resume"])
    out = capsys.readouterr().out
    assert "training had finished" in out and "Epoch " not in out
    assert (run_dir / "history.csv").read_text() == history  # no epoch trained again
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test_loss"] == pytest.approx(expected["test_loss"], rel=1e-5)
    assert metrics["test_accuracy"] == expected["test_accuracy"]
    assert not (run_dir / "backup").exists()


def test_diverging_run_stops_with_one_line_and_leaves_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        train.main(["--runs_dir", str(tmp_path), "--quick", "--learning_rate=1e30"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "diverged" in err[0]
    assert "epoch 1" in err[0] and "--learning_rate" in err[0]
    assert not any((tmp_path / "iris").iterdir())


def test_predict_refuses_an_unfinished_run(tmp_path, capsys):
    (tmp_path / "model.keras").write_text("half")
    with pytest.raises(SystemExit) as info:
        iris_predict.main(["--run", str(tmp_path), "5", "3", "1", "0.2"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "did not finish" in err and err.count("\n") == 1


def test_new_runs_never_collide(tmp_path):
    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(lambda _: runs.make_run_dir(tmp_path), range(32)))
    assert len(set(made)) == 32 and all(p.is_dir() for p in made)


def test_latest_moves_only_when_a_run_finishes(tmp_path):
    flags = {"runs_dir": str(tmp_path), "resume": None, "overrides": {}, "quick": False}
    with runs.run_directory("iris", IrisConfig, IrisConfig(), flags) as (_, first):
        pass
    runs.write_metrics(first, {"test_accuracy": 1.0})
    runs.point_latest(first)
    with runs.run_directory("iris", IrisConfig, IrisConfig(), flags) as (_, second):
        assert (tmp_path / "iris" / "latest").resolve() == first  # not the one in progress
    assert runs.newest_unfinished(tmp_path / "iris") == second
    with pytest.raises(UserError):
        with runs.run_directory("iris", IrisConfig, IrisConfig(), flags) as (_, third):
            raise UserError("bad data")
    assert not third.exists() and (tmp_path / "iris" / "latest").resolve() == first


def test_unwritable_runs_dir_is_one_line(tmp_path):
    flags = {"runs_dir": "/dev/null/x", "resume": None, "overrides": {}, "quick": False}
    with pytest.raises(UserError, match="cannot create a run directory"):
        with runs.run_directory("iris", IrisConfig, IrisConfig(), flags):
            pass


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


def test_history_has_the_logs_columns_and_keeps_them_when_a_run_appends(tmp_path):
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 1), "float32")
    logger = runs.HistoryLogger(str(tmp_path / "history.csv"), append=True)
    model.fit(x, x, epochs=2, callbacks=[logger], verbose=0)  # no validation: no val_ columns
    assert (tmp_path / "history.csv").read_text().splitlines()[0] == "epoch,loss"
    logger = runs.HistoryLogger(str(tmp_path / "history.csv"), append=True)
    model.fit(x, x, validation_data=(x, x), initial_epoch=2, epochs=3, callbacks=[logger],
              verbose=0)  # fmt: skip
    rows = (tmp_path / "history.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss" and len(rows) == 4 and rows[3].startswith("2,")


def test_history_rows_past_the_backup_are_trimmed(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "training_metadata.json").write_text('{"epoch": 2}')
    (tmp_path / "history.csv").write_text("epoch,loss\n0,0.9\n1,0.8\n2,0.7\n")
    assert runs._trim_history(tmp_path) == 2
    assert (tmp_path / "history.csv").read_text().splitlines() == ["epoch,loss", "0,0.9", "1,0.8"]


def test_resume_picks_the_newest_unfinished_run_id(tmp_path):
    for name in ["20261126-050000", "20261126-050000-2", "20261126-050000-10", "benchmark"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    assert runs.newest_unfinished(tmp_path).name == "20261126-050000-10"
    (tmp_path / "20261126-050000-10" / "metrics.json").write_text("{}")
    assert runs.newest_unfinished(tmp_path).name == "20261126-050000-2"


def test_progress_counts_every_step_of_a_call_of_several(capsys):
    """With steps_per_execution, Keras reports once per call of several steps: the words per
    second and the figure's points must count all of them."""
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    progress = runs.Progress(steps=8, epochs=2, items_per_step=10, every=0)
    x = np.zeros((64, 1), "float32")
    model.fit(x, x, batch_size=8, epochs=2, callbacks=[progress], verbose=0)
    assert progress.done == 16
    assert [p[0] for p in progress.points] == [40, 80, 120, 160]  # items seen at each line
    assert "epoch 2/2 step 8/8" in capsys.readouterr().out


class FakeClock:
    """Stands for the time module in common.runs: its time() is what the test has moved it to."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(runs, "time", fake)
    return fake


def test_progress_counts_minutes_of_training_not_the_measuring_between_epochs(clock):
    """A fake clock: the first step takes a minute (it compiles), each other a second, each pass
    over the held-out data after an epoch a hundred, a measurement within each epoch fifty.
    --max_minutes (10 s) and the schedule that ends with them count the steps after the first
    alone: on the wall clock the run would stop in its first."""
    import keras
    import numpy as np

    from common.optimizers import CosineSchedule

    class Step(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            clock.now += 1 if progress.done else 60

    progress = runs.Progress(steps=4, epochs=4, items_per_step=1, max_minutes=10 / 60, every=1e9)
    schedule = CosineSchedule(1.0, 0.0, total_steps=10**9, max_minutes=10 / 60,
                              clock=progress.seconds)  # fmt: skip
    shares, at_epoch_end = [], []

    class Measure(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            shares.append(schedule.share())

        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                with progress.pause():  # a measurement within the epoch
                    clock.now += 50

        def on_epoch_end(self, epoch, logs=None):
            with progress.pause():  # already a pause: counted out once
                clock.now += 100
            at_epoch_end.append(progress.seconds())

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((32, 1), "float32")
    callbacks = [Step(), progress, schedule, Measure()]
    model.fit(x, x, batch_size=8, epochs=4, callbacks=callbacks, verbose=0)
    assert progress.done == 12  # the first, 10 s of steps, then the one that passed them
    assert at_epoch_end == [3, 7, 11]
    assert progress.pace() == pytest.approx(1.0)  # an item a second, the compilation left out
    grace = CosineSchedule.GRACE  # the minutes' share starts late, to end with them
    by_minutes = [max(0, (k / 10 - grace) / (1 - grace)) for k in range(11)]
    assert shares == pytest.approx([0, *by_minutes], abs=1e-6)  # the last: 1


def test_runs_whose_steps_end_first_take_the_same_rates_whatever_their_pace(clock):
    """Two runs of 12 steps and a 30-second limit, one compiling for 2 s and stepping in 1, the
    other compiling for 40 s and stepping in 2: both finish their steps in time, so both take
    the rates of the steps' schedule alone (a clock that counted the compilation would have put
    the second at the end of its schedule from its first step on)."""
    import keras
    import numpy as np

    from common.optimizers import CosineSchedule

    def rates(compile_seconds, step_seconds):
        progress = runs.Progress(4, 3, 1, max_minutes=0.5, every=1e9)
        schedule = CosineSchedule(1.0, 0.0, 12, max_minutes=0.5, clock=progress.seconds)
        taken = []

        class Step(keras.callbacks.Callback):  # first: the step's time has passed at its end
            def on_train_batch_end(self, batch, logs=None):
                clock.now += step_seconds if progress.done else compile_seconds

        class Record(keras.callbacks.Callback):  # after the schedule has set the rate
            def on_train_batch_begin(self, batch, logs=None):
                taken.append(float(self.model.optimizer.learning_rate))

        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        x = np.zeros((32, 1), "float32")
        callbacks = [Step(), progress, schedule, Record()]
        model.fit(x, x, batch_size=8, epochs=3, callbacks=callbacks, verbose=0)
        return taken

    by_steps = [0.5 * (1 + np.cos(np.pi * k / 12)) for k in range(12)]
    assert rates(2, 1) == rates(40, 2) == pytest.approx(by_steps, abs=1e-6)


def test_a_resumed_run_keeps_its_minutes_of_training(tmp_path, clock):
    """Killed in its second epoch and resumed, a run with --max_minutes (10 s of one-second
    steps, a schedule ending with them) makes the uninterrupted run's steps at its learning
    rates: the minutes trained before the kill count, from history.csv, not again from zero.
    Each process's first step compiles, for 40 s: a new run's is left out of the clock, and a
    resumed process's counts as long as the run's steps took on average, as in the
    uninterrupted run."""
    import keras
    import numpy as np

    from common.optimizers import CosineSchedule

    def run(workdir, kill_at=None):
        """Steps of one second after the first; `kill_at` (epoch, step) stands for a
        SIGKILL there."""
        progress = runs.Progress(4, 3, 1, max_minutes=9 / 60, every=1e9, workdir=workdir)
        schedule = CosineSchedule(1.0, 0.0, 10**9, max_minutes=9 / 60, clock=progress.seconds)
        rates = []

        class Step(keras.callbacks.Callback):  # first: the step's time has passed at its end
            def on_train_batch_end(self, batch, logs=None):
                clock.now += 1 if progress.done else 40

        class Record(keras.callbacks.Callback):  # after the schedule has set the rate
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_begin(self, batch, logs=None):
                if (self.epoch, batch) == kill_at:
                    raise Killed
                rates.append(float(self.model.optimizer.learning_rate))

        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        x = np.zeros((32, 1), "float32")
        callbacks = [Step(), progress, schedule, Record(),
                     *runs.standard_callbacks(workdir, tensorboard=False)]  # fmt: skip
        model.fit(x, x, batch_size=8, epochs=3, callbacks=callbacks, verbose=0)
        return rates, progress

    (tmp_path / "whole").mkdir()
    whole, whole_progress = run(tmp_path / "whole")
    assert len(whole) == 11  # the first (not timed), 9 s of steps, the one that passed them

    (tmp_path / "killed").mkdir()
    with pytest.raises(Killed):
        run(tmp_path / "killed", kill_at=(1, 2))
    clock.now += 500  # the machine is down a while: not training
    resumed, progress = run(tmp_path / "killed")
    assert len(resumed) == 7  # the second epoch again, then the third, cut short
    assert resumed == pytest.approx(whole[4:], abs=1e-6)
    assert progress.seconds() == whole_progress.seconds() == 10
    assert progress.position() == whole_progress.position() == (11, 10)
    assert progress.pace() == whole_progress.pace() == pytest.approx(1.0)
    # a line (and a figure's point) at each epoch's end and where the time limit stopped it
    assert [p[0] for p in whole_progress.points] == [4, 8, 11]
    minutes = runs.read_history(tmp_path / "killed")["train_minutes"]
    assert minutes * 60 == pytest.approx([3, 7, 10])
