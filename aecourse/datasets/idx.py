"""Read and validate IDX files (the format of MNIST and Fashion-MNIST).

An IDX file starts with a magic number ``0x0000TTNN`` (``TT`` the element type, ``0x08`` for
unsigned bytes, ``NN`` the number of dimensions), then one big-endian ``uint32`` per dimension,
then the data. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

UBYTE = 0x08


class DataError(ValueError):
    """A data file is missing, truncated, corrupt or of the wrong kind."""


def read_bytes(path: Path) -> bytes:
    """Return the (decompressed) content of ``path``."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(
            f"{path}: cannot be read ({err}). The file is damaged or truncated; "
            "delete it and load again to download a fresh copy."
        ) from err


def parse_idx(data: bytes, shape: tuple[int, ...], name: str = "file") -> np.ndarray:
    """Parse IDX ``data`` as a uint8 array, checking it has exactly ``shape``.

    Parameters
    ----------
    data : bytes
        The decompressed file content.
    shape : tuple of int
        The expected shape; ``-1`` in the first place accepts any number of items.
    name : str
        How to name the file in error messages.
    """
    ndim = len(shape)
    header_len = 4 + 4 * ndim
    hint = "Replace it with the original file (or delete it to download it again)."
    if len(data) < header_len:
        raise DataError(f"{name}: only {len(data)} bytes, too short for an IDX header. {hint}")
    zero, dtype, nd = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != UBYTE or nd != ndim:
        raise DataError(
            f"{name}: not an IDX file of {ndim}-D unsigned bytes "
            f"(magic number {data[:4].hex()}, expected 0000080{ndim}). {hint}"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    for found, expected in zip(dims, shape, strict=True):
        if expected not in (-1, found):
            raise DataError(
                f"{name}: header says shape {dims}, expected {tuple(shape)}. "
                f"Is this the right file? {hint}"
            )
    expected_len = header_len + int(np.prod(dims))
    if len(data) != expected_len:
        raise DataError(
            f"{name}: {len(data)} bytes, but its header {dims} needs {expected_len}; "
            f"the file is truncated or has trailing data. {hint}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def load_idx(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """Read the IDX file at ``path`` (gzip or raw) and check its shape."""
    return parse_idx(read_bytes(path), shape, name=str(path))


def to_idx(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX bytes (for tests and for bundling samples)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()
