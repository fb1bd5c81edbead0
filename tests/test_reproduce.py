"""make reproduce: a chapter re-run at its committed budget gives the committed numbers."""
import re

import nbformat
import pytest

from d2lmini.book import reproduce

CELL = """
import numpy as np
from torch import nn
from d2lmini import torch as d2l
rng = np.random.default_rng(0)
images = rng.integers(0, 255, (96, 8, 8), dtype=np.uint8)
labels = (images.mean(axis=(1, 2)) > 127).astype(int)     # learnable: bright or dark
train_iter = d2l.ArrayLoader(images, labels, 16, shuffle=True)
test_iter = d2l.ArrayLoader(images, labels, 32)
net = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
result = d2l.train_ch6(net, train_iter, test_iter, 3, 0.5, "cpu", verbose=False)
print(result.summary())
"""


def chapter(tmp_path):
    """A one-cell chapter, executed once: its output is the 'committed' run."""
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        CELL, metadata={"tags": ["pytorch"]})])
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "99-tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_rerun_gives_the_committed_numbers_and_a_changed_number_is_caught(
        tmp_path, monkeypatch, capsys, no_budget):
    path = chapter(tmp_path)
    committed = reproduce.summaries(nbformat.read(path, as_version=4))
    assert len(committed) == 1 and committed[0].framework == "pytorch"
    assert reproduce.main([str(path), "--framework", "pytorch"]) == 0
    out = capsys.readouterr().out
    assert "all within the tolerance" in out and "+0.000" in out  # same seed: identical
    # A committed number that the code does not give (prose edited by hand, say) fails.
    nb = nbformat.read(path, as_version=4)
    text = nb.cells[0].outputs[0]["text"]
    acc = f"test acc {committed[0].test_acc:.3f}"
    nb.cells[0].outputs[0]["text"] = text.replace(acc, f"test acc {committed[0].test_acc - 0.05:.3f}")
    nbformat.write(nb, path)
    assert reproduce.main([str(path), "--framework", "pytorch"]) == 1
    assert "beyond the tolerance" in capsys.readouterr().out
    assert not (tmp_path / "results").exists()  # the chapter's folder is left as it was


def test_runs_that_do_not_pair_up_fail():
    one = reproduce.Summary(3, "pytorch", 0.5, 0.8, 0.8, 100.0, "")
    table, ok = reproduce.compare([one, one], [one])
    assert not ok and "do not pair up" in table


def test_a_chapter_with_two_budgets_is_refused():
    a = reproduce.Summary(1, "pytorch", 0.5, 0.8, 0.8, 1.0, "budget: 4,000 of 60,000 train / "
                          "10,000 test examples, 5 epochs, 28x28 images, batch 128")
    b = reproduce.Summary(2, "pytorch", 0.5, 0.8, 0.8, 1.0, "budget: 60,000 train / 10,000 "
                          "test examples, 1 of 10 epochs, 224x224 images, batch 128")
    with pytest.raises(ValueError, match="different budgets"):
        reproduce.chapter_budget([a, b])
    assert reproduce.chapter_budget([a, a]) == {"D2LMINI_MAX_EXAMPLES": "4000"}


def test_without_jupyter_the_commands_say_what_to_install(monkeypatch, capsys):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "nbclient" else real(name, *a))
    for main in (reproduce.main, __import__("d2lmini.book.execute", fromlist=["main"]).main):
        with pytest.raises(SystemExit) as e:
            main(["notebooks/08-lenet.ipynb"] + (["--framework", "pytorch"]))
        assert e.value.code == 2
        assert "pip install nbclient ipykernel" in capsys.readouterr().err


def test_the_budget_is_set_for_the_rerun_only_and_other_settings_stay(monkeypatch):
    import os
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    monkeypatch.setenv("D2LMINI_DATA_DIR", "/data")
    with reproduce.budget_environment({"D2LMINI_MAX_EPOCHS": "3"}):
        assert "D2LMINI_QUICK" not in os.environ           # this shell's budget is not the run's
        assert os.environ["D2LMINI_MAX_EPOCHS"] == "3"
        assert os.environ["D2LMINI_DATA_DIR"] == "/data"   # where the data are stays
    assert os.environ["D2LMINI_QUICK"] == "1" and "D2LMINI_MAX_EPOCHS" not in os.environ


@pytest.fixture
def chapters(tmp_path, monkeypatch):
    """A book folder with three (empty) chapters, two of them named alike."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notebooks").mkdir()
    for name in ("08-lenet", "09-alexnet", "19-alexnet-in-practice"):
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
    return tmp_path / "notebooks"


def test_a_chapter_is_found_by_path_number_or_name(chapters):
    lenet = chapters / "08-lenet.ipynb"
    for spec in ("8", "08", "lenet", "LeNet", "08-lenet", str(lenet)):
        assert reproduce.find_chapter(spec).resolve() == lenet
    assert reproduce.find_chapter("alexnet").name == "09-alexnet.ipynb"  # the exact name wins


@pytest.mark.parametrize("spec, message", [
    ("99", r"no chapter matches '99': the chapters in notebooks are 08 to 19; give a number "
           r"or a name, e.g. 08 or lenet"),
    ("0", r"no chapter matches '0': the chapters in notebooks are 08 to 19"),
    ("alex", r"chapter 'alex' matches 2 chapters \(09-alexnet, 19-alexnet-in-practice\); "
             r"give one of them, e.g. 09")])
def test_no_chapter_or_several_say_which(chapters, capsys, spec, message):
    """make reproduce CHAPTER=99 ran the script without a notebook (argparse: "the following
    arguments are required"), CHAPTER=0 with nine ("unrecognized arguments")."""
    with pytest.raises(ValueError, match=message):
        reproduce.find_chapter(spec)
    with pytest.raises(SystemExit) as e:
        reproduce.main([spec])
    assert e.value.code == 2 and re.search(message, capsys.readouterr().err)


def test_make_reproduce_hands_the_chapter_over_as_written():
    import subprocess
    from pathlib import Path
    out = subprocess.run(["make", "-n", "reproduce", "CHAPTER=99"], capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parent.parent, check=True).stdout
    assert '-m d2lmini.book.reproduce "99" --tolerance' in out
