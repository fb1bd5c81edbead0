"""A look inside a trained classifier: its first layer's kernels, the feature maps of one
image, the confusion matrix and the images it gets wrong.

This module holds what does not depend on the framework: the record of a pass over the test
set (:class:`Predictions`), the confusion matrix, the choice of which layers' outputs count as
feature maps (:func:`choose_stages`) and the figures. The backends' ``look_inside``,
``conv_kernels``, ``feature_maps`` and ``predict_all`` read the network and call these.

Every array here is numpy. Kernels are ``(out_channels, in_channels, kh, kw)`` and feature
maps ``(channels, height, width)`` in both frameworks (the TensorFlow backend transposes), so
that the figures of the two tabs line up.
"""
from dataclasses import dataclass, field

import numpy as np

from .plotting import plt

__all__ = ["Predictions", "confusion_matrix", "choose_stages", "plot_kernels",
           "plot_feature_maps", "plot_confusion", "plot_mistakes"]


def confusion_matrix(y_true, y_pred, num_classes):
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : int arrays of shape (n,)
    num_classes : int

    Returns
    -------
    int64 array of shape (num_classes, num_classes)
        Row ``i``, column ``j``: how many examples of class ``i`` were predicted as ``j``;
        the diagonal holds the correct predictions.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], 3).tolist()
    [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and of one length; got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} holds class {y.min() if y.min() < 0 else y.max()}, "
                             f"outside 0..{num_classes - 1}: pass the right num_classes")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


@dataclass
class Predictions:
    """One pass of a classifier over a data set.

    Attributes
    ----------
    y_true, y_pred : int arrays of shape (n,)
    classes : list of str
        The class names, indexed by label.
    mistakes : float array of shape (k, height, width) or (k, height, width, 3)
        The first ``k`` misclassified images, in data order.
    mistake_true, mistake_pred : int arrays of shape (k,)
        Their true and predicted labels.
    """
    y_true: np.ndarray
    y_pred: np.ndarray
    classes: list
    mistakes: np.ndarray = field(repr=False)
    mistake_true: np.ndarray = field(repr=False)
    mistake_pred: np.ndarray = field(repr=False)

    @property
    def accuracy(self):
        """Fraction of correct predictions."""
        return float(np.mean(self.y_true == self.y_pred))

    @property
    def confusion(self):
        """The confusion matrix, (classes, classes): rows true, columns predicted."""
        return confusion_matrix(self.y_true, self.y_pred, len(self.classes))

    @property
    def per_class(self):
        """Accuracy of each class (recall), shape (classes,); NaN for a class absent here."""
        cm = self.confusion
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(cm) / cm.sum(axis=1)

    def most_confused(self, k=3):
        """The ``k`` largest off-diagonal counts: ``[(true name, predicted name, count)]``."""
        cm = self.confusion.copy()
        np.fill_diagonal(cm, 0)
        order = np.argsort(cm, axis=None)[::-1][:k]
        return [(self.classes[i], self.classes[j], int(cm[i, j]))
                for i, j in zip(*np.unravel_index(order, cm.shape)) if cm[i, j] > 0]

    def report(self):
        """Three lines: accuracy, the weakest and strongest classes, the commonest mistakes."""
        acc = self.per_class
        worst, best = int(np.nanargmin(acc)), int(np.nanargmax(acc))
        confused = "; ".join(f"{t} taken for {p} {n} times" for t, p, n in self.most_confused())
        return (f"test accuracy {self.accuracy:.3f} on {len(self.y_true):,} images\n"
                f"weakest class: {self.classes[worst]} ({acc[worst]:.3f}); "
                f"strongest: {self.classes[best]} ({acc[best]:.3f})\n"
                f"commonest mistakes: {confused or 'none'}")


class Collector:
    """Gathers a pass over a data set, batch by batch, into :class:`Predictions`.

    The backends call :meth:`add` with numpy labels and predictions and a function that
    returns the images at given positions of the batch, so that only the images of the
    first ``n_mistakes`` mistakes are ever copied out of a batch.
    """

    def __init__(self, n_mistakes):
        self.n_mistakes = n_mistakes
        self.y, self.p, self.images, self.wrong_y, self.wrong_p = [], [], [], [], []
        self.kept = 0

    def add(self, y, p, images_at):
        """y, p: int arrays of shape (batch,); images_at(idx) -> images (k, H, W[, 3])."""
        y, p = np.asarray(y, dtype=np.int64), np.asarray(p, dtype=np.int64)
        self.y.append(y)
        self.p.append(p)
        if self.kept < self.n_mistakes:
            miss = np.flatnonzero(p != y)[:self.n_mistakes - self.kept]
            if len(miss):
                self.images.append(np.asarray(images_at(miss), dtype=np.float32))
                self.wrong_y.append(y[miss])
                self.wrong_p.append(p[miss])
                self.kept += len(miss)

    def predictions(self, classes):
        empty = np.zeros(0, np.int64)
        return Predictions(np.concatenate(self.y), np.concatenate(self.p), list(classes),
                           np.concatenate(self.images) if self.images else np.zeros((0, 1, 1)),
                           np.concatenate(self.wrong_y or [empty]),
                           np.concatenate(self.wrong_p or [empty]))


def choose_stages(kinds):
    """Which top-level layers' outputs to show as feature maps.

    A stage ends where a convolution's output has passed its nonlinearity: at a convolution
    with its activation built in (Keras' ``Conv2D(activation=...)``), at the first
    activation layer after a bare convolution (PyTorch's ``Conv2d`` then ``ReLU``, with any
    normalization between), or at a block that holds convolutions (a VGG, NiN, Inception or
    residual block). Both frameworks' networks thus give the same stages.

    Parameters
    ----------
    kinds : sequence of str
        One per top-level layer: ``"conv"`` (no activation), ``"conv+act"``, ``"act"``,
        ``"block"`` or ``"other"`` (pooling, normalization, dropout, ...).

    Returns
    -------
    list of int
        Indices of the layers whose outputs are the stages.

    Examples
    --------
    >>> choose_stages(["conv", "act", "other", "conv", "other", "act", "other"])
    [1, 5]
    >>> choose_stages(["conv+act", "other", "block", "block"])
    [0, 2, 3]
    """
    stages, pending = [], False
    for i, kind in enumerate(kinds):
        if kind in ("conv+act", "block"):
            stages.append(i)
            pending = False
        elif kind == "conv":
            pending = True
        elif kind == "act" and pending:
            stages.append(i)
            pending = False
    return stages


def _image(img):
    """(H, W), (H, W, 1) or (H, W, 3) -> what imshow draws: grey (H, W) or RGB in [0, 1]."""
    img = np.asarray(img, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3:  # colour: stretch to [0, 1] (kernels and normalized images leave it)
        lo, hi = img.min(), img.max()
        img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img


def _hide_ticks(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def plot_kernels(kernels, *, title="First-layer kernels", max_kernels=32, ncols=8,
                 scale=0.9, ax=None):
    """Draw convolution kernels as small images.

    One-channel kernels use a diverging map centred on zero (red positive, blue negative, one
    scale for all kernels so their strengths compare); three-channel kernels are drawn as RGB,
    each stretched to its own range.

    Parameters
    ----------
    kernels : array of shape (out_channels, in_channels, kh, kw)
    title : str
    max_kernels : int
        Show the first ``max_kernels`` output channels.
    ncols : int
    scale : float
        Inches per kernel.

    Returns
    -------
    matplotlib Figure
    """
    kernels = np.asarray(kernels, dtype=np.float32)
    if kernels.ndim != 4:
        raise ValueError(f"kernels must be (out_channels, in_channels, kh, kw); got shape "
                         f"{kernels.shape}")
    k = kernels[:max_kernels]
    n, c = len(k), k.shape[1]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale + 0.6),
                             squeeze=False)
    lim = float(np.abs(k).max()) or 1.0
    for i, ax in enumerate(axes.flat):
        _hide_ticks(ax)
        if i >= n:
            ax.set_visible(False)
            continue
        if c == 3:
            ax.imshow(_image(k[i].transpose(1, 2, 0)))
        else:  # one channel, or the mean over the input channels
            im = ax.imshow(k[i].mean(axis=0), cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f"{i}", fontsize=7, pad=2)
    shown = f"{n} of {len(kernels)}" if n < len(kernels) else f"{n}"
    how = "" if c in (1, 3) else f", mean over {c} input channels"
    fig.suptitle(f"{title}: {shown} kernels, {k.shape[2]}x{k.shape[3]}{how}", fontsize=10)
    if c != 3:
        fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    return fig


def plot_feature_maps(image, maps, *, title="Feature maps of one image", channels=8,
                      scale=0.95):
    """Draw an input image and the first channels of each stage's feature maps.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C)
    maps : list of (str, array of shape (C, h, w))
        One entry per stage (:func:`choose_stages`), a label and the maps.
    title : str
    channels : int
        Channels shown per stage.

    Returns
    -------
    matplotlib Figure
    """
    if not maps:
        raise ValueError("no feature maps to draw: the network has no convolutional stage")
    ncols = min(channels, max(m.shape[0] for _, m in maps))
    # Row 0: the input alone; then one row per stage, labelled on its left.
    fig, axes = plt.subplots(1 + len(maps), ncols, squeeze=False, constrained_layout=True,
                             figsize=(max(ncols, 4) * scale + 1.2, (1 + len(maps)) * scale + 0.5))
    for ax in axes.flat:
        _hide_ticks(ax)
    axes[0, 0].imshow(_image(image), cmap="gray")
    axes[0, 0].set_title("input", fontsize=7, pad=2)
    for ax in axes[0, 1:]:
        ax.set_visible(False)
    for r, (label, m) in enumerate(maps, start=1):
        axes[r, 0].set_ylabel(f"{label}\n{m.shape[0]}x{m.shape[1]}x{m.shape[2]}",
                              fontsize=7, rotation=0, ha="right", va="center")
        for j in range(ncols):
            if j < m.shape[0]:
                axes[r, j].imshow(m[j], cmap="viridis")
                axes[r, j].set_title(f"ch {j}", fontsize=6, pad=1)
            else:
                axes[r, j].set_visible(False)
    fig.suptitle(f"{title}\n(first {ncols} channels per stage; bright: strong response)",
                 fontsize=10)
    return fig


def plot_confusion(cm, classes, *, title="Confusion matrix", ax=None):
    """Draw a confusion matrix (rows true, columns predicted) with its counts written in.

    Parameters
    ----------
    cm : int array of shape (classes, classes)
    classes : list of str
    title : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    cm = np.asarray(cm)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.6))
    rows = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)  # colour: share of each true class
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if rows[i, j] > 0.5 else "black")
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(ticks, classes, fontsize=7)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    return ax


def plot_mistakes(pred, *, title="Misclassified test images", scale=1.2):
    """Draw the misclassified images a :class:`Predictions` kept, true and predicted class.

    Returns
    -------
    matplotlib Figure, or None when there was no mistake
    """
    k = len(pred.mistakes)
    if k == 0:
        print("no misclassified image to show")
        return None
    fig, axes = plt.subplots(1, k, figsize=(k * scale, scale + 0.9), squeeze=False)
    for ax, img, t, p in zip(axes[0], pred.mistakes, pred.mistake_true, pred.mistake_pred):
        ax.imshow(_image(img), cmap="gray")
        _hide_ticks(ax)
        ax.set_title(f"true: {pred.classes[t]}\nsaid: {pred.classes[p]}", fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def look_with(backend, net, data_iter, *, title, image_index, n_mistakes, classes):
    """:func:`look_inside` for either backend: ``backend`` is its ``inside`` module, whose
    ``conv_kernels``, ``feature_maps``, ``predict_all`` and ``_images`` do the framework's
    part (one image of the first batch for the maps, every batch for the predictions)."""
    X, _ = next(iter(data_iter))
    one = X[image_index:image_index + 1]
    return look(backend.conv_kernels(net), backend._images(one)[0],
                backend.feature_maps(net, one),
                backend.predict_all(net, data_iter, n_mistakes=n_mistakes, classes=classes),
                title=title)


def look(kernels, image, maps, pred, *, title):
    """Draw :func:`look_inside`'s figures and print its report (both backends call this)."""
    plot_kernels(kernels, title=f"{title}: first-layer kernels")
    plt.show()
    plot_feature_maps(image, maps, title=f"{title}: feature maps of one test image")
    plt.show()
    fig, (ax_cm, ax_acc) = plt.subplots(1, 2, figsize=(9.5, 4.4),
                                        gridspec_kw={"width_ratios": [1.25, 1]})
    plot_confusion(pred.confusion, pred.classes, ax=ax_cm, title="confusion matrix")
    order = np.arange(len(pred.classes))[::-1]
    ax_acc.barh([pred.classes[i] for i in order], pred.per_class[order])
    ax_acc.set(xlim=(0, 1), xlabel="accuracy on the class", title="accuracy per class")
    ax_acc.tick_params(axis="y", labelsize=7)
    ax_acc.grid(True, axis="x")
    fig.suptitle(f"{title}: {len(pred.y_true):,} test images")
    fig.tight_layout()
    plt.show()
    plot_mistakes(pred, title=f"{title}: the first misclassified test images")
    plt.show()
    print(pred.report())
    return pred
