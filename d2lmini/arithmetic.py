"""Convolution arithmetic without a framework: output sizes, padding, receptive fields, costs.

Everything here is plain Python on integers, so it can be checked against both PyTorch and
Keras (``tests/test_arithmetic.py`` does so over hundreds of random configurations).

Conventions
-----------
* Sizes are for **one spatial dimension** (``conv_output_size``, ``same_padding``,
  ``receptive_field``); apply them to height and width separately.
* ``padding`` is either an integer ``p`` (PyTorch: ``p`` zeros on *both* sides) or one of the
  TensorFlow/Keras strings ``'valid'`` (no padding) and ``'same'`` (as much as needed so that
  the output has ``ceil(n / stride)`` positions, split as :func:`same_padding` says).
* A kernel of size ``k`` with dilation ``d`` spans ``d * (k - 1) + 1`` input positions
  (its *effective* size).
* Costs are per example: a multiply-add (MAC) is one multiplication plus one addition,
  the unit of ``out += w * x``. Bias additions are not counted as MACs.

Examples
--------
>>> conv_output_size(227, 11, stride=4)          # AlexNet's first layer
55
>>> conv_output_size(5, 3, padding='same'), conv_output_size(5, 3, padding='valid')
(5, 3)
>>> receptive_field([(3, 1), (3, 1)]).size      # two stacked 3x3 see 5x5
5
>>> count_params(Conv(128, 32, 5, bias=False))
102400
"""
import math
from dataclasses import dataclass
from numbers import Integral

__all__ = ["conv_output_size", "same_padding", "effective_kernel_size", "receptive_field",
           "ReceptiveField", "Conv", "Dense", "Pool", "count_params", "count_macs",
           "layer_table"]


# --------------------------------------------------------------------------- validation
def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_padding(padding):
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(f"padding must be an integer, 'valid' or 'same', got {padding!r}")
        return mode
    return _check_int("padding", padding, 0)


def effective_kernel_size(kernel, dilation=1):
    """Number of input positions a dilated kernel spans: ``dilation * (kernel - 1) + 1``.

    >>> effective_kernel_size(3, dilation=2)
    5
    """
    kernel = _check_int("kernel", kernel, 1)
    dilation = _check_int("dilation", dilation, 1)
    return dilation * (kernel - 1) + 1


# --------------------------------------------------------------------------- output size
def conv_output_size(n, kernel, stride=1, padding=0, dilation=1, ceil_mode=False):
    """Number of output positions of a convolution or pooling window along one dimension.

    Parameters
    ----------
    n : int
        Input size (height or width), at least 1.
    kernel : int
        Window (kernel) size ``k``.
    stride : int, default 1
        Step ``s`` between neighbouring windows.
    padding : int or {'valid', 'same'}, default 0
        An integer ``p`` pads ``p`` zeros on each side (PyTorch's ``padding=p``):
        ``floor((n + 2p - k_eff) / s) + 1``. ``'valid'`` (no padding) gives
        ``ceil((n - k_eff + 1) / s)`` and ``'same'`` gives ``ceil(n / s)``, as in
        TensorFlow/Keras.
    dilation : int, default 1
        Spacing between kernel taps; the window spans ``k_eff = dilation * (k - 1) + 1``.
    ceil_mode : bool, default False
        PyTorch pooling's ``ceil_mode``: round up instead of down, so a last, partial window
        is kept, unless it would start in the right padding. Only with integer padding.

    Returns
    -------
    int
        The output size, at least 1.

    Raises
    ------
    ValueError
        If an argument is invalid, or if the (dilated) window does not fit into the
        (padded) input even once, i.e. the output would be empty.

    Examples
    --------
    >>> conv_output_size(28, 5, padding=2)           # LeNet-style 'same' 5x5 convolution
    28
    >>> conv_output_size(55, 3, stride=2)             # overlapping max pooling in AlexNet
    27
    >>> conv_output_size(6, 3, stride=2, ceil_mode=True)
    3
    >>> conv_output_size(7, 3, stride=2, padding='same')
    4
    """
    n = _check_int("input size n", n, 1)
    stride = _check_int("stride", stride, 1)
    k_eff = effective_kernel_size(kernel, dilation)
    padding = _check_padding(padding)
    if isinstance(padding, str):
        if ceil_mode:
            raise ValueError("ceil_mode is a PyTorch pooling option and needs integer padding; "
                             f"with padding={padding!r} the output size is already rounded up")
        if padding == "same":
            return -(-n // stride)
        span = n - k_eff + 1
        if span < 1:
            raise ValueError(_empty_message(n, kernel, dilation, k_eff, stride, "'valid'", n))
        return -(-span // stride)
    padded = n + 2 * padding
    span = padded - k_eff
    if not ceil_mode:
        out = span // stride + 1 if span >= 0 else 0
    else:
        # Round up (a last window may hang over the end, as in PyTorch's pooling), but drop
        # a last window that would start inside the right padding.
        out = (span + stride - 1) // stride + 1
        if out > 1 and (out - 1) * stride >= n + padding:
            out -= 1
    if out < 1:
        raise ValueError(_empty_message(n, kernel, dilation, k_eff, stride, padding, padded))
    return out


def _empty_message(n, kernel, dilation, k_eff, stride, padding, padded):
    dil = f" (dilation {dilation}: it spans {k_eff})" if dilation != 1 else ""
    pad = (f"the input of size {n}" if padded == n else
           f"the input of size {n} padded to {padded}")
    return (f"empty output: a window of size {kernel}{dil} with stride {stride} and "
            f"padding {padding} does not fit into {pad}. Use a smaller kernel or dilation, "
            f"more padding (e.g. 'same'), or a larger input (at least {k_eff - (padded - n)}).")


def same_padding(n, kernel, stride=1, dilation=1):
    """Zeros TensorFlow/Keras add before and after an input for ``padding='same'``.

    The output has ``ceil(n / stride)`` positions; the total padding is
    ``max((out - 1) * stride + k_eff - n, 0)``; when it is odd, the extra zero goes *after*
    (bottom/right). PyTorch's integer ``padding`` is always symmetric, so an odd total cannot
    be reproduced with it; use ``torch.nn.functional.pad`` with these numbers instead.

    Parameters
    ----------
    n, kernel, stride, dilation : int
        Input size, kernel size, stride and dilation along one dimension.

    Returns
    -------
    (int, int)
        Padding before (top/left) and after (bottom/right).

    Examples
    --------
    >>> same_padding(5, 3)        # odd kernel, stride 1: symmetric
    (1, 1)
    >>> same_padding(6, 4)        # even kernel: one more zero at the end
    (1, 2)
    >>> same_padding(6, 3, stride=2)
    (0, 1)
    """
    n = _check_int("input size n", n, 1)
    stride = _check_int("stride", stride, 1)
    k_eff = effective_kernel_size(kernel, dilation)
    out = -(-n // stride)
    total = max((out - 1) * stride + k_eff - n, 0)
    return total // 2, total - total // 2


# --------------------------------------------------------------------------- receptive field
@dataclass(frozen=True)
class ReceptiveField:
    """Result of :func:`receptive_field`.

    Attributes
    ----------
    size : int
        Input positions (along one dimension) that one output unit of the last layer sees.
    jump : int
        Distance in input positions between two neighbouring units of the last layer
        (the product of the strides).
    table : list of dict
        One row per layer: ``layer``, ``kernel``, ``stride``, ``dilation``, and the
        ``size`` and ``jump`` after that layer (``pandas.DataFrame(table)`` prints it).
    """

    size: int
    jump: int
    table: list


def receptive_field(layers):
    """Receptive field of a stack of convolution/pooling layers along one dimension.

    With ``r_0 = 1`` and ``j_0 = 1`` (one input pixel), a layer with kernel ``k``, stride ``s``
    and dilation ``d`` gives ``r_l = r_{l-1} + d (k - 1) j_{l-1}`` and ``j_l = j_{l-1} s``.
    Padding moves the field but does not change its size; near the border part of the
    field lies in the padding.

    Parameters
    ----------
    layers : iterable
        ``(kernel, stride)`` or ``(kernel, stride, dilation)`` per layer, in order from the
        input. :class:`Conv` and :class:`Pool` specs are accepted too (:class:`Dense` is not:
        it sees everything). Layers that do not change the field (ReLU, batch norm) are left
        out.

    Returns
    -------
    ReceptiveField
        ``size``, ``jump`` and a per-layer ``table``.

    Examples
    --------
    >>> rf = receptive_field([(3, 1), (3, 1), (2, 2), (3, 1, 2)])
    >>> rf.size, rf.jump
    (14, 2)
    >>> [row["size"] for row in rf.table]
    [3, 5, 6, 14]
    """
    size, jump, table = 1, 1, []
    for i, layer in enumerate(layers, start=1):
        if isinstance(layer, (Conv, Pool)):
            kernel, stride, dilation = (_pair(layer.kernel)[0], _pair(layer.stride)[0],
                                        _pair(layer.dilation)[0])
        elif isinstance(layer, Dense):
            raise ValueError(f"layer {i} is Dense: a dense layer sees its whole input, so a "
                             "receptive field is only defined for the layers before it")
        else:
            try:
                kernel, stride, *rest = layer
            except (TypeError, ValueError):
                raise ValueError(f"layer {i}: expected (kernel, stride) or (kernel, stride, "
                                 f"dilation), got {layer!r}") from None
            if len(rest) > 1:
                raise ValueError(f"layer {i}: expected at most 3 numbers, got {layer!r}")
            dilation = rest[0] if rest else 1
        k_eff = effective_kernel_size(kernel, dilation)
        stride = _check_int("stride", stride, 1)
        size += (k_eff - 1) * jump
        jump *= stride
        table.append({"layer": i, "kernel": int(kernel), "stride": stride,
                      "dilation": int(dilation), "size": size, "jump": jump})
    return ReceptiveField(size=size, jump=jump, table=table)


# --------------------------------------------------------------------------- layer specs
def _pair(value):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or a pair (height, width), got {value!r}")
        return tuple(value)
    return (value, value)


@dataclass(frozen=True)
class Conv:
    """A 2-D convolution, as ``torch.nn.Conv2d`` / ``keras.layers.Conv2D`` describe it.

    ``kernel``, ``stride``, ``dilation`` and integer ``padding`` may be an int or a pair
    (height, width). ``groups`` splits the channels as in PyTorch (``groups=in_channels``
    is a depthwise convolution).

    >>> Conv(3, 96, 11, stride=4)
    Conv(in_channels=3, out_channels=96, kernel=11, stride=4, padding=0, dilation=1, groups=1, bias=True)
    """

    in_channels: int
    out_channels: int
    kernel: object
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self):
        _check_int("in_channels", self.in_channels, 1)
        _check_int("out_channels", self.out_channels, 1)
        groups = _check_int("groups", self.groups, 1)
        if self.in_channels % groups or self.out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={self.in_channels} "
                             f"and out_channels={self.out_channels}")


@dataclass(frozen=True)
class Pool:
    """A 2-D max or average pooling window (no parameters). ``stride`` defaults to ``kernel``.

    ``dilation`` and ``ceil_mode`` are PyTorch's ``MaxPool2d`` options.

    >>> Pool(2).stride
    2
    """

    kernel: object
    stride: object = None
    padding: object = 0
    dilation: object = 1
    ceil_mode: bool = False

    def __post_init__(self):
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel)


@dataclass(frozen=True)
class Dense:
    """A fully connected layer (``torch.nn.Linear`` / ``keras.layers.Dense``).

    When it follows convolutions in a list, its input is their flattened output.

    >>> count_params(Dense(784, 128))
    100480
    """

    in_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self):
        _check_int("in_features", self.in_features, 1)
        _check_int("out_features", self.out_features, 1)


def _as_list(layers):
    if isinstance(layers, (Conv, Pool, Dense)):
        return [layers]
    layers = list(layers)
    for i, layer in enumerate(layers, start=1):
        if not isinstance(layer, (Conv, Pool, Dense)):
            raise ValueError(f"layer {i} is {layer!r}; expected Conv, Pool or Dense")
    return layers


def _params(layer):
    if isinstance(layer, Conv):
        kh, kw = _pair(layer.kernel)
        weights = layer.out_channels * (layer.in_channels // layer.groups) * kh * kw
        return weights + (layer.out_channels if layer.bias else 0)
    if isinstance(layer, Dense):
        return layer.in_features * layer.out_features + (layer.out_features if layer.bias else 0)
    return 0


def layer_table(layers, input_size=None):
    """Output shape, parameters and multiply-adds of each layer, for one example.

    Parameters
    ----------
    layers : Conv, Pool, Dense or a list of them
        In order from the input. Channels must chain (a layer's ``in_channels`` equals the
        previous ``out_channels``); a :class:`Dense` after convolutions takes their
        flattened output, so its ``in_features`` must equal channels * height * width.
    input_size : int or (int, int), optional
        Spatial size (height, width) of the input. Needed when there are Conv or Pool layers.

    Returns
    -------
    list of dict
        Per layer: ``layer`` (its class name), ``output_shape`` (channels, height, width) or
        (features,), ``params`` and ``macs``.

    Raises
    ------
    ValueError
        If the layers do not chain, or a layer's output would be empty.

    Examples
    --------
    >>> rows = layer_table([Conv(1, 6, 5, padding=2), Pool(2)], input_size=28)
    >>> [(r["layer"], r["output_shape"], r["params"], r["macs"]) for r in rows]
    [('Conv', (6, 28, 28), 156, 117600), ('Pool', (6, 14, 14), 0, 0)]
    """
    layers = _as_list(layers)
    shape = None  # (channels, height, width) or (features,)
    if input_size is not None:
        h, w = _pair(input_size)
        shape = (None, _check_int("input height", h, 1), _check_int("input width", w, 1))
    rows = []
    for i, layer in enumerate(layers, start=1):
        name = type(layer).__name__
        if isinstance(layer, Dense):
            if shape is not None:
                features = math.prod(shape) if None not in shape else None
                if features is not None and features != layer.in_features:
                    raise ValueError(f"layer {i} (Dense) expects {layer.in_features} inputs but "
                                     f"the previous layer gives {shape} = {features} values")
            macs = layer.in_features * layer.out_features
            shape = (layer.out_features,)
        else:
            if shape is None or len(shape) != 3:
                raise ValueError(f"layer {i} ({name}) needs a spatial input: pass input_size="
                                 "(height, width) and put Conv/Pool layers before Dense ones")
            channels, h, w = shape
            kh, kw = _pair(layer.kernel)
            sh, sw = _pair(layer.stride)
            if isinstance(layer.padding, str):
                ph = pw = layer.padding
            else:
                ph, pw = _pair(layer.padding)
            if isinstance(layer, Conv):
                if channels is not None and channels != layer.in_channels:
                    raise ValueError(f"layer {i} (Conv) expects {layer.in_channels} input "
                                     f"channels but the previous layer gives {channels}")
                dh, dw = _pair(layer.dilation)
                try:
                    oh = conv_output_size(h, kh, sh, ph, dh)
                    ow = conv_output_size(w, kw, sw, pw, dw)
                except ValueError as err:
                    raise ValueError(f"layer {i} (Conv): {err}") from None
                channels = layer.out_channels
                macs = (layer.out_channels * oh * ow
                        * (layer.in_channels // layer.groups) * kh * kw)
            else:
                try:
                    dh, dw = _pair(layer.dilation)
                    oh = conv_output_size(h, kh, sh, ph, dh, ceil_mode=layer.ceil_mode)
                    ow = conv_output_size(w, kw, sw, pw, dw, ceil_mode=layer.ceil_mode)
                except ValueError as err:
                    raise ValueError(f"layer {i} (Pool): {err}") from None
                macs = 0
            shape = (channels, oh, ow)
        rows.append({"layer": name, "output_shape": shape, "params": _params(layer),
                     "macs": macs})
    return rows


def count_params(layers):
    """Number of trainable parameters (weights plus biases) of a layer or a list of layers.

    A convolution has ``out_channels * in_channels / groups * kh * kw`` weights and
    ``out_channels`` biases; a dense layer ``in_features * out_features`` weights and
    ``out_features`` biases; pooling has none.

    Examples
    --------
    >>> count_params([Dense(784, 128), Dense(128, 10)])
    101770
    >>> count_params(Conv(128, 32, 1, bias=False)) + count_params(Conv(32, 32, 5, bias=False))
    29696
    """
    return sum(_params(layer) for layer in _as_list(layers))


def count_macs(layers, input_size=None):
    """Multiply-adds per example of a layer or a list of layers.

    A convolution costs ``out_channels * out_h * out_w * in_channels / groups * kh * kw``
    multiply-adds (one per weight per output position), a dense layer
    ``in_features * out_features``; bias additions and pooling are not counted.

    Parameters
    ----------
    layers : Conv, Pool, Dense or a list of them
        See :func:`layer_table`.
    input_size : int or (int, int), optional
        Spatial input size; required with Conv or Pool layers.

    Examples
    --------
    >>> count_macs(Conv(1, 1, 5), input_size=12)     # 25 * (12 - 5 + 1)**2
    1600
    >>> count_macs([Conv(1, 1, 3), Conv(1, 1, 3)], input_size=12)   # 9*10**2 + 9*8**2
    1476
    """
    return sum(row["macs"] for row in layer_table(layers, input_size))
