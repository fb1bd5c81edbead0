"""CIFAR-10 in TensorFlow, and its stated stand-in when CIFAR-10 is not on the machine."""
import tensorflow as tf

from ..data import cifar10
from .. import mirrordocs
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


@mirrordocs.shared("load_data_cifar10", "tensorflow",
    dataset=" and ``dataset`` (a ``tf.data.Dataset`` for ``model.fit``)",
    example="TensorShape([128, 32, 32, 3])")
def load_data_cifar10(batch_size, resize=None, augment=False):
    return cifar10.loaders(_CifarLoader, batch_size, resize, augment)


@mirrordocs.shared("load_data_cifar10_or_substitute", "tensorflow")
def load_data_cifar10_or_substitute(batch_size, resize=None, augment=False):
    return cifar10.loaders_or_substitute(_CifarLoader, batch_size, resize, augment)


get_cifar10_labels = cifar10.text_labels
