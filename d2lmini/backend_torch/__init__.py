"""PyTorch implementations behind :mod:`d2lmini.torch`."""
