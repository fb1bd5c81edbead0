"""Execute one framework's cells of a chapter, keeping the other framework's outputs.

A chapter holds PyTorch cells (tag ``pytorch``), TensorFlow cells (tag ``tensorflow``) and
cells for both (no framework tag). Re-running a whole chapter to refresh one framework's
outputs would cost the other framework's run as well, and some runs need a machine that
has only one of the two frameworks (a GPU server with PyTorch, say). This command runs the
shared cells and the chosen framework's cells, in order, in one kernel, and leaves the
other framework's cells, with their committed outputs, untouched::

    python -m d2lmini.book.execute --framework pytorch notebooks/09-alexnet.ipynb
    D2LMINI_MAX_EPOCHS=1 python -m d2lmini.book.execute --framework tensorflow notebooks/13-resnet.ipynb

The notebook is rewritten only when every executed cell succeeded (atomically: a failed or
interrupted run leaves the file as it was). Run ``jupytext --sync`` on it afterwards to
update its MyST twin. A shared cell tagged ``both-frameworks`` (one that uses both
frameworks' results, e.g. a plot of the two runs) is not run, as the single-framework copies
(``make export``) leave it out; its committed outputs stay. Any other shared cell that uses
the other framework's variables fails here: tag it ``both-frameworks`` or with a framework.
"""
import argparse
import re
import sys
import time
from pathlib import Path

from .. import files
from .export import BOTH, cell_framework
from ..frameworks import FRAMEWORKS

__all__ = ["execute_framework", "strip_startup_logs"]

# TensorFlow's C++ start-up lines (absl logging), e.g. "I0000 00:00:17961... port.cc:153] oneDNN
# custom operations are on...": written to stderr before TF_CPP_MIN_LOG_LEVEL takes effect.
_STARTUP_LOG = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
                          r"|[IWE]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w./-]+:\d+\]"
                          # the second line of the CPU-feature message, with no prefix
                          r"|To enable the following instructions: .* rebuild TensorFlow)")


def strip_startup_logs(nb):
    """Remove TensorFlow's C++ start-up log lines from the stderr outputs of ``nb`` (in
    place); an stderr output left empty is dropped. Returns the number of lines removed."""
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = out["text"].splitlines(keepends=True)
                clean = [ln for ln in lines if not _STARTUP_LOG.match(ln)]
                removed += len(lines) - len(clean)
                if not "".join(clean).strip():
                    continue
                out["text"] = "".join(clean)
            kept.append(out)
        cell.outputs = kept
    return removed


def execute_framework(path, framework, timeout=None, kernel_name="python3", log=print,
                      match=None, skip=None):
    """Run the shared and ``framework``'s code cells of the notebook at ``path`` in place
    (not the cells tagged ``both-frameworks``, which need the other framework's results).

    ``match``, a regular expression, narrows the run to the cells whose source it finds
    (for refreshing a self-contained cell, such as one that only reads result files).
    ``skip``, a regular expression, leaves out the cells whose source it finds: they keep
    their committed outputs (for refreshing a chapter's solutions without re-running its
    long training cell; a later cell that uses what a skipped cell made then fails, so
    skip those too).

    Returns the number of cells executed. Raises ``ValueError`` for an unknown framework or
    a file that is not a notebook, and nbclient's ``CellExecutionError`` (naming the cell
    and the error) when a cell fails; the file is then left unchanged.
    """
    import nbformat
    from nbclient import NotebookClient

    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"{path} is not a notebook file (.ipynb)")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    todo = [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell_framework(cell) in (None, framework)
            and BOTH not in cell.metadata.get("tags", [])
            and (match is None or re.search(match, cell.source))
            and (skip is None or not re.search(skip, cell.source))]
    client.reset_execution_trackers()
    with client.setup_kernel():
        for n, index in enumerate(todo, 1):
            first_line = nb.cells[index].source.strip().splitlines()[:1] or [""]
            log(f"[{n}/{len(todo)}] cell {index}: {first_line[0][:60]}")
            tic = time.perf_counter()
            client.execute_cell(nb.cells[index], index)
            if time.perf_counter() - tic > 60:
                log(f"    took {time.perf_counter() - tic:,.0f} s")
    strip_startup_logs(nb)
    _write(path, nb)
    return len(todo)


def _write(path, nb):
    """Write ``nb`` as Jupyter does (ending in a newline), atomically."""
    import nbformat
    text = nbformat.writes(nb)
    text += "" if text.endswith("\n") else "\n"
    files.atomic_write_text(Path(path), text)


def missing_jupyter():
    """None when the packages that run notebooks are installed; else a message saying
    how to install them."""
    import importlib.util
    missing = [m for m in ("nbformat", "nbclient", "ipykernel")
               if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return (f"running notebooks needs {', '.join(missing)}, which are not installed here: "
            "pip install nbclient ipykernel (they come with Jupyter, and with d2lmini's "
            "'book' and 'test' extras)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m d2lmini.book.execute", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", help="notebooks (.ipynb) to execute")
    parser.add_argument("--framework", choices=FRAMEWORKS)
    parser.add_argument("--strip-logs", action="store_true",
                        help="execute nothing: only remove TensorFlow's start-up log lines")
    parser.add_argument("--match", default=None, metavar="REGEX",
                        help="run only the cells whose source matches REGEX")
    parser.add_argument("--skip", default=None, metavar="REGEX",
                        help="do not run the cells whose source matches REGEX (they keep "
                             "their outputs), e.g. a chapter's long training cell")
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds one cell may take (default: no limit)")
    args = parser.parse_args(argv)
    missing = missing_jupyter()
    if missing:
        parser.error(missing)
    if args.strip_logs:
        import nbformat
        for path in args.notebooks:
            nb = nbformat.read(path, as_version=4)
            if strip_startup_logs(nb):
                _write(path, nb)
        return 0
    if args.framework is None:
        parser.error("--framework is required (pytorch or tensorflow)")
    for path in args.notebooks:
        try:
            n = execute_framework(path, args.framework, args.timeout, match=args.match,
                                  skip=args.skip)
        except ValueError as e:
            parser.exit(2, f"error: {e}\n")
        print(f"{path}: executed {n} cells ({args.framework} and shared); the other "
              "framework's outputs kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
