"""IDX parsing on files the tests write."""
import gzip
import hashlib
import struct

import numpy as np
import pytest

from d2lmini.data import idx


def idx_bytes(array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.tobytes()


def test_reads_images_and_labels_plain_and_gzipped(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    (tmp_path / "img").write_bytes(idx_bytes(images))
    with gzip.open(tmp_path / "lbl.gz", "wb") as f:
        f.write(idx_bytes(labels))
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "img"), images)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "lbl.gz"), labels)


def test_big_endian_int32_payload():
    values = np.array([1, -2, 70000], dtype=">i4")
    data = struct.pack(">BBBBI", 0, 0, 0x0C, 1, 3) + values.tobytes()
    out = idx.parse_idx(data)
    assert out.tolist() == [1, -2, 70000]
    assert out.dtype.byteorder in ("=", "<", "|")


@pytest.mark.parametrize("data, message", [
    (b"\x01\x00\x08\x01", "bad magic"),
    (struct.pack(">BBBB", 0, 0, 0x42, 1) + b"\0\0\0\1x", "unknown IDX type"),
    (struct.pack(">BBBB", 0, 0, 0x08, 3) + b"\0\0", "header"),
    (struct.pack(">BBBBI", 0, 0, 0x08, 1, 10) + b"12345", "truncated"),
])
def test_malformed_files_are_rejected_with_a_reason(data, message):
    with pytest.raises(idx.IDXError, match=message):
        idx.parse_idx(data, "x.idx")


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    payload = gzip.compress(idx_bytes(np.zeros((100, 28, 28))))
    path.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(idx.IDXError, match="train-images-idx3-ubyte.gz"):
        idx.read_idx(path)


def test_checksum_mismatch_names_file_and_expected_checksum(tmp_path):
    path = tmp_path / "labels.idx"
    path.write_bytes(idx_bytes([1, 2, 3]))
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    assert idx.read_idx(path, sha256=good).tolist() == [1, 2, 3]
    wrong = "0" * 64
    with pytest.raises(idx.IDXError) as err:
        idx.read_idx(path, sha256=wrong)
    assert "labels.idx" in str(err.value) and wrong in str(err.value)
