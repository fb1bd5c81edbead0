"""Every single-framework copy of every chapter runs alone, in an empty folder.

This is how a student meets a chapter downloaded from the site ("PyTorch only") or opened
from Colab: no other notebook, no ``results/`` folder beside it. Two checks:

* **Names, every copy** (:func:`d2lmini.book.export.unresolved_names`): no cell of a copy reads
  a name that only a dropped cell, or a later one, defines. Read from the code in a
  fraction of a second; this is how a copy stops (a ``NameError``), since every cell it
  keeps also runs in the whole chapter, which nbval runs.
* **Runs, end to end**: copies executed top to bottom, alone in a folder, the files they
  read coming from the book (``d2lmini.data.bookfiles``, here served from this checkout on
  127.0.0.1). ``make test`` runs the copies of :data:`SMOKE`, one chapter for each way a
  copy gets what it reads, as a *student* copy (:func:`d2lmini.book.export.without_solutions`,
  what a teacher hands out: it must run without the solutions, and nbval runs the solutions
  already); ``make test-copies`` (``D2LMINI_ALL_COPIES=1``) runs all of the full copies,
  solutions included, about 11 minutes on two cores.

Quick mode (``D2LMINI_QUICK=1``) and a smaller budget still (:data:`COPY_BUDGET`) keep the
runs short: nbval runs every cell of the whole chapter at quick mode's budget already, so
what a copy adds is that it runs *alone*, not what its training reaches.
"""
import json
import os
from pathlib import Path

import pytest

from d2lmini.book import export
from d2lmini.data import movie_reviews

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
# A chapter that needs both frameworks throughout has no copies (export.needs_both); nbval
# runs it whole.
NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
             if not export.needs_both(json.loads(p.read_text(encoding="utf-8")))]
# The chapters whose copies make test runs: one for each way a copy gets what it reads.
SMOKE = {
    "08-lenet": "Fashion-MNIST from the system package, the training loop",
    "13-resnet": "a saved run fetched from the book by name (TrainResult.load)",
    "15-comparison": "the book's saved runs listed by a pattern (book_files)",
    "22-cnn-text": "data that no system package holds (the movie reviews)",
}
ALL = bool(os.environ.get("D2LMINI_ALL_COPIES"))
RUN = NOTEBOOKS if ALL else [p for p in NOTEBOOKS if p.stem in SMOKE]


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_name_a_copy_reads_is_defined_in_time(path, framework):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert export.unresolved_names(nb, framework) == []


def test_the_smoke_chapters_exist():
    assert set(SMOKE) <= {p.stem for p in NOTEBOOKS}


# One batch to train on and one to test, one epoch: what the chapters that train large
# networks take in quick mode already (they set these values unless they are set).
COPY_BUDGET = {"D2LMINI_MAX_EXAMPLES": "128", "D2LMINI_MAX_TEST_EXAMPLES": "128",
               "D2LMINI_MAX_EPOCHS": "1"}


def run_alone(path, framework, folder, book_url, monkeypatch):
    """Execute the ``framework`` copy of notebook ``path`` in the empty ``folder`` (the
    student copy, without solutions, unless all copies are asked for)."""
    copy = export.single_framework(json.loads(path.read_text(encoding="utf-8")), framework)
    if not ALL:
        copy = export.without_solutions(copy)
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    for name, value in COPY_BUDGET.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("D2LMINI_BOOK_URL", book_url)
    found = movie_reviews.find()  # the data of CNNs for text, which no system package holds
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder.parent / "cache"))  # nothing fetched before
    if found is not None:  # where `make setup` put them, as it does on a student's machine
        cache = folder.parent / "cache" / "d2lmini" / movie_reviews.NAME
        cache.mkdir(parents=True)
        (cache / found.name).symlink_to(found)
    folder.mkdir()
    client = nbclient.NotebookClient(nbformat.from_dict(copy), timeout=900,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        last = [line for line in str(e).splitlines() if line.strip()][-1]
        pytest.fail(f"the {framework} copy of {path.name} stops: {last}", pytrace=False)
    # Nothing was written beside the chapter but what a run writes (quick mode: no results).
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert not [p for p in left if p.startswith("results/")], left


# Two classes, so that `pytest -n 2 --dist loadscope` runs the two frameworks side by side.
class TestPyTorchCopies:
    @pytest.mark.parametrize("path", RUN, ids=lambda p: p.stem)
    def test_runs_alone(self, path, tmp_path, book_url, monkeypatch):
        run_alone(path, "pytorch", tmp_path / "alone", book_url, monkeypatch)


class TestTensorFlowCopies:
    @pytest.mark.parametrize("path", RUN, ids=lambda p: p.stem)
    def test_runs_alone(self, path, tmp_path, book_url, monkeypatch):
        run_alone(path, "tensorflow", tmp_path / "alone", book_url, monkeypatch)
