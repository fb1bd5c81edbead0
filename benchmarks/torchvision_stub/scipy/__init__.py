"""A stand-in for SciPy holding only what ``import d2l.torch`` needs (see README.md)."""
__version__ = "0.0.0+stub"
IS_STUB = True
