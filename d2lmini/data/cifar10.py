"""CIFAR-10 as numpy arrays, from the official *binary* version, never unpickled.

CIFAR-10 :cite:`krizhevsky2009learning` has 50,000 training and 10,000 test colour images
of 32x32 pixels in 10 classes. We read the binary version ``cifar-10-binary.tar.gz`` (no
pickle is ever loaded: unpickling a downloaded file can run arbitrary code). It holds
``cifar-10-batches-bin/data_batch_1.bin`` ... ``data_batch_5.bin`` and ``test_batch.bin``;
each is a run of 10,000 records of 3,073 bytes: one label byte (0-9), then 1,024 red, 1,024
green and 1,024 blue pixel bytes, each plane stored row by row.

The files are searched for with :func:`d2lmini.data.datadir.find_dir`, in the same folders and
order as Fashion-MNIST's:

1. ``$D2LMINI_DATA_DIR/cifar-10`` or ``$D2LMINI_DATA_DIR``: the six ``.bin`` files, a
   ``cifar-10-batches-bin`` folder holding them, or the archive ``cifar-10-binary.tar.gz``;
2. the user's cache folder ``~/.cache/d2lmini/cifar-10`` (same three forms, and the
   ``extracted/cifar-10-batches-bin`` folder an archive is extracted into);
3. a download from the official page into the cache folder (``D2LMINI_CIFAR10_URL`` overrides
   the address, e.g. for a local mirror).

All six ``.bin`` files in some folder come before any archive. When nothing is found and the
download fails, :class:`DataNotFoundError` (the one class of :mod:`d2lmini.data.datadir`, shared
with Fashion-MNIST) says where it looked and what to do. A copy found but not used is named
with the reason: a folder lacking batch files (in a warning when another copy is used), an
archive with the wrong checksum, or an extracted folder that has lost files since; the
error's ``passed_over`` lists them, and :func:`loaders_or_substitute` prints them when it
falls back to the stand-in.

An archive, found or downloaded, is checked against the MD5 the official page publishes and
then extracted with :func:`d2lmini.data.archive.safe_extract` (no absolute paths, ``..``, links or
device files) into the cache folder.
"""
import functools
import os
import warnings
from pathlib import Path

import numpy as np

from . import archive, datadir, download, fashion_mnist, loading
from .datadir import DataNotFoundError

__all__ = ["CLASSES", "DataNotFoundError", "text_labels", "parse_batch", "read_batch",
           "locate", "load_arrays", "SUBSTITUTE", "SUBSTITUTE_SHORT",
           "substitute_arrays", "loaders", "loaders_or_substitute"]

NAME = "cifar-10"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE = "cifar-10-binary.tar.gz"
# MD5 of cifar-10-binary.tar.gz as published in the "md5sum" column of the official page,
# https://www.cs.toronto.edu/~kriz/cifar.html ("CIFAR-10 binary version (suitable for C
# programs) | 162 MB | c32a1d4ab5d03f1284b67883e8d87530"); checked on 2026-11-25 against
# stored copies of that page. The page publishes no SHA-256 for it.
MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
FOLDER = "cifar-10-batches-bin"
EXTRACTED = "extracted"  # the cache's subfolder an archive is extracted into
SUBDIRS = ("", FOLDER, f"{EXTRACTED}/{FOLDER}")  # where the .bin files may sit in a folder
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
FILES = TRAIN_FILES + TEST_FILES

HEIGHT = WIDTH = 32
CHANNELS = 3
RECORD = 1 + CHANNELS * HEIGHT * WIDTH  # 3,073 bytes: label, then R, G, B planes
RECORDS_PER_FILE = 10_000  # in the official files; smaller files are accepted (tests)

CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")


def text_labels(labels):
    """Class names for integer labels.

    >>> text_labels([0, 9])
    ['airplane', 'truck']
    """
    return [CLASSES[int(i)] for i in labels]


def parse_batch(data, name="batch"):
    """Decode the bytes of one CIFAR-10 binary batch file.

    Parameters
    ----------
    data : bytes
        A whole number of 3,073-byte records.
    name : str
        Used in error messages.

    Returns
    -------
    images : uint8 array of shape (n, 32, 32, 3)
        Height, width, channels (RGB), as ``plt.imshow`` wants them.
    labels : int64 array of shape (n,)

    Raises
    ------
    ValueError
        The file is empty, its length is not a multiple of 3,073 bytes (truncated), or a
        label byte is not in 0-9.

    Example
    -------
    >>> record = bytes([3]) + bytes(range(256)) * 12
    >>> images, labels = parse_batch(record)
    >>> images.shape, labels.tolist(), images[0, 0, :3, 0].tolist()
    ((1, 32, 32, 3), [3], [0, 1, 2])
    """
    if len(data) == 0 or len(data) % RECORD:
        raise ValueError(f"{name}: {len(data)} bytes is not a whole number of {RECORD}-byte "
                         "CIFAR-10 records; the file is truncated or is not the binary "
                         "version. Delete it and download it again.")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CLASSES):
        bad = int(np.argmax(labels >= len(CLASSES)))
        raise ValueError(f"{name}: record {bad} has label {labels[bad]}, not in 0-9; the file "
                         "is corrupt or not CIFAR-10 (CIFAR-100 has a different layout).")
    planes = records[:, 1:].reshape(-1, CHANNELS, HEIGHT, WIDTH)
    return np.ascontiguousarray(planes.transpose(0, 2, 3, 1)), labels


def read_batch(path):
    """:func:`parse_batch` applied to a file."""
    path = Path(path)
    return parse_batch(path.read_bytes(), name=path.name)


def _complete(folder):
    return all((folder / f).is_file() for f in FILES)


def _incomplete(folder, missing, using=None):
    """Why ``folder``, holding only some of the batch files, was passed over (for ``using``
    instead, when given), and the fix."""
    why = datadir.incomplete(folder, missing, len(FILES), "batch files")
    if using is not None:
        why += f"; using {using} instead"
    extracted = datadir.cache_dir(NAME) / EXTRACTED
    if folder == extracted or extracted in folder.parents:  # made by us: make it again
        fix = (f"Delete {extracted} and run again: it is extracted again from the archive, "
               "or the archive is downloaded again")
    else:
        fix = (f"Copy the missing file{'s' if len(missing) > 1 else ''} into it from the "
               f"official {ARCHIVE}, or delete the others")
    return f"{why}. {fix}."


def _from_archive(path, md5, passed_over=()):
    """Verify and safely extract an archive into the cache; return the folder of .bin files.

    ``passed_over``: why other copies were passed over, kept in the error raised here.
    """
    digest = download.file_digest(path, "md5")
    if md5 is not None and digest != md5.lower():
        note = (f"{path} has MD5 {digest}, expected {md5}: it is corrupt, truncated or not "
                "the official binary version. Delete it and run again to download it anew, "
                f"or put the official {ARCHIVE} there.")
        notes = [*passed_over, note]
        raise DataNotFoundError(f"CIFAR-10 on this machine was passed over: {' '.join(notes)}",
                                passed_over=notes)
    target = datadir.cache_dir(NAME) / EXTRACTED
    existed = target.exists()
    archive.safe_extract(path, target)  # leaves an existing target as it is
    for folder in (target / FOLDER, target):
        if _complete(folder):
            return folder
    if existed:  # extracted earlier, complete (extraction is atomic), since then changed
        folder = target / FOLDER
        note = _incomplete(folder, [f for f in FILES if not (folder / f).is_file()])
        notes = [*passed_over, *([] if note in passed_over else [note])]
        raise DataNotFoundError(f"CIFAR-10 on this machine was passed over: {' '.join(notes)}",
                                passed_over=notes)
    raise archive.ArchiveError(f"{path.name} does not hold the six CIFAR-10 batch files "
                               f"({', '.join(FILES)}) in {FOLDER}/; it is not the binary "
                               f"version. Delete {path} and {target}, then run again.")


def locate(url=None, md5=MD5):
    """The folder holding the six ``.bin`` files; downloads and extracts them if need be.

    Parameters
    ----------
    url : str, optional
        Where to download the archive from; default ``$D2LMINI_CIFAR10_URL`` or the official
        address.
    md5 : str, optional
        Expected MD5 of the archive (the official one by default; ``None`` skips the check,
        for tests only).

    Warns
    -----
    UserWarning
        A folder searched before the one returned holds only some of the batch files (the
        warning names it and the files it lacks).

    Raises
    ------
    DataNotFoundError
        Not found locally and the download failed (offline, HTTP error, truncated body,
        wrong checksum); or a copy was found but is unusable: an archive whose MD5 is not
        the expected one (both are named), or an extraction that has lost batch files
        since. The message says why and what to do; its ``passed_over`` lists each copy
        found on this machine but not used, and why.
    d2lmini.data.archive.ArchiveError
        An archive was found or downloaded, and its checksum matched (or was not checked),
        but it is unsafe (:class:`~d2lmini.data.archive.UnsafeArchiveError`, naming the member)
        or corrupt. A downloaded archive that fails these checks is deleted.
    """
    passed = []
    folder = datadir.find_dir(NAME, FILES, subdirs=SUBDIRS, passed_over=passed)
    notes = [_incomplete(f, missing) for f, missing in passed]
    if folder is not None:
        for f, missing in passed:
            warnings.warn(f"CIFAR-10: passed over {_incomplete(f, missing, using=folder)}",
                          stacklevel=2)
        return folder
    folder = datadir.find_dir(NAME, (ARCHIVE,))
    if folder is not None:
        return _from_archive(folder / ARCHIVE, md5, notes)
    url = url or os.environ.get("D2LMINI_CIFAR10_URL") or URL
    dest = datadir.cache_dir(NAME) / ARCHIVE
    try:
        download.download(url, dest, md5=md5, verify=archive.list_members, progress=True)
    except download.DownloadError as e:
        passed_over = "".join(f"  - {note}\n" for note in notes)
        raise DataNotFoundError(
            f"CIFAR-10 not found: it is not on this machine and the download failed:\n  {e}\n"
            f"Searched:\n{datadir.searched(NAME)}\n"
            + (f"Passed over:\n{passed_over}" if notes else "")
            + "Fix it one of two ways:\n"
            f"  1. on a machine with a network, download {URL}\n"
            f"     (MD5 {MD5}), copy it here and set D2LMINI_DATA_DIR to its folder\n"
            f"     (the extracted {FOLDER} folder works too);\n"
            f"  2. connect this machine to the network and run again: it downloads to "
            f"{dest}.",
            passed_over=notes,
        ) from e
    return _from_archive(dest, md5, notes)


@functools.lru_cache(maxsize=2)
def load_arrays(url=None, md5=MD5):
    """All of CIFAR-10 as read-only numpy arrays.

    Returns
    -------
    train_images : uint8 array of shape (50000, 32, 32, 3)
    train_labels : int64 array of shape (50000,)
    test_images : uint8 array of shape (10000, 32, 32, 3)
    test_labels : int64 array of shape (10000,)

    Raises
    ------
    DataNotFoundError
        See :func:`locate`.

    Example
    -------
    >>> X, y, Xt, yt = load_arrays()  # doctest: +SKIP
    >>> X.shape, Xt.shape             # doctest: +SKIP
    ((50000, 32, 32, 3), (10000, 32, 32, 3))
    """
    folder = locate(url=url, md5=md5)
    out = []
    for files in (TRAIN_FILES, TEST_FILES):
        parts = [read_batch(folder / f) for f in files]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        images.flags.writeable = False
        labels.flags.writeable = False
        out += [images, labels]
    return tuple(out)


SUBSTITUTE_SHORT = "Fashion-MNIST-as-CIFAR substitute"
SUBSTITUTE = "Fashion-MNIST padded to 32x32 and repeated to 3 channels (a substitute, not CIFAR-10)"


def substitute_arrays(channels=CHANNELS):
    """Fashion-MNIST shaped like CIFAR-10: the stand-in when CIFAR-10 is missing.

    Each 28x28 grayscale image gets a 2-pixel black border (32x32) and its one channel is
    repeated three times, so a network built for CIFAR-10's (32, 32, 3) inputs runs on it
    unchanged. The classes are Fashion-MNIST's ten clothing classes, not CIFAR-10's, and the
    task is easier (centred grayscale objects on black), so accuracies are not comparable
    with CIFAR-10 results.

    Parameters
    ----------
    channels : int
        3 repeats the channel here; 1 leaves it single (the loaders repeat it per batch,
        which saves memory).

    Returns
    -------
    The four arrays of :func:`load_arrays`, with the shapes (60000, 32, 32, channels),
    (60000,), (10000, 32, 32, channels) and (10000,).
    """
    X, y, Xt, yt = fashion_mnist.load_arrays()

    def pad(images):
        out = np.repeat(np.pad(images, ((0, 0), (2, 2), (2, 2)))[..., None], channels, axis=3)
        out.flags.writeable = False
        return out

    return pad(X), y, pad(Xt), yt


def loaders(loader_cls, batch_size, resize=None, augment=False):
    """CIFAR-10 as one backend's mini-batches: ``(train_iter, test_iter)``.

    The framework-free body of the backends' ``load_data_cifar10``: check the arguments,
    load the arrays (:func:`load_arrays`, which may raise :class:`DataNotFoundError`), and
    wrap them with :func:`d2lmini.data.loading.build_loaders`.

    Parameters
    ----------
    loader_cls : type
        The backend's CIFAR loader class (an ``ArrayLoader`` taking ``augment``), which
        repeats a single channel to three and augments training batches.
    batch_size, resize, augment
        As the backends' ``load_data_cifar10``.

    Returns
    -------
    train_iter, test_iter
        ``loader_cls`` instances with ``data_name`` ``"CIFAR-10"`` and ``classes``
        :data:`CLASSES`.
    """
    _check(batch_size, resize)
    return _loaders(loader_cls, load_arrays(), batch_size, resize, augment,
                    "CIFAR-10", CLASSES, "CIFAR-10")


def loaders_or_substitute(loader_cls, batch_size, resize=None, augment=False):
    """:func:`loaders` if CIFAR-10 is here, else the stand-in of :func:`substitute_arrays`.

    The framework-free body of the backends' ``load_data_cifar10_or_substitute``. It prints
    one line saying which data set is used (and, when a copy of CIFAR-10 on this machine
    was passed over, one line for each saying why and what to do), and returns
    ``(train_iter, test_iter, data_name)``, ``data_name`` being ``"CIFAR-10"`` or
    :data:`SUBSTITUTE`. Only :class:`DataNotFoundError` leads to the stand-in: a
    ``D2LMINI_DATA_DIR`` that is not a folder (:class:`FileNotFoundError`), or an archive
    whose checksum matched but that is unsafe or incomplete
    (:class:`d2lmini.data.archive.ArchiveError`), still raises.
    """
    _check(batch_size, resize)
    try:
        arrays, name, classes = load_arrays(), "CIFAR-10", CLASSES
        short = name
        print("Data: CIFAR-10 (found on this machine)")
    except DataNotFoundError as e:
        arrays = substitute_arrays(channels=1)
        name, classes = SUBSTITUTE, fashion_mnist.CLASSES
        short = SUBSTITUTE_SHORT
        if e.passed_over:  # it is here, but unusable: say why, or it is never fixed
            print(f"Data: CIFAR-10 on this machine was passed over, so this run uses {name}:")
            for note in e.passed_over:
                print(f"  - {note}")
        else:
            print(f"Data: CIFAR-10 is not on this machine, so this run uses {name}.")
    train_iter, test_iter = _loaders(loader_cls, arrays, batch_size, resize, augment,
                                     name, classes, short)
    return train_iter, test_iter, name


def _check(batch_size, resize):
    loading.check_batch_size(batch_size)
    loading.check_resize(resize, (HEIGHT, WIDTH))


def _loaders(loader_cls, arrays, batch_size, resize, augment, name, classes, short_name):
    train_iter, test_iter = loading.build_loaders(loader_cls, arrays, batch_size, resize,
                                                  short_name, train_kwargs={"augment": augment})
    for it in (train_iter, test_iter):
        it.data_name, it.classes = name, classes
    return train_iter, test_iter
