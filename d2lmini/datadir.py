"""Where d2lmini looks for data sets, in order.

1. ``$D2LMINI_DATA_DIR/<name>`` (or ``$D2LMINI_DATA_DIR`` itself), set by the user;
2. the user's cache directory, ``$XDG_CACHE_HOME/d2lmini/<name>`` (``~/.cache/d2lmini/<name>``),
   which is also where downloads go;
3. system folders a package manager fills, e.g. ``/usr/share/datasets/fashion-mnist`` from
   the Debian package ``dataset-fashion-mnist``.
"""
import os
from pathlib import Path


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


def find_dir(name, filenames, system_dirs=()):
    """The first candidate folder that holds every file in ``filenames``, or ``None``."""
    for d in candidate_dirs(name, system_dirs):
        if all((d / f).is_file() for f in filenames):
            return d
    return None
