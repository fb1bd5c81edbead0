"""Data augmentation in TensorFlow, per batch: random crops and flips, ten-crop testing.

Images are ``(batch, height, width, channels)`` tensors (NHWC). The crop positions of
:func:`ten_crop` come from :func:`d2lmini.data.augment.five_crop_offsets`, shared with the
PyTorch version, so both frameworks cut the same pixels.
"""
import tensorflow as tf

from .. import mirrordocs
from ..data.augment import (IMAGENET_MEAN_BGR, IMAGENET_MEAN_RGB, TEN_CROP_NAMES,
                            five_crop_offsets, mean_subtract, normalize, random_crop_offsets,
                            standardize)

__all__ = ["random_crop_flip", "ten_crop", "predict_ten_crop", "normalize_channels",
           "IMAGENET_MEAN_BGR", "IMAGENET_MEAN_RGB", "TEN_CROP_NAMES", "five_crop_offsets",
           "random_crop_offsets", "mean_subtract", "normalize", "standardize"]


def _size(size):
    return (size, size) if isinstance(size, int) else tuple(size)


@mirrordocs.shared("random_crop_flip", "tensorflow", generator="tf.random.Generator",
    crops="(batch, h, w, C)", on_device="", example="""
    >>> X = tf.reshape(tf.range(2 * 4 * 4 * 1, dtype=tf.float32), (2, 4, 4, 1))
    >>> random_crop_flip(X, 2, rng=tf.random.Generator.from_seed(0)).shape
    TensorShape([2, 2, 2, 1])""")
def random_crop_flip(X, size, padding=0, flip=True, rng=None):
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


@mirrordocs.shared("ten_crop", "tensorflow", crops_inner="batch, h, w, C", example="""
    >>> X = tf.reshape(tf.range(16.), (1, 4, 4, 1))
    >>> crops = ten_crop(X, 2)
    >>> crops.shape, crops[1, 0, :, :, 0].numpy().tolist(), crops[6, 0, :, :, 0].numpy().tolist()
    (TensorShape([10, 1, 2, 2, 1]), [[2.0, 3.0], [6.0, 7.0]], [[3.0, 2.0], [7.0, 6.0]])""")
def ten_crop(X, size):
    h, w = _size(size)
    X = tf.convert_to_tensor(X)
    crops = [X[:, t:t + h, c:c + w, :] for t, c in five_crop_offsets(X.shape[1], X.shape[2],
                                                                     (h, w))]
    crops += [tf.reverse(c, axis=[2]) for c in crops]
    return tf.stack(crops)


@mirrordocs.shared("predict_ten_crop", "tensorflow", n_crops="(n, h, w, C)")
def predict_ten_crop(net, X, size, probabilities=True):
    crops = ten_crop(X, size)
    n, B = crops.shape[0], tf.shape(crops)[1]
    out = net(tf.reshape(crops, tf.concat([[-1], tf.shape(crops)[2:]], axis=0)))
    if probabilities:
        out = tf.nn.softmax(out, axis=1)
    return tf.reduce_mean(tf.reshape(out, (n, B, -1)), axis=0)


@mirrordocs.shared("normalize_channels", "tensorflow", example="""
    >>> X = tf.fill((1, 1, 1, 3), 110.)
    >>> normalize_channels(X, IMAGENET_MEAN_RGB).numpy().flatten().tolist()
    [-13.0, -7.0, 6.0]""")
def normalize_channels(X, mean, std=None):
    X = tf.convert_to_tensor(X)
    out = X - tf.constant(mean, dtype=X.dtype)
    if std is not None:
        out = out / tf.constant(std, dtype=X.dtype)
    return out
