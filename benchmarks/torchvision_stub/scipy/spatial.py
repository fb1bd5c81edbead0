"""Stand-in for scipy.spatial: ``distance_matrix`` in NumPy (d2l imports it, the benchmark
does not use it)."""
import numpy as np


def distance_matrix(x, y, p=2):
    """Pairwise Minkowski-``p`` distances between the rows of ``x`` and ``y``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return (np.abs(x[:, None, :] - y[None, :, :]) ** p).sum(-1) ** (1.0 / p)
