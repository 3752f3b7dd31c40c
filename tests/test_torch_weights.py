"""common/torch_weights.py reads a legacy torch.save state_dict without torch, and refuses a
pickle that would call anything a state_dict does not need."""

import collections
import io
import os
import pickle
import sys
import types

import numpy as np
import pytest

from common.torch_weights import MAGIC, PROTOCOL, NotAStateDict, read_state_dict


def legacy_file(path, tensors: dict, monkeypatch, extra=None):
    """Write `tensors` ({name: (storage key, offset, shape, strides)}, storages given in
    `tensors["__storages__"]`) the way torch's legacy save lays them out."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class Storage:  # stands for torch.FloatStorage / LongStorage in the pickle
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called while writing")

    storages = tensors.pop("__storages__")
    kinds = {}
    for key, array in storages.items():
        kind = type({"float32": "FloatStorage", "int64": "LongStorage"}[array.dtype.name], (), {})
        kind.__module__, kind.__qualname__ = "torch", kind.__name__
        setattr(torch, kind.__name__, kind)
        kinds[key] = kind
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)

    class Tensor:
        def __init__(self, key, offset, shape, strides):
            self.args = (("ref", key), offset, shape, strides, False, collections.OrderedDict())

        def __reduce__(self):
            return _rebuild_tensor_v2, self.args

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, tuple) and len(obj) == 2 and obj[0] == "ref":
                key = obj[1]
                return ("storage", kinds[key], key, "cpu", storages[key].size, None)
            return None

    state = collections.OrderedDict((k, Tensor(*v)) for k, v in tensors.items())
    if extra is not None:
        state["extra"] = extra
    out = io.BytesIO()
    for header in (MAGIC, PROTOCOL, {"protocol_version": PROTOCOL, "little_endian": True}):
        pickle.dump(header, out, protocol=2)
    Pickler(out, protocol=2).dump(state)
    keys = sorted(storages)
    pickle.dump(keys, out, protocol=2)
    for key in keys:
        out.write(np.int64(storages[key].size).tobytes())
        out.write(storages[key].astype(storages[key].dtype.newbyteorder("<")).tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_reads_tensors_views_and_integers_as_saved(tmp_path, monkeypatch):
    flat = np.arange(12, dtype="float32")
    path = legacy_file(
        tmp_path / "w.pth",
        {
            "__storages__": {"1": flat, "2": np.array([7], dtype="int64")},
            "conv.weight": ("1", 0, (3, 4), (4, 1)),
            "conv.weight_t": ("1", 0, (4, 3), (1, 4)),  # a transposed view of the same storage
            "bias": ("1", 8, (4,), (1,)),  # an offset into it
            "steps": ("2", 0, (), ()),
        },
        monkeypatch,
    )
    weights = read_state_dict(path)
    assert set(weights) == {"conv.weight", "conv.weight_t", "bias", "steps"}
    np.testing.assert_array_equal(weights["conv.weight"], flat.reshape(3, 4))
    np.testing.assert_array_equal(weights["conv.weight_t"], flat.reshape(3, 4).T)
    np.testing.assert_array_equal(weights["bias"], [8, 9, 10, 11])
    assert weights["steps"] == 7 and weights["steps"].dtype == np.int64


class CallsTheShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_refuses_a_pickle_that_calls_anything_else(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    path = legacy_file(
        tmp_path / "evil.pth",
        {"__storages__": {"1": np.zeros(2, "float32")}, "w": ("1", 0, (2,), (1,))},
        monkeypatch,
        extra=CallsTheShell(marker),
    )
    with pytest.raises(NotAStateDict, match="posix.system|os.system"):
        read_state_dict(path)
    assert not marker.exists()


def test_damaged_files_get_a_clear_error(tmp_path, monkeypatch):
    path = legacy_file(
        tmp_path / "w.pth",
        {"__storages__": {"1": np.zeros(100, "float32")}, "w": ("1", 0, (100,), (1,))},
        monkeypatch,
    )
    truncated = tmp_path / "short.pth"
    truncated.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(NotAStateDict, match="truncated"):
        read_state_dict(truncated)
    not_torch = tmp_path / "text.pth"
    not_torch.write_text("hello")
    with pytest.raises(NotAStateDict, match="not a legacy torch.save file"):
        read_state_dict(not_torch)
