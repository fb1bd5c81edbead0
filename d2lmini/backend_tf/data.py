"""Data loading in TensorFlow: in-memory arrays, shuffled per epoch, resized per batch."""
import math
import os

import numpy as np
import tensorflow as tf

from ..data import fashion_mnist, loading
from .. import mirrordocs

__all__ = ["ArrayLoader", "load_data_fashion_mnist", "get_fashion_mnist_labels",
           "split_validation"]


@mirrordocs.shared("ArrayLoader", "tensorflow", via=", via ``tf.data``",
    conversion="""
    Conversion to floats in [0, 1] and resizing happen per batch, in a compiled function on
    :attr:`device` (by default the current device).""", more="""
    Iterating yields batches on the calling thread; :attr:`dataset` is the same data as a
    ``tf.data.Dataset`` (reshuffled by ``tf.data`` on each pass) for ``model.fit``.

    The loader is itself a ``tf.data.Dataset`` standing for :attr:`dataset`, so code written
    for the book d2l runs unchanged: ``model.fit(train_iter)``, ``model.evaluate(test_iter)``
    and ``tf.data.experimental.cardinality(train_iter)`` (Keras' distribution strategies
    read the batches through ``tf.data``; a plain Python loop uses the loader's own order).""",
    device="""
    device : str, optional
        Where the batches are made, e.g. '/GPU:0'; None: the current device.""")
class ArrayLoader(loading.PassCounter, tf.data.Dataset):

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None,
                 total_examples=None, seed=0, device=None):
        images = self._prepare(images, labels, resize)
        self.batch_size = loading.check_batch_size(batch_size)
        # Not called ``shuffle``: that name is tf.data.Dataset's method.
        self.shuffles, self.seed = shuffle, seed
        self._passes = [0]  # one counter, shared with the copies on() makes
        self.device = device
        self.num_examples = len(labels)
        self.total_examples = total_examples or self.num_examples
        # The arrays live in two tensors; the pipeline moves only indices and gathers a
        # whole batch at once, which costs far less than slicing and shuffling every image
        # as its own element.
        self._images = tf.constant(images)
        self._labels = tf.constant(np.asarray(labels, dtype=np.int32))
        self._compiled_transform = tf.function(self.transform, reduce_retracing=True)
        ds = tf.data.Dataset.range(self.num_examples)
        if shuffle:
            ds = ds.shuffle(self.num_examples, seed=seed, reshuffle_each_iteration=True)
        self.dataset = (ds.batch(self.batch_size)
                        .map(self._gather, num_parallel_calls=tf.data.AUTOTUNE)
                        .prefetch(tf.data.AUTOTUNE)
                        .with_options(_pipeline_options()))
        super().__init__(self.dataset._variant_tensor)  # a tf.data.Dataset of that pipeline

    def _prepare(self, images, labels, resize):
        """Check the arrays and set :attr:`image_size`; return the images as the uint8
        array the batches are cut from, (N, H, W, C). A loader of other data (token ids)
        overrides this and :meth:`transform`."""
        images = loading.check_arrays(images, labels)
        if images.ndim == 3:
            images = images[..., np.newaxis]
        self.image_size = loading.check_resize(resize, images.shape[1:3])
        return images

    def _inputs(self):  # tf.data.Dataset's interface: the datasets this one is made of
        return [self.dataset]

    @property
    def element_spec(self):
        """Type and shape of one batch ``(X, y)`` (``tf.data.Dataset``'s interface)."""
        return self.dataset.element_spec

    def __len__(self):
        return math.ceil(self.num_examples / self.batch_size)

    @property
    def labels(self):
        """All the labels, int32 array of shape (N,)."""
        return self._labels.numpy()

    def fingerprint(self):
        """What identifies the examples this loader serves, for a checkpoint
        (:func:`d2lmini.data.loading.fingerprint`)."""
        return loading.fingerprint(self, self._images.numpy(), self.labels, self.shuffles)

    def on(self, device):
        """A loader sharing this one's data and epoch count that makes its batches on
        ``device`` (e.g. '/GPU:0')."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.device = device
        return other

    def __iter__(self):
        # Batches are gathered here rather than by tf.data: on a small CPU, tf.data's own
        # threads slow the training step they feed (LeNet with XLA on two cores: about
        # 2,800 instead of 4,700 examples/sec).
        n = self.num_examples
        if self.shuffles:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, n, self.batch_size):
            with tf.device("/CPU:0"):  # where the arrays are: no copy of the whole set
                idx = tf.constant(order[start:start + self.batch_size])
                X, y = tf.gather(self._images, idx), tf.gather(self._labels, idx)
            if self.device is None:
                batch = self._compiled_transform(X, y)
            else:
                with tf.device(self.device):
                    batch = self._compiled_transform(X, y)
            yield batch
        # Counted once the pass is complete, so that peeking at a first batch (as
        # train_ch6 does) leaves the next epoch's order unchanged.
        if self.shuffles:
            self.epoch += 1

    def _gather(self, idx):
        return self.transform(tf.gather(self._images, idx), tf.gather(self._labels, idx))

    def transform(self, X, y):
        """uint8 (B, H, W, C) -> float32 in [0, 1], resized to :attr:`image_size`."""
        X = tf.cast(X, tf.float32) / 255.0
        if tuple(X.shape[1:3]) != self.image_size:
            X = tf.image.resize(X, self.image_size, method="bilinear",
                                antialias=X.shape[1] > self.image_size[0])
        return X, y


def _pipeline_options():
    """Give the input pipeline half of the CPU cores, at least one.

    By default ``tf.data`` may use every core, and on a small CPU its threads then compete
    with the training step they feed: on two cores that cost LeNet about 13% of its
    throughput. Half the cores still resize 224x224 batches many times faster than a CPU
    trains AlexNet on them.
    """
    threads = max(1, (os.cpu_count() or 2) // 2)
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    return options


@mirrordocs.shared("load_data_fashion_mnist", "tensorflow",
    example="(TensorShape([256, 28, 28, 1]), TensorShape([256]))")
def load_data_fashion_mnist(batch_size, resize=None):
    loading.check_batch_size(batch_size)
    loading.check_resize(resize, (28, 28))
    return loading.build_loaders(ArrayLoader, fashion_mnist.load_arrays(), batch_size, resize,
                                 "Fashion-MNIST")


get_fashion_mnist_labels = fashion_mnist.text_labels


@mirrordocs.shared("split_validation", "tensorflow",
    dataset=", and each has its own ``dataset`` for ``model.fit(train_iter.dataset, "
    "validation_data=valid_iter.dataset)``", shuffle="shuffles", dtype="y.dtype.name",
    example="((3, 8, 8, 1), 'int32')")
def split_validation(train_iter, n_valid, *, seed=0):
    if not isinstance(train_iter, ArrayLoader):
        raise TypeError(f"split_validation takes a d2lmini loader (an ArrayLoader), got "
                        f"{type(train_iter).__name__}")
    return loading.split_loader(train_iter, train_iter._images.numpy(), train_iter.labels,
                                train_iter.shuffles, n_valid, seed)


