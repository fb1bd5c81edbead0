"""Framework-free helpers for describing networks: layer tables and input-size checks.

Both backends' ``models.py`` describe the spatial path of a network as a list of
*steps* ``(name, kernel, stride, padding)``: one step per layer that changes (or could
refuse) the height and width of its input. ``padding`` is a whole number of pixels added
on each side (PyTorch style) or ``"same"`` / ``"valid"`` (Keras style). From that list
this module computes the feature-map size after each step, the smallest input a network
accepts, and a clear :class:`ValueError` when an image is too small.

>>> steps = [("conv1", 11, 4, "valid"), ("pool1", 3, 2, 0)]
>>> trace_sizes(steps, 224)
[54, 26]
>>> min_input_size(steps)
19
"""

from .arithmetic import conv_output_size

__all__ = ["step_output_size", "trace_sizes", "min_input_size", "check_input_size",
           "format_table", "format_shape"]


def step_output_size(n, kernel, stride, padding):
    """Output height (or width) of one convolution or pooling step on an ``n``-pixel input.

    ``padding`` is pixels per side, or ``"same"`` (output ``ceil(n / stride)``) or
    ``"valid"`` (no padding). Returns 0 or less when the window does not fit at all.

    >>> step_output_size(224, 11, 4, 0), step_output_size(28, 5, 1, 2)
    (54, 28)
    >>> step_output_size(5, 3, 2, "same"), step_output_size(2, 3, 2, "valid")
    (3, 0)
    """
    if n < 1:
        return 0
    try:
        return conv_output_size(n, kernel, stride, padding)
    except ValueError:  # the window does not fit even once
        return 0


def trace_sizes(steps, n):
    """The feature-map size after each step, for an ``n``-pixel input (0 once it vanishes)."""
    sizes = []
    for _name, kernel, stride, padding in steps:
        n = step_output_size(n, kernel, stride, padding) if n > 0 else 0
        sizes.append(n)
    return sizes


def min_input_size(steps, limit=4096):
    """The smallest input height/width for which every step still produces an output.

    >>> min_input_size([("pool", 2, 2, 0), ("pool", 2, 2, 0)])
    4
    """
    for n in range(1, limit + 1):
        if all(size >= 1 for size in trace_sizes(steps, n)):
            return n
    raise ValueError(f"no input size up to {limit} pixels passes these steps: {steps}")


def _describe(step):
    name, kernel, stride, padding = step
    pad = "" if padding in (0, "valid") else f", padding {padding!r}"
    return f"{name} with a {kernel}x{kernel} window, stride {stride}{pad},"


def check_input_size(steps, height, width, model="this network", fixed_size=None,
                     hint=None):
    """Raise a :class:`ValueError` that names the layer when an image is too small.

    ``fixed_size`` is the one input size a network with a flattening classifier was built
    for (``None`` when a global pooling layer lets it take any size from the minimum up).

    >>> check_input_size([("pool1", 3, 2, 0)], 2, 2, "tiny")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: tiny: pool1 with a 3x3 window, stride 2, would get a 2x2 input, ...
    """
    smallest = min_input_size(steps)
    where = ""
    for size_name, n in (("height", height), ("width", width)):
        if n is None or n >= smallest:
            continue
        before = [n] + trace_sizes(steps, n)
        for i, step in enumerate(steps):
            if before[i + 1] < 1:
                where = (f"{_describe(step)} would get a {before[i]}x{before[i]} "
                         f"input, too small for its window")
                break
        break
    need = (f"{fixed_size}x{fixed_size}" if fixed_size is not None
            else f"at least {smallest}x{smallest}")
    do = hint or ("resize the images, e.g. "
                  f"load_data_fashion_mnist(batch_size, resize={fixed_size or smallest})")
    if where:
        raise ValueError(f"{model}: {where}; this network needs input images of {need} "
                         f"pixels but got {height}x{width}: {do}")
    if fixed_size is not None and (height, width) != (fixed_size, fixed_size):
        raise ValueError(f"{model} was built for {fixed_size}x{fixed_size} input images "
                         f"(its flattening classifier has a fixed number of inputs) but got "
                         f"{height}x{width}: {do}, or build the model with "
                         f"image_size={height} (smallest possible: {smallest})")


def format_shape(shape):
    """``(1, 54, 54, 96)`` style text for a shape given as any sequence of ints."""
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"


def format_table(rows, total_params=None, macs=None):
    """A plain-text table of ``(layer, output shape, parameters)`` rows.

    >>> print(format_table([("Conv2d", (1, 6, 28, 28), 156)], total_params=156))
    layer    output shape     params
    --------------------------------
    Conv2d   (1, 6, 28, 28)      156
    --------------------------------
    total parameters: 156
    """
    cells = [(str(name), format_shape(shape), f"{int(params):,}") for name, shape, params
             in rows]
    head = ("layer", "output shape", "params")
    widths = [max(len(r[i]) for r in cells + [head]) for i in range(3)]
    fmt = f"{{:<{widths[0]}}}   {{:<{widths[1]}}}   {{:>{widths[2]}}}"
    line = "-" * (widths[0] + widths[1] + widths[2] + 6)
    out = [fmt.format(*head), line] + [fmt.format(*r) for r in cells] + [line]
    if total_params is not None:
        out.append(f"total parameters: {int(total_params):,}")
    if macs is not None:
        out.append(f"multiply-adds per example: {int(macs):,}")
    return "\n".join(out)


LAYOUTS = {"NCHW": "(batch, channels, height, width)", "NHWC": "(batch, height, width, channels)"}


def check_input_shape(input_shape, layout):
    """``input_shape`` as a 4-tuple of ints, a batch of 1 added to three numbers.

    >>> check_input_shape((1, 28, 28), "NCHW")
    (1, 1, 28, 28)
    >>> check_input_shape((28, 28), "NHWC")
    Traceback (most recent call last):
    ...
    ValueError: input_shape must be (batch, height, width, channels), got (28, 28)
    """
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) == 3:
        input_shape = (1,) + input_shape
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be {LAYOUTS[layout]}, got {input_shape}")
    return input_shape


class Summary(list):
    """Rows ``(layer, output shape, params)`` of ``layer_summary``, with ``.params`` and
    ``.macs`` totals; printing it prints the table."""

    def __init__(self, rows=(), params=0, macs=0):
        super().__init__(rows)
        self.params, self.macs = params, macs

    def __str__(self):
        return format_table(self, self.params, self.macs)

    def show(self, show):
        """Print the table and return None when ``show`` (so a notebook shows it once);
        else return the rows."""
        if show:
            print(self)
            return None
        return self


class CheckedInput:
    """The framework-free half of ``CheckedSequential``: remember what the network was
    built for, and check an input batch against it before it runs."""

    layout = "NCHW"  # the backend's image layout: "NCHW" (PyTorch) or "NHWC" (Keras)

    def _remember(self, name, image_size, in_channels, steps):
        """Keep the network's name, input size and channels, and its size-changing
        ``steps`` (see :func:`min_input_size`)."""
        self.model_name = name
        self.image_size = image_size
        self.in_channels = in_channels
        self.steps = steps
        self.min_size = min_input_size(steps)

    def check_input(self, X):
        """Raise a ``ValueError`` if ``X`` has the wrong rank, channels, height or width;
        a dimension that is not known yet (None, while Keras traces) is not checked."""
        shape = tuple(X.shape)
        axes = LAYOUTS[self.layout]
        if len(shape) != 4:
            raise ValueError(f"{self.model_name} expects a batch of images shaped {axes}, "
                             f"got shape {shape}")
        c, h, w = (shape[1], shape[2], shape[3]) if self.layout == "NCHW" else \
            (shape[3], shape[1], shape[2])
        if c is not None and c != self.in_channels:
            raise ValueError(f"{self.model_name} was built for {self.in_channels}-channel "
                             f"images {axes} but got shape {shape}: build it with "
                             f"in_channels={c}")
        if h is not None and w is not None:
            check_input_size(self.steps, int(h), int(w), self.model_name, self.image_size)
