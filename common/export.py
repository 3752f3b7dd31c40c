"""Saving a trained model twice: model.keras (to train on) and export/ (a SavedModel to serve).

The exported model takes raw inputs, because normalization, vocabularies and resizing are layers
inside it. `export_model` checks the export against the model in memory; `check_fresh_process`
reloads both files in a new Python process, the way a server would.

model.keras works on every backend. export/ needs TensorFlow (on the JAX backend too, where Keras
converts the model with jax2tf); without TensorFlow it is skipped with one log line.
"""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np

import common.augment  # noqa: F401  (registers RandomAffine, which model.keras files may hold)
from common import silenced_stderr
from common.errors import UserError
from common.runtime import has_tensorflow, note

MODEL_FILE = "model.keras"
EXPORT_DIR = "export"
TOLERANCE = 1e-4  # float32 rounding differs slightly between graph and eager execution


def export_model(model: keras.Model, workdir: Path, sample_input) -> None:
    """Write model.keras and export/ atomically, then check the export answers like the model."""
    workdir = Path(workdir)
    partial = workdir / "model.partial.keras"
    model.save(partial)
    os.replace(partial, workdir / MODEL_FILE)
    expected = keras.ops.convert_to_numpy(model(sample_input, training=False))

    if not has_tensorflow():
        note(
            f"{EXPORT_DIR}/ (a TensorFlow SavedModel for serving) skipped: TensorFlow is not "
            f"installed; {MODEL_FILE} holds the model"
        )
        reloaded = keras.saving.load_model(workdir / MODEL_FILE)
        if not np.allclose(
            expected, keras.ops.convert_to_numpy(reloaded(sample_input)), atol=TOLERANCE
        ):
            raise RuntimeError(f"the saved {MODEL_FILE} answers differently from the trained one")
        return
    staging = workdir / "export.partial"
    shutil.rmtree(staging, ignore_errors=True)
    write_saved_model(model, staging)
    shutil.rmtree(workdir / EXPORT_DIR, ignore_errors=True)
    os.replace(staging, workdir / EXPORT_DIR)

    served = load_exported(workdir)(sample_input)
    if not np.allclose(expected, served, atol=TOLERANCE):
        raise RuntimeError("the exported model answers differently from the trained one")


def write_saved_model(model: keras.Model, path: Path) -> None:
    """A SavedModel whose `serve` endpoint runs the model in inference mode.

    `model.export` calls the model without `training=False`, and Keras's Random* augmentation
    layers default to training mode, so augmentation would stay on in the served model; an
    ExportArchive with an explicit endpoint switches it off.
    """
    import tensorflow as tf

    (spec,) = model.inputs
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serve",
        fn=lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec(shape=spec.shape, dtype=spec.dtype, name=spec.name)],
    )
    archive.write_out(str(path), verbose=False)


def load_exported(workdir: Path):
    """Load export/ as a function from a numpy batch to a numpy batch (needs TensorFlow only)."""
    import tensorflow as tf

    logging.getLogger("absl").setLevel(logging.ERROR)  # jax2tf exports warn about gradients

    path = Path(workdir) / EXPORT_DIR
    if not (path / "saved_model.pb").exists():
        raise UserError(f"{path} holds no exported model; finish the run (--resume) or train anew")
    with silenced_stderr():  # first device start-up on a non-TensorFlow backend is chatty
        served = tf.saved_model.load(str(path))
    signature = served.signatures["serving_default"]
    arg_spec = signature.structured_input_signature[1]
    (input_name, spec), *_ = arg_spec.items()

    def predict(batch):
        outputs = signature(**{input_name: tf.constant(batch, dtype=spec.dtype)})
        return next(iter(outputs.values())).numpy()

    return predict


def require_finished(workdir: Path) -> None:
    """A one-line error unless the run directory finished (has metrics.json, written after its
    model): a run in progress, killed or failed may hold a half-trained model, or none."""
    workdir = Path(workdir)
    if workdir.is_dir() and not (workdir / "metrics.json").exists():
        raise UserError(
            f"{workdir} did not finish (it has no metrics.json): continue it with "
            "`--resume`, or give another run with --run"
        )


def load_for_inference(workdir: Path):
    """A predict function from export/ when present (and TensorFlow is), else from model.keras.
    Only a finished run is served (`require_finished`)."""
    workdir = Path(workdir)
    require_finished(workdir)
    if (workdir / EXPORT_DIR / "saved_model.pb").exists() and has_tensorflow():
        return load_exported(workdir)
    if (workdir / MODEL_FILE).exists():
        model = keras.saving.load_model(workdir / MODEL_FILE)
        return lambda batch: keras.ops.convert_to_numpy(model(batch, training=False))
    raise UserError(
        f"{workdir} holds neither export/ nor {MODEL_FILE}; the run did not finish "
        "(continue it with --resume) or is not a run directory"
    )


_FRESH = """
import json, sys
import numpy as np
sys.path.insert(0, {root!r})
import common  # quiet TensorFlow
import importlib
import keras
for module in {imports!r}:  # custom layers register themselves on import
    importlib.import_module(module)
from common.export import load_exported
from common.runtime import has_tensorflow
x = np.asarray(json.loads(sys.stdin.read()), dtype={dtype!r})
model = keras.saving.load_model({model!r})
answers = {{"keras": keras.ops.convert_to_numpy(model(x, training=False)).tolist()}}
if has_tensorflow():
    answers["export"] = load_exported({workdir!r})(x).tolist()
print(json.dumps(answers))
"""


def check_fresh_process(workdir: Path, sample_input, imports=()) -> dict[str, np.ndarray]:
    """Load model.keras and export/ in a new Python process and return both answers
    ({"keras": ..., "export": ...}; no "export" where TensorFlow is missing).

    `imports` names modules that define custom layers, which model.keras needs (export/ not).
    """
    workdir = Path(workdir).resolve()
    sample = np.asarray(sample_input)
    root = str(Path(__file__).resolve().parent.parent)
    code = _FRESH.format(
        root=root,
        dtype=str(sample.dtype),
        model=str(workdir / MODEL_FILE),
        workdir=str(workdir),
        imports=tuple(imports),
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(sample.tolist()),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"reloading in a fresh process failed:\n{done.stderr[-3000:]}")
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: np.asarray(v) for k, v in answers.items()}
