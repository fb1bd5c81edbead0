"""Data loading in PyTorch: in-memory arrays, shuffled per epoch, resized per batch."""
import math

import numpy as np
import torch
from torch.nn import functional as F

from ..data import fashion_mnist, loading
from .. import mirrordocs

__all__ = ["ArrayLoader", "load_data_fashion_mnist", "get_fashion_mnist_labels",
           "split_validation"]


@mirrordocs.shared("ArrayLoader", "pytorch", via="",
    conversion="""
    Conversion to floats in [0, 1] and resizing happen per batch, in PyTorch, on
    :attr:`device` (so a GPU resizes its own batches).""", more="",
    device="""
    device : str or torch.device, optional
        Where the batches are made; None: the CPU (``train_ch6`` moves them with :meth:`on`).""")
class ArrayLoader(loading.PassCounter):

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None,
                 total_examples=None, seed=0, device=None):
        self.images = self._prepare(images, labels, resize)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64).copy())
        self.batch_size = loading.check_batch_size(batch_size)
        self.shuffle, self.seed = shuffle, seed
        self._passes = [0]  # one counter, shared with the copies on() makes
        self.num_examples = len(self.labels)
        self.total_examples = total_examples or self.num_examples
        self.device = torch.device(device or "cpu")

    def _prepare(self, images, labels, resize):
        """Check the arrays and set :attr:`image_size`; return the images as the uint8
        tensor the batches are cut from, (N, C, H, W). A loader of other data (token ids)
        overrides this and :meth:`transform`."""
        images = loading.check_arrays(images, labels)
        x = torch.from_numpy(images.copy())
        x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
        self.image_size = loading.check_resize(resize, x.shape[2:])
        return x

    def __len__(self):
        return math.ceil(self.num_examples / self.batch_size)

    def fingerprint(self):
        """What identifies the examples this loader serves, for a checkpoint
        (:func:`d2lmini.data.loading.fingerprint`)."""
        return loading.fingerprint(self, self.images.cpu().numpy(), self.labels.cpu().numpy(),
                                   self.shuffle)

    def on(self, device):
        """A loader sharing this one's data and epoch count that makes its batches on
        ``device``."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.device = torch.device(device)
        other.images = self.images.to(other.device)
        other.labels = self.labels.to(other.device)
        return other

    def __iter__(self):
        n = self.num_examples
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(n, generator=g).to(self.device)
        else:
            order = None
        for start in range(0, n, self.batch_size):
            if order is None:
                X, y = self.images[start:start + self.batch_size], self.labels[start:start + self.batch_size]
            else:
                idx = order[start:start + self.batch_size]
                X, y = self.images[idx], self.labels[idx]
            yield self.transform(X), y
        if self.shuffle:  # counted once the pass is complete
            self.epoch += 1

    def transform(self, X):
        """uint8 (B, C, H, W) -> float32 in [0, 1], resized to :attr:`image_size`."""
        X = X.float().div_(255)
        if tuple(X.shape[2:]) != self.image_size:
            X = F.interpolate(X, size=self.image_size, mode="bilinear", align_corners=False,
                              antialias=X.shape[2] > self.image_size[0])
        return X


@mirrordocs.shared("load_data_fashion_mnist", "pytorch",
    example="(torch.Size([256, 1, 28, 28]), torch.Size([256]))")
def load_data_fashion_mnist(batch_size, resize=None):
    loading.check_batch_size(batch_size)
    loading.check_resize(resize, (28, 28))
    return loading.build_loaders(ArrayLoader, fashion_mnist.load_arrays(), batch_size, resize,
                                 "Fashion-MNIST")


get_fashion_mnist_labels = fashion_mnist.text_labels


@mirrordocs.shared("split_validation", "pytorch", dataset="", shuffle="shuffle",
    dtype="y.dtype", example="((3, 1, 8, 8), torch.int64)")
def split_validation(train_iter, n_valid, *, seed=0):
    if not isinstance(train_iter, ArrayLoader):
        raise TypeError(f"split_validation takes a d2lmini loader (an ArrayLoader), got "
                        f"{type(train_iter).__name__}")
    images = train_iter.images.cpu()
    if images.ndim == 4:  # (N, C, H, W) back to the (N, H, W, C) the constructor takes
        images = images.permute(0, 2, 3, 1)
    return loading.split_loader(train_iter, images.numpy(), train_iter.labels.cpu().numpy(),
                                train_iter.shuffle, n_valid, seed)


