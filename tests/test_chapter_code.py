"""The chapters are the source of their networks; d2lmini's copy is generated from them.

A chapter defines each network in its own code cells, so that a student can change a layer
and re-run the chapter. Definitions marked ``#@save`` (as in the d2l book) are copied by
``scripts/saved_cells.py`` into ``d2lmini/backend_torch/book_networks.py`` and
``d2lmini/backend_tf/book_networks.py``, where other code reuses them (the comparison
chapter, scripts/full_runs.py, the benchmark). These tests fail while those files are not
what the chapters say, and check the copying's rules: both frameworks, the TensorFlow cells'
names (``alexnet_tf``, ``InceptionTF``: both tabs share one notebook kernel) mapped back to
the package's, ``d2l.``/``d2ltf.`` prefixes dropped.

To change a network: edit the chapter's cell, then ``python scripts/saved_cells.py``.
"""
import ast
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import saved_cells  # noqa: E402

from d2lmini.networks import NETWORKS  # noqa: E402

SAVED = saved_cells.saved()
# Chapter 8 writes LeNet for its 28x28 images; the package's lenet(image_size=...) is a
# hand-written generalisation of it (models.py), used by later chapters at other sizes.
HAND_WRITTEN = {"lenet"}


def test_the_generated_files_are_what_the_chapters_say(capsys):
    assert saved_cells.main(["--check"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("framework", saved_cells.FRAMEWORKS)
def test_the_generated_file_defines_each_saved_name_once_and_exports_it(framework):
    tree = ast.parse(saved_cells.TARGET[framework].read_text(encoding="utf-8"))
    defined = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    exported = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", None) == "__all__" for t in n.targets))
    expected = [saved_cells.package_name(name, fw) for _, fw, name, _ in SAVED
                if fw == framework]
    assert defined == exported == expected
    text = ast.unparse(tree)  # the code, without comments
    assert "#@save" not in text.split("__all__")[1] and "d2l." not in text and "d2ltf." not in text
    if framework == "tensorflow":
        assert not [n for n in defined if n.endswith(("_tf", "TF"))]


def test_every_network_of_the_registry_is_written_in_a_chapter():
    """Adding a network is writing it in its chapter (#@save, both tabs) and one registry
    entry; the package's copy follows from the chapter."""
    saved = {saved_cells.package_name(name, fw) for _, fw, name, _ in SAVED}
    missing = {n.builder for n in NETWORKS.values()} - saved - HAND_WRITTEN
    assert not missing, f"in the registry but saved (#@save) in no chapter: {missing}"


def test_the_chapter_is_the_source_an_edit_reaches_the_package():
    """One changed number in a chapter's cell is a different generated file, with the edit."""
    edited = [(nb, fw, name, text.replace("kernel_size=11", "kernel_size=9"))
              if name in ("alexnet", "alexnet_tf") else (nb, fw, name, text)
              for nb, fw, name, text in SAVED]
    for framework in saved_cells.FRAMEWORKS:
        before = saved_cells.render(framework, SAVED)
        after = saved_cells.render(framework, edited)
        assert after != before and "kernel_size=9" in after and "kernel_size=9" not in before


def test_a_definition_saved_in_one_framework_only_is_refused():
    alone = [entry for entry in SAVED if entry[2] != "alexnet_tf"]
    with pytest.raises(ValueError, match="alexnet_tf in tensorflow cells"):
        saved_cells.render("pytorch", alone)


def test_the_tensorflow_names_go_back_to_the_package_names():
    assert saved_cells.package_name("alexnet_tf", "tensorflow") == "alexnet"
    assert saved_cells.package_name("InceptionTF", "tensorflow") == "Inception"
    assert saved_cells.package_name("alexnet_tf", "pytorch") == "alexnet_tf"
    code = "def googlenet_tf():  #@save\n    return d2ltf.CheckedSequential(InceptionTF(1))"
    assert saved_cells._rename(code, "tensorflow", ["googlenet", "Inception"]) == \
        "def googlenet():\n    return CheckedSequential(Inception(1))"


def test_a_saved_cell_must_name_its_framework(tmp_path):
    cell = {"cell_type": "code", "metadata": {"tags": []}, "outputs": [],
            "execution_count": None, "source": "def net():  #@save\n    return 1\n"}
    path = tmp_path / "99-new.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    with pytest.raises(ValueError, match="needs the tag pytorch or tensorflow"):
        saved_cells.saved([path])
