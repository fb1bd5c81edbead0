"""Data augmentation in PyTorch, per batch: random crops and flips, ten-crop testing.

Images are ``(batch, channels, height, width)`` tensors (NCHW). The crop positions of
:func:`ten_crop` come from :func:`d2lmini.data.augment.five_crop_offsets`, shared with the
TensorFlow version, so both frameworks cut the same pixels.
"""
import torch

from .. import mirrordocs
from ..data.augment import (IMAGENET_MEAN_BGR, IMAGENET_MEAN_RGB, TEN_CROP_NAMES,
                            five_crop_offsets, mean_subtract, normalize, random_crop_offsets,
                            standardize)

__all__ = ["random_crop_flip", "ten_crop", "predict_ten_crop", "normalize_channels",
           "IMAGENET_MEAN_BGR", "IMAGENET_MEAN_RGB", "TEN_CROP_NAMES", "five_crop_offsets",
           "random_crop_offsets", "mean_subtract", "normalize", "standardize"]


def _size(size):
    return (size, size) if isinstance(size, int) else tuple(size)


@mirrordocs.shared("random_crop_flip", "pytorch", generator="torch.Generator",
    crops="(batch, C, h, w)", on_device=", on ``X``'s device.", example="""
    >>> X = torch.arange(2 * 1 * 4 * 4.).reshape(2, 1, 4, 4)
    >>> random_crop_flip(X, 2, rng=torch.Generator().manual_seed(0)).shape
    torch.Size([2, 1, 2, 2])""")
def random_crop_flip(X, size, padding=0, flip=True, rng=None):
    h, w = _size(size)
    if padding:
        X = torch.nn.functional.pad(X, (padding,) * 4)
    B, _, H, W = X.shape
    if not (0 < h <= H and 0 < w <= W):
        raise ValueError(f"crop size {h}x{w} does not fit in {H}x{W} images (after padding "
                         f"{padding}); choose a smaller crop")
    top = torch.randint(0, H - h + 1, (B, 1), generator=rng)
    left = torch.randint(0, W - w + 1, (B, 1), generator=rng)
    rows = top + torch.arange(h)                                # (B, h)
    cols = left + torch.arange(w)                               # (B, w)
    if flip:
        mirrored = torch.rand(B, generator=rng) < 0.5
        cols = torch.where(mirrored[:, None], cols.flip(1), cols)
    rows, cols = rows.to(X.device), cols.to(X.device)
    batch = torch.arange(B, device=X.device)[:, None, None]
    out = X.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (B, h, w, C)
    return out.permute(0, 3, 1, 2).contiguous()


@mirrordocs.shared("ten_crop", "pytorch", crops_inner="batch, C, h, w", example="""
    >>> X = torch.arange(16.).reshape(1, 1, 4, 4)
    >>> crops = ten_crop(X, 2)
    >>> crops.shape, crops[1, 0, 0].tolist(), crops[6, 0, 0].tolist()
    (torch.Size([10, 1, 1, 2, 2]), [[2.0, 3.0], [6.0, 7.0]], [[3.0, 2.0], [7.0, 6.0]])""")
def ten_crop(X, size):
    h, w = _size(size)
    crops = [X[:, :, t:t + h, c:c + w] for t, c in five_crop_offsets(X.shape[2], X.shape[3],
                                                                     (h, w))]
    crops += [c.flip(3) for c in crops]
    return torch.stack(crops)


@mirrordocs.shared("predict_ten_crop", "pytorch", n_crops="(n, C, h, w)")
def predict_ten_crop(net, X, size, probabilities=True):
    crops = ten_crop(X, size)
    n, B = crops.shape[:2]
    out = net(crops.reshape(n * B, *crops.shape[2:]))
    if probabilities:
        out = torch.softmax(out, dim=1)
    return out.reshape(n, B, -1).mean(dim=0)


@mirrordocs.shared("normalize_channels", "pytorch", example="""
    >>> X = torch.full((1, 3, 1, 1), 110.)
    >>> normalize_channels(X, IMAGENET_MEAN_RGB).flatten().tolist()
    [-13.0, -7.0, 6.0]""")
def normalize_channels(X, mean, std=None):
    shape = (1, -1, 1, 1)
    out = X - torch.as_tensor(mean, dtype=X.dtype, device=X.device).reshape(shape)
    if std is not None:
        out = out / torch.as_tensor(std, dtype=X.dtype, device=X.device).reshape(shape)
    return out

