"""Movie-review sentences in TensorFlow: mini-batches of token ids, for CNNs on text."""
import numpy as np

from ..data import loading, movie_reviews
from .. import mirrordocs
from .data import ArrayLoader

__all__ = ["load_data_movie_reviews"]


class _TokenLoader(ArrayLoader):
    """:class:`ArrayLoader` over sentences as token ids, (N, L): batches hold the ids as
    they are (no scaling, no resizing), shuffled and seeded as batches of images are.

    >>> loader = _TokenLoader(np.array([[5, 3, 0], [4, 0, 0]]), np.array([1, 0]), 2)
    >>> X, y = next(iter(loader)); X.numpy().tolist(), X.dtype.name, y.numpy().tolist()
    ([[5, 3, 0], [4, 0, 0]], 'int32', [1, 0])
    """

    def _prepare(self, tokens, labels, resize):
        tokens = loading.prepare_tokens(self, tokens, labels, resize)
        return tokens.astype(np.int32)  # Keras' Embedding takes int32 ids

    def transform(self, X, y):
        """Token ids as they are: int32 (B, L)."""
        return X, y


@mirrordocs.shared("load_data_movie_reviews", "tensorflow",
    dataset=" and ``dataset`` (a ``tf.data.Dataset`` for ``model.fit``)",
    example="(TensorShape([50, 64]), TensorShape([50]), 9383)")
def load_data_movie_reviews(batch_size, max_len=movie_reviews.MAX_LEN,
                            min_freq=movie_reviews.MIN_FREQ):
    return movie_reviews.loaders(_TokenLoader, batch_size, max_len, min_freq)
