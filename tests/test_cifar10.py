"""CIFAR-10: the binary reader, safe extraction, verified downloads from a local server, and
the loaders of both backends. Tiny CIFAR-format archives are built in temporary folders and
served from 127.0.0.1; nothing touches the real network or the user's cache."""
import functools
import hashlib
import http.server
import io
import shutil
import tarfile
import threading

import numpy as np
import pytest

from d2lmini.data import archive, cifar10

N_TRAIN_PER_FILE, N_TEST = 6, 5


# ---------------------------------------------------------------- building tiny archives
def make_records(n, seed):
    """``n`` random CIFAR records and the arrays they should decode to."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    planes = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)  # R, G, B planes
    data = b"".join(bytes([lab]) + p.tobytes() for lab, p in zip(labels, planes))
    return data, planes.transpose(0, 2, 3, 1), labels.astype(np.int64)


def cifar_files():
    """{member name: bytes} of a complete tiny CIFAR-10 binary archive, and the expected
    train/test arrays."""
    files, train_x, train_y = {}, [], []
    for i, name in enumerate(cifar10.TRAIN_FILES):
        data, x, y = make_records(N_TRAIN_PER_FILE, seed=i)
        files[f"{cifar10.FOLDER}/{name}"] = data
        train_x.append(x)
        train_y.append(y)
    data, test_x, test_y = make_records(N_TEST, seed=99)
    files[f"{cifar10.FOLDER}/test_batch.bin"] = data
    files[f"{cifar10.FOLDER}/batches.meta.txt"] = "\n".join(cifar10.CLASSES).encode()
    expected = (np.concatenate(train_x), np.concatenate(train_y), test_x, test_y)
    return files, expected


def add_file(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def add_special(tar, name, kind, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    tar.addfile(info)


def write_archive(path, files, extra=None):
    """A .tar.gz with a folder entry, ``files`` and an optional ``extra(tar)`` hook."""
    with tarfile.open(path, "w:gz") as tar:
        add_special(tar, cifar10.FOLDER, tarfile.DIRTYPE)
        for name, data in files.items():
            add_file(tar, name, data)
        if extra is not None:
            extra(tar)
    return path


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty cache, no D2LMINI_DATA_DIR, no URL override, a cold load_arrays cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("D2LMINI_DATA_DIR", raising=False)
    monkeypatch.delenv("D2LMINI_CIFAR10_URL", raising=False)
    cifar10.load_arrays.cache_clear()
    yield tmp_path
    getattr(cifar10.load_arrays, "cache_clear", lambda: None)()  # may be monkeypatched


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "www"`` on 127.0.0.1; yields (folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def cache_folder(tmp_path):
    return tmp_path / "cache" / "d2lmini" / cifar10.NAME


# ---------------------------------------------------------------- the binary format
def test_parse_batch_layout():
    data, x, y = make_records(3, seed=1)
    images, labels = cifar10.parse_batch(data)
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, y)
    # byte 1 is the red value of the top-left pixel, byte 1 + 1024 its green value
    assert images[0, 0, 0, 0] == data[1] and images[0, 0, 0, 1] == data[1 + 1024]
    assert images[0, 0, 1, 0] == data[2]  # row-major: the next byte is the next column


def test_parse_batch_rejects_truncated_and_bad_labels():
    data, _, _ = make_records(2, seed=2)
    with pytest.raises(ValueError, match="truncated"):
        cifar10.parse_batch(data[:-1])
    with pytest.raises(ValueError, match="truncated"):
        cifar10.parse_batch(b"")
    with pytest.raises(ValueError, match="label 10"):
        cifar10.parse_batch(bytes([10]) + data[1:])


def test_text_labels():
    assert cifar10.text_labels([0, 3, 9]) == ["airplane", "cat", "truck"]


# ---------------------------------------------------------------- downloads
def test_good_archive_downloads_verifies_and_loads(isolated, server):
    www, base = server
    files, expected = cifar_files()
    good = write_archive(www / cifar10.ARCHIVE, files)
    X, y, Xt, yt = cifar10.load_arrays(url=f"{base}/{cifar10.ARCHIVE}", md5=md5(good))
    for got, want in zip((X, y, Xt, yt), expected):
        np.testing.assert_array_equal(got, want)
    assert X.shape == (5 * N_TRAIN_PER_FILE, 32, 32, 3) and not X.flags.writeable
    cache = cache_folder(isolated)
    assert (cache / cifar10.ARCHIVE).is_file()
    assert not [p for p in cache.iterdir() if p.name.endswith(".part")]
    # a second call finds the extracted files without the server
    cifar10.load_arrays.cache_clear()
    folder = cifar10.locate(url="http://127.0.0.1:1/nothing", md5=md5(good))
    assert (folder / "test_batch.bin").is_file()


def test_corrupt_archive_fails_checksum_and_leaves_nothing(isolated, server):
    www, base = server
    files, _ = cifar_files()
    good = write_archive(isolated / "good.tar.gz", files)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (www / cifar10.ARCHIVE).write_bytes(bytes(data))
    with pytest.raises(cifar10.DataNotFoundError, match="md5.*expected") as info:
        cifar10.locate(url=f"{base}/{cifar10.ARCHIVE}", md5=md5(good))
    assert "not found" in str(info.value)
    assert not (cache_folder(isolated) / cifar10.ARCHIVE).exists()


def test_truncated_archive_is_refused(isolated, server):
    www, base = server
    files, _ = cifar_files()
    good = write_archive(isolated / "good.tar.gz", files)
    (www / cifar10.ARCHIVE).write_bytes(good.read_bytes()[:-200])
    url = f"{base}/{cifar10.ARCHIVE}"
    with pytest.raises(cifar10.DataNotFoundError, match="corrupt"):
        cifar10.locate(url=url, md5=md5(good))
    # even without a checksum, reading the archive to its end catches the truncation
    with pytest.raises(archive.ArchiveError, match="truncated or corrupt"):
        cifar10.locate(url=url, md5=None)
    assert not (cache_folder(isolated) / cifar10.ARCHIVE).exists()
    assert not (cache_folder(isolated) / cifar10.EXTRACTED).exists()


def test_offline_error_is_clear(isolated):
    with pytest.raises(cifar10.DataNotFoundError) as info:
        cifar10.locate(url="http://127.0.0.1:1/cifar-10-binary.tar.gz")
    message = str(info.value)
    assert "not found" in message and "D2LMINI_DATA_DIR" in message


UNSAFE = {
    "parent": (lambda tar: add_file(tar, "../escaped.txt", b"x"), "'..' component"),
    "nested parent": (lambda tar: add_file(tar, f"{cifar10.FOLDER}/../../escaped.txt", b"x"),
                      "'..' component"),
    "absolute": (lambda tar: add_file(tar, "/evil/escaped.txt", b"x"), "absolute path"),
    "symlink": (lambda tar: add_special(tar, f"{cifar10.FOLDER}/link", tarfile.SYMTYPE,
                                       "/etc/passwd"), "symbolic link"),
    "hardlink": (lambda tar: add_special(tar, f"{cifar10.FOLDER}/hard", tarfile.LNKTYPE,
                                         f"{cifar10.FOLDER}/test_batch.bin"), "hard link"),
    "char device": (lambda tar: add_special(tar, f"{cifar10.FOLDER}/dev", tarfile.CHRTYPE),
                    "character device"),
    "block device": (lambda tar: add_special(tar, f"{cifar10.FOLDER}/blk", tarfile.BLKTYPE),
                     "block device"),
    "fifo": (lambda tar: add_special(tar, f"{cifar10.FOLDER}/pipe", tarfile.FIFOTYPE),
             "FIFO"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archive_is_refused_when_downloaded(isolated, server, case):
    extra, why = UNSAFE[case]
    www, base = server
    files, _ = cifar_files()
    bad = write_archive(www / cifar10.ARCHIVE, files, extra)
    with pytest.raises(archive.UnsafeArchiveError, match=why) as info:
        cifar10.locate(url=f"{base}/{cifar10.ARCHIVE}", md5=md5(bad))
    assert "member" in str(info.value)
    # nothing written: not the archive, not an extraction, nothing outside
    assert not (cache_folder(isolated) / cifar10.ARCHIVE).exists()
    assert not (cache_folder(isolated) / cifar10.EXTRACTED).exists()
    assert not list(isolated.rglob("escaped.txt"))


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_safe_extract_refuses_before_writing(tmp_path, case):
    extra, why = UNSAFE[case]
    files, _ = cifar_files()
    bad = write_archive(tmp_path / "bad.tar.gz", files, extra)
    target = tmp_path / "out" / "target"
    with pytest.raises(archive.UnsafeArchiveError, match=why):
        archive.safe_extract(bad, target)
    assert not target.exists()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    assert not list(tmp_path.rglob("escaped.txt"))


def test_safe_extract_extracts_and_is_idempotent(tmp_path):
    files, _ = cifar_files()
    good = write_archive(tmp_path / "good.tar.gz", files)
    target = archive.safe_extract(good, tmp_path / "out")
    for name, data in files.items():
        assert (target / name).read_bytes() == data
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []
    assert archive.safe_extract(good, target) == target  # already there: left alone


def test_safe_extract_refuses_non_archives(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not a tar archive" * 10)
    with pytest.raises(archive.ArchiveError, match="junk.tar.gz"):
        archive.safe_extract(junk, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the search order
def test_data_dir_is_searched_first(isolated, monkeypatch):
    files, expected = cifar_files()
    data_dir = isolated / "mine"
    for name, data in files.items():
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_bytes(data)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
    # an unreachable URL proves nothing is downloaded
    X, y, Xt, yt = cifar10.load_arrays(url="http://127.0.0.1:1/x.tar.gz")
    np.testing.assert_array_equal(Xt, expected[2])
    assert not cache_folder(isolated).exists()


def test_archive_in_data_dir_is_verified_and_extracted_to_cache(isolated, monkeypatch):
    files, expected = cifar_files()
    data_dir = isolated / "mine"
    data_dir.mkdir()
    good = write_archive(data_dir / cifar10.ARCHIVE, files)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
    with pytest.raises(cifar10.DataNotFoundError, match="MD5"):
        cifar10.locate(url="http://127.0.0.1:1/x.tar.gz")  # the official MD5 does not match
    folder = cifar10.locate(url="http://127.0.0.1:1/x.tar.gz", md5=md5(good))
    assert cache_folder(isolated) in folder.parents
    np.testing.assert_array_equal(cifar10.read_batch(folder / "test_batch.bin")[0], expected[2])


# ---------------------------------------------------------------- the loaders
@pytest.fixture
def tiny_cifar(isolated, monkeypatch):
    files, expected = cifar_files()
    data_dir = isolated / "mine"
    for name, data in files.items():
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_bytes(data)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
    for var in ("D2LMINI_QUICK", "D2LMINI_MAX_EXAMPLES", "D2LMINI_MAX_TEST_EXAMPLES"):
        monkeypatch.delenv(var, raising=False)
    return expected


def test_torch_loader(tiny_cifar):
    torch = pytest.importorskip("torch")
    from d2lmini.backend_torch.cifar10 import load_data_cifar10
    train_iter, test_iter = load_data_cifar10(4)
    assert train_iter.num_examples == 5 * N_TRAIN_PER_FILE and len(test_iter) == 2
    X, y = next(iter(test_iter))
    assert X.shape == (4, 3, 32, 32) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= float(X.min()) and float(X.max()) <= 1
    np.testing.assert_allclose(X.permute(0, 2, 3, 1).numpy(), tiny_cifar[2][:4] / 255,
                               atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), tiny_cifar[3][:4])
    assert train_iter.classes == cifar10.CLASSES and train_iter.data_name == "CIFAR-10"
    aug_iter, _ = load_data_cifar10(4, augment=True)
    Xa, _ = next(iter(aug_iter))
    assert Xa.shape == (4, 3, 32, 32)
    X96, _ = next(iter(load_data_cifar10(2, resize=48)[1]))
    assert X96.shape == (2, 3, 48, 48)


def test_tf_loader(tiny_cifar):
    pytest.importorskip("tensorflow")
    from d2lmini import tensorflow  # noqa: F401  (quiets TensorFlow's logging)
    import tensorflow as tf
    from d2lmini.backend_tf.cifar10 import load_data_cifar10
    train_iter, test_iter = load_data_cifar10(4)
    X, y = next(iter(test_iter))
    assert X.shape == (4, 32, 32, 3) and X.dtype == tf.float32 and y.dtype == tf.int32
    np.testing.assert_allclose(X.numpy(), tiny_cifar[2][:4] / 255, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), tiny_cifar[3][:4])
    aug_iter, _ = load_data_cifar10(4, augment=True)
    Xa, _ = next(iter(aug_iter))
    assert Xa.shape == (4, 32, 32, 3)


def test_bad_arguments_are_value_errors(tiny_cifar):
    from d2lmini.backend_torch.cifar10 import load_data_cifar10
    with pytest.raises(ValueError, match="batch_size"):
        load_data_cifar10(0)
    with pytest.raises(ValueError, match="resize"):
        load_data_cifar10(4, resize=-1)


@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_substitute_is_stated(backend, isolated, monkeypatch, capsys):
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "64")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "32")

    def missing(**kwargs):
        raise cifar10.DataNotFoundError("CIFAR-10 not found (test)")

    monkeypatch.setattr(cifar10, "load_arrays", missing)
    if backend == "torch":
        from d2lmini.backend_torch.cifar10 import load_data_cifar10_or_substitute
    else:
        from d2lmini import tensorflow  # noqa: F401
        from d2lmini.backend_tf.cifar10 import load_data_cifar10_or_substitute
    train_iter, test_iter, name = load_data_cifar10_or_substitute(16)
    assert name == cifar10.SUBSTITUTE and "not CIFAR-10" in name
    assert "CIFAR-10 is not on this machine" in capsys.readouterr().out
    X, y = next(iter(train_iter))
    X = np.asarray(X)
    shape = (16, 3, 32, 32) if backend == "torch" else (16, 32, 32, 3)
    assert X.shape == shape
    channels = X if backend == "tf" else X.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(channels[..., 0], channels[..., 2])  # repeated channel
    assert channels[:, :2].max() == 0 and channels[:, :, -2:].max() == 0  # 2-pixel border
    assert train_iter.classes[0] == "t-shirt"


def test_substitute_arrays_pad_and_repeat():
    pytest.importorskip("numpy")
    from d2lmini.data import fashion_mnist
    X, y, _, _ = fashion_mnist.load_arrays()
    S, Sy, _, _ = cifar10.substitute_arrays()
    assert S.shape == (len(X), 32, 32, 3) and S.dtype == np.uint8
    np.testing.assert_array_equal(S[:10, 2:30, 2:30, 1], X[:10])
    np.testing.assert_array_equal(Sy, y)




@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_augmented_batches_are_new_crops_every_pass(backend):
    x = (np.arange(8 * 32 * 32 * 3) % 251 + 1).astype(np.uint8).reshape(8, 32, 32, 3)
    if backend == "torch":
        from d2lmini.backend_torch.cifar10 import _CifarLoader
    else:
        from d2lmini import tensorflow  # noqa: F401
        from d2lmini.backend_tf.cifar10 import _CifarLoader
    loader = _CifarLoader(x, np.zeros(8, np.int64), 8, augment=True, shuffle=False)
    first, second = (np.asarray(next(iter(loader))[0]) for _ in range(2))
    if backend == "torch":
        first, second = first.transpose(0, 2, 3, 1), second.transpose(0, 2, 3, 1)
    assert first.shape == (8, 32, 32, 3) and not np.array_equal(first, second)
    plain = np.asarray(next(iter(_CifarLoader(x, np.zeros(8, np.int64), 8)))[0])
    assert plain.shape[1:] in {(3, 32, 32), (32, 32, 3)}


# ---------------------------------------------------------------- one error, one search
def write_tree(folder, files):
    """Write ``{relative name: bytes}`` under ``folder``."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


class TestOneNotFoundError:
    def test_one_class_for_both_data_sets(self):
        from d2lmini.data import datadir, fashion_mnist
        assert cifar10.DataNotFoundError is fashion_mnist.DataNotFoundError
        assert cifar10.DataNotFoundError is datadir.DataNotFoundError
        assert issubclass(datadir.DataNotFoundError, FileNotFoundError)

    def test_cifar_error_is_caught_as_the_fashion_mnist_one(self, isolated):
        from d2lmini.data import fashion_mnist
        try:
            cifar10.locate(url="http://127.0.0.1:1/cifar-10-binary.tar.gz")
        except fashion_mnist.DataNotFoundError as e:
            message = str(e)
        else:
            pytest.fail("no DataNotFoundError")
        assert "not found" in message and "D2LMINI_DATA_DIR" in message
        assert str(cache_folder(isolated)) in message  # the folders searched are listed

    def test_bad_data_dir_is_not_a_data_not_found_error(self, isolated, monkeypatch):
        # a folder the user names but that is missing must not turn into the stand-in
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(isolated / "no-such-folder"))
        with pytest.raises(FileNotFoundError, match="D2LMINI_DATA_DIR") as info:
            cifar10.locate(url="http://127.0.0.1:1/x.tar.gz")
        assert not isinstance(info.value, cifar10.DataNotFoundError)
        with pytest.raises(FileNotFoundError, match="D2LMINI_DATA_DIR"):
            cifar10.loaders_or_substitute(_FakeLoader, 4)


class TestOneSearch:
    def test_found_in_the_same_folder_as_fashion_mnist(self, isolated, monkeypatch):
        from d2lmini.data import datadir, fashion_mnist
        data_dir = isolated / "data"
        write_tree(data_dir / cifar10.NAME, cifar_files()[0])  # .../cifar-10/cifar-10-batches-bin
        write_tree(data_dir / fashion_mnist.NAME, {name: b"" for name in fashion_mnist.FILES})
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
        assert fashion_mnist.locate() == data_dir / fashion_mnist.NAME
        folder = cifar10.locate(url="http://127.0.0.1:1/x.tar.gz")
        assert folder == data_dir / cifar10.NAME / cifar10.FOLDER
        assert datadir.candidate_dirs(cifar10.NAME)[0] in folder.parents

    @pytest.mark.parametrize("where", ["data dir itself", "data dir / cifar-10", "cache",
                                       "cache / extracted"])
    def test_every_candidate_folder_and_form(self, isolated, monkeypatch, where):
        files, expected = cifar_files()
        flat = {name.split("/")[-1]: data for name, data in files.items()}
        data_dir = isolated / "data"
        data_dir.mkdir()
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
        folder = {"data dir itself": data_dir,
                  "data dir / cifar-10": data_dir / cifar10.NAME,
                  "cache": cache_folder(isolated),
                  "cache / extracted": cache_folder(isolated) / cifar10.EXTRACTED
                  / cifar10.FOLDER}[where]
        write_tree(folder, flat)
        assert cifar10.locate(url="http://127.0.0.1:1/x.tar.gz") == folder
        np.testing.assert_array_equal(cifar10.load_arrays(url="http://127.0.0.1:1/x")[2],
                                      expected[2])

    def test_search_order_matches_datadir(self, isolated, monkeypatch):
        files, _ = cifar_files()
        data_dir = isolated / "data"
        for folder in (data_dir / cifar10.NAME, data_dir, cache_folder(isolated)):
            write_tree(folder, files)
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
        # $D2LMINI_DATA_DIR/cifar-10 first, then $D2LMINI_DATA_DIR, then the cache
        assert cifar10.locate() == data_dir / cifar10.NAME / cifar10.FOLDER
        shutil.rmtree(data_dir / cifar10.NAME)
        assert cifar10.locate() == data_dir / cifar10.FOLDER
        monkeypatch.delenv("D2LMINI_DATA_DIR")
        assert cifar10.locate() == cache_folder(isolated) / cifar10.FOLDER

    def test_incomplete_folder_is_skipped(self, isolated, monkeypatch):
        files, _ = cifar_files()
        data_dir = isolated / "data"
        write_tree(data_dir, {k: v for k, v in files.items() if "test_batch" not in k})
        write_tree(cache_folder(isolated), files)
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
        with pytest.warns(UserWarning, match="passed over"):  # and says so
            assert cifar10.locate() == cache_folder(isolated) / cifar10.FOLDER

    def test_files_come_before_an_archive(self, isolated, monkeypatch):
        files, _ = cifar_files()
        data_dir = isolated / "data"
        data_dir.mkdir()
        (data_dir / cifar10.ARCHIVE).write_bytes(b"not looked at")
        write_tree(cache_folder(isolated), files)
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
        assert cifar10.locate() == cache_folder(isolated) / cifar10.FOLDER

    def test_unusable_archive_says_what_to_do(self, isolated, monkeypatch):
        data_dir = isolated / "data"
        data_dir.mkdir()
        (data_dir / cifar10.ARCHIVE).write_bytes(b"not an archive")
        monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
        with pytest.raises(cifar10.DataNotFoundError, match="Delete it and run again"):
            cifar10.locate()


def test_find_dir_tries_subfolders_within_each_candidate(tmp_path, monkeypatch):
    from d2lmini.data import datadir
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "data" / "deep" / "f").write_bytes(b"")
    (tmp_path / "cache" / "d2lmini" / "x").mkdir(parents=True)
    (tmp_path / "cache" / "d2lmini" / "x" / "f").write_bytes(b"")
    assert datadir.find_dir("x", ["f"]) == tmp_path / "cache" / "d2lmini" / "x"
    assert datadir.find_dir("x", ["f"], subdirs=("", "deep")) == tmp_path / "data" / "deep"
    assert datadir.find_dir("x", ["f", "g"], subdirs=("", "deep")) is None
    assert datadir.searched("x").splitlines() == [
        f"  - {tmp_path / 'data' / 'x'}", f"  - {tmp_path / 'data'}",
        f"  - {tmp_path / 'cache' / 'd2lmini' / 'x'}"]


# ---------------------------------------------------------------- the framework-free loaders
class _FakeLoader:
    """Records what a backend's loader class would be given."""

    def __init__(self, images, labels, batch_size, augment=False, **kwargs):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.augment, self.kwargs = augment, kwargs
        self.num_examples = self.total_examples = len(labels)
        self.image_size = images.shape[1:3]


def test_loaders_without_a_framework(tiny_cifar, capsys):
    train_iter, test_iter = cifar10.loaders(_FakeLoader, 4, augment=True)
    assert train_iter.augment and not test_iter.augment  # augmentation: training data only
    assert train_iter.kwargs["shuffle"] and not test_iter.kwargs["shuffle"]
    assert train_iter.data_name == test_iter.data_name == "CIFAR-10"
    assert test_iter.classes == cifar10.CLASSES
    np.testing.assert_array_equal(test_iter.images, tiny_cifar[2])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="batch_size"):
        cifar10.loaders(_FakeLoader, 0)
    with pytest.raises(ValueError, match="resize"):
        cifar10.loaders_or_substitute(_FakeLoader, 4, resize=(1, 2, 3))


def test_loaders_or_substitute_finds_cifar_and_says_so(tiny_cifar, capsys):
    train_iter, test_iter, name = cifar10.loaders_or_substitute(_FakeLoader, 4)
    assert name == "CIFAR-10" == train_iter.data_name
    assert capsys.readouterr().out == "Data: CIFAR-10 (found on this machine)\n"


@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_backends_print_the_same_line_when_cifar_is_found(backend, tiny_cifar, capsys):
    if backend == "torch":
        pytest.importorskip("torch")
        from d2lmini.backend_torch.cifar10 import load_data_cifar10_or_substitute
    else:
        pytest.importorskip("tensorflow")
        from d2lmini import tensorflow  # noqa: F401
        from d2lmini.backend_tf.cifar10 import load_data_cifar10_or_substitute
    train_iter, test_iter, name = load_data_cifar10_or_substitute(4, augment=True)
    assert name == "CIFAR-10" and test_iter.classes == cifar10.CLASSES
    assert train_iter.augment and not test_iter.augment
    assert capsys.readouterr().out == "Data: CIFAR-10 (found on this machine)\n"


# ---------------------------------------------------------------- why real data were passed over
@pytest.fixture
def offline_with_stand_in(isolated, monkeypatch):
    """No network for CIFAR-10, and a tiny stand-in instead of the real Fashion-MNIST."""
    monkeypatch.setenv("D2LMINI_CIFAR10_URL", "http://127.0.0.1:1/cifar-10-binary.tar.gz")
    for var in ("D2LMINI_QUICK", "D2LMINI_MAX_EXAMPLES", "D2LMINI_MAX_TEST_EXAMPLES"):
        monkeypatch.delenv(var, raising=False)
    x = np.zeros((8, 32, 32, 1), np.uint8)
    y = np.zeros(8, np.int64)
    monkeypatch.setattr(cifar10, "substitute_arrays", lambda channels=3: (x, y, x, y))
    return isolated


def corrupt(data, how):
    """The bytes of a good archive, broken the way a cache's copy can be."""
    if how == "truncated":
        return data[:-200]
    data = bytearray(data)
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize("how", ["bad checksum", "truncated"])
def test_corrupt_cached_archive_is_named_when_the_stand_in_is_used(offline_with_stand_in,
                                                                  how, capsys):
    cache = cache_folder(offline_with_stand_in)
    cache.mkdir(parents=True)
    good = write_archive(offline_with_stand_in / "good.tar.gz", cifar_files()[0])
    (cache / cifar10.ARCHIVE).write_bytes(corrupt(good.read_bytes(), how))
    digest = md5(cache / cifar10.ARCHIVE)
    _, _, name = cifar10.loaders_or_substitute(_FakeLoader, 4)
    out = capsys.readouterr().out
    assert name == cifar10.SUBSTITUTE
    assert "is not on this machine" not in out  # it is, but unusable
    assert f"{cache / cifar10.ARCHIVE} has MD5 {digest}, expected {cifar10.MD5}" in out
    assert "Delete it and run again" in out and "put the official" in out
    # loaders(), with no stand-in, raises the same reason in one line
    cifar10.load_arrays.cache_clear()
    with pytest.raises(cifar10.DataNotFoundError, match=f"has MD5 {digest}, expected") as info:
        cifar10.loaders(_FakeLoader, 4)
    assert "\n" not in str(info.value)


def test_extracted_folder_missing_a_batch_is_named(offline_with_stand_in, capsys):
    folder = cache_folder(offline_with_stand_in) / cifar10.EXTRACTED / cifar10.FOLDER
    files = cifar_files()[0]
    write_tree(folder.parent, {k: v for k, v in files.items() if "test_batch" not in k})
    _, _, name = cifar10.loaders_or_substitute(_FakeLoader, 4)
    out = capsys.readouterr().out
    assert name == cifar10.SUBSTITUTE
    assert f"{folder}: it lacks test_batch.bin (5 of the 6 batch files are there)" in out
    assert f"Delete {folder.parent} and run again" in out
    with pytest.raises(cifar10.DataNotFoundError, match=r"lacks test_batch.bin") as info:
        cifar10.locate()
    assert "download failed" in str(info.value)  # and the reason the download gave


def test_extracted_folder_missing_a_batch_beside_a_good_archive(isolated):
    files = cifar_files()[0]
    cache = cache_folder(isolated)
    good = write_archive(isolated / "good.tar.gz", files)
    write_tree(cache, {cifar10.ARCHIVE: good.read_bytes()})
    extracted = cache / cifar10.EXTRACTED
    write_tree(extracted, {k: v for k, v in files.items() if "data_batch_2" not in k})
    with pytest.raises(cifar10.DataNotFoundError,
                       match=rf"lacks data_batch_2.bin .*Delete {extracted} and run again"):
        cifar10.locate(url="http://127.0.0.1:1/x.tar.gz", md5=md5(good))
    shutil.rmtree(extracted)  # what the message says to do
    assert cifar10.locate(url="http://127.0.0.1:1/x.tar.gz", md5=md5(good)) == \
        extracted / cifar10.FOLDER


def test_incomplete_data_dir_is_named_when_another_copy_is_used(isolated, monkeypatch):
    files, _ = cifar_files()
    data_dir = isolated / "data"
    write_tree(data_dir, {k: v for k, v in files.items() if "test_batch" not in k})
    write_tree(cache_folder(isolated), files)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
    with pytest.warns(UserWarning, match=rf"passed over {data_dir / cifar10.FOLDER}: it lacks "
                                         r"test_batch.bin.*using .*cache"):
        assert cifar10.locate() == cache_folder(isolated) / cifar10.FOLDER
