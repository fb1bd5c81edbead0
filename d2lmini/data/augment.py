"""Framework-free preprocessing and crop geometry for the AlexNet-era recipe.

AlexNet :cite:`krizhevsky2012imagenet` subtracted the mean training image from every input,
trained on random 224x224 crops of 256x256 images and their horizontal mirrors, and at test
time averaged the predictions over ten crops: the four corners and the centre, and their
mirrors. This module holds the parts that need no framework: the crop positions, the mean
subtraction, normalization and standardization of numpy arrays, and numpy versions of the
crops (to show them on images). The per-batch tensor versions live in
``d2lmini.torch`` / ``d2lmini.tensorflow`` (``random_crop_flip``, ``ten_crop``,
``predict_ten_crop``) and use the positions computed here, so both frameworks crop the
same pixels.

Layouts: numpy helpers take channels-last images, ``(..., height, width, channels)``, as
``plt.imshow`` shows them, unless told otherwise.
"""
import numpy as np

__all__ = ["IMAGENET_MEAN_BGR", "IMAGENET_MEAN_RGB", "TEN_CROP_NAMES", "five_crop_offsets",
           "random_crop_offsets", "mean_subtract", "normalize", "standardize",
           "ten_crop_numpy", "random_crop_flip_numpy"]

# Per-channel means of the ImageNet training images on the 0-255 scale, as the course slides
# give them (seed 002: "[104, 117, 123]"); they are the Caffe values, in Caffe's BGR order
# (blue 104, green 117, red 123).
IMAGENET_MEAN_BGR = (104.0, 117.0, 123.0)
IMAGENET_MEAN_RGB = IMAGENET_MEAN_BGR[::-1]

TEN_CROP_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right", "centre",
                  "top-left, flipped", "top-right, flipped", "bottom-left, flipped",
                  "bottom-right, flipped", "centre, flipped")


def _check_size(height, width, size):
    if isinstance(size, int):
        size = (size, size)
    h, w = size
    if not (0 < h <= height and 0 < w <= width):
        raise ValueError(f"crop size {h}x{w} does not fit in a {height}x{width} image; "
                         "choose a crop no larger than the image")
    return h, w


def five_crop_offsets(height, width, size):
    """Top-left corners ``(top, left)`` of the four corner crops and the centre crop.

    Parameters
    ----------
    height, width : int
        Image size.
    size : int or (int, int)
        Crop size.

    Returns
    -------
    list of 5 (top, left) pairs, in the order top-left, top-right, bottom-left,
    bottom-right, centre (the order of :data:`TEN_CROP_NAMES`). The centre crop is
    rounded towards the top-left when the margin is odd.

    Example
    -------
    >>> five_crop_offsets(256, 256, 224)
    [(0, 0), (0, 32), (32, 0), (32, 32), (16, 16)]
    """
    h, w = _check_size(height, width, size)
    dy, dx = height - h, width - w
    return [(0, 0), (0, dx), (dy, 0), (dy, dx), (dy // 2, dx // 2)]


def random_crop_offsets(height, width, size, n, rng=None):
    """``n`` random ``(top, left)`` corners of ``size`` crops, uniform over all positions.

    There are ``(height - h + 1) * (width - w + 1)`` positions: for 224 crops of 256 images,
    33 * 33 = 1,089 of them (the AlexNet paper counts 32 * 32 * 2 = 2,048 crops with flips).

    Returns
    -------
    int64 array of shape (n, 2)

    Example
    -------
    >>> offsets = random_crop_offsets(256, 256, 224, 1000, np.random.default_rng(0))
    >>> bool(offsets.min() >= 0 and offsets.max() <= 32)
    True
    """
    h, w = _check_size(height, width, size)
    rng = np.random.default_rng() if rng is None else rng
    top = rng.integers(0, height - h + 1, size=n)
    left = rng.integers(0, width - w + 1, size=n)
    return np.stack([top, left], axis=1)


def mean_subtract(x, mean=None, axis=None):
    """Subtract a mean: given, or computed over ``axis`` (all axes but the last by default:
    one mean per channel).

    Example
    -------
    >>> mean_subtract(np.array([[[100., 110., 130.]]]), IMAGENET_MEAN_BGR).tolist()
    [[[-4.0, -7.0, 7.0]]]
    """
    x = np.asarray(x, dtype=np.float64)
    if mean is None:
        axis = tuple(range(x.ndim - 1)) if axis is None else axis
        mean = x.mean(axis=axis, keepdims=True)
    return x - np.asarray(mean, dtype=np.float64)


def normalize(x, low=None, high=None):
    """Min-max normalization to [0, 1]: ``(x - low) / (high - low)``, with ``low`` and
    ``high`` the minimum and maximum of ``x`` unless given (e.g. 0 and 255 for pixels).

    Example
    -------
    >>> normalize(np.array([0.1, 2.3, -4.5, 4.2, -2.7, 6])).round(3).tolist()
    [0.438, 0.648, 0.0, 0.829, 0.171, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    low = x.min() if low is None else low
    high = x.max() if high is None else high
    if high == low:
        raise ValueError("normalize: all values are equal (max == min); nothing to scale")
    return (x - low) / (high - low)


def standardize(x, axis=None, eps=0.0):
    """Standardization: subtract the mean and divide by the (population, ``ddof=0``) standard
    deviation, over ``axis`` (all values by default), so the result has mean 0 and standard
    deviation 1.

    Example
    -------
    >>> z = standardize(np.array([0.1, 2.3, -4.5, 4.2, -2.7, 6]))
    >>> round(float(z.mean()), 12), round(float(z.std()), 12)
    (0.0, 1.0)
    """
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=axis, keepdims=True)
    std = x.std(axis=axis, keepdims=True)
    if eps == 0 and np.any(std == 0):
        raise ValueError("standardize: a standard deviation is 0; pass eps > 0")
    return (x - mean) / (std + eps)


def ten_crop_numpy(image, size):
    """The ten crops of one channels-last image: the five of :func:`five_crop_offsets`, then
    the same five mirrored left to right.

    Returns
    -------
    array of shape (10, h, w, channels), in the order of :data:`TEN_CROP_NAMES`.

    Example
    -------
    >>> img = np.arange(16).reshape(4, 4, 1)
    >>> crops = ten_crop_numpy(img, 2)
    >>> crops.shape, crops[1, :, :, 0].tolist(), crops[6, :, :, 0].tolist()
    ((10, 2, 2, 1), [[2, 3], [6, 7]], [[3, 2], [7, 6]])
    """
    image = np.asarray(image)
    h, w = _check_size(image.shape[0], image.shape[1], size)
    crops = [image[t:t + h, c:c + w] for t, c in five_crop_offsets(*image.shape[:2], (h, w))]
    crops += [c[:, ::-1] for c in crops]
    return np.stack(crops)


def random_crop_flip_numpy(images, size, rng=None, flip=True):
    """A random ``size`` crop of each channels-last image in ``images`` (shape
    ``(n, height, width, channels)``), mirrored left to right with probability 1/2.

    Returns
    -------
    crops : array of shape (n, h, w, channels)
    offsets : int array of shape (n, 2), the (top, left) of each crop
    flipped : bool array of shape (n,)
    """
    images = np.asarray(images)
    n, height, width = images.shape[:3]
    h, w = _check_size(height, width, size)
    rng = np.random.default_rng() if rng is None else rng
    offsets = random_crop_offsets(height, width, (h, w), n, rng)
    flipped = rng.random(n) < 0.5 if flip else np.zeros(n, dtype=bool)
    crops = np.stack([img[t:t + h, c:c + w] for img, (t, c) in zip(images, offsets)])
    crops[flipped] = crops[flipped][:, :, ::-1]
    return crops, offsets, flipped
