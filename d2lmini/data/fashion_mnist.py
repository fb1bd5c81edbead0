"""Fashion-MNIST as numpy arrays, found locally or downloaded, always verified.

Fashion-MNIST :cite:`xiao2017fashion` has 60,000 training and 10,000 test grayscale images
of 28x28 pixels in 10 classes of clothing. The files are searched for in this order (see
:mod:`d2lmini.data.datadir`): ``$D2LMINI_DATA_DIR``, the user's cache folder,
``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``), and only
then downloaded from the official source into the cache folder.
"""
import functools
import os
import warnings

import numpy as np

from . import datadir, download, idx
from .datadir import DataNotFoundError  # one class for all data sets

NAME = "fashion-mnist"
SYSTEM_DIRS = ("/usr/share/datasets/fashion-mnist",)
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

# SHA-256 of each file's *decompressed* contents: the same whether the file comes from the
# official server or from a package that recompressed it.
FILES = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot")


def text_labels(labels):
    """Class names for integer labels.

    >>> text_labels([0, 9])
    ['t-shirt', 'ankle boot']
    """
    return [CLASSES[int(i)] for i in labels]


def locate():
    """The folder holding the four files, downloading them into the cache if need be.

    A folder searched before the one used that holds only some of the files (say, a
    ``D2LMINI_DATA_DIR`` with three of the four) is named, with the files it lacks: in a
    warning when another folder is used, in the :class:`DataNotFoundError` when none is.
    """
    passed = []
    found = datadir.find_dir(NAME, FILES, SYSTEM_DIRS, passed_over=passed)
    if found is None:
        found = _download(passed)
    for folder, missing in passed:
        if folder != found:  # the cache, completed by the download, is not passed over
            why = datadir.incomplete(folder, missing, len(FILES))
            files = "file" if len(missing) == 1 else "files"
            warnings.warn(f"Fashion-MNIST: passed over {why}; using {found} instead. Copy "
                          f"the missing {files} into {folder} to use it.", stacklevel=2)
    return found


def _download(passed):
    """Download the files missing from the cache folder; return it. ``passed``: the
    incomplete folders :func:`datadir.find_dir` passed over, named if the download fails."""
    target = datadir.cache_dir(NAME)
    base = os.environ.get("D2LMINI_FASHION_MNIST_URL", URL)
    try:
        for name, sha256 in FILES.items():
            if not (target / name).is_file():
                download.download(base.rstrip("/") + "/" + name, target / name,
                                  verify=functools.partial(idx.read_idx, sha256=sha256),
                                  progress=True)
    except (download.DownloadError, idx.IDXError) as e:
        notes = [datadir.incomplete(folder, missing, len(FILES)) for folder, missing in passed]
        passed_over = "".join(f"  - {note}\n" for note in notes)
        raise DataNotFoundError(
            f"Fashion-MNIST is not on this machine and the download failed:\n  {e}\n"
            f"Searched:\n{datadir.searched(NAME, SYSTEM_DIRS)}\n"
            + (f"Passed over:\n{passed_over}" if notes else "")
            + "Fix it one of three ways:\n"
            "  1. set D2LMINI_DATA_DIR to a folder holding the four files "
            "(train-images-idx3-ubyte.gz, ...);\n"
            "  2. install the Debian package: sudo apt-get install dataset-fashion-mnist;\n"
            f"  3. connect to the network and run again: the files download to {target}.",
            passed_over=notes,
        ) from e
    return target


@functools.lru_cache(maxsize=1)
def load_arrays():
    """All of Fashion-MNIST as read-only numpy arrays, verified against known checksums.

    Returns
    -------
    train_images : uint8 array of shape (60000, 28, 28)
    train_labels : int64 array of shape (60000,)
    test_images : uint8 array of shape (10000, 28, 28)
    test_labels : int64 array of shape (10000,)

    Example
    -------
    >>> X, y, Xt, yt = load_arrays()  # doctest: +SKIP
    >>> X.shape, Xt.shape             # doctest: +SKIP
    ((60000, 28, 28), (10000, 28, 28))
    """
    folder = locate()
    arrays = []
    for name, sha256 in FILES.items():
        a = idx.read_idx(folder / name, sha256=sha256)
        if "labels" in name:
            a = a.astype(np.int64)
        a.flags.writeable = False
        arrays.append(a)
    return tuple(arrays)

