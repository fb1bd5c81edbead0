"""CIFAR-10 in PyTorch, and its stated stand-in when CIFAR-10 is not on the machine."""
import torch

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
        super().__init__(images, labels, batch_size, **kwargs)
        self.augment = augment
        self.rng = torch.Generator().manual_seed(kwargs.get("seed", 0))

    def transform(self, X):
        X = super().transform(X)
        if X.shape[1] == 1:
            X = X.expand(-1, 3, -1, -1)
        if self.augment:
            X = random_crop_flip(X, self.image_size, padding=CROP_PADDING, rng=self.rng)
        return X


@mirrordocs.shared("load_data_cifar10", "pytorch", dataset="",
    example="torch.Size([128, 3, 32, 32])")
def load_data_cifar10(batch_size, resize=None, augment=False):
    return cifar10.loaders(_CifarLoader, batch_size, resize, augment)


@mirrordocs.shared("load_data_cifar10_or_substitute", "pytorch")
def load_data_cifar10_or_substitute(batch_size, resize=None, augment=False):
    return cifar10.loaders_or_substitute(_CifarLoader, batch_size, resize, augment)


get_cifar10_labels = cifar10.text_labels
