"""Plotting helpers shared by both backends: line plots, image grids, a live training plot.

Every figure gets a title and labelled axes: pass ``title``, ``xlabel`` and ``ylabel``.
"""
import matplotlib

if not matplotlib.get_backend().lower().startswith(("module://", "inline", "nbagg")):
    # Headless terminals and test runs: draw off-screen. Jupyter keeps its inline backend.
    import os
    if not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")

import matplotlib.pyplot as plt


def in_notebook():
    """True inside a Jupyter kernel (where figures and live plots are displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def use_svg_display():
    """Show figures in Jupyter as SVG (crisp, and small for line plots)."""
    if in_notebook():
        from matplotlib_inline import backend_inline
        backend_inline.set_matplotlib_formats("svg")


def set_figsize(figsize=(3.5, 2.5)):
    """Set the default figure size in inches."""
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear",
             yscale="linear", legend=None, title=None):
    """Label and scale a matplotlib ``Axes``."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if title:
        axes.set_title(title)
    if legend:
        axes.legend(legend)
    axes.grid(True)


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
         figsize=(3.5, 2.5), axes=None, title=None):
    """Plot one or several curves.

    ``X`` is a sequence of x values (or a list of them, one per curve); ``Y`` a sequence of
    y values or a list of them. With ``Y`` omitted, ``X`` is plotted against its index.

    >>> ax = plot([0, 1, 2], [[0, 1, 4], [0, 1, 8]], "x", "y", legend=["x^2", "x^3"],
    ...           title="powers")
    """
    def has_one_axis(v):
        return (hasattr(v, "ndim") and v.ndim == 1) or (
            isinstance(v, (list, tuple)) and len(v) > 0 and not hasattr(v[0], "__len__"))

    if legend is None:
        legend = []
    set_figsize(figsize)
    axes = axes if axes is not None else plt.gca()
    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts * len(Y)):
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend, title)
    return axes


def plot_history(results, labels=None, title=None, figsize=(7, 2.6)):
    """Training loss and test accuracy per epoch of one or several finished runs.

    ``results`` are :class:`~d2lmini.training.TrainResult` objects (from ``train_ch6`` or
    ``TrainResult.load``); ``labels`` name them in the legend (default: their model names).
    Returns the two ``Axes``.

    >>> from d2lmini.training import TrainResult                   # doctest: +SKIP
    >>> run = TrainResult.load("results/alexnet-pytorch-full.json")  # doctest: +SKIP
    >>> plot_history([run], title="AlexNet, full run")               # doctest: +SKIP
    """
    if not results:
        raise ValueError("plot_history needs at least one run")
    if labels is None:
        labels = [r.extra.get("model", f"run {i + 1}") for i, r in enumerate(results)]
    if len(labels) != len(results):
        raise ValueError(f"{len(results)} runs but {len(labels)} labels")
    use_svg_display()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=figsize)
    for result, label in zip(results, labels):
        h = result.history
        epochs = h.get("epoch") or range(1, len(h["train_loss"]) + 1)  # counted from 1
        ax_loss.plot(epochs, h["train_loss"], marker=".", label=label)
        ax_acc.plot(epochs, h["test_acc"], marker=".", label=label)
    set_axes(ax_loss, "epoch", "training loss", title="Training loss")
    set_axes(ax_acc, "epoch", "test accuracy", title="Test accuracy")
    ax_acc.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return ax_loss, ax_acc


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5, suptitle=None, cmap="gray"):
    """Show a grid of images (numpy arrays or framework tensors, HxW or HxWxC).

    Returns the array of ``Axes``.
    """
    figsize = (num_cols * scale, num_rows * scale)
    fig, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=False)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        img = img.numpy() if hasattr(img, "numpy") else img
        ax.imshow(img.squeeze(), cmap=cmap)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i], fontsize=9)
    for ax in axes[len(imgs):]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return axes


class Animator:
    """A plot that grows as data arrive: the live training curve in a notebook.

    In Jupyter the figure is displayed once and updated in place (other output of the cell
    is kept). Outside Jupyter nothing is drawn until :meth:`show` or :attr:`fig` is used.

    >>> anim = Animator(xlabel="epoch", legend=["loss"], title="training")
    >>> anim.add(1, [0.5]); anim.add(2, [0.3]); anim.Y
    [[0.5, 0.3]]
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
                 figsize=(3.5, 2.5), title=None):
        self.legend = legend or []
        self.fig, self.axes = plt.subplots(figsize=figsize)
        self.config = dict(xlabel=xlabel, ylabel=ylabel, xlim=xlim, ylim=ylim, xscale=xscale,
                           yscale=yscale, legend=self.legend, title=title)
        self.fmts = fmts
        self.X, self.Y = None, None
        self._handle = None
        plt.close(self.fig)  # we display it ourselves, once, at the end of the cell

    def add(self, x, ys):
        """Add one point per curve: ``x`` a number, ``ys`` a list (``None`` skips a curve)."""
        if not hasattr(ys, "__len__"):
            ys = [ys]
        n = len(ys)
        if self.X is None:
            self.X, self.Y = [[] for _ in range(n)], [[] for _ in range(n)]
        for i, y in enumerate(ys):
            if y is not None:
                self.X[i].append(x)
                self.Y[i].append(float(y))
        self._draw()

    def _draw(self):
        self.axes.cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts * len(self.X)):
            # A curve of one or two points draws no visible line: mark its points.
            self.axes.plot(x, y, fmt, marker="o" if len(x) < 3 else None, markersize=4)
        set_axes(self.axes, **self.config)
        if in_notebook():
            from IPython import display
            if self._handle is None:
                self._handle = display.display(self.fig, display_id=True)
            else:
                self._handle.update(self.fig)

    def show(self):
        """Return the figure (for saving or displaying outside a notebook)."""
        return self.fig
