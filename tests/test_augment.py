"""Crop geometry, preprocessing, random crop + flip and ten-crop testing in both frameworks."""
import numpy as np
import pytest

from d2lmini.data import augment

torch = pytest.importorskip("torch")
from d2lmini.backend_torch import augment as taug  # noqa: E402

pytest.importorskip("tensorflow")
from d2lmini import tensorflow as _d2ltf  # noqa: E402,F401  (quiets TensorFlow's logging)
import tensorflow as tf  # noqa: E402
from d2lmini.backend_tf import augment as faug  # noqa: E402


def distinct_images(n, h, w, c, seed=0):
    """Images whose pixels are all different, so a crop identifies its position."""
    rng = np.random.default_rng(seed)
    return rng.permutation(n * h * w * c).reshape(n, h, w, c).astype(np.float32)


def find_crop(image, crop):
    """(top, left, flipped) of ``crop`` inside channels-last ``image``, or None."""
    h, w = crop.shape[:2]
    for top in range(image.shape[0] - h + 1):
        for left in range(image.shape[1] - w + 1):
            window = image[top:top + h, left:left + w]
            if np.array_equal(window, crop):
                return top, left, False
            if np.array_equal(window[:, ::-1], crop):
                return top, left, True
    return None


# ---------------------------------------------------------------- geometry
def test_five_crop_offsets_alexnet():
    assert augment.five_crop_offsets(256, 256, 224) == [(0, 0), (0, 32), (32, 0), (32, 32),
                                                        (16, 16)]
    assert augment.five_crop_offsets(5, 7, (3, 4)) == [(0, 0), (0, 3), (2, 0), (2, 3), (1, 1)]
    with pytest.raises(ValueError, match="does not fit"):
        augment.five_crop_offsets(32, 32, 33)


def test_random_crop_offsets_cover_the_range():
    offsets = augment.random_crop_offsets(10, 12, (7, 8), 2000, np.random.default_rng(0))
    assert offsets.shape == (2000, 2)
    assert set(offsets[:, 0]) == set(range(4)) and set(offsets[:, 1]) == set(range(5))


def test_ten_crop_numpy_positions_and_flips():
    image = distinct_images(1, 6, 6, 2)[0]
    crops = augment.ten_crop_numpy(image, 4)
    assert crops.shape == (10, 4, 4, 2) and len(augment.TEN_CROP_NAMES) == 10
    expected = [(0, 0), (0, 2), (2, 0), (2, 2), (1, 1)]
    for i, crop in enumerate(crops):
        assert find_crop(image, crop) == (*expected[i % 5], i >= 5), augment.TEN_CROP_NAMES[i]


def test_random_crop_flip_numpy():
    images = distinct_images(50, 8, 8, 1)
    crops, offsets, flipped = augment.random_crop_flip_numpy(images, 5,
                                                             np.random.default_rng(1))
    assert crops.shape == (50, 5, 5, 1) and 0 < flipped.sum() < 50
    for img, crop, (t, c), f in zip(images, crops, offsets, flipped):
        assert find_crop(img, crop) == (t, c, bool(f))


# ---------------------------------------------------------------- preprocessing
def test_preprocessing_helpers():
    x = np.array([0.1, 2.3, -4.5, 4.2, -2.7, 6])
    n = augment.normalize(x)
    assert n.min() == 0 and n.max() == 1 and np.argmax(n) == 5
    np.testing.assert_allclose(augment.normalize(np.array([0, 255.]), 0, 255), [0, 1])
    z = augment.standardize(x)
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12
    with pytest.raises(ValueError):
        augment.standardize(np.ones(3))
    with pytest.raises(ValueError):
        augment.normalize(np.ones(3))
    img = np.stack([np.full((2, 2), 104.), np.full((2, 2), 117.), np.full((2, 2), 123.)], -1)
    assert np.all(augment.mean_subtract(img, augment.IMAGENET_MEAN_BGR) == 0)
    per_channel = augment.mean_subtract(distinct_images(4, 3, 3, 3))
    np.testing.assert_allclose(per_channel.mean(axis=(0, 1, 2)), 0, atol=1e-9)


def test_normalize_channels_both_frameworks():
    x = distinct_images(2, 3, 3, 3)
    mean, std = [1., 2., 3.], [2., 4., 8.]
    want = (x - mean) / std
    got_t = taug.normalize_channels(torch.from_numpy(x).permute(0, 3, 1, 2), mean, std)
    got_f = faug.normalize_channels(tf.constant(x), mean, std)
    np.testing.assert_allclose(got_t.permute(0, 2, 3, 1).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(got_f.numpy(), want, rtol=1e-6)


# ---------------------------------------------------------------- framework crops
def test_ten_crop_agrees_with_numpy_in_both_frameworks():
    x = distinct_images(3, 9, 7, 2)
    want = np.stack([augment.ten_crop_numpy(img, (5, 4)) for img in x], axis=1)
    got_t = taug.ten_crop(torch.from_numpy(x).permute(0, 3, 1, 2), (5, 4))
    got_f = faug.ten_crop(tf.constant(x), (5, 4))
    assert tuple(got_t.shape) == (10, 3, 2, 5, 4) and tuple(got_f.shape) == (10, 3, 5, 4, 2)
    np.testing.assert_array_equal(got_t.permute(0, 1, 3, 4, 2).numpy(), want)
    np.testing.assert_array_equal(got_f.numpy(), want)


@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("padding", [0, 2])
def test_random_crop_flip_is_a_crop_or_its_mirror(framework, padding):
    x = distinct_images(40, 8, 8, 3) + 1  # + 1: no pixel equals the zero padding
    if framework == "torch":
        out = taug.random_crop_flip(torch.from_numpy(x).permute(0, 3, 1, 2), 6,
                                    padding=padding, rng=torch.Generator().manual_seed(0))
        out = out.permute(0, 2, 3, 1).numpy()
    else:
        out = faug.random_crop_flip(tf.constant(x), 6, padding=padding,
                                    rng=tf.random.Generator.from_seed(0)).numpy()
    assert out.shape == (40, 6, 6, 3)
    p = padding
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    found = [find_crop(img, crop) for img, crop in zip(padded, out)]
    assert all(f is not None for f in found)
    flips = sum(f[2] for f in found)
    positions = {(f[0], f[1]) for f in found}
    assert 5 <= flips <= 35  # about half mirrored
    assert len(positions) >= 4  # positions vary across the batch


def test_random_crop_flip_reproducible_and_flip_off():
    x = torch.from_numpy(distinct_images(8, 6, 6, 1)).permute(0, 3, 1, 2)
    a = taug.random_crop_flip(x, 4, rng=torch.Generator().manual_seed(3))
    b = taug.random_crop_flip(x, 4, rng=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    no_flip = taug.random_crop_flip(x, 4, flip=False).permute(0, 2, 3, 1).numpy()
    xs = x.permute(0, 2, 3, 1).numpy()
    assert not any(find_crop(img, c)[2] for img, c in zip(xs, no_flip))
    with pytest.raises(ValueError, match="does not fit"):
        taug.random_crop_flip(x, 7)
    with pytest.raises(ValueError, match="does not fit"):
        faug.random_crop_flip(tf.constant(xs), 7)


def test_predict_ten_crop_averages_probabilities_in_both_frameworks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    W = rng.normal(size=(4 * 4 * 3, 5)).astype(np.float32)

    def logits_np(crops):  # a linear "network" on channels-last crops
        return crops.reshape(len(crops), -1) @ W

    crops = np.stack([augment.ten_crop_numpy(img, 4) for img in x], axis=1)  # (10, 2, ...)
    logits = logits_np(crops.reshape(20, 4, 4, 3)).reshape(10, 2, 5)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    want = probs.mean(axis=0)
    want_logits = logits.mean(axis=0)

    def net_t(c):
        return torch.from_numpy(logits_np(c.permute(0, 2, 3, 1).numpy()))

    def net_f(c):
        return tf.constant(logits_np(c.numpy()))

    xt = torch.from_numpy(x).permute(0, 3, 1, 2)
    got_t = taug.predict_ten_crop(net_t, xt, 4).numpy()
    got_f = faug.predict_ten_crop(net_f, tf.constant(x), 4).numpy()
    np.testing.assert_allclose(got_t, want, rtol=1e-5)
    np.testing.assert_allclose(got_f, want, rtol=1e-5)
    np.testing.assert_allclose(got_t.sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(taug.predict_ten_crop(net_t, xt, 4, probabilities=False).numpy(),
                               want_logits, rtol=1e-5)
    np.testing.assert_allclose(
        faug.predict_ten_crop(net_f, tf.constant(x), 4, probabilities=False).numpy(),
        want_logits, rtol=1e-5)
