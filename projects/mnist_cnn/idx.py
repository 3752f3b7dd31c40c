"""The IDX format of the MNIST files: a magic number, the dimensions, then raw unsigned bytes.

magic = 0x00 0x00 <type> <number of dimensions>; type 0x08 is unsigned byte. Images are
0x00000803 (count, rows, columns), labels 0x00000801 (count). Files may be gzipped.
"""

import gzip
from pathlib import Path

import numpy as np

from common.errors import UserError

UNSIGNED_BYTE = 0x08


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a uint8 array of its declared shape."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UserError(f"cannot read {path}: {err.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise UserError(f"{path} is a damaged gzip file ({err}); download it again") from None
    return parse_idx(raw, str(path))


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise UserError(f"{name} is not an IDX file (bad magic number)")
    if raw[2] != UNSIGNED_BYTE:
        raise UserError(f"{name} holds IDX type 0x{raw[2]:02x}; only unsigned bytes are supported")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise UserError(f"{name} has a truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise UserError(
            f"{name} is truncated or padded: its header promises {expected} bytes of data "
            f"{shape}, the file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write a uint8 array as IDX (gzipped when the name ends in .gz); tests and exports use it."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.tobytes()
    path = Path(path)
    compress = path.name.endswith(".gz") if compress is None else compress
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path
