"""Where d2lmini looks for data sets, in order, and the one error it raises when they are not there.

1. ``$D2LMINI_DATA_DIR/<name>`` (or ``$D2LMINI_DATA_DIR`` itself), set by the user;
2. the user's cache directory, ``$XDG_CACHE_HOME/d2lmini/<name>`` (``~/.cache/d2lmini/<name>``),
   which is also where downloads go;
3. system folders a package manager fills, e.g. ``/usr/share/datasets/fashion-mnist`` from
   the Debian package ``dataset-fashion-mnist``.

Fashion-MNIST (:mod:`d2lmini.data.fashion_mnist`), CIFAR-10 (:mod:`d2lmini.data.cifar10`) and the movie
reviews (:mod:`d2lmini.data.movie_reviews`) all search with :func:`find_dir` and all raise
:class:`DataNotFoundError`.
"""
import os
from pathlib import Path


class DataNotFoundError(FileNotFoundError):
    """A data set is not on this machine and could not be downloaded.

    One class for every data set (``d2lmini.data.fashion_mnist.DataNotFoundError``,
    ``d2lmini.data.cifar10.DataNotFoundError`` and ``d2lmini.data.movie_reviews.DataNotFoundError`` are
    this class), so one ``except`` catches them all.
    A ``D2LMINI_DATA_DIR`` that is not a folder raises a plain :class:`FileNotFoundError`
    instead: the user asked for a folder, and nothing falls back silently.

    ``passed_over`` lists, one line each, the copies of the data found on this machine
    but not used, and why (a folder lacking files, an archive with the wrong checksum), so
    that a caller falling back to other data can say why.
    """

    passed_over = ()

    def __init__(self, *args, passed_over=()):
        super().__init__(*args)
        self.passed_over = list(passed_over)


def cache_dir(name=""):
    """The folder downloads of data set ``name`` are written to (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "d2lmini" / name


def candidate_dirs(name, system_dirs=()):
    """The folders searched for data set ``name``, in order of preference."""
    dirs = []
    user = os.environ.get("D2LMINI_DATA_DIR", "").strip()
    if user and not Path(user).is_dir():
        # A user who sets the variable means it: never fall back to other data silently.
        raise FileNotFoundError(f"D2LMINI_DATA_DIR={user!r} is not a folder; create it (downloads "
                                f"go to {cache_dir(name)} otherwise) or unset the variable")
    if user:
        dirs += [Path(user) / name, Path(user)]
    dirs.append(cache_dir(name))
    dirs += [Path(d) for d in system_dirs]
    return dirs


def find_dir(name, filenames, system_dirs=(), subdirs=("",), passed_over=None):
    """The first folder that holds every file in ``filenames``, or ``None``.

    The folders tried are each of :func:`candidate_dirs` in turn and, within each, its
    ``subdirs`` in the order given (``""`` is the folder itself), e.g. ``("",
    "cifar-10-batches-bin")`` for files that may sit in the folder or in an extracted
    archive's folder inside it.

    ``passed_over``, a list, receives ``(folder, missing)`` for each folder tried that holds
    some but not all of the files (``missing``: the names it lacks), so that the caller can
    say why it was passed over (:func:`incomplete`); an incomplete set of files is more
    often a mistake than a choice.
    """
    filenames = list(filenames)
    for d in candidate_dirs(name, system_dirs):
        for sub in subdirs:
            folder = d / sub
            missing = [f for f in filenames if not (folder / f).is_file()]
            if not missing:
                return folder
            if (passed_over is not None and len(missing) < len(filenames)
                    and folder not in [f for f, _ in passed_over]):
                passed_over.append((folder, missing))
    return None


def incomplete(folder, missing, total, what="files"):
    """Why ``folder`` was passed over, in words, for :func:`find_dir`'s ``passed_over``.

    >>> incomplete("data", ["b.gz"], 4)
    'data: it lacks b.gz (3 of the 4 files are there)'
    """
    return (f"{folder}: it lacks {', '.join(missing)} ({total - len(missing)} of the {total} "
            f"{what} are there)")


def searched(name, system_dirs=()):
    """The folders searched for ``name``, one ``  - folder`` line each, for error messages."""
    return "\n".join(f"  - {d}" for d in candidate_dirs(name, system_dirs))
