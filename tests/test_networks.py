"""The registry of the book's networks (d2lmini/networks.py) against what it describes.

Framework-free and fast: the backends' builders are read from their source (a public
function of ``backend_*/models.py`` or ``backend_*/book_networks.py`` that takes
``num_classes`` builds a whole network), so a
network added to a backend without a registry entry, or an entry without a builder in both
backends, fails here without importing PyTorch or TensorFlow. That the registry's settings
are the chapters' is checked in tests/test_full_runs.py; that the two builders of an entry
agree, in tests/test_models.py and tests/test_twins.py.
"""
import ast
import json
import doctest
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from d2lmini import networks
from d2lmini.frameworks import FRAMEWORKS
from d2lmini.networks import NETWORKS

ROOT = Path(__file__).resolve().parent.parent
BACKEND = {"pytorch": ROOT / "d2lmini" / "backend_torch",
           "tensorflow": ROOT / "d2lmini" / "backend_tf"}
MODULES = ("models.py", "book_networks.py")  # hand-written; generated from the chapters
sys.path.insert(0, str(ROOT / "scripts"))
import saved_cells  # noqa: E402


def builders(framework):
    """{name: its parameters} of the public functions of a backend's models module that take
    ``num_classes``: the builders of whole networks (blocks such as ``vgg_block`` don't)."""
    found = {}
    for module in MODULES:
        tree = ast.parse((BACKEND[framework] / module).read_text(encoding="utf-8"))
        public = next(ast.literal_eval(node.value) for node in tree.body
                      if isinstance(node, ast.Assign)
                      and any(getattr(t, "id", None) == "__all__" for t in node.targets))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in public:
                params = [a.arg for a in node.args.args + node.args.kwonlyargs]
                if "num_classes" in params:
                    found[node.name] = params
    return found


# Chapter 24 (after ResNet) trains three networks in one cell under ResNet-18's budget and
# compares them there; the registry holds each chapter's one network and the settings of its
# GPU full run, so the builders saved in a chapter without a registry entry are outside it
# (their twins are tested in test_twins.py).
OUTSIDE_THE_REGISTRY = {saved_cells.package_name(name, fw)
                        for chapter, fw, name, _ in saved_cells.saved()
                        if chapter not in {n.chapter for n in NETWORKS.values()}}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_builder_has_an_entry_and_every_entry_a_builder(framework):
    found = builders(framework)
    assert found, f"no network builders found in {BACKEND[framework]}"
    assert {"resnext18", "se_resnet18", "mobilenet18"} <= OUTSIDE_THE_REGISTRY  # derived
    found = {k: v for k, v in found.items() if k not in OUTSIDE_THE_REGISTRY}
    registered = {n.builder for n in NETWORKS.values()}
    assert not set(found) - registered, (
        f"{framework} builds networks that d2lmini/networks.py does not list: add an entry")
    assert not registered - set(found), (
        f"d2lmini/networks.py lists builders that {framework}'s backend lacks")
    for n in NETWORKS.values():  # the builder takes the entry's arguments
        assert set(n.kwargs) <= set(found[n.builder]), (n.key, n.kwargs)


def test_one_chapter_network_per_builder():
    own = [n.builder for n in networks.chapter_networks()]
    assert len(own) == len(set(own))
    for n in NETWORKS.values():
        assert networks.by_builder(n.builder).key == n.base


def test_entries_are_well_formed():
    titles = [n.title for n in NETWORKS.values()]
    assert len(titles) == len(set(titles)), "titles name the runs: one per network"
    for key, n in NETWORKS.items():
        assert n.key == key and key == key.lower() and " " not in key
        assert n.batch_size > 0 and n.lr > 0 and n.epochs > 0
        assert n.image_size is None or n.image_size > 0
        if n.variant_of is not None:  # a variant of a chapter's own network, in its chapter
            base = NETWORKS[n.variant_of]
            assert base.variant_of is None
            assert (n.builder, n.chapter) == (base.builder, base.chapter)


def test_chapters_exist_and_are_in_the_book():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    files = {c["file"] for part in yaml.safe_load(toc)["parts"] for c in part["chapters"]}
    for n in NETWORKS.values():
        for ext in (".md", ".ipynb"):
            assert (ROOT / "notebooks" / f"{n.chapter}{ext}").is_file(), (n.key, ext)
        assert f"notebooks/{n.chapter}" in files, n.key


def test_doctests():
    result = doctest.testmod(networks, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_importing_the_registry_imports_no_framework():
    code = ("import sys, d2lmini.networks\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_build_names_what_is_wrong_before_importing_a_framework():
    with pytest.raises(ValueError, match="pytorch, tensorflow"):
        networks.build("lenet", "jax")
    with pytest.raises(KeyError, match="unknown network 'transformer'"):
        networks.build("transformer")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reads_the_registry():
    """The benchmark names its networks by builder; each has an entry, and sizes per mode."""
    bench = load("benchmarks/bench.py", "bench")
    for model in bench.MODELS:
        networks.by_builder(model)
    for mode, sizes in bench.SIZES.items():
        assert set(sizes) == set(bench.MODELS), mode
    for model in bench.MODELS:  # a GPU trains with the chapter's batches
        assert bench.SIZES["gpu"][model]["batch"] == networks.by_builder(model).batch_size


def test_the_full_run_script_reads_the_registry():
    full_runs = load("scripts/full_runs.py", "full_runs")
    assert full_runs.NETWORKS is NETWORKS


def test_chapter_24s_networks_are_the_ones_it_saves_and_its_runs_name():
    """networks.AFTER_RESNET (chapter 15 orders its tables by networks.titles()) lists the
    builders chapter 24 saves, under the titles its runs record."""
    assert set(networks.AFTER_RESNET) <= OUTSIDE_THE_REGISTRY
    recorded = {json.loads(p.read_text(encoding="utf-8"))["extra"].get("model")
                for p in (ROOT / "notebooks" / "results").glob("*.json")}
    assert set(networks.AFTER_RESNET.values()) <= recorded
    assert len(networks.titles()) == len(set(networks.titles()))


def test_an_entry_says_where_its_full_run_stands():
    with pytest.raises(ValueError, match="full_run must be one of committed, awaiting, none"):
        networks.Network(key="x", title="X", builder="lenet", chapter="08-lenet",
                         image_size=None, batch_size=1, lr=0.1, epochs=1, full_run="soon")
