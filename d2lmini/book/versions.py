"""The library versions the book is tested on, and a one-line check of a reader's own.

A chapter opened on Colab, Kaggle or a laptop meets whatever PyTorch, TensorFlow, Keras,
numpy and matplotlib are installed there, not the versions the book's outputs were made
with. :data:`TESTED` is the range the test suite runs the book on (``make test`` on the
newest stack, ``make test-oldest`` on the oldest; the README's "Supported versions" lists
the same table), and :func:`check`, which the first cell of every chapter calls, prints the
versions in use and one line for each outside that range, saying what to do.

Versions are read from the installed packages' metadata: nothing here imports a framework.

>>> outside("numpy", "1.24.4")
'older'
>>> outside("Keras", "3.15.1") is None
True
>>> outside("Keras", "3.16.0")
'newer'
"""
import importlib.metadata
import platform
import re

__all__ = ["TESTED", "installed", "outside", "problems", "check"]

# package: (oldest tested, newest tested), as major.minor; what `make test-oldest` and
# `make test` install (the Makefile's OLDEST_STACK and pyproject.toml's extras).
TESTED = {
    "Python": ("3.11", "3.11"),
    "numpy": ("1.26", "2.4"),
    "matplotlib": ("3.8", "3.11"),
    "PyTorch": ("2.13", "2.13"),
    "TensorFlow": ("2.17", "2.21"),
    "Keras": ("3.8", "3.15"),
}
# Where each package's version is read: the distributions that provide it, first found wins.
_DISTRIBUTIONS = {
    "numpy": ("numpy",),
    "matplotlib": ("matplotlib",),
    "PyTorch": ("torch",),
    "TensorFlow": ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"),
    "Keras": ("keras",),
}
# What a reader types to get a tested version (Colab: in a cell, then restart the session).
_PIP = {
    "numpy": "numpy", "matplotlib": "matplotlib", "PyTorch": "torch",
    "TensorFlow": "tensorflow", "Keras": "keras",
}


def installed():
    """The version of each package of :data:`TESTED` in this environment, or ``None``.

    Returns
    -------
    dict
        ``{"Python": "3.11.7", "numpy": "2.4.6", ..., "PyTorch": None}``, in the order of
        :data:`TESTED`; a local build tag (``2.13.0+cpu``) is dropped.
    """
    found = {"Python": platform.python_version()}
    for name, dists in _DISTRIBUTIONS.items():
        found[name] = None
        for dist in dists:
            try:
                found[name] = importlib.metadata.version(dist).split("+")[0]
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return found


def _minor(version):
    """(major, minor) of a version string: '2.13.0rc1' -> (2, 13)."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"not a version number: {version!r} (expected e.g. '2.13.0')")
    return int(match[1]), int(match[2])


def outside(package, version):
    """``'older'`` or ``'newer'`` when ``version`` of ``package`` is outside the tested
    range (compared by major.minor), else ``None``."""
    if package not in TESTED:
        raise KeyError(f"{package!r} is not in the tested range; one of {list(TESTED)}")
    oldest, newest = (_minor(v) for v in TESTED[package])
    here = _minor(version)
    return "older" if here < oldest else "newer" if here > newest else None


def _advice(package, version, side):
    oldest, newest = TESTED[package]
    if package == "Python":
        tested = oldest if oldest == newest else f"{oldest} to {newest}"
        return (f"Python {version} is {side} than the book's tests use ({tested}); most "
                "chapters should still run. If one fails, try it on Python "
                f"{newest}.")
    if side == "older":
        return (f"{package} {version} is older than the oldest version the book is tested "
                f"with ({oldest}): some cells may fail. Upgrade with "
                f"`pip install -U \"{_PIP[package]}>={oldest}\"` (on Colab, in a cell, then "
                "restart the session).")
    return (f"{package} {version} is newer than the newest version the book is tested with "
            f"({newest}). If a cell fails, `pip install \"{_PIP[package]}=={newest}.*\"` gives "
            "the tested one (on Colab, in a cell, then restart the session).")


def problems(versions=None):
    """One line for each installed package outside :data:`TESTED`, saying what to do.

    Parameters
    ----------
    versions : dict, optional
        As :func:`installed` returns (the default); a package that is ``None`` (not
        installed) is not a problem.

    Returns
    -------
    list of str
        Empty when every installed version is in the tested range.
    """
    versions = installed() if versions is None else versions
    return [_advice(name, version, side) for name, version in versions.items()
            if version and (side := outside(name, version))]


def check(versions=None, *, file=None):
    """Print the versions in use in one line, then the lines of :func:`problems`.

    Parameters
    ----------
    versions : dict, optional
        As :func:`installed` returns (the default). A framework that is ``None`` is reported
        as not installed: only its own cells need it.
    file : file-like, optional
        Where to print (default: standard output).
    """
    versions = installed() if versions is None else versions
    shown = [f"{name} {version}" for name, version in versions.items() if version]
    missing = [name for name in ("PyTorch", "TensorFlow") if not versions.get(name)]
    warnings = problems(versions)
    line = ", ".join(shown)
    if missing:
        line += (f"; {' and '.join(missing)} not installed (needed only for "
                 f"{'its' if len(missing) == 1 else 'their'} own tabs)")
    print(line + (": all within the versions this book is tested with." if not warnings
                  else "."), file=file)
    for warning in warnings:
        print("  " + warning, file=file)
