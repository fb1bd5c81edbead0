"""Writing files so that a reader never finds one half-written.

Checkpoints, recorded runs, downloaded data and re-executed notebooks all go through
:func:`atomic_write`: an interrupted write leaves the old file (or none), never a torn one.
"""
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_text"]


def atomic_write(path, write):
    """Call ``write(f)`` on a binary file object, then move the result to ``path`` atomically.

    The data go to a temporary file in ``path``'s folder, are flushed and fsync'ed, and the
    file is renamed over ``path`` with :func:`os.replace` (atomic on POSIX and Windows). If
    ``write`` raises, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`); return the path."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))
