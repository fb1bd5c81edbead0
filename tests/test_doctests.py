"""The examples in the docstrings of every module of d2lmini run and print what they say.

The modules are found by walking the package (a new module is tested without being listed
here), in three groups: the framework-free modules, the PyTorch backend
(``d2lmini.backend_torch.*`` and ``d2lmini.torch``) and the TensorFlow backend
(``d2lmini.backend_tf.*`` and ``d2lmini.tensorflow``). A backend module's examples run in
that module's namespace over the public API of its framework (``from d2lmini import torch
as d2l`` without the ``d2l.``), so that an example in ``train.py`` may call ``lenet()``.

A module without examples passes; a failing example fails its group. Each group must run a
minimum number of examples, so that a collector that finds nothing cannot pass. Examples
marked ``# doctest: +SKIP`` need the real data sets or a long run and are not counted.
"""
import doctest
import importlib
import os
import pkgutil

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import d2lmini

# group: (public API module whose names the examples may use, fewest examples it must run)
GROUPS = {
    "framework-free": (None, 60),
    "torch": ("d2lmini.torch", 30),
    "tensorflow": ("d2lmini.tensorflow", 30),
}


def group_of(name):
    """Which group the module ``name`` belongs to."""
    if name == "d2lmini.torch" or name.startswith("d2lmini.backend_torch"):
        return "torch"
    if name == "d2lmini.tensorflow" or name.startswith("d2lmini.backend_tf"):
        return "tensorflow"
    return "framework-free"


# Walking imports the subpackages (whose __init__ files import no framework), not the modules.
MODULES = sorted(m.name for m in pkgutil.walk_packages(d2lmini.__path__, "d2lmini."))


def test_the_walk_finds_every_module():
    """The walk sees the modules of all three groups (a broken walk would test nothing)."""
    for name in ["d2lmini.arithmetic", "d2lmini.frameworks", "d2lmini.training",
                 "d2lmini.backend_torch.models", "d2lmini.backend_torch.train",
                 "d2lmini.backend_tf.models", "d2lmini.backend_tf.train"]:
        assert name in MODULES
    assert {group_of(name) for name in MODULES} == set(GROUPS)


@pytest.mark.parametrize("group", list(GROUPS))
def test_docstring_examples(group, no_budget):
    api_name, minimum = GROUPS[group]
    if group == "torch":
        pytest.importorskip("torch")
    elif group == "tensorflow":
        pytest.importorskip("tensorflow")
    api = {}
    if api_name:
        api = {k: v for k, v in vars(importlib.import_module(api_name)).items()
               if not k.startswith("__")}
    attempted, failures = {}, {}
    for name in MODULES:
        if group_of(name) != group:
            continue
        module = importlib.import_module(name)
        globs = {**api, **vars(module)}  # the module's own names win over the API's
        result = doctest.testmod(module, globs=globs, optionflags=doctest.ELLIPSIS)
        attempted[name] = result.attempted
        if result.failed:
            failures[name] = result.failed
    assert not failures, f"failing examples (doctest's report is above): {failures}"
    total = sum(attempted.values())
    assert total >= minimum, f"only {total} examples ran in {group}: {attempted}"
