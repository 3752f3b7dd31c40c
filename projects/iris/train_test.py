"""Seconds-long checks of the Iris template: split, model, training, figures, export, predict."""

import dataclasses
import json

import numpy as np
import pytest

from common.errors import UserError
from common.export import check_fresh_process
from common.testing import run_module

from . import NAME, data, predict
from .config import Config
from .model import build_model
from .train import train_and_evaluate


def test_split_is_stratified_and_disjoint():
    split = data.load(0.2, 0.2, seed=0)
    assert (len(split.x_train), len(split.x_val), len(split.x_test)) == (96, 24, 30)
    assert np.bincount(split.y_test).tolist() == [10, 10, 10]
    assert split.x_train.dtype == np.float32
    # the three parts are a partition of the 150 flowers: none is in two parts
    parts = np.concatenate([split.x_train, split.x_val, split.x_test])
    everything = data.load_iris().data.astype("float32")
    np.testing.assert_array_equal(np.unique(parts, axis=0), np.unique(everything, axis=0))
    assert (
        np.bincount(np.concatenate([split.y_train, split.y_val, split.y_test])).tolist() == [50] * 3
    )
    np.testing.assert_array_equal(split.one_hot(np.array([2]))[0], [0, 0, 1])


def test_model_scales_raw_centimetres_itself():
    split = data.load(0.2, 0.2, seed=0)
    model = build_model(Config(), split.x_train)
    scaled = model.get_layer("zscore")(split.x_train)
    np.testing.assert_allclose(np.mean(scaled, axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.std(scaled, axis=0), 1.0, atol=1e-4)
    p = np.asarray(model(split.x_test))
    assert p.shape == (30, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("iris")
    return workdir, train_and_evaluate(Config().quick(), workdir)


def test_quick_run_has_finite_metrics_and_figures(quick_run):
    workdir, metrics = quick_run
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and np.isfinite(metrics["test_loss"])
    assert metrics["test_accuracy"] > 0.5  # far above chance (1/3) even after 30 epochs
    for name in ("curves.png", "confusion_matrix.png", "model.keras", "export", "metrics.json"):
        assert (workdir / name).exists(), name


def test_export_takes_raw_measurements(quick_run):
    workdir, _ = quick_run
    flowers = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype="float32")
    answers = check_fresh_process(workdir, flowers)
    np.testing.assert_allclose(answers["export"], answers["keras"], atol=1e-5)
    assert answers["export"].shape == (2, 3)


def test_predict_names_a_species(quick_run, capsys):
    workdir, _ = quick_run
    predict.main(["--run", str(workdir), "5.1", "3.5", "1.4", "0.2"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split()[0] in data.SPECIES


def test_predict_notes_a_measurement_outside_the_flowers_it_learned_from(quick_run, capsys):
    workdir, _ = quick_run
    predict.main(["--run", str(workdir), "50", "3.5", "1.4", "0.2"])  # mm typed as cm
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("note: sepal length 50 is outside") and "4.3 to 7.9" in lines[0]
    assert lines[1].split()[0] in data.SPECIES
    assert predict.outside_range(np.array([[5.1, 3.5, 1.4, 0.2]])) == []


@pytest.mark.parametrize(
    "values, message",
    [
        (["5.1", "3.5", "1.4"], "give 4 measurements"),
        (["5.1", "3.5", "1.4", "wide"], "must be numbers"),
        (["5.1", "3.5", "1.4", "-0.2"], "not a plausible length"),
    ],
)
def test_predict_rejects_bad_measurements(values, message):
    with pytest.raises(UserError, match=message):
        predict.parse_measurements(values)


# the run contract on JAX, with TensorFlow made unimportable
def test_quick_run_and_predict_on_jax_without_tensorflow(tmp_path):
    done = run_module(f"{__package__}.train", ["--quick", f"--runs_dir={tmp_path}"])
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / NAME / "latest"
    assert json.loads((run / "metrics.json").read_text())["test_accuracy"] > 0.5
    assert (run / "model.keras").exists() and not (run / "export").exists()
    answer = run_module(f"{__package__}.predict", ["--run", run, "5.1", "3.5", "1.4", "0.2"])
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert answer.stdout.split()[0] in data.SPECIES


@pytest.mark.slow
def test_default_config_reaches_the_target(tmp_path):
    metrics = train_and_evaluate(dataclasses.replace(Config()), tmp_path)
    assert metrics["test_accuracy"] >= 0.96
