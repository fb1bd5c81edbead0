"""Classic convolutional networks for Fashion-MNIST (PyTorch), from LeNet to DenseNet,
and the blocks that came after ResNet (grouped, depthwise-separable, squeeze-and-excitation).

Mirrors :mod:`d2lmini.backend_tf.models`: the same names, in the same order, with the same
docstrings, so a chapter can show both frameworks side by side. Every model is a
:class:`CheckedSequential`: before running, it checks the size of its input and raises a
:class:`ValueError` that names the layer and the size it needs, instead of a shape error deep
inside. :func:`layer_summary` prints a layer-by-layer table of output shapes for one example,
with parameters and multiply-adds.

Images are NCHW here (NHWC in TensorFlow); all models output logits (no softmax).

>>> net = alexnet()
>>> net(torch.zeros(1, 1, 224, 224)).shape
torch.Size([1, 10])
"""
import functools

import torch
from torch import nn

from .. import arithmetic, netsummary

__all__ = ["CheckedSequential", "output_size", "lenet", "alexnet", "vgg_block", "vgg", "nin_block", "nin",
           "Inception", "googlenet", "Residual", "resnet_block", "resnet18", "conv_block",
           "DenseBlock", "transition_block", "densenet", "ResNeXtBlock", "DepthwiseSeparable",
           "SqueezeExcitation", "SEResidual", "resnet_like", "resnext18", "se_resnet18",
           "mobilenet18", "spatial_steps", "count_parameters", "layer_summary"]


class CheckedSequential(netsummary.CheckedInput, nn.Sequential):
    """A sequential network that checks the height and width of its input first.

    Parameters
    ----------
    *layers : layers, in order
    name : str
        Used in error messages, e.g. ``"alexnet"``.
    image_size : int or None
        The one input size a network with a flattening classifier was built for; ``None``
        when global average pooling lets it take any size from :attr:`min_size` up.
    in_channels : int
        Channels of the input images (1 for Fashion-MNIST).

    Examples
    --------
    >>> net = CheckedSequential(nn.Conv2d(1, 4, 5), nn.Flatten(), name="tiny", in_channels=1)
    >>> net.min_size
    5
    """

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


def alexnet(num_classes=10, in_channels=1, image_size=224):
    """AlexNet (Krizhevsky et al., 2012) for one-channel images, single-GPU layout.

    Five convolutions (96 11x11 stride 4; 256 5x5; 384, 384, 256 3x3) with three 3x3
    stride-2 max-pooling layers, then two dense layers of 4096 units with dropout 0.5.
    Built for ``image_size`` x ``image_size`` inputs (224: the first layer gives 54x54).

    >>> alexnet()(torch.zeros(1, 1, 224, 224)).shape
    torch.Size([1, 10])
    """
    features = [nn.Conv2d(in_channels, 96, kernel_size=11, stride=4), nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
                nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
                nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2)]
    size = output_size(features, image_size)  # 224 -> 54 -> 26 -> 12 -> 5
    return CheckedSequential(
        *features, nn.Flatten(),
        nn.Linear(256 * size * size, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
        name="alexnet", in_channels=in_channels, image_size=image_size)


def vgg_block(num_convs, in_channels, out_channels):
    """A VGG block: ``num_convs`` 3x3 convolutions (padding 1) with ReLU, then 2x2 max pooling.

    Keeps the height and width through the convolutions and halves them in the pooling.

    >>> vgg_block(2, 1, 8)(torch.zeros(1, 1, 32, 32)).shape
    torch.Size([1, 8, 16, 16])
    """
    layers = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch, num_classes=10, in_channels=1, image_size=224):
    """A VGG network (Simonyan & Zisserman, 2015) from ``(num_convs, out_channels)`` pairs.

    ``conv_arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))`` is VGG-11. Each pair
    is one :func:`vgg_block`; the classifier has two dense layers of 4096 units with
    dropout 0.5. Five blocks shrink 224x224 to 7x7.

    >>> vgg(((1, 8), (1, 16)), image_size=32)(torch.zeros(1, 1, 32, 32)).shape
    torch.Size([1, 10])
    """
    blocks, channels = [], in_channels
    for num_convs, out_channels in conv_arch:
        blocks.append(vgg_block(num_convs, channels, out_channels))
        channels = out_channels
    size = output_size(blocks, image_size)  # each block halves: 224 -> 7 after five
    return CheckedSequential(
        *blocks, nn.Flatten(),
        nn.Linear(channels * size * size, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
        name="vgg", in_channels=in_channels, image_size=image_size)


def nin_block(in_channels, out_channels, kernel_size, strides, padding,
              final_relu=True, batch_norm=True):
    """A Network-in-Network block: one convolution, then two 1x1 convolutions, with ReLUs.

    The 1x1 convolutions act as a small fully connected network applied at every pixel.
    ``padding`` is in pixels per side (Keras: ``'same'`` or ``'valid'``). With
    ``batch_norm=True`` each ReLU's input is batch-normalized first (convolution, batch
    norm, ReLU). With ``final_relu=False`` the last 1x1 convolution has neither, so its
    outputs can be negative.

    >>> nin_block(1, 8, 5, 1, 2)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 8, 28, 28])
    >>> nin_block(1, 8, 5, 1, 2, final_relu=False)[-1]
    Conv2d(8, 8, kernel_size=(1, 1), stride=(1, 1))
    """
    def conv(c_in, kernel_size, strides, padding, relu):
        layers = [nn.Conv2d(c_in, out_channels, kernel_size, stride=strides, padding=padding)]
        if relu:  # the batch norm centres the ReLU's input, so few channels start dead
            layers += [nn.BatchNorm2d(out_channels)] if batch_norm else []
            layers.append(nn.ReLU())
        return layers

    return nn.Sequential(*conv(in_channels, kernel_size, strides, padding, relu=True),
                         *conv(out_channels, 1, 1, 0, relu=True),
                         *conv(out_channels, 1, 1, 0, relu=final_relu))


def nin(num_classes=10, in_channels=1, relu_scores=False, batch_norm=True):
    """Network in Network (Lin et al., 2014): NiN blocks and global average pooling.

    Three NiN blocks (96, 256, 384 channels; first kernel 11x11 stride 4) each followed by
    3x3 stride-2 max pooling, dropout 0.5, then a block with ``num_classes`` channels whose
    global average is the output: no dense layer. Takes any input of at least 67x67
    (the chapter uses 160x160). Two changes to the original design (chapter "NiN"): the
    last block has no final ReLU, so that a class score can be negative and always
    receives a gradient (``relu_scores=True`` restores it); and every ReLU's input is
    batch-normalized (``batch_norm=False`` leaves that out). ``relu_scores=True,
    batch_norm=False`` is d2l's design, under which whole classes can fall silent.

    >>> nin()(torch.zeros(2, 1, 224, 224)).shape
    torch.Size([2, 10])
    """
    return CheckedSequential(
        nin_block(in_channels, 96, kernel_size=11, strides=4, padding=0,
                  batch_norm=batch_norm),
        nn.MaxPool2d(3, stride=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding=2, batch_norm=batch_norm),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding=1, batch_norm=batch_norm),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        # The class scores: without a final ReLU they may be negative (see relu_scores).
        nin_block(384, num_classes, kernel_size=3, strides=1, padding=1,
                  final_relu=relu_scores, batch_norm=batch_norm),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(), name="nin", in_channels=in_channels)


class Inception(nn.Module):
    """The Inception block of GoogLeNet (Szegedy et al., 2015): four parallel paths.

    Path 1: 1x1 convolution (``c1`` channels). Path 2: 1x1 (``c2[0]``) then 3x3 (``c2[1]``).
    Path 3: 1x1 (``c3[0]``) then 5x5 (``c3[1]``). Path 4: 3x3 max pooling (stride 1) then
    1x1 (``c4``). All keep height and width; the outputs are concatenated on the channel
    axis, giving ``c1 + c2[1] + c3[1] + c4`` channels.

    >>> Inception(192, 64, (96, 128), (16, 32), 32)(torch.zeros(1, 192, 12, 12)).shape
    torch.Size([1, 256, 12, 12])
    """

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def spatial_steps(self):
        """Size-changing steps of this block: none (every path keeps height and width)."""
        return []

    def forward(self, X):
        relu = torch.relu
        p1 = relu(self.p1_1(X))
        p2 = relu(self.p2_2(relu(self.p2_1(X))))
        p3 = relu(self.p3_2(relu(self.p3_1(X))))
        p4 = relu(self.p4_2(self.p4_1(X)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet(num_classes=10, in_channels=1):
    """GoogLeNet (Szegedy et al., 2015): a stem, nine Inception blocks, global average pooling.

    Stem: 7x7 convolution (64, stride 2) and 3x3 max pooling (stride 2); 1x1 (64) and 3x3
    (192) convolutions and max pooling. Then 2, 5 and 2 Inception blocks with max pooling
    between them, global average pooling and one dense layer. Each stride-2 step halves
    the size (rounding up): 96x96 becomes 3x3 before the pooling.

    >>> googlenet()(torch.zeros(1, 1, 96, 96)).shape
    torch.Size([1, 10])
    """
    pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, padding=1)  # noqa: E731
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                       nn.ReLU(), pool())
    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(), pool())
    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64), pool())
    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128), pool())
    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    return CheckedSequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes),
                             name="googlenet", in_channels=in_channels)


class Residual(nn.Module):
    """The residual block of ResNet (He et al., 2016), with an optional 1x1 shortcut.

    Two 3x3 convolutions with batch normalization; the input is added before the last ReLU.
    With ``use_1x1conv=True`` the shortcut is a 1x1 convolution (same ``strides``), needed
    when the block changes the number of channels or (``strides=2``) halves the size.

    >>> Residual(3, 6, use_1x1conv=True, strides=2)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 6, 4, 4])
    """

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        if not use_1x1conv and (strides != 1 or in_channels != num_channels):
            raise ValueError(f"Residual({in_channels}, {num_channels}, strides={strides}) "
                             "changes the shape, so the shortcut cannot be the identity: "
                             "pass use_1x1conv=True")
        self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1,
                               stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides)
                      if use_1x1conv else None)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)
        self.strides = strides

    def spatial_steps(self):
        """Size-changing steps of this block: its two 3x3 convolutions."""
        return [("Residual.conv1", 3, self.strides, 1), ("Residual.conv2", 3, 1, 1)]

    def forward(self, X):
        Y = torch.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return torch.relu(Y + X)


def resnet_block(in_channels, num_channels, num_residuals, first_block=False):
    """``num_residuals`` :class:`Residual` blocks; the first halves height and width and
    changes the channels with a 1x1 shortcut, unless ``first_block`` is true.

    >>> resnet_block(64, 128, 2)(torch.zeros(1, 64, 24, 24)).shape
    torch.Size([1, 128, 12, 12])
    """
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blocks.append(Residual(in_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return nn.Sequential(*blocks)


def resnet18(num_classes=10, in_channels=1):
    """ResNet-18 (He et al., 2016): a stem, four stages of two residual blocks, global pooling.

    Stem: 7x7 convolution (64, stride 2), batch norm, ReLU, 3x3 max pooling (stride 2).
    Stages of 64, 128, 256 and 512 channels; each stage after the first halves the size.
    17 convolutions plus the dense layer make the 18 layers.

    >>> resnet18()(torch.zeros(2, 1, 96, 96)).shape
    torch.Size([2, 10])
    """
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    return CheckedSequential(
        b1, resnet_block(64, 64, 2, first_block=True), resnet_block(64, 128, 2),
        resnet_block(128, 256, 2), resnet_block(256, 512, 2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes),
        name="resnet18", in_channels=in_channels)


def conv_block(in_channels, num_channels):
    """DenseNet's convolution block: batch norm, ReLU, 3x3 convolution (keeps the size).

    >>> conv_block(3, 8)(torch.zeros(2, 3, 8, 8)).shape
    torch.Size([2, 8, 8, 8])
    """
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    """A dense block (Huang et al., 2017): each :func:`conv_block` sees all earlier outputs.

    ``num_convs`` blocks of ``num_channels`` (the growth rate) each; every block's output is
    concatenated to its input on the channel axis, so the block outputs
    ``in_channels + num_convs * num_channels`` channels at the same height and width.

    >>> DenseBlock(2, 3, 10)(torch.zeros(4, 3, 8, 8)).shape
    torch.Size([4, 23, 8, 8])
    """

    def __init__(self, num_convs, in_channels, num_channels):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(in_channels + i * num_channels, num_channels)
                                   for i in range(num_convs)])
        self.out_channels = in_channels + num_convs * num_channels

    def spatial_steps(self):
        """Size-changing steps of this block: none (3x3 convolutions with padding 1)."""
        return []

    def forward(self, X):
        for blk in self.net:
            X = torch.cat((X, blk(X)), dim=1)
        return X


def transition_block(in_channels, num_channels):
    """DenseNet's transition layer: batch norm, ReLU, 1x1 convolution to ``num_channels``,
    and 2x2 average pooling with stride 2 (halves height and width).

    >>> transition_block(23, 10)(torch.zeros(4, 23, 8, 8)).shape
    torch.Size([4, 10, 4, 4])
    """
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, num_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


def densenet(num_classes=10, in_channels=1, growth_rate=32, arch=(4, 4, 4, 4)):
    """DenseNet (Huang et al., 2017): the ResNet stem, dense blocks and transition layers.

    Starts with 64 channels; each dense block of ``n`` convolutions adds ``n *
    growth_rate`` channels and each transition layer between blocks halves the channels
    and the size. Batch norm, ReLU, global average pooling and a dense layer finish it.

    >>> densenet()(torch.zeros(2, 1, 96, 96)).shape
    torch.Size([2, 10])
    """
    layers = [nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
              nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(kernel_size=3, stride=2, padding=1)]
    channels = 64
    for i, num_convs in enumerate(arch):
        layers.append(DenseBlock(num_convs, channels, growth_rate))
        channels += num_convs * growth_rate
        if i != len(arch) - 1:
            layers.append(transition_block(channels, channels // 2))
            channels //= 2
    layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
               nn.Flatten(), nn.Linear(channels, num_classes)]
    return CheckedSequential(*layers, name="densenet", in_channels=in_channels)


# ------------------------------------------------ after ResNet (chapter 24-after-resnet)
class ResNeXtBlock(nn.Module):
    """ResNeXt's block (Xie et al., 2017): a bottleneck with a grouped 3x3 convolution.

    1x1 convolution to ``bottleneck`` channels (default ``num_channels``), 3x3 convolution
    in ``groups`` groups (stride ``strides``), 1x1 convolution to ``num_channels``; batch
    norm after each, ReLU after the first two. The input is added before the last ReLU,
    through a 1x1 convolution when ``use_1x1conv``. Shapes: (batch, in_channels, H, W) ->
    (batch, num_channels, H / strides, W / strides).
    """

    def __init__(self, in_channels, num_channels, groups=16, bottleneck=None,
                 use_1x1conv=False, strides=1):
        super().__init__()
        b = bottleneck or num_channels
        if b % groups:
            raise ValueError(f"ResNeXtBlock: {b} bottleneck channels cannot be split into "
                             f"{groups} groups; choose groups that divide {b}")
        if not use_1x1conv and (strides != 1 or in_channels != num_channels):
            raise ValueError(f"ResNeXtBlock({in_channels}, {num_channels}, strides={strides}) "
                             "changes the shape: pass use_1x1conv=True")
        self.conv1 = nn.Conv2d(in_channels, b, kernel_size=1)
        self.conv2 = nn.Conv2d(b, b, kernel_size=3, stride=strides, padding=1, groups=groups)
        self.conv3 = nn.Conv2d(b, num_channels, kernel_size=1)
        self.conv4 = (nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides)
                      if use_1x1conv else None)
        self.bn1, self.bn2 = nn.BatchNorm2d(b), nn.BatchNorm2d(b)
        self.bn3 = nn.BatchNorm2d(num_channels)
        self.strides = strides

    def spatial_steps(self):
        """Size-changing steps of this block: its 3x3 convolution."""
        return [("ResNeXtBlock.conv2", 3, self.strides, 1)]

    def forward(self, X):
        Y = torch.relu(self.bn1(self.conv1(X)))
        Y = torch.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4 is not None:
            X = self.conv4(X)
        return torch.relu(Y + X)


class DepthwiseSeparable(nn.Module):
    """MobileNet's block (Howard et al., 2017): a depthwise 3x3 convolution (one filter per
    channel, stride ``strides``), batch norm, ReLU; a pointwise 1x1 convolution to
    ``out_channels``, batch norm, ReLU. Shapes: (batch, in_channels, H, W) ->
    (batch, out_channels, H / strides, W / strides).
    """

    def __init__(self, in_channels, out_channels, strides=1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=strides,
                                   padding=1, groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.strides = strides

    def spatial_steps(self):
        """Size-changing steps of this block: its depthwise 3x3 convolution."""
        return [("DepthwiseSeparable.depthwise", 3, self.strides, 1)]

    def forward(self, X):
        Y = torch.relu(self.bn1(self.depthwise(X)))
        return torch.relu(self.bn2(self.pointwise(Y)))


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018): scale each channel of (batch, C, H, W) by
    a weight in (0, 1) computed from the channel means: C -> C / reduction -> C, ReLU then
    sigmoid.
    """

    def __init__(self, channels, reduction=16):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, X):
        s = X.mean(dim=(2, 3))                                  # squeeze: (batch, C)
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))   # excitation: (batch, C)
        return X * s[:, :, None, None]                          # rescale every channel


class SEResidual(Residual):
    """ResNet's residual block with squeeze-and-excitation on its residual branch, before
    the input is added (SE-ResNet, Hu et al., 2018). Arguments as :class:`Residual`, plus
    the SE block's ``reduction``.
    """

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1, reduction=16):
        super().__init__(in_channels, num_channels, use_1x1conv, strides)
        self.se = SqueezeExcitation(num_channels, reduction)

    def forward(self, X):
        Y = torch.relu(self.bn1(self.conv1(X)))
        Y = self.se(self.bn2(self.conv2(Y)))
        if self.conv3 is not None:
            X = self.conv3(X)
        return torch.relu(Y + X)


def resnet_like(make_block, num_classes=10, in_channels=1, name="resnet_like"):
    """ResNet-18's skeleton around blocks made by ``make_block(in_channels, num_channels,
    use_1x1conv=..., strides=...)``: stem, four stages of two blocks (64, 128, 256, 512
    channels; each later stage halves the size), global average pooling, dense layer.
    """
    stem = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                         nn.BatchNorm2d(64), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    stages, c_in = [], 64
    for i, c in enumerate((64, 128, 256, 512)):
        first = make_block(c_in, c, use_1x1conv=i > 0, strides=1 if i == 0 else 2)
        stages.append(nn.Sequential(first, make_block(c, c, use_1x1conv=False, strides=1)))
        c_in = c
    return CheckedSequential(stem, *stages, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                 nn.Linear(512, num_classes), name=name,
                                 in_channels=in_channels)


def resnext18(num_classes=10, in_channels=1, groups=16):
    """ResNet-18's skeleton with ResNeXt blocks: 3x3 convolutions in ``groups`` groups."""
    return resnet_like(functools.partial(ResNeXtBlock, groups=groups), num_classes,
                       in_channels, name="resnext18")


def se_resnet18(num_classes=10, in_channels=1, reduction=16):
    """ResNet-18 with a squeeze-and-excitation block in every residual block."""
    return resnet_like(functools.partial(SEResidual, reduction=reduction), num_classes,
                       in_channels, name="se_resnet18")


def mobilenet18(num_classes=10, in_channels=1):
    """ResNet-18's skeleton with MobileNet's depthwise-separable blocks and no shortcuts
    (MobileNet has none): each block is a depthwise 3x3 and a pointwise 1x1 convolution."""
    def block(in_channels, num_channels, use_1x1conv, strides):
        return DepthwiseSeparable(in_channels, num_channels, strides)
    return resnet_like(block, num_classes, in_channels, name="mobilenet18")


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


def layer_summary(net, input_shape, show=True):
    """Print (or return) a layer-by-layer table of output shapes for one example.

    Parameters
    ----------
    net : nn.Sequential
        Its top-level layers are the rows of the table.
    input_shape : tuple
        Shape of the input, NCHW, e.g. ``(1, 1, 224, 224)``; a leading batch size of 1 is
        added when three numbers are given.
    show : bool
        Print the table (layer, output shape, trainable parameters), followed by the total
        parameters and the multiply-adds per example (counted with
        :func:`d2lmini.arithmetic.count_macs` for every convolution and dense layer).

    Returns
    -------
    None when ``show`` is true (the table is printed, so a notebook shows it once);
    otherwise a list of ``(layer, output shape, params)`` with attributes ``params`` and
    ``macs`` (print it to get the table).

    Examples
    --------
    >>> rows = layer_summary(lenet(), (1, 28, 28), show=False)
    >>> rows[0], rows.macs
    (('Conv2d', (1, 6, 28, 28), 156), 416520)
    """
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
