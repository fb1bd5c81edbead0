"""What every network of the book is built with, in TensorFlow/Keras: the twin of
:mod:`d2lmini.backend_torch.models`, with the same names, in the same order, and the same
docstrings (:mod:`d2lmini.mirrordocs`); the chapters' networks are in
:mod:`d2lmini.backend_tf.book_networks`.

Images are NHWC here (NCHW in PyTorch). Each network computes the same function as its
PyTorch twin (``d2lmini.book.twins`` copies the weights across; the tests compare logits and
one SGD step): batch normalization uses PyTorch's settings (momentum 0.9 in Keras terms,
epsilon 1e-5), and stride-2 layers pad explicitly where PyTorch pads every side, since
Keras' ``'same'`` pads only the bottom and right at stride 2.

>>> net = lenet()
>>> net(tf.zeros((1, 28, 28, 1))).shape
TensorShape([1, 10])
"""
import math

import keras
import tensorflow as tf
from keras import layers

from .. import arithmetic, mirrordocs, netsummary

__all__ = ["CheckedSequential", "output_size", "lenet", "spatial_steps", "count_parameters", "layer_summary"]


@mirrordocs.shared("CheckedSequential", "tensorflow",
    layers="layers.Conv2D(4, 5), layers.Flatten()")
class CheckedSequential(netsummary.CheckedInput, keras.Sequential):

    layout = "NHWC"

    def __init__(self, *layers, name="network", image_size=None, in_channels=1):
        super().__init__([keras.Input((image_size, image_size, in_channels)), *layers],
                         name=name)
        self._remember(name, image_size, in_channels, spatial_steps(self))

    def __call__(self, inputs, *args, **kwargs):
        # Checked here rather than in call(), where Keras would wrap the error in its own
        # multi-line message.
        self.check_input(inputs)
        return super().__call__(inputs, *args, **kwargs)


def output_size(layers, image_size):
    """Height (= width) of what ``layers`` make of an ``image_size`` x ``image_size`` input.

    Computed from the layers' kernels, strides and paddings (:func:`spatial_steps`), without
    running them. (Keras infers a dense layer's input size itself; this mirrors PyTorch.)
    ``ValueError`` when the input is too small.

    >>> output_size([layers.Conv2D(6, 5), layers.AveragePooling2D(2)], 28)
    12
    """
    size = netsummary.trace_sizes(_steps_of(layers, ""), image_size)[-1]
    if size < 1:
        raise ValueError(f"image_size={image_size} is too small for these layers")
    return size


def lenet(num_classes=10, in_channels=1, image_size=28):
    """LeNet-5 (LeCun et al., 1998) with sigmoid activations and average pooling.

    Two 5x5 convolutions (6 and 16 channels), each followed by 2x2 average pooling, then
    dense layers of 120, 84 and ``num_classes`` units. Built for ``image_size`` x
    ``image_size`` inputs (28 for Fashion-MNIST).

    >>> lenet()(tf.zeros((2, 28, 28, 1))).shape
    TensorShape([2, 10])
    """
    return CheckedSequential(
        layers.Conv2D(6, kernel_size=5, padding="same", activation="sigmoid"),
        layers.AveragePooling2D(pool_size=2, strides=2),
        layers.Conv2D(16, kernel_size=5, activation="sigmoid"),
        layers.AveragePooling2D(pool_size=2, strides=2),
        layers.Flatten(),
        layers.Dense(120, activation="sigmoid"),
        layers.Dense(84, activation="sigmoid"),
        layers.Dense(num_classes),
        name="lenet", in_channels=in_channels, image_size=image_size)


# --------------------------------------------------------------------------- inspection
# Keras' depthwise convolution is a layer of its own, not a Conv2D.
_CONVOLUTIONS = (layers.Conv2D, layers.DepthwiseConv2D)


def _steps_of(children, prefix):
    steps = []
    for i, child in enumerate(children):
        path = f"{prefix}{i}"
        label = f"layer {path} ({type(child).__name__})"
        if hasattr(child, "spatial_steps"):
            steps.extend((f"layer {path} {n}", k, s, p) for n, k, s, p in child.spatial_steps())
        elif isinstance(child, (*_CONVOLUTIONS, layers.MaxPooling2D, layers.AveragePooling2D)):
            kernel = child.kernel_size if isinstance(child, _CONVOLUTIONS) else child.pool_size
            steps.append((label, kernel[0], child.strides[0], child.padding))
        elif isinstance(child, layers.ZeroPadding2D):  # grows by 2p: a 1x1 "window" padded p
            steps.append((label, 1, 1, child.padding[0][0]))
        elif isinstance(child, keras.Sequential):
            steps.extend(_steps_of(child.layers, path + "."))
    return steps


def spatial_steps(net):
    """The size-changing steps ``(name, kernel, stride, padding)`` of a network, in order.

    Convolutions and max/average pooling are steps; blocks with a ``spatial_steps()``
    method describe themselves; ``keras.Sequential`` containers are searched recursively.
    See :mod:`d2lmini.netsummary` for what is computed from them.

    >>> spatial_steps(keras.Sequential([layers.Conv2D(6, 5, padding="same"), layers.AveragePooling2D(2)]))
    [('layer 0 (Conv2D)', 5, 1, 'same'), ('layer 1 (AveragePooling2D)', 2, 2, 'valid')]
    """
    return _steps_of(net.layers, "")


def count_parameters(net):
    """Number of trainable parameters: the entries of Keras' ``net.trainable_weights``
    (batch normalization's moving mean and variance are non-trainable weights, and a layer
    set to ``trainable = False`` counts nothing).

    >>> count_parameters(lenet())
    61706
    """
    return sum(math.prod(w.shape) for w in net.trainable_weights)


def _all_layers(layer):
    """``layer`` and every layer inside it (the walk ``train_ch6`` uses too)."""
    from .train import _walk
    return [layer, *_walk(layer)]


@mirrordocs.shared("layer_summary", "tensorflow", input_example="(1, 224, 224, 1)",
    example_shape="(28, 28, 1)", example="(('Conv2D', (1, 28, 28, 6), 156), 416520)")
def layer_summary(net, input_shape, show=True):
    X = tf.zeros(netsummary.check_input_shape(input_shape, "NHWC"))
    if isinstance(net, CheckedSequential):
        net.check_input(X)
    if not net.built:
        # A Sequential made without an Input builds itself on its first call by tracing its
        # layers; a block's own call would then be counted twice below.
        net(X, training=False)
    macs = []
    wrapped = []

    def counting(layer):
        original = layer.call

        def call(x, *args, **kwargs):
            if isinstance(layer, _CONVOLUTIONS):
                c = int(x.shape[-1])
                depthwise = isinstance(layer, layers.DepthwiseConv2D)  # groups = channels
                spec = arithmetic.Conv(c, c * layer.depth_multiplier if depthwise else layer.filters,
                                       tuple(layer.kernel_size), tuple(layer.strides),
                                       layer.padding, tuple(layer.dilation_rate),
                                       c if depthwise else layer.groups, layer.use_bias)
                macs.append(arithmetic.count_macs(spec, input_size=tuple(x.shape[1:3])))
            else:
                spec = arithmetic.Dense(int(x.shape[-1]), layer.units, layer.use_bias)
                macs.append(arithmetic.count_macs(spec) * (math.prod(x.shape[1:-1])))
            return original(x, *args, **kwargs)
        return call

    for layer in _all_layers(net):
        if isinstance(layer, (*_CONVOLUTIONS, layers.Dense)):
            layer.call = counting(layer)
            wrapped.append(layer)
    rows = netsummary.Summary()
    try:
        for layer in net.layers:
            X = layer(X, training=False)
            rows.append((type(layer).__name__, tuple(int(d) for d in X.shape),
                         count_parameters(layer)))
    finally:
        for layer in wrapped:
            del layer.call
    rows.params, rows.macs = count_parameters(net), sum(macs)
    return rows.show(show)
