"""Write single-framework copies of the book's notebooks.

Each chapter holds PyTorch cells (tag ``pytorch``) and TensorFlow cells (tag
``tensorflow``) side by side. A student who uses one framework can take a copy with only
that framework's code::

    python -m d2lmini.book.export notebooks/08-lenet.ipynb --out exports
    # -> exports/pytorch/08-lenet.ipynb and exports/tensorflow/08-lenet.ipynb

In the TensorFlow copy the name ``d2ltf`` (used in the two-framework notebooks, where
``d2l`` is taken by PyTorch) becomes ``d2l`` in the TensorFlow cells, as in the d2l book.

A shared cell that needs both frameworks' results (tag ``both-frameworks``, e.g. one plot of
the PyTorch and the TensorFlow runs) cannot run in a copy with one framework: the copy holds
a short note in its place.

A chapter *about* the two frameworks (chapter 21 copies weights from one to the other) needs
both in almost every cell, so a copy with one framework could not run. Its notebook says so
in its metadata, ``{"d2lmini": {"frameworks": "both"}}`` (in the MyST twin's front matter,
kept by jupytext's ``notebook_metadata_filter: d2lmini``), and gets no copies: the exporter
skips it and says why, and the site offers only the full notebook.

Teachers who set the exercises as homework need the chapters without their answers: every
run also writes *student copies*, ``<out>/student/<name>.ipynb`` (both frameworks) and
``<out>/student/<framework>/<name>.ipynb``, without the cells tagged ``solution`` (the
"Solutions" section: :func:`without_solutions`).
"""
import argparse
import copy
import json
import re
import sys
from pathlib import Path

from .cellnames import NOTEBOOK_NAMES, cell_names
from ..frameworks import FRAMEWORK_NAMES, FRAMEWORKS

BOTH = "both-frameworks"  # the tag of a shared cell that uses both frameworks' variables
SOLUTION = "solution"  # the tag of every cell of a chapter's Solutions section
_RENAMES = {"tensorflow": [(re.compile(r"\bd2ltf\b"), "d2l")], "pytorch": []}


def cell_framework(cell):
    """The framework ``cell`` is tagged with (one of ``FRAMEWORKS``), or None (a shared cell)."""
    tags = cell.get("metadata", {}).get("tags", [])
    found = [t for t in tags if t in FRAMEWORKS]
    if len(found) > 1:
        raise ValueError(f"a cell is tagged with both frameworks: {tags}")
    return found[0] if found else None


def without_solutions(nb):
    """A copy of notebook ``nb`` (a dict) without its solution cells (tag ``solution``), for
    students; a note at the end says where the solutions are.

    >>> nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "1. Why?"},
    ...       {"cell_type": "markdown", "metadata": {"tags": ["solution"]}, "source": "Because"}]}
    >>> [c["source"][:7] for c in without_solutions(nb)["cells"]]
    ['1. Why?', '*This i']
    """
    out = copy.deepcopy(nb)
    cells = [c for c in out["cells"] if SOLUTION not in c.get("metadata", {}).get("tags", [])]
    if len(cells) < len(out["cells"]):
        cells.append({"cell_type": "markdown", "id": "student-note",
                      "metadata": {"tags": ["export-note"]},
                      "source": "*This is the student copy of this chapter: the worked "
                                "solutions to its exercises are in the book's version.*"})
    out["cells"] = cells
    out.setdefault("metadata", {})["d2lmini_student"] = True
    return out


def needs_both(nb):
    """True for a notebook (a dict) marked as needing both frameworks throughout."""
    return nb.get("metadata", {}).get("d2lmini", {}).get("frameworks") == "both"


def single_framework(nb, framework):
    """A copy of notebook ``nb`` (a dict) holding only ``framework``'s and shared cells."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    if needs_both(nb):
        raise ValueError("this chapter needs both frameworks in most cells (its metadata says "
                         "d2lmini.frameworks = both): it has no single-framework copy")
    out = copy.deepcopy(nb)
    cells = []
    for cell in out["cells"]:
        if cell_framework(cell) not in (None, framework):
            continue
        if BOTH in cell.get("metadata", {}).get("tags", []):
            cells.append(_both_note(cell, framework))
            continue
        if cell["cell_type"] == "code":
            cell["source"] = _copy_source(cell, framework)
        cells.append(cell)
    label = FRAMEWORK_NAMES[framework]
    all_names = " and ".join(FRAMEWORK_NAMES[f] for f in FRAMEWORKS)
    note = {"cell_type": "markdown", "id": "export-note", "metadata": {"tags": ["export-note"]},
            "source": f"*This is the {label}-only copy of this chapter; the book's version "
                      f"shows {all_names} side by side.*"}
    title_at = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"), -1)
    cells.insert(title_at + 1, note)
    out["cells"] = cells
    out.setdefault("metadata", {})["d2lmini_framework"] = framework
    return out


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _copy_source(cell, framework):
    """The source of code cell ``cell`` as ``framework``'s copy holds it."""
    source = _source(cell)
    # Only in the framework's own cells: a shared cell that names d2ltf uses both
    # frameworks side by side (chapter 21) and keeps its names.
    if cell_framework(cell) == framework:
        for pattern, repl in _RENAMES[framework]:
            source = pattern.sub(repl, source)
    return source


def _kept(cell, framework):
    """Whether ``framework``'s copy runs code cell ``cell``."""
    return (cell_framework(cell) in (None, framework)
            and BOTH not in cell.get("metadata", {}).get("tags", []))


def unresolved_names(nb, framework):
    """The names ``framework``'s copy of notebook ``nb`` (a dict) would read before any of
    its cells defines them: a list of ``(cell, name, where)``, ``cell`` the position of
    the reading cell in ``nb`` (1-based, as Jupyter counts) and ``where`` the cells of
    ``nb`` that define ``name`` but run later or not at all in the copy, e.g.
    ``"cell 12 (tensorflow)"``. Empty when every name is defined in time.

    Read from the code, not run (:mod:`d2lmini.book.cellnames`): a name that no cell defines
    (an attribute set at run time, say) is not reported; running the copy finds those.

    >>> nb = {"cells": [
    ...     {"cell_type": "code", "metadata": {"tags": ["pytorch"]}, "source": "net = 1"},
    ...     {"cell_type": "code", "metadata": {}, "source": "print(net)"}]}
    >>> unresolved_names(nb, "tensorflow")
    [(2, 'net', 'cell 1 (pytorch)')]
    """
    cells = [(i, cell) for i, cell in enumerate(nb["cells"], 1) if cell["cell_type"] == "code"]
    names = {i: cell_names(_copy_source(cell, framework)) for i, cell in cells}
    # What each cell defines, in the copy or in the book (d2ltf, renamed d2l in the copy).
    anywhere = {i: names[i][0] | cell_names(_source(cell))[0] for i, cell in cells}
    available, found = set(NOTEBOOK_NAMES), []
    for i, cell in cells:
        if not _kept(cell, framework):
            continue
        defined, read = names[i]
        for name in sorted(read - available):
            where = [f"cell {j} ({_role(other, framework, j > i)})" for j, other in cells
                     if j != i and name in anywhere[j]
                     and (j > i or not _kept(other, framework) or name not in names[j][0])]
            if where:
                found.append((i, name, ", ".join(where)))
        available |= defined
    return found


def _role(cell, framework, later):
    """What ``cell`` is to ``framework``'s copy, in words, for an error message."""
    if BOTH in cell.get("metadata", {}).get("tags", []):
        return "needs both frameworks"
    own = cell_framework(cell)
    if own not in (None, framework):
        return own
    return "runs later" if later else own or "shared"


def _both_note(cell, framework):
    """The markdown cell that stands in a copy for a cell needing both frameworks."""
    other = " and ".join(FRAMEWORK_NAMES[f] for f in FRAMEWORKS if f != framework)
    note = {"cell_type": "markdown", "metadata": {"tags": ["export-note"]},
            "source": f"*Here the book's two-framework notebook compares this run with the "
                      f"{other} one; this copy has only the {FRAMEWORK_NAMES[framework]} run.*"}
    if "id" in cell:
        note["id"] = cell["id"]
    return note


def _write(target, nb):
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def export(paths, out_dir, frameworks=FRAMEWORKS, skipped=None, student=True):
    """Write ``out_dir/<framework>/<name>.ipynb`` for every notebook; return the paths.

    With ``student``, also the student copies without solutions:
    ``out_dir/student/<name>.ipynb`` and ``out_dir/student/<framework>/<name>.ipynb``.
    Notebooks that need both frameworks throughout (:func:`needs_both`) get no
    single-framework copies; their paths are appended to the list ``skipped`` where one is
    given.
    """
    written = []
    for path in map(Path, paths):
        if path.suffix != ".ipynb":
            raise ValueError(f"{path} is not a .ipynb notebook")
        nb = json.loads(path.read_text(encoding="utf-8"))
        if student:
            written.append(_write(Path(out_dir) / "student" / path.name,
                                  without_solutions(nb)))
        if needs_both(nb):
            if skipped is not None:
                skipped.append(path)
            continue
        for fw in frameworks:
            missing = unresolved_names(nb, fw)
            if missing:
                raise ValueError(f"the {fw} copy of {path.name} would stop: " + "; ".join(
                    f"cell {i} reads {name!r}, which only {where} defines"
                    for i, name, where in missing) + ". Define the name in a cell the copy "
                    f"keeps (shared or {fw}), or tag the reading cell '{BOTH}' or with its "
                    "framework")
            copy_ = single_framework(nb, fw)
            written.append(_write(Path(out_dir) / fw / path.name, copy_))
            if student:
                written.append(_write(Path(out_dir) / "student" / fw / path.name,
                                      without_solutions(copy_)))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m d2lmini.book.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", help="notebooks (.ipynb) to export")
    parser.add_argument("--out", default="exports", help="output folder (default: exports)")
    parser.add_argument("--framework", choices=FRAMEWORKS + ("both",), default="both")
    parser.add_argument("--no-student", action="store_true",
                        help="do not write the student copies (without solutions)")
    args = parser.parse_args(argv)
    frameworks = FRAMEWORKS if args.framework == "both" else (args.framework,)
    skipped = []
    try:
        written = export(args.notebooks, args.out, frameworks, skipped,
                         student=not args.no_student)
    except (OSError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")
    for path in written:
        print(path)
    for path in skipped:
        print(f"{path}: no single-framework copies (the chapter needs both frameworks)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
