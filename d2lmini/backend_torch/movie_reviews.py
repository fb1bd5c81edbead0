"""Movie-review sentences in PyTorch: mini-batches of token ids, for CNNs on text."""
import numpy as np
import torch

from ..data import loading, movie_reviews
from .. import mirrordocs
from .data import ArrayLoader

__all__ = ["load_data_movie_reviews"]


class _TokenLoader(ArrayLoader):
    """:class:`ArrayLoader` over sentences as token ids, (N, L): batches hold the ids as
    they are (no scaling, no resizing), shuffled and seeded as batches of images are.

    >>> loader = _TokenLoader(np.array([[5, 3, 0], [4, 0, 0]]), np.array([1, 0]), 2)
    >>> X, y = next(iter(loader)); X.tolist(), X.dtype, y.tolist()
    ([[5, 3, 0], [4, 0, 0]], torch.int64, [1, 0])
    """

    def _prepare(self, tokens, labels, resize):
        tokens = loading.prepare_tokens(self, tokens, labels, resize)
        return torch.from_numpy(tokens.astype(np.int64))  # a copy: the arrays stay read-only

    def transform(self, X):
        """Token ids as they are: int64 (B, L)."""
        return X


@mirrordocs.shared("load_data_movie_reviews", "pytorch", dataset="",
    example="(torch.Size([50, 64]), torch.Size([50]), 9383)")
def load_data_movie_reviews(batch_size, max_len=movie_reviews.MAX_LEN,
                            min_freq=movie_reviews.MIN_FREQ):
    return movie_reviews.loaders(_TokenLoader, batch_size, max_len, min_freq)
