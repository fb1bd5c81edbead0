"""Data augmentation in TensorFlow, per batch: random crops and flips, ten-crop testing.

Images are ``(batch, height, width, channels)`` tensors (NHWC). The crop positions of
:func:`ten_crop` come from :func:`d2lmini.augment.five_crop_offsets`, shared with the
PyTorch version, so both frameworks cut the same pixels.
"""
import tensorflow as tf

from ..augment import (IMAGENET_MEAN_BGR, IMAGENET_MEAN_RGB, TEN_CROP_NAMES,
                       five_crop_offsets, mean_subtract, normalize, random_crop_offsets,
                       standardize)

__all__ = ["random_crop_flip", "ten_crop", "predict_ten_crop", "normalize_channels",
           "IMAGENET_MEAN_BGR", "IMAGENET_MEAN_RGB", "TEN_CROP_NAMES", "five_crop_offsets",
           "random_crop_offsets", "mean_subtract", "normalize", "standardize"]


def _size(size):
    return (size, size) if isinstance(size, int) else tuple(size)


def random_crop_flip(X, size, padding=0, flip=True, rng=None):
    """A random crop of each image in the batch, mirrored left to right with probability 1/2.

    Parameters
    ----------
    X : tensor of shape (batch, height, width, channels)
    size : int or (int, int)
        Crop size, e.g. 224 for 256x256 images (AlexNet) or 32 with ``padding=4`` (CIFAR).
    padding : int
        Zero pixels added on every side before cropping.
    flip : bool
        Mirror half of the crops at random.
    rng : tf.random.Generator, optional
        For reproducible crops.

    Returns
    -------
    tensor of shape (batch, h, w, channels)

    Example
    -------
    >>> X = tf.reshape(tf.range(2 * 4 * 4 * 1, dtype=tf.float32), (2, 4, 4, 1))
    >>> random_crop_flip(X, 2, rng=tf.random.Generator.from_seed(0)).shape
    TensorShape([2, 2, 2, 1])
    """
    h, w = _size(size)
    X = tf.convert_to_tensor(X)
    if padding:
        X = tf.pad(X, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    B, H, W = tf.shape(X)[0], X.shape[1], X.shape[2]
    if not (0 < h <= H and 0 < w <= W):
        raise ValueError(f"crop size {h}x{w} does not fit in {H}x{W} images (after padding "
                         f"{padding}); choose a smaller crop")
    rng = tf.random.get_global_generator() if rng is None else rng
    top = rng.uniform((B, 1), 0, H - h + 1, dtype=tf.int32)
    left = rng.uniform((B, 1), 0, W - w + 1, dtype=tf.int32)
    rows = top + tf.range(h)[None, :]                           # (B, h)
    cols = left + tf.range(w)[None, :]                          # (B, w)
    if flip:
        mirrored = rng.uniform((B,)) < 0.5
        cols = tf.where(mirrored[:, None], tf.reverse(cols, axis=[1]), cols)
    out = tf.gather(X, rows, axis=1, batch_dims=1)              # (B, h, W, C)
    return tf.gather(out, cols, axis=2, batch_dims=1)           # (B, h, w, C)


def ten_crop(X, size):
    """The ten AlexNet test crops of every image: four corners and centre, then their mirrors.

    Parameters
    ----------
    X : tensor of shape (batch, height, width, channels)
    size : int or (int, int)

    Returns
    -------
    tensor of shape (10, batch, h, w, channels), in the order of
    :data:`d2lmini.augment.TEN_CROP_NAMES`.

    Example
    -------
    >>> X = tf.reshape(tf.range(16.), (1, 4, 4, 1))
    >>> crops = ten_crop(X, 2)
    >>> crops.shape, crops[1, 0, :, :, 0].numpy().tolist(), crops[6, 0, :, :, 0].numpy().tolist()
    (TensorShape([10, 1, 2, 2, 1]), [[2.0, 3.0], [6.0, 7.0]], [[3.0, 2.0], [7.0, 6.0]])
    """
    h, w = _size(size)
    X = tf.convert_to_tensor(X)
    crops = [X[:, t:t + h, c:c + w, :] for t, c in five_crop_offsets(X.shape[1], X.shape[2],
                                                                     (h, w))]
    crops += [tf.reverse(c, axis=[2]) for c in crops]
    return tf.stack(crops)


def predict_ten_crop(net, X, size, probabilities=True):
    """Class scores averaged over the ten crops of each image.

    Parameters
    ----------
    net : callable
        Maps (n, h, w, channels) to logits (n, classes).
    X : tensor of shape (batch, height, width, channels)
    size : int or (int, int)
    probabilities : bool
        Average softmax probabilities (as AlexNet did); ``False`` averages the logits.

    Returns
    -------
    tensor of shape (batch, classes)
    """
    crops = ten_crop(X, size)
    n, B = crops.shape[0], tf.shape(crops)[1]
    out = net(tf.reshape(crops, tf.concat([[-1], tf.shape(crops)[2:]], axis=0)))
    if probabilities:
        out = tf.nn.softmax(out, axis=1)
    return tf.reduce_mean(tf.reshape(out, (n, B, -1)), axis=0)


def normalize_channels(X, mean, std=None):
    """Subtract a per-channel mean and divide by a per-channel standard deviation (if given).

    ``mean`` and ``std`` are sequences with one value per channel, on ``X``'s scale.

    Example
    -------
    >>> X = tf.fill((1, 1, 1, 3), 110.)
    >>> normalize_channels(X, IMAGENET_MEAN_RGB).numpy().flatten().tolist()
    [-13.0, -7.0, 6.0]
    """
    X = tf.convert_to_tensor(X)
    out = X - tf.constant(mean, dtype=X.dtype)
    if std is not None:
        out = out / tf.constant(std, dtype=X.dtype)
    return out
