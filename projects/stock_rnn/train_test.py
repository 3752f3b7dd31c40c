"""Seconds-long checks of the stock template on synthetic CSVs the tests write themselves."""

import dataclasses
import json

import keras
import numpy as np
import pandas as pd
import pytest

from common.config import save_config
from common.errors import UserError
from common.export import check_fresh_process
from common.testing import run_module

from . import NAME, data, predict
from .baselines import drift, forecast_metrics
from .config import Config
from .model import build_model, fit_stats
from .train import train_and_evaluate

DAYS = 400


def write_csv(path, close, dates=None, date_format="%Y-%m-%d"):
    dates = pd.bdate_range("2010-01-04", periods=len(close)) if dates is None else dates
    frame = pd.DataFrame(
        {
            "Date": [d.strftime(date_format) for d in dates],
            "Open": close,
            "High": close,
            "Low": close,
            "Close": close,
            "Adj Close": close,
            "Volume": 1000,
        }
    )
    frame.to_csv(path, index=False)
    return path


def random_walk(days=DAYS, seed=0):
    steps = np.random.default_rng(seed).normal(0.0003, 0.01, days)
    return 100 * np.exp(np.cumsum(steps))


def quick_config(csv, **changes):
    return dataclasses.replace(Config().quick(), csv=str(csv), **changes)


def test_windows_on_a_tiny_series():
    x, y, last = data.windows(np.array([1, 2, 3, 4, 5, 6]), lookback=3)
    np.testing.assert_array_equal(x, [[1, 2, 3], [2, 3, 4], [3, 4, 5]])
    np.testing.assert_array_equal(y, [4, 5, 6])
    np.testing.assert_array_equal(last, [3, 4, 5])


def test_no_window_crosses_a_split_boundary(tmp_path):
    days = np.arange(1.0, 201.0)  # each price is its own day number
    prices = data.read_prices(write_csv(tmp_path / "p.csv", days))
    parts = data.split(prices, quick_config("", val_fraction=0.2, test_fraction=0.2))
    assert [len(p.y) + 10 for p in parts.values()] == [120, 40, 40]
    bounds = {"train": (1, 120), "val": (121, 160), "test": (161, 200)}
    for name, part in parts.items():
        low, high = bounds[name]
        assert part.x.min() >= low and part.y.max() <= high, name
        assert part.y[0] == low + 10  # the first target follows a full window of its own part
        assert part.dates[0] == prices.index[int(part.y[0]) - 1]


def test_baselines_on_known_series():
    x, y, last = data.windows(np.arange(100.0, 130.0), lookback=5)
    m = forecast_metrics(y, y, last, x, ma_days=5)  # a perfect forecast of a linear trend
    assert m["persistence_mae"] == 1.0  # tomorrow = today is one unit short every day
    assert m["moving_average_mae"] == 3.0  # the mean of the last 5 lags by 2, plus 1
    assert m["mase"] == 0.0 and m["direction_accuracy"] == 1.0 and m["always_up_accuracy"] == 1.0
    x, y, last = data.windows(np.full(20, 50.0), lookback=5)  # a constant
    m = forecast_metrics(y, y + 2, last, x, ma_days=3)
    assert m["persistence_mae"] == 0.0 and m["moving_average_mae"] == 0.0
    assert m["test_mae"] == 2.0 and m["mase"] == float("inf") and m["always_up_accuracy"] == 0.0


def test_drift_baseline():
    np.testing.assert_allclose(drift(np.array([100.0, 200.0]), np.log(1.01)), [101.0, 202.0])


def test_model_carries_its_scaling():
    config = dataclasses.replace(Config(), lookback=5, units=(4, 3))
    prices = random_walk(50)
    _, serve = build_model(config, fit_stats(prices, config.target))
    out = np.asarray(serve(prices[None, :5].astype("float32")))
    assert out.shape == (1,)
    assert 0.5 * prices[4] < out[0] < 2 * prices[4]  # a price near the last one, untrained


def test_test_period_never_reaches_training(tmp_path):
    """Changing every price of the test period changes nothing in the fitted model."""
    prices = random_walk()
    n_test = int(round(DAYS * Config().test_fraction))
    altered = prices.copy()
    altered[-n_test:] *= np.random.default_rng(1).uniform(0.5, 1.5, n_test)
    weights = []
    for i, series in enumerate((prices, altered)):
        csv = write_csv(tmp_path / f"p{i}.csv", series)
        workdir = tmp_path / f"run{i}"
        workdir.mkdir()
        metrics = train_and_evaluate(quick_config(csv), workdir, verbose=0)
        weights.append(keras.saving.load_model(workdir / "model.keras").get_weights())
        assert np.isfinite(metrics["mase"])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stock")
    csv = write_csv(folder / "prices.csv", random_walk())
    workdir = folder / "run"
    workdir.mkdir()
    config = quick_config(csv, walk_forward=2, finetune_epochs=1)
    return workdir, csv, train_and_evaluate(config, workdir, verbose=0)


def test_quick_run_metrics_and_figures(quick_run):
    workdir, _, metrics = quick_run
    keys = (
        "test_mae",
        "persistence_mae",
        "mase",
        "rmse",
        "mape",
        "direction_accuracy",
        "drift_mase",
    )
    for key in keys:
        assert np.isfinite(metrics[key]), key
    assert 0 <= metrics["direction_accuracy"] <= 1
    assert np.isfinite(metrics["walk_forward_mase_mean"]) and "walk_forward_mase_2" in metrics
    for name in ("forecast.png", "residuals.png", "curves.png", "export", "model.keras"):
        assert (workdir / name).exists(), name


def test_export_round_trip(quick_run):
    workdir, _, _ = quick_run
    window = random_walk(10, seed=5).astype("float32")[None, :]
    answers = check_fresh_process(workdir, window, imports=[f"{__package__}.model"])
    np.testing.assert_allclose(answers["export"], answers["keras"], rtol=1e-5)


def test_predict_forecasts_the_next_weekday(quick_run, capsys, tmp_path):
    workdir, csv, _ = quick_run
    save_config(quick_config(csv, walk_forward=2, finetune_epochs=1), workdir / "config.json")
    friday = pd.bdate_range("2012-01-02", periods=60)[-1]
    assert friday.day_of_week == 4
    short = write_csv(
        tmp_path / "recent.csv", random_walk(60), pd.bdate_range(end=friday, periods=60)
    )
    predict.main(["--run", str(workdir), str(short)])
    out = capsys.readouterr().out
    monday = (friday + pd.Timedelta(days=3)).date()
    assert out.startswith(f"Close forecast for {monday}")


def test_too_many_walk_forward_windows_is_one_line(tmp_path):
    csv = write_csv(tmp_path / "prices.csv", random_walk())
    workdir = tmp_path / "run"
    workdir.mkdir()
    with pytest.raises(UserError, match="--walk_forward=1000 leaves windows under 5 days"):
        train_and_evaluate(quick_config(csv, walk_forward=1000), workdir, verbose=0)
    assert not (workdir / "history.csv").exists()  # refused before training


# the run contract on JAX, with TensorFlow made unimportable
def test_quick_run_and_predict_on_jax_without_tensorflow(tmp_path):
    csv = write_csv(tmp_path / "prices.csv", random_walk())
    done = run_module(f"{__package__}.train", ["--quick", f"--csv={csv}", f"--runs_dir={tmp_path}"])
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / NAME / "latest"
    assert np.isfinite(json.loads((run / "metrics.json").read_text())["mase"])
    assert (run / "model.keras").exists() and not (run / "export").exists()
    answer = run_module(f"{__package__}.predict", ["--run", run, csv])
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert answer.stdout.startswith("Close forecast for ")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: f.drop(columns="Close"), "no 'Close' column"),
        (lambda f: f.assign(Date="someday"), "cannot read the Date column"),
        (lambda f: f.assign(Date=f.Date.where(f.index != 3, f.Date[2])), "appears twice"),
        (lambda f: f.iloc[::-1], "not in increasing order"),
        (lambda f: f.assign(Close=f.Close.where(f.index != 5, np.nan)), "is empty"),
        (lambda f: f.assign(Close=f.Close.where(f.index != 5, -3.0)), "must be positive"),
        (lambda f: f.head(20), "has 20 rows; this needs at least"),
    ],
)
def test_csv_errors_are_one_line(tmp_path, edit, message):
    path = write_csv(tmp_path / "ok.csv", random_walk(100))
    edit(pd.read_csv(path)).to_csv(path, index=False)
    with pytest.raises(UserError, match=message) as info:
        data.read_prices(path, min_rows=50)
    assert "\n" not in str(info.value)


def test_yahoo_us_dates_are_read(tmp_path):
    path = write_csv(tmp_path / "us.csv", random_walk(30), date_format="%m/%d/%Y")
    assert data.read_prices(path).index[0] == pd.Timestamp("2010-01-04")


@pytest.mark.slow
def test_registry_copy_of_sp500(tmp_path, monkeypatch):
    monkeypatch.setenv("DLT_CACHE_DIR", str(tmp_path))
    prices = data.read_prices(data.series_path("sp500"))
    assert len(prices) == 5031 and prices.index[0] == pd.Timestamp("1999-01-04")
