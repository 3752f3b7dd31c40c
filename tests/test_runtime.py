import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from common import runtime
from common.testing import ROOT


def test_same_seed_same_numbers():
    runtime.setup(seed=7, verbose=False)
    a = np.asarray(keras.random.normal((5,), seed=None)), np.random.rand(3)
    runtime.setup(seed=7, verbose=False)
    b = np.asarray(keras.random.normal((5,), seed=None)), np.random.rand(3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_mixed_precision_only_with_a_gpu(capsys):
    report = runtime.setup(seed=0, mixed_precision=True)
    expected = "mixed_float16" if runtime.gpus() else "float32"
    assert report["dtype_policy"] == expected == keras.mixed_precision.global_policy().name
    out, err = capsys.readouterr()
    assert "devices: " + ", ".join(runtime.devices()) in out
    assert "XLA " in out and keras.backend.backend() in out
    if not runtime.gpus():
        assert err.count("\n") == 1 and "float32" in err  # one line saying what fell back
    keras.mixed_precision.set_global_policy("float32")


def test_devices_name_the_backend_devices():
    found = runtime.devices()
    assert found and all(":" in d for d in found)
    assert set(runtime.gpus()) <= set(found)


def test_xla_is_left_to_keras_without_a_gpu():
    assert runtime.jit_compile(True) == (True if runtime.gpus() else "auto")
    assert runtime.jit_compile(False) == "auto"


def test_batches_in_order_gives_whole_batches_in_row_order():
    arrays = {"a": np.arange(22).reshape(11, 2), "b": np.arange(11, dtype="int32")}
    feed = runtime.batches_in_order(arrays, 4)
    if "batch_size" in feed:  # the arrays' whole batches, for Keras to slice
        assert feed["batch_size"] == 4 and feed["shuffle"] is False
        for key, value in feed["x"].items():
            np.testing.assert_array_equal(value, arrays[key][:8])
        return
    assert feed["shuffle"] is False  # Keras warns if a dataset comes with its default, True
    dataset = feed["x"]
    # autotuning off: its thread can hold up the end of `fit` by up to a minute
    assert dataset.options().autotune.enabled is False
    steps = [{k: v.numpy() for k, v in batch.items()} for batch in dataset]
    assert len(steps) == 2  # the three rows past the last whole batch are left out
    for i, step in enumerate(steps):
        np.testing.assert_array_equal(step["a"], arrays["a"][4 * i : 4 * i + 4])
        np.testing.assert_array_equal(step["b"], arrays["b"][4 * i : 4 * i + 4])


class _Recorder(keras.layers.Layer):
    """Passes its input on and notes the first column of every training batch it sees."""

    def __init__(self, seen):
        super().__init__()
        self.note = seen.append  # a list attribute would be copied into Keras's tracking

    def call(self, x, training=False):
        if training and not isinstance(x, keras.KerasTensor):
            try:
                self.note(keras.ops.convert_to_numpy(x)[:, 0].astype(int).tolist())
            except Exception:  # a symbolic tensor while the model is traced
                pass
        return x

    def compute_output_shape(self, shape):
        return shape


def _orders_seen(seed, epochs=3):
    runtime.setup(seed=seed, verbose=False)
    seen = []
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1)(_Recorder(seen)(inputs)))
    model.compile("sgd", "mse", run_eagerly=True)
    x = np.arange(22, dtype="float32")[:, None]
    feed = runtime.batches_shuffled(x, 2 * x, 5, seed, validation_data=(x[:7], x[:7]))
    history = model.fit(**feed, epochs=epochs, verbose=0)
    assert len(history.history["val_loss"]) == epochs  # validation ran on every epoch
    assert len(seen) == 5 * epochs  # four batches of 5 and one of 2 an epoch
    return [sum(seen[i : i + 5], []) for i in range(0, len(seen), 5)]


def test_batches_shuffled_gives_every_row_once_an_epoch_in_a_new_order():
    orders = _orders_seen(seed=3)
    assert len(orders) == 3
    for order in orders:
        assert sorted(order) == list(range(22))  # every row, the short last batch included
    assert orders[0] != orders[1] != orders[2]  # reshuffled each epoch
    assert _orders_seen(seed=3) == orders  # and the same again from the same seed


FAULTS = """
import resource
import numpy as np
from common import runtime

def faults_of_a_256_mb_array():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(64 << 20, dtype=np.float32)  # written, then freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

handed_back = [faults_of_a_256_mb_array() for _ in range(2)]
assert runtime.keep_freed_memory()
faults_of_a_256_mb_array()  # takes the memory from the system once more
print([handed_back, [faults_of_a_256_mb_array() for _ in range(2)]])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_freed_memory_is_reused_without_page_faults():
    # in a process of its own, on its main thread: a thread's own allocation arena (pytest-xdist
    # runs tests on one) serves blocks this large by mapping them afresh whatever the setting
    done = subprocess.run(
        [sys.executable, "-c", FAULTS], cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    handed_back, kept = json.loads(done.stdout.strip().splitlines()[-1])
    assert min(handed_back) > 50 and max(kept) < 20, (handed_back, kept)  # 129 or more, 2 MB pages


SHARE = """
from common import runtime
report = runtime.setup(0, branches=2, verbose=False)
import tensorflow as tf
print(report.get("cores_an_op"), tf.config.threading.get_intra_op_parallelism_threads())
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_branches_share_the_cores_out_on_tensorflow_alone(backend):
    # in a process of its own: TensorFlow takes the setting only before its runtime starts
    done = subprocess.run(
        [sys.executable, "-c", SHARE], cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "KERAS_BACKEND": backend},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    reported, threads = done.stdout.split()[-2:]
    if backend == "tensorflow":
        assert reported == str(threads) == str(max(1, runtime.cpu_cores() // 2))
    else:  # JAX runs a step on one core anyway; TensorFlow is left at its own choice (0)
        assert (reported, threads) == ("None", "0")
