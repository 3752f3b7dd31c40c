import keras
import numpy as np

from common import runtime


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
