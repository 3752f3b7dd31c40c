"""Seconds-long checks of the XOR template: data, model, training, export, predict."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from common.errors import UserError
from common.export import check_fresh_process, load_exported
from common.testing import run_module

from . import NAME, data, demos, predict
from .config import Config
from .model import build_model
from .train import train_and_evaluate


def test_data_is_xor_with_one_hot_targets():
    x, y = data.load()
    assert x.dtype == np.float32 and x.shape == (4, 2)
    np.testing.assert_array_equal(np.argmax(y, axis=1), np.logical_xor(x[:, 0], x[:, 1]))
    np.testing.assert_array_equal(y[0], [1, 0])
    np.testing.assert_array_equal(y[1], [0, 1])


def test_model_outputs_two_probabilities():
    model = build_model(Config())
    p = np.asarray(model(data.INPUTS))
    assert p.shape == (4, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("xor")
    return workdir, train_and_evaluate(Config().quick(), workdir)


def test_quick_run_solves_xor_and_writes_the_run_contract(quick_run):
    workdir, metrics = quick_run
    assert metrics["accuracy"] == 1.0 and np.isfinite(metrics["loss"])
    assert json.loads((workdir / "metrics.json").read_text()) == metrics
    for name in ("history.csv", "curves.png", "model.keras", "export", "logs"):
        assert (workdir / name).exists(), name
    assert not (workdir / "backup").exists()
    assert len((workdir / "history.csv").read_text().splitlines()) == Config().quick().epochs + 1


def test_export_round_trip_in_a_fresh_process(quick_run):
    workdir, _ = quick_run
    answers = check_fresh_process(workdir, data.INPUTS)
    np.testing.assert_allclose(answers["export"], answers["keras"], atol=1e-5)
    np.testing.assert_array_equal(np.argmax(answers["export"], axis=1), data.LABELS)


def test_linear_hidden_layer_cannot_solve_xor(tmp_path):
    config = dataclasses.replace(Config(), activation="linear")
    metrics = train_and_evaluate(config, tmp_path)
    assert metrics["accuracy"] <= 0.75  # one straight line separates at most 3 of the 4 points


def test_predict_prints_the_class(quick_run, capsys):
    workdir, _ = quick_run
    predict.main(["--run", str(workdir), "1", "0"])
    assert capsys.readouterr().out.startswith("class 1")


def test_predict_takes_numbers_in_any_notation(quick_run, capsys):
    workdir, _ = quick_run
    predict.main(["--run", str(workdir), "1e30", "-1e30"])
    assert capsys.readouterr().out.startswith("class ")


@pytest.mark.parametrize(
    "values", [["1"], ["1", "0", "1"], ["one", "0"], ["nan", "0"], ["1", "inf"], ["1e39", "0"]]
)
def test_predict_rejects_bad_inputs(values):
    with pytest.raises(UserError):
        predict.parse_inputs(values)


def test_activation_derivatives():
    z = np.array([-1.0, 0.0, 1.0], dtype="float32")
    expected = {"tanh": [0.41997, 1.0, 0.41997], "sigmoid": [0.19661, 0.25, 0.19661]}
    for name, values in expected.items():
        got = demos.derivative(keras.activations.get(name), z)
        np.testing.assert_allclose(got, values, atol=1e-3)
    relu = demos.derivative(keras.activations.get("relu"), z)
    np.testing.assert_allclose(relu[[0, 2]], [0.0, 1.0], atol=1e-3)


# the run contract on JAX, with TensorFlow made unimportable
def test_quick_run_and_predict_on_jax_without_tensorflow(tmp_path):
    done = run_module(f"{__package__}.train", ["--quick", f"--runs_dir={tmp_path}"])
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / NAME / "latest"
    assert json.loads((run / "metrics.json").read_text())["accuracy"] == 1.0
    assert (run / "model.keras").exists() and not (run / "export").exists()
    assert "on jax" in done.stdout
    assert "TensorBoard logs skipped" in done.stderr and "export/ (a TensorFlow" in done.stderr
    answer = run_module(f"{__package__}.predict", ["--run", run, "1", "0"])
    assert answer.returncode == 0 and answer.stdout.startswith("class 1"), answer.stderr[-3000:]


# a JAX run exporting through TensorFlow: make test-full (make test's 10 minutes)
@pytest.mark.slow
def test_jax_run_exports_a_saved_model_where_tensorflow_is_installed(tmp_path):
    done = run_module(
        f"{__package__}.train", ["--quick", f"--runs_dir={tmp_path}"], hide_tensorflow=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / NAME / "latest"
    served = load_exported(run)(data.INPUTS)  # here, on TensorFlow
    trained = keras.saving.load_model(run / "model.keras")(data.INPUTS)
    np.testing.assert_allclose(served, keras.ops.convert_to_numpy(trained), atol=1e-5)
    np.testing.assert_array_equal(np.argmax(served, axis=1), data.LABELS)


@pytest.mark.slow  # 24 s: fourteen networks trained; make test-full
def test_demos_write_their_three_figures(tmp_path, capsys):
    demos.main(["--out", str(tmp_path), "--epochs", "3"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "activations.png",
        "boundaries.png",
        "optimizers.png",
    ]
    printed = capsys.readouterr().out
    assert printed.count("final loss") == 9 and printed.count("/4 right") == 5
