"""What every network of the book is built with (PyTorch): the input check, sizes, summaries.

The chapters' networks, from AlexNet to DenseNet and the blocks that came after ResNet, are
in :mod:`d2lmini.backend_torch.book_networks`, copied from the chapters' ``#@save`` cells by
``scripts/saved_cells.py``. This module holds what they are built with, written by hand:
:class:`CheckedSequential`, which checks the size of its input before running and raises a
:class:`ValueError` naming the layer and the size it needs, instead of a shape error deep
inside; :func:`output_size`, the height and width a list of layers leaves; :func:`lenet`,
chapter 8's network for any image size (the chapter writes the 28x28 one); and
:func:`layer_summary`, a layer-by-layer table of output shapes for one example, with
parameters and multiply-adds.

Mirrors :mod:`d2lmini.backend_tf.models`: the same names, in the same order, with the same
docstrings (:mod:`d2lmini.mirrordocs`). Images are NCHW here (NHWC in TensorFlow); all models output logits (no softmax).

>>> net = lenet()
>>> net(torch.zeros(1, 1, 28, 28)).shape
torch.Size([1, 10])
"""
import torch
from torch import nn

from .. import arithmetic, mirrordocs, netsummary

__all__ = ["CheckedSequential", "output_size", "lenet", "spatial_steps", "count_parameters", "layer_summary"]


@mirrordocs.shared("CheckedSequential", "pytorch", layers="nn.Conv2d(1, 4, 5), nn.Flatten()")
class CheckedSequential(netsummary.CheckedInput, nn.Sequential):

    layout = "NCHW"

    def __init__(self, *layers, name="network", image_size=None, in_channels=1):
        super().__init__(*layers)
        self._remember(name, image_size, in_channels, spatial_steps(self))

    def forward(self, X):
        self.check_input(X)
        return super().forward(X)


def output_size(layers, image_size):
    """Height (= width) of what ``layers`` make of an ``image_size`` x ``image_size`` input.

    Computed from the layers' kernels, strides and paddings (:func:`spatial_steps`), without
    running them: what a dense layer after ``nn.Flatten()`` needs to know its input size.
    ``ValueError`` when the input is too small.

    >>> output_size([nn.Conv2d(1, 6, 5), nn.AvgPool2d(2)], 28)
    12
    """
    size = netsummary.trace_sizes(spatial_steps(nn.Sequential(*layers)), image_size)[-1]
    if size < 1:
        raise ValueError(f"image_size={image_size} is too small for these layers")
    return size


def lenet(num_classes=10, in_channels=1, image_size=28):
    """LeNet-5 (LeCun et al., 1998) with sigmoid activations and average pooling.

    Two 5x5 convolutions (6 and 16 channels), each followed by 2x2 average pooling, then
    dense layers of 120, 84 and ``num_classes`` units. Built for ``image_size`` x
    ``image_size`` inputs (28 for Fashion-MNIST).

    >>> lenet()(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    features = [nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2)]
    size = output_size(features, image_size)  # 28 -> 28 -> 14 -> 10 -> 5
    return CheckedSequential(
        *features, nn.Flatten(),
        nn.Linear(16 * size * size, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, num_classes),
        name="lenet", in_channels=in_channels, image_size=image_size)


# --------------------------------------------------------------------------- inspection
def spatial_steps(net):
    """The size-changing steps ``(name, kernel, stride, padding)`` of a network, in order.

    Convolutions and max/average pooling are steps; blocks with a ``spatial_steps()``
    method describe themselves; ``nn.Sequential`` containers are searched recursively.
    See :mod:`d2lmini.netsummary` for what is computed from them.

    >>> spatial_steps(nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.AvgPool2d(2)))
    [('layer 0 (Conv2d)', 5, 1, 2), ('layer 1 (AvgPool2d)', 2, 2, 0)]
    """
    steps = []

    def first(v):
        return v[0] if isinstance(v, (tuple, list)) else v

    def walk(module, prefix):
        for name, child in module.named_children():
            path = f"{prefix}{name}"
            label = f"layer {path} ({type(child).__name__})"
            if hasattr(child, "spatial_steps"):
                steps.extend((f"layer {path} {n}", k, s, p)
                             for n, k, s, p in child.spatial_steps())
            elif isinstance(child, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
                stride = first(child.stride if child.stride is not None else child.kernel_size)
                steps.append((label, first(child.kernel_size), stride, first(child.padding)))
            elif isinstance(child, nn.Sequential):
                walk(child, path + ".")

    walk(net, "")
    return steps


def count_parameters(net):
    """Number of trainable parameters: those with ``requires_grad`` (batch normalization's
    running mean and variance are buffers, not parameters).

    >>> count_parameters(lenet())
    61706
    """
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


@mirrordocs.shared("layer_summary", "pytorch", input_example="(1, 1, 224, 224)",
    example_shape="(1, 28, 28)", example="(('Conv2d', (1, 6, 28, 28), 156), 416520)")
def layer_summary(net, input_shape, show=True):
    X = torch.zeros(netsummary.check_input_shape(input_shape, "NCHW"))
    if isinstance(net, CheckedSequential):
        net.check_input(X)
    macs = []

    def count(module, inputs, output):
        x = inputs[0]
        if isinstance(module, nn.Conv2d):
            spec = arithmetic.Conv(module.in_channels, module.out_channels,
                                   tuple(module.kernel_size), tuple(module.stride),
                                   tuple(module.padding), tuple(module.dilation),
                                   module.groups, module.bias is not None)
            macs.append(arithmetic.count_macs(spec, input_size=tuple(x.shape[-2:])))
        else:
            spec = arithmetic.Dense(module.in_features, module.out_features,
                                    module.bias is not None)
            macs.append(arithmetic.count_macs(spec) * (x.numel() // x.shape[-1]
                                                        // x.shape[0]))

    hooks = [m.register_forward_hook(count) for m in net.modules()
             if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = net.training
    net.eval()
    rows = netsummary.Summary()
    try:
        with torch.no_grad():
            for layer in net.children():
                X = layer(X)
                rows.append((type(layer).__name__, tuple(X.shape), count_parameters(layer)))
    finally:
        for h in hooks:
            h.remove()
        net.train(was_training)
    rows.params, rows.macs = count_parameters(net), sum(macs)
    return rows.show(show)
