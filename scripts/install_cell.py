"""Give every chapter the same first code cell: install d2lmini where it is missing.

A chapter opened in Colab or Kaggle (the site's launch links) runs on a machine that has
PyTorch and TensorFlow but not the book's helper package. The first code cell of every
notebook installs it there, pinned to the book's version, and does nothing (one import
lookup) where it is already installed: a clone after ``make setup``, Binder, or a second run.
It installs d2lmini's own small dependencies only, never a framework, and then prints the
versions of Python, numpy, matplotlib and the frameworks in use, with a line for each outside
the range the book is tested on (``d2lmini.book.versions``).

The cell is written from two settings, so it changes in one place:

* the version: ``d2lmini.__version__`` (the package's only version number);
* where to install from: the repository in ``_config.yml`` (``repository.url``), at the tag
  ``v<version>``; once d2lmini is on the package index, set ``FROM_INDEX`` below to True.

``D2LMINI_PIP_SPEC`` in the environment replaces the requirement (the tests install a wheel
from a local index that way; a course can point it at its own mirror).

Usage::

    python scripts/install_cell.py           # write the cell into every notebooks/*.md
    python scripts/install_cell.py --check   # exit 1 if a notebook lacks it or has another

Writing touches the MyST twins only; run ``jupytext --sync notebooks/*.md`` afterwards to
carry the cell into the ``.ipynb`` files (their outputs are kept).
"""
import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from d2lmini import __version__  # noqa: E402
from d2lmini.data.bookfiles import repository_url  # noqa: E402

TAG = "install"
FROM_INDEX = False  # PUBLISHER: True once `pip install d2lmini==<version>` works
FENCE = "```{code-cell} ipython3"
# A code cell of a MyST notebook, with its options block (":tags: [...]") if any.
CELL = re.compile(r"```\{code-cell\} ipython3\n(?P<body>.*?)\n```\n", re.S)


def requirement(from_index=FROM_INDEX):
    """The pip requirement the cell installs."""
    if from_index:
        return f"d2lmini=={__version__}"
    return f"d2lmini @ git+{repository_url(ROOT / '_config.yml')}@v{__version__}"


def cell_source(from_index=FROM_INDEX):
    """The body of the install cell (without its MyST fence and tags)."""
    return (
        "# Colab, Kaggle: install the book's helper package (not PyTorch or TensorFlow).\n"
        "# Where d2lmini is installed already, this cell only looks it up. Then it prints the\n"
        "# versions in use, with a line for each the book is not tested with.\n"
        "import importlib.util, os, subprocess, sys\n"
        "if importlib.util.find_spec(\"d2lmini\") is None:\n"
        f"    spec = os.environ.get(\"D2LMINI_PIP_SPEC\", \"{requirement(from_index)}\")\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", spec], check=True)\n"
        "    importlib.invalidate_caches()  # so that this kernel finds the new package\n"
        "from d2lmini.book import versions\n"
        "versions.check()"
    )


def cell_markdown(from_index=FROM_INDEX):
    return f"{FENCE}\n:tags: [{TAG}, hide-cell]\n\n{cell_source(from_index)}\n```\n"


def _is_install_cell(match):
    return f":tags: [{TAG}" in match.group("body").split("\n", 1)[0]


def with_install_cell(text, from_index=FROM_INDEX):
    """``text`` (a MyST notebook) with the install cell as its first code cell."""
    first = CELL.search(text)
    if first is None:
        raise ValueError("the notebook has no code cell")
    cell = cell_markdown(from_index)
    if _is_install_cell(first):
        return text[:first.start()] + cell + text[first.end():]
    return text[:first.start()] + cell + "\n" + text[first.start():]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        default=sorted((ROOT / "notebooks").glob("*.md")))
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks:
        text = path.read_text(encoding="utf-8")
        new = with_install_cell(text)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "lack the current install cell" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path.name}")
    if args.check and stale:
        print("run: python scripts/install_cell.py && jupytext --sync notebooks/*.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
