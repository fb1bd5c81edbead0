"""Read IDX files, the format of MNIST and Fashion-MNIST.

An IDX file starts with a magic number: two zero bytes, a type code (0x08 = unsigned byte)
and the number of dimensions; then one big-endian 32-bit size per dimension; then the data.
Files ending in ``.gz`` are decompressed on the fly.
"""
import gzip
import hashlib
from pathlib import Path

import numpy as np

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """An IDX file is malformed, truncated or not what it should be."""


def read_bytes(path):
    """The (decompressed) bytes of ``path``, with a clear error for a broken gzip file."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:  # gzip raises these for truncated/corrupt files
        raise IDXError(f"{path} is corrupt or truncated ({e}); delete it and fetch it again") from e


def parse_idx(data, name="<bytes>"):
    """Parse the bytes of an IDX file into a numpy array.

    >>> import struct
    >>> parse_idx(struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([7, 8, 9])).tolist()
    [7, 8, 9]
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IDXError(f"{name} is not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        raise IDXError(f"{name} has unknown IDX type code {code:#04x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(f"{name} is truncated inside its header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[code])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise IDXError(f"{name} should hold {expected} bytes for shape {shape}, "
                       f"but holds {len(data)}: it is truncated or corrupt")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path, sha256=None):
    """Read an IDX file (optionally ``.gz``) into a numpy array.

    If ``sha256`` is given it is checked against the *decompressed* bytes, so a file
    recompressed by a package manager still verifies.

    Raises :class:`IDXError` naming the file (and the checksum expected) when it is
    corrupt, truncated or not an IDX file.
    """
    data = read_bytes(path)
    if sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise IDXError(f"{path} is corrupt: its contents have sha256 {got}, expected "
                           f"{sha256}; delete it and fetch it again")
    return parse_idx(data, str(path))
