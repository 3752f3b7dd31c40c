"""Read a PyTorch state_dict saved in the legacy (non-zip) `torch.save` format, without torch.

Some pretrained weights exist only as `.pth` files. Unpickling one with the standard pickle
module would let the file call any Python function, so this reader allows exactly what a
state_dict needs (an OrderedDict, tensors rebuilt from storages) and refuses everything else:

    weights = read_state_dict(path)       # {"_conv_stem.weight": np.ndarray (32, 3, 3, 3), ...}

The legacy format is five things in a row: three small pickles (a magic number, the protocol
version, the sizes of C types), the pickled state_dict whose tensors point at storages by key,
a pickled list of those keys, then each storage's raw bytes, preceded by its element count as a
little-endian int64, in the order of that list.
"""

import collections
import pickle
from pathlib import Path

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class NotAStateDict(ValueError):
    """The file is not a legacy torch.save state_dict this reader accepts."""


class _Storage:
    def __init__(self, kind: str):
        self.dtype = STORAGE_DTYPES[kind]


class _TensorRef:
    """A tensor as the pickle describes it: a view (offset, shape, strides) of a storage."""

    def __init__(self, storage_key, offset, shape, strides):
        self.storage_key, self.offset = storage_key, offset
        self.shape, self.strides = tuple(shape), tuple(strides)


def _rebuild_tensor(storage, offset, shape, strides, *_ignored):
    return _TensorRef(storage, offset, shape, strides)


class _RestrictedUnpickler(pickle.Unpickler):
    """Allows what a state_dict needs, nothing else; notes each storage's dtype as it goes."""

    def __init__(self, file):
        super().__init__(file)
        self.storages: dict[str, type] = {}

    ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return self.ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return _Storage(name)
        raise NotAStateDict(f"refuses to load {module}.{name}: a state_dict never needs it")

    def persistent_load(self, pid):
        # ("storage", storage type, key, location, element count, view metadata)
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise NotAStateDict(f"unexpected persistent id {pid!r}")
        kind, key = pid[1], str(pid[2])
        if not isinstance(kind, _Storage):
            raise NotAStateDict(f"unexpected storage type {kind!r}")
        self.storages[key] = kind.dtype
        return key


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """{parameter name: numpy array} of a legacy torch.save file (see the module docstring)."""
    with open(path, "rb") as f:
        try:
            header = [_RestrictedUnpickler(f).load() for _ in range(3)]
        except (pickle.UnpicklingError, EOFError, ValueError) as err:
            raise NotAStateDict(f"{path}: not a legacy torch.save file ({err})") from None
        if header[0] != MAGIC or header[1] != PROTOCOL:
            raise NotAStateDict(f"{path}: not a legacy torch.save file (its header is wrong)")
        if not header[2].get("little_endian", False):
            raise NotAStateDict(f"{path}: saved on a big-endian machine, not supported")
        try:
            unpickler = _RestrictedUnpickler(f)
            tree = unpickler.load()
            keys = _RestrictedUnpickler(f).load()
        except (pickle.UnpicklingError, EOFError) as err:
            raise NotAStateDict(f"{path}: damaged ({err})") from None
        if not isinstance(tree, dict):
            raise NotAStateDict(f"{path}: holds a {type(tree).__name__}, not a state_dict")
        storages = {}
        for key in keys:
            dtype = np.dtype(unpickler.storages.get(key, np.uint8)).newbyteorder("<")
            head = f.read(8)
            count = int(np.frombuffer(head, "<i8")[0]) if len(head) == 8 else -1
            raw = f.read(max(count, 0) * dtype.itemsize)
            if count < 0 or len(raw) != count * dtype.itemsize:
                raise NotAStateDict(f"{path}: truncated (storage {key} is short)")
            storages[key] = np.frombuffer(raw, dtype)
    weights = {}
    for name, ref in tree.items():
        if not isinstance(ref, _TensorRef):
            continue
        flat = storages[ref.storage_key]
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[ref.offset :],
            shape=ref.shape,
            strides=tuple(s * itemsize for s in ref.strides),
            writeable=False,
        )
        weights[name] = np.array(view)  # a copy, contiguous, owning its memory
    return weights
