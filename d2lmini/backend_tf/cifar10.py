"""CIFAR-10 in TensorFlow, and its stated stand-in when CIFAR-10 is not on the machine."""
import tensorflow as tf

from .. import cifar10
from .augment import random_crop_flip
from .data import ArrayLoader

__all__ = ["load_data_cifar10", "load_data_cifar10_or_substitute", "get_cifar10_labels"]

CROP_PADDING = 4  # augment=True: pad 4 pixels, crop back to size, flip (the usual CIFAR recipe)


class _CifarLoader(ArrayLoader):
    """:class:`ArrayLoader` that repeats one channel to three and, if ``augment``, applies a
    random crop (after padding 4 pixels) and a horizontal flip to every training batch."""

    def __init__(self, images, labels, batch_size, augment=False, **kwargs):
        # set before ArrayLoader.__init__, which traces transform into the tf.data pipeline
        self.augment = augment
        self.rng = tf.random.Generator.from_seed(kwargs.get("seed", 0))
        super().__init__(images, labels, batch_size, **kwargs)

    def transform(self, X, y):
        X, y = super().transform(X, y)
        if X.shape[-1] == 1:
            X = tf.repeat(X, 3, axis=-1)
        if self.augment:
            X = random_crop_flip(X, self.image_size, padding=CROP_PADDING, rng=self.rng)
        return X, y


def load_data_cifar10(batch_size, resize=None, augment=False):
    """CIFAR-10 as TensorFlow mini-batches: ``(train_iter, test_iter)``.

    Parameters
    ----------
    batch_size : int
        Examples per mini-batch, e.g. 128.
    resize : None, int or (height, width)
        Resize each batch to this size; ``None`` keeps 32x32.
    augment : bool
        Training batches only: pad 4 pixels, take a random crop of the image size and mirror
        it left to right with probability 1/2 (a new draw every batch).

    Returns
    -------
    train_iter, test_iter
        Yield ``X`` of shape (batch, H, W, 3), float32 in [0, 1], and ``y`` of shape
        (batch,), int32. They have ``num_examples``, ``image_size``, ``classes``,
        ``data_name`` and ``dataset`` (a ``tf.data.Dataset`` for ``model.fit``). In quick
        mode or under ``D2LMINI_MAX_EXAMPLES`` they hold a seeded subset, and a line says so.

    Raises
    ------
    d2lmini.cifar10.DataNotFoundError
        CIFAR-10 is not on this machine and cannot be downloaded; the message says how to
        fix it. :func:`load_data_cifar10_or_substitute` falls back to a stand-in instead.
        It is :class:`d2lmini.datadir.DataNotFoundError`, the class Fashion-MNIST raises too.

    Example
    -------
    >>> train_iter, test_iter = load_data_cifar10(128)  # doctest: +SKIP
    >>> X, y = next(iter(train_iter)); X.shape          # doctest: +SKIP
    TensorShape([128, 32, 32, 3])
    """
    return cifar10.loaders(_CifarLoader, batch_size, resize, augment)


def load_data_cifar10_or_substitute(batch_size, resize=None, augment=False):
    """CIFAR-10 if it is on this machine (or can be downloaded), else a stated stand-in.

    The stand-in is Fashion-MNIST padded to 32x32 with its channel repeated three times
    (:func:`d2lmini.cifar10.substitute_arrays`): same input shape as CIFAR-10, but ten
    clothing classes and an easier task. A line always says which data set is used.

    Parameters
    ----------
    batch_size, resize, augment
        As :func:`load_data_cifar10`.

    Returns
    -------
    train_iter, test_iter, data_name
        As :func:`load_data_cifar10`, plus the name of the data actually used: ``"CIFAR-10"``
        or :data:`d2lmini.cifar10.SUBSTITUTE`.

    Raises
    ------
    FileNotFoundError
        ``D2LMINI_DATA_DIR`` is set but is not a folder: a folder the user names is never
        replaced by the stand-in silently.

    Example
    -------
    >>> train_iter, test_iter, name = load_data_cifar10_or_substitute(128)  # doctest: +SKIP
    Data: CIFAR-10 is not on this machine, so this run uses Fashion-MNIST padded to 32x32 ...
    """
    return cifar10.loaders_or_substitute(_CifarLoader, batch_size, resize, augment)


get_cifar10_labels = cifar10.text_labels
