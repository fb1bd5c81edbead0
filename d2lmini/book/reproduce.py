"""Re-run a chapter at the budget its committed outputs state, and compare the numbers.

``train_ch6`` prints one summary line per run, e.g.
``loss 0.557, train acc 0.796, test acc 0.738, 4046.3 examples/sec on cpu (budget: 4,000 of
60,000 train / 1,000 of 10,000 test examples, 5 epochs, 28x28 images, batch 128)``. This
module reads those lines from the outputs of a chapter's training cells (the cells tagged
with a framework; a shared cell that shows a saved run is not a run), runs a copy of the chapter
with the same budget (the ``D2LMINI_MAX_*`` settings the lines name), and sets the new
lines beside the old: loss, training and test accuracy, and their differences.

The copy runs in a scratch folder holding a copy of ``results/`` and an empty
``checkpoints/``: the chapter's committed files are not touched, and no checkpoint
replays a run instead of training it. Speeds (examples/sec) are shown but not compared:
they measure the machine.

Usage::

    python -m d2lmini.book.reproduce notebooks/08-lenet.ipynb
    python -m d2lmini.book.reproduce notebooks/06-batch-norm.ipynb --framework pytorch --tolerance 0.005

or ``make reproduce CHAPTER=08`` (a chapter's number or name stands for its notebook in
``notebooks/``: ``8``, ``08``, ``lenet``). The exit status is 1 when a difference exceeds the
tolerance or the runs do not pair up.
"""
import argparse
import contextlib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..frameworks import FRAMEWORKS

# Same seed, same machine: identical. Another machine (other CPU kernels, another GPU, other
# library versions) computes in another order and drifts apart over the epochs: a few
# thousandths for short runs, a point or more for long unsteady ones.
DEFAULT_TOLERANCE = 0.01
# What decides a run's size (d2lmini.config); other D2LMINI_ settings (the data folder, the
# seed) are the reader's and stay.
BUDGET_VARIABLES = ("D2LMINI_QUICK", "D2LMINI_MAX_EXAMPLES", "D2LMINI_MAX_TEST_EXAMPLES",
                    "D2LMINI_MAX_EPOCHS")

SUMMARY = re.compile(
    r"loss (?P<loss>[\d.]+|nan|inf), train acc (?P<train>[\d.]+), test acc (?P<test>[\d.]+), "
    r"(?P<speed>[\d.]+) examples/sec on (?P<device>\S+?)(?: \((?P<conditions>[^)]*)\))?$")
PART = re.compile(r"(?P<n>[\d,]+)(?: of (?P<total>[\d,]+))? (?P<what>train|test examples|"
                  r"epochs?)\b")


@dataclass
class Summary:
    """One summary line of ``train_ch6``, where it was printed, and what it says."""

    cell: int
    framework: str  # "pytorch", "tensorflow" or "shared" (from the cell's tags)
    loss: float
    train_acc: float
    test_acc: float
    speed: float
    conditions: str


def summaries(nb):
    """The summary lines in the outputs of notebook ``nb`` (an nbformat notebook), in order.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "...", metadata={"tags": ["pytorch"]}, outputs=[nbformat.v4.new_output(
    ...         "stream", name="stdout", text="loss 0.475, train acc 0.821, test acc 0.805, "
    ...         "243.8 examples/sec on cpu\\n")])])
    >>> [(s.cell, s.framework, s.test_acc) for s in summaries(nb)]
    [(0, 'pytorch', 0.805)]
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        framework = next((f for f in FRAMEWORKS if f in tags), "shared")
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream":
                continue
            for line in output.get("text", "").splitlines():
                m = SUMMARY.search(line.strip())
                if m:
                    found.append(Summary(index, framework, float(m["loss"]), float(m["train"]),
                                         float(m["test"]), float(m["speed"]),
                                         m["conditions"] or ""))
    return found


def budget_settings(conditions):
    """The ``D2LMINI_MAX_*`` settings that reproduce a run's stated conditions.

    >>> budget_settings("budget: 4,000 of 60,000 train / 1,000 of 10,000 test examples, "
    ...                 "5 epochs, 28x28 images, batch 128")
    {'D2LMINI_MAX_EXAMPLES': '4000', 'D2LMINI_MAX_TEST_EXAMPLES': '1000'}
    >>> budget_settings("budget: 60,000 train / 10,000 test examples, 3 of 10 epochs, "
    ...                 "224x224 images, batch 128")
    {'D2LMINI_MAX_EPOCHS': '3'}
    >>> budget_settings("")
    {}
    """
    if conditions.startswith("quick mode"):
        return {"D2LMINI_QUICK": "1"}
    names = {"train": "D2LMINI_MAX_EXAMPLES", "test examples": "D2LMINI_MAX_TEST_EXAMPLES",
             "epochs": "D2LMINI_MAX_EPOCHS", "epoch": "D2LMINI_MAX_EPOCHS"}
    settings = {}
    for m in PART.finditer(conditions):
        if m["total"]:  # "n of total": a budget cut it short
            settings[names[m["what"]]] = m["n"].replace(",", "")
    return settings


def chapter_budget(found):
    """The one budget of a chapter's runs; ``ValueError`` if its runs state different ones
    (such a chapter is re-run by hand, cell by cell)."""
    budgets = {tuple(sorted(budget_settings(s.conditions).items())) for s in found}
    if len(budgets) > 1:
        raise ValueError("the chapter's runs were made with different budgets "
                         f"({', '.join(str(dict(b)) for b in budgets)}); re-run its cells "
                         "by hand with python -m d2lmini.book.execute and each budget")
    return dict(budgets.pop()) if budgets else {}


def compare(old, new, tolerance=DEFAULT_TOLERANCE):
    """A table of the committed runs beside the new ones; and whether all agree.

    Runs pair up in order within each framework. Loss, training and test accuracy must each
    agree within ``tolerance``.
    """
    rows = [f"{'cell':>4}  {'framework':<10}  {'':<9}{'committed':>10}{'now':>10}{'diff':>10}"]
    ok = True
    for framework in FRAMEWORKS:
        a = [s for s in old if s.framework == framework]
        b = [s for s in new if s.framework == framework]
        if len(a) != len(b):
            rows.append(f"      {framework:<10}  {len(a)} committed runs, {len(b)} now: "
                        "they do not pair up")
            ok = False
        for x, y in zip(a, b):
            for label, u, v in [("loss", x.loss, y.loss), ("train acc", x.train_acc, y.train_acc),
                                ("test acc", x.test_acc, y.test_acc)]:
                diff = v - u
                flag = "" if abs(diff) <= tolerance else "  <- beyond the tolerance"
                ok = ok and not flag
                rows.append(f"{x.cell:>4}  {framework:<10}  {label:<9}{u:>10.3f}{v:>10.3f}"
                            f"{diff:>+10.3f}{flag}")
            rows.append(f"{'':>4}  {'':<10}  {'speed':<9}{x.speed:>10.1f}{y.speed:>10.1f}"
                        "  examples/sec (not compared)")
    return "\n".join(rows), ok


def find_chapter(chapter, folder=None):
    """The notebook that ``chapter`` names: its path, its number or its name.

    ``folder`` holds the chapters (default ``notebooks/`` when there is one, else the current
    folder). A number matches the chapter of that number (``8`` and ``08`` are
    ``08-lenet.ipynb``); a name matches chapters whose name starts with it, one whose name is
    exactly it winning (``alexnet`` is ``09-alexnet``, not ``19-alexnet-in-practice``).

    Raises
    ------
    ValueError
        No chapter matches (the message lists the chapters), or several do (it lists them).

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> for name in ("08-lenet", "09-alexnet", "19-alexnet-in-practice"):
    ...     _ = (folder / f"{name}.ipynb").write_text("{}")
    >>> [find_chapter(c, folder).name for c in ("8", "08", "lenet", "alexnet", "19-alex")]
    ['08-lenet.ipynb', '08-lenet.ipynb', '08-lenet.ipynb', '09-alexnet.ipynb', '19-alexnet-in-practice.ipynb']
    >>> find_chapter("alex", folder)
    Traceback (most recent call last):
    ...
    ValueError: chapter 'alex' matches 2 chapters (09-alexnet, 19-alexnet-in-practice); give one of them, e.g. 09
    """
    path = Path(chapter)
    if path.suffix == ".ipynb" or path.is_file():
        return path
    if folder is None:
        folder = Path("notebooks") if Path("notebooks").is_dir() else Path(".")
    chapters = sorted(p for p in Path(folder).glob("*.ipynb") if re.match(r"\d+-", p.name))
    spec = chapter.strip().lower()
    if not spec:
        raise ValueError("say which chapter: its notebook, number or name, e.g. 08 or lenet")
    if spec.isdigit():
        found = [p for p in chapters if int(p.name.split("-", 1)[0]) == int(spec)]
    else:
        names = {p: p.stem.split("-", 1)[1] for p in chapters}
        found = ([p for p in chapters if names[p] == spec]
                 or [p for p in chapters if p.stem.startswith(spec) or names[p].startswith(spec)])
    if len(found) == 1:
        return found[0]
    if found:
        raise ValueError(f"chapter {chapter!r} matches {len(found)} chapters "
                         f"({', '.join(p.stem for p in found)}); give one of them, e.g. "
                         f"{found[0].stem.split('-', 1)[0]}")
    if not chapters:
        raise ValueError(f"no chapter matches {chapter!r}: {folder} holds no chapters "
                         f"(NN-name.ipynb); run from the book's folder or give the notebook's path")
    first = chapters[0].stem.split("-", 1)
    raise ValueError(f"no chapter matches {chapter!r}: the chapters in {folder} are "
                     f"{first[0]} to {chapters[-1].stem.split('-', 1)[0]}; give a number or a "
                     f"name, e.g. {first[0]} or {first[1]}")


def rerun(path, framework=None, timeout=None, log=print):
    """Run a copy of the chapter at ``path`` in a scratch folder; return the copy, executed.

    The folder holds a copy of the chapter's ``results/`` (which its cells read and write)
    and an empty ``checkpoints/``. ``framework`` runs only that framework's cells and the
    shared ones (:func:`d2lmini.book.execute.execute_framework`); None runs them all.
    """
    import nbformat
    from nbclient import NotebookClient

    from .execute import execute_framework

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="d2lmini-reproduce-") as scratch:
        scratch = Path(scratch)
        if (path.parent / "results").is_dir():
            shutil.copytree(path.parent / "results", scratch / "results")
        (scratch / "checkpoints").mkdir()
        copy = scratch / path.name
        shutil.copy(path, copy)
        if framework is None:
            nb = nbformat.read(copy, as_version=4)
            log(f"running all cells of {path.name} ...")
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(scratch)}}).execute()
            return nb
        execute_framework(copy, framework, timeout=timeout, log=log)
        return nbformat.read(copy, as_version=4)


@contextlib.contextmanager
def budget_environment(budget):
    """Within the block, the budget variables (and only they) are ``budget``'s; the kernel
    a notebook runs in inherits them. The environment is restored afterwards."""
    saved = {k: os.environ.get(k) for k in BUDGET_VARIABLES}
    for name in BUDGET_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(budget)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m d2lmini.book.reproduce",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("notebook", help="a chapter: its notebook, number or name, e.g. "
                                    "notebooks/08-lenet.ipynb, 08 or lenet")
    p.add_argument("--framework", choices=FRAMEWORKS,
                   help="re-run only this framework's runs (and the shared cells)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"largest difference allowed in loss and accuracies "
                        f"(default {DEFAULT_TOLERANCE})")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: none)")
    args = p.parse_args(argv)
    from .execute import missing_jupyter
    missing = missing_jupyter()
    if missing:
        p.error(missing)
    try:
        path = find_chapter(args.notebook)
    except ValueError as e:
        p.error(str(e))
    if path.suffix != ".ipynb" or not path.is_file():
        p.error(f"{path} is not a notebook file (.ipynb)")
    wanted = [args.framework] if args.framework else list(FRAMEWORKS)
    import nbformat
    old = [s for s in summaries(nbformat.read(path, as_version=4)) if s.framework in wanted]
    if not old:
        p.error(f"{path.name} has no train_ch6 summary lines to reproduce")
    try:
        budget = chapter_budget(old)
    except ValueError as e:
        p.error(str(e))
    print(f"{path.name}: {len(old)} committed runs; budget "
          f"{' '.join(f'{k}={v}' for k, v in budget.items()) or 'none (all the data)'}")
    with budget_environment(budget):  # the committed runs' budget, not this shell's
        new = [s for s in summaries(rerun(path, args.framework, args.timeout))
               if s.framework in wanted]
    table, ok = compare(old, new, args.tolerance)
    print(table)
    print(f"{'all within' if ok else 'NOT all within'} the tolerance of {args.tolerance}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
