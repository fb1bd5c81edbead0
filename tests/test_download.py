"""Downloads against a local server: success, HTTP failure, truncation, bad checksum,
no network; and the Fashion-MNIST search order and its offline error."""
import gzip
import hashlib
import os

import numpy as np
import pytest

from d2lmini.data import datadir, download, fashion_mnist
from test_idx import idx_bytes


def test_download_succeeds_and_verifies(http_root, tmp_path):
    url, root = http_root
    (root / "a.bin").write_bytes(b"hello" * 1000)
    sha = hashlib.sha256(b"hello" * 1000).hexdigest()
    dest = download.download(f"{url}/a.bin", tmp_path / "out" / "a.bin", sha256=sha)
    assert dest.read_bytes() == b"hello" * 1000
    assert os.listdir(dest.parent) == ["a.bin"]  # no temporary file left


def test_http_error_leaves_nothing(http_root, tmp_path):
    url, _ = http_root
    with pytest.raises(download.DownloadError, match="404"):
        download.download(f"{url}/missing.bin", tmp_path / "d" / "missing.bin")
    assert os.listdir(tmp_path / "d") == []


def test_truncated_body_is_detected(http_root, tmp_path):
    url, root = http_root
    (root / "big.bin").write_bytes(os.urandom(200_000))
    with pytest.raises(download.DownloadError, match="truncated|broke off"):
        download.download(f"{url}/truncated/big.bin", tmp_path / "d" / "big.bin")
    assert os.listdir(tmp_path / "d") == []


def test_checksum_mismatch_names_expected_and_keeps_old_file(http_root, tmp_path):
    url, root = http_root
    (root / "a.bin").write_bytes(b"tampered")
    dest = tmp_path / "a.bin"
    dest.write_bytes(b"previous good copy")
    with pytest.raises(download.DownloadError, match="f" * 64):
        download.download(f"{url}/a.bin", dest, sha256="f" * 64)
    assert dest.read_bytes() == b"previous good copy"  # never replaced by a bad file


def test_offline_is_reported_as_such(closed_port_url, tmp_path):
    with pytest.raises(download.DownloadError, match="offline"):
        download.download(f"{closed_port_url}/x.gz", tmp_path / "x.gz", timeout=5)


@pytest.fixture
def empty_search_path(tmp_path, monkeypatch):
    """No Fashion-MNIST anywhere: empty data dir, empty cache, no system folder."""
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", ())
    fashion_mnist.load_arrays.cache_clear()
    yield tmp_path
    fashion_mnist.load_arrays.cache_clear()


def test_no_data_and_no_network_names_the_three_fixes(empty_search_path, closed_port_url,
                                                      monkeypatch):
    monkeypatch.setenv("D2LMINI_FASHION_MNIST_URL", closed_port_url)
    with pytest.raises(fashion_mnist.DataNotFoundError) as err:
        fashion_mnist.load_arrays()
    message = str(err.value)
    assert "D2LMINI_DATA_DIR" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "download" in message and "network" in message


def tiny_fashion_mnist(folder, n_train=30, n_test=10):
    """Write a tiny, valid set of the four files; return their content checksums."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test),
    }
    sums = {}
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        raw = idx_bytes(array)
        (folder / name).write_bytes(gzip.compress(raw))
        sums[name] = hashlib.sha256(raw).hexdigest()
    return sums


def test_downloads_into_cache_when_missing(empty_search_path, http_root, monkeypatch):
    url, root = http_root
    sums = tiny_fashion_mnist(root)
    monkeypatch.setattr(fashion_mnist, "FILES", sums)
    monkeypatch.setenv("D2LMINI_FASHION_MNIST_URL", url)
    X, y, Xt, yt = fashion_mnist.load_arrays()
    assert X.shape == (30, 28, 28) and Xt.shape == (10, 28, 28)
    assert sorted(p.name for p in datadir.cache_dir("fashion-mnist").iterdir()) == sorted(sums)


def test_corrupt_download_is_refused_and_not_kept(empty_search_path, http_root, monkeypatch):
    url, root = http_root
    sums = tiny_fashion_mnist(root)
    sums["t10k-labels-idx1-ubyte.gz"] = "a" * 64   # what the server sends is not this
    monkeypatch.setattr(fashion_mnist, "FILES", sums)
    monkeypatch.setenv("D2LMINI_FASHION_MNIST_URL", url)
    with pytest.raises(fashion_mnist.DataNotFoundError, match="a" * 64):
        fashion_mnist.load_arrays()
    assert not (datadir.cache_dir("fashion-mnist") / "t10k-labels-idx1-ubyte.gz").exists()


def test_search_order_prefers_the_users_folder(empty_search_path, monkeypatch):
    user = empty_search_path / "data" / "fashion-mnist"
    cache = datadir.cache_dir("fashion-mnist")
    tiny_fashion_mnist(cache)
    sums = tiny_fashion_mnist(user, n_train=7)
    monkeypatch.setattr(fashion_mnist, "FILES", sums)
    assert fashion_mnist.locate() == user
    assert fashion_mnist.load_arrays()[0].shape[0] == 7


def test_corrupt_local_file_names_file_and_checksum(empty_search_path, monkeypatch):
    folder = empty_search_path / "data"
    sums = tiny_fashion_mnist(folder)
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x1e" + bytes(30)))  # valid, other data
    monkeypatch.setattr(fashion_mnist, "FILES", sums)
    with pytest.raises(ValueError) as err:
        fashion_mnist.load_arrays()
    assert "train-labels-idx1-ubyte.gz" in str(err.value)
    assert sums["train-labels-idx1-ubyte.gz"] in str(err.value)
