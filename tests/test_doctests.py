"""The examples in the docstrings of d2lmini's framework-free modules run and print what
they say (the backends' examples are checked by the model and training tests)."""
import doctest
import importlib

import pytest

MODULES = ["d2lmini.arithmetic", "d2lmini.checkpoint", "d2lmini.config", "d2lmini.netsummary",
           "d2lmini.training"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, no_budget):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
