"""Every single-framework copy of every chapter runs top to bottom, alone in a folder.

This is how a student meets a chapter downloaded from the site ("PyTorch only") or opened
from Colab: no other notebook, no ``results/`` folder beside it. The files a chapter reads
come from the book (``d2lmini.bookfiles``), here served from this checkout on 127.0.0.1.
Quick mode (``D2LMINI_QUICK=1``, set by ``make test``) keeps each run short.
"""
import json
from pathlib import Path

import pytest

from d2lmini import export, movie_reviews

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
# A chapter that needs both frameworks throughout has no copies (export.needs_both); nbval
# runs it whole.
NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
             if not export.needs_both(json.loads(p.read_text(encoding="utf-8")))]


def run_alone(path, framework, folder, book_url, monkeypatch):
    """Execute the ``framework`` copy of notebook ``path`` in the empty ``folder``."""
    copy = export.single_framework(json.loads(path.read_text(encoding="utf-8")), framework)
    monkeypatch.setenv("D2LMINI_QUICK", "1")
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
    @pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
    def test_runs_alone(self, path, tmp_path, book_url, monkeypatch):
        run_alone(path, "pytorch", tmp_path / "alone", book_url, monkeypatch)


class TestTensorFlowCopies:
    @pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
    def test_runs_alone(self, path, tmp_path, book_url, monkeypatch):
        run_alone(path, "tensorflow", tmp_path / "alone", book_url, monkeypatch)
