"""A stand-in for torchvision, so that ``import d2l.torch`` works without it (see README.md).

Only the names that d2l 1.0.3 touches at import time exist; using any of them raises
``RuntimeError``. The benchmark never does: it feeds d2l's ``train_ch6`` d2lmini's iterators.
"""
from . import datasets, io, transforms  # noqa: F401

__version__ = "0.0.0+stub"
IS_STUB = True
