"""Build the package's networks from the chapters: the definitions marked ``#@save``.

A chapter writes each of its networks in its own code cells, in both frameworks, so that a
student can change a layer and re-run the chapter. A definition whose first line ends with
``#@save`` (the d2l book's mark) is also the package's: this script copies every such
definition, in the book's order, into

* ``d2lmini/backend_torch/book_networks.py`` (the chapters' PyTorch cells) and
* ``d2lmini/backend_tf/book_networks.py`` (their TensorFlow cells),

which ``d2lmini.torch`` and ``d2lmini.tensorflow`` export. Nobody edits those files: edit the
chapter and run this script. ``tests/test_chapter_code.py`` fails while they are not what it
writes.

Both tabs of a chapter run in one notebook kernel, so a TensorFlow cell names its
definitions apart: ``alexnet_tf`` for the package's ``alexnet``, ``InceptionTF`` for
``Inception``. The copy takes those names back, and drops the chapters' ``d2l.`` and
``d2ltf.`` prefixes (``d2l.CheckedSequential`` is the package's own ``CheckedSequential``).
Every definition saved in a PyTorch cell must be saved, under its TensorFlow name, in a
TensorFlow cell, and the other way round.

Usage::

    python scripts/saved_cells.py           # write both files
    python scripts/saved_cells.py --check   # exit 1 if either is not what the chapters say
"""
import argparse
import ast
import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FRAMEWORKS = ("pytorch", "tensorflow")
TARGET = {"pytorch": ROOT / "d2lmini" / "backend_torch" / "book_networks.py",
          "tensorflow": ROOT / "d2lmini" / "backend_tf" / "book_networks.py"}
MARK = "#@save"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from d2lmini.files import atomic_write_text  # noqa: E402

# What the copied code uses besides its own definitions: the frameworks and the package's
# hand-written helpers (the input check of every network, the flattened size it needs).
IMPORTS = {
    "pytorch": ("import functools\n\nimport torch\nfrom torch import nn\n\n"
                "from .models import CheckedSequential, output_size\n"),
    "tensorflow": ("import functools\n\nimport keras\nimport tensorflow as tf\n"
                   "from keras import layers\n\nfrom .models import CheckedSequential\n"),
}
LAYOUT = {"pytorch": "NCHW", "tensorflow": "NHWC"}
TITLE = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}
BACKEND = {"pytorch": "backend_torch", "tensorflow": "backend_tf"}


def chapter_name(name, framework):
    """The name the package's definition ``name`` has in a chapter's ``framework`` cells.

    >>> chapter_name("alexnet", "tensorflow"), chapter_name("Inception", "tensorflow")
    ('alexnet_tf', 'InceptionTF')
    """
    if framework == "pytorch":
        return name
    return name + ("TF" if name[0].isupper() else "_tf")


def package_name(name, framework):
    """The package's name for a chapter's definition ``name`` (the inverse of the above)."""
    if framework == "tensorflow":
        for suffix in ("_tf", "TF"):
            if name.endswith(suffix) and chapter_name(name[:-len(suffix)], framework) == name:
                return name[:-len(suffix)]
    return name


def _source(cell):
    src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    # IPython magics and shell lines are not Python
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in src.splitlines())


def saved(notebooks=None):
    """``[(chapter, framework, chapter's name, source)]`` of every ``#@save`` definition, in
    the book's order (chapter by chapter, cell by cell)."""
    found = []
    for nb in sorted(notebooks or NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(Path(nb).read_text(encoding="utf-8"))["cells"]:
            src = _source(cell)
            if cell["cell_type"] != "code" or MARK not in src:
                continue
            tags = cell.get("metadata", {}).get("tags", [])
            framework = next((t for t in tags if t in FRAMEWORKS), None)
            if framework is None:
                raise ValueError(f"{Path(nb).name}: a cell with {MARK} needs the tag pytorch or "
                                 f"tensorflow, to say which package it belongs to")
            lines = src.splitlines()
            for node in ast.parse(src).body:
                if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    continue
                if MARK not in lines[node.lineno - 1]:
                    continue
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                text = "\n".join(lines[first - 1:node.end_lineno])
                found.append((Path(nb).stem, framework, node.name, text))
    return found


def _unpair(found):
    """Check that each definition is saved in both frameworks; the names in book order."""
    names = {fw: [package_name(name, fw) for _, f, name, _ in found if f == fw]
             for fw in FRAMEWORKS}
    for fw, other in (FRAMEWORKS, FRAMEWORKS[::-1]):
        missing = [n for n in names[fw] if n not in names[other]]
        if missing:
            raise ValueError(f"saved ({MARK}) in {fw} cells but not as "
                             f"{', '.join(chapter_name(n, other) for n in missing)} in "
                             f"{other} cells: save each definition in both frameworks")
    for fw in FRAMEWORKS:
        if len(set(names[fw])) != len(names[fw]):
            twice = sorted({n for n in names[fw] if names[fw].count(n) > 1})
            raise ValueError(f"{fw}: {', '.join(twice)} saved ({MARK}) more than once")
    return names


def _rename(text, framework, names):
    """The chapter's code as the package's: its own names, no ``d2l.``/``d2ltf.``."""
    text = re.sub(r"[ \t]*" + re.escape(MARK), "", text)
    text = re.sub(r"\bd2l(?:tf)?\.", "", text)
    if framework == "tensorflow":
        pattern = "|".join(chapter_name(n, framework) for n in names)
        text = re.sub(rf"\b({pattern})\b", lambda m: package_name(m.group(1), framework), text)
    return text


def render(framework, found=None):
    """The text of ``framework``'s generated module."""
    found = saved() if found is None else found
    names = _unpair(found)[framework]
    other = BACKEND[FRAMEWORKS[1 - FRAMEWORKS.index(framework)]]
    doc = (f"The book's networks in {TITLE[framework]}, as its chapters write them "
           f"({LAYOUT[framework]} images).\n\n"
           f"Generated by ``scripts/saved_cells.py`` from the definitions the chapters mark "
           f"``{MARK}``: do not edit this file; edit the chapter, then run the script. The "
           f"same names, in the same order, are in :mod:`d2lmini.{other}.book_networks`. "
           f"Every network checks the size of its input "
           f"(:class:`d2lmini.{BACKEND[framework]}.models.CheckedSequential`) and outputs "
           f"logits.")
    paras = [textwrap.fill(p, 92) for p in doc.split("\n\n")]
    listed = textwrap.fill(", ".join(f'"{n}"' for n in names), 92,
                           initial_indent="__all__ = [", subsequent_indent=" " * 11)
    parts = ['"""' + "\n\n".join(paras) + '\n"""\n', IMPORTS[framework], listed + "]\n"]
    chapter = None
    for nb, fw, _, text in found:
        if fw != framework:
            continue
        if nb != chapter:
            parts.append(f"\n# ---- notebooks/{nb}.md\n")
            chapter = nb
        parts.append("\n" + _rename(text, framework, names) + "\n")
    # Two blank lines between top-level definitions (PEP 8), whatever the cells had.
    return re.sub(r"\n{4,}", "\n\n\n", "\n".join(parts)).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python scripts/saved_cells.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a generated file is not what the chapters say")
    args = parser.parse_args(argv)
    found = saved()
    stale = []
    for framework, path in TARGET.items():
        text = render(framework, found)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            atomic_write_text(path, text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"not what the chapters' {MARK} cells say: {', '.join(stale)}; run "
              "python scripts/saved_cells.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
