"""Classic convolutional networks for Fashion-MNIST (TensorFlow/Keras), from LeNet to DenseNet,
and the blocks that came after ResNet (grouped, depthwise-separable, squeeze-and-excitation).

Mirrors :mod:`d2lmini.backend_torch.models`: the same names, in the same order, with the
same docstrings, so a chapter can show both frameworks side by side. Every model is a
:class:`CheckedSequential`: before running, it checks the size of its input and raises a
:class:`ValueError` that names the layer and the size it needs, instead of a shape error deep
inside. :func:`layer_summary` prints a layer-by-layer table of output shapes for one example,
with parameters and multiply-adds.

Images are NHWC here (NCHW in PyTorch); all models output logits (no softmax). Each
network computes the same function as its PyTorch twin (``d2lmini.twins`` copies the
weights across; the tests compare logits and one SGD step): batch normalization uses
PyTorch's settings (momentum 0.9 in Keras terms, epsilon 1e-5), and stride-2 layers pad
explicitly where PyTorch pads every side, since Keras' ``'same'`` pads only the bottom and
right at stride 2.

>>> net = alexnet()
>>> net(tf.zeros((1, 224, 224, 1))).shape
TensorShape([1, 10])
"""
import functools
import math

import keras
import tensorflow as tf
from keras import layers

from .. import arithmetic, netsummary

__all__ = ["CheckedSequential", "output_size", "lenet", "alexnet", "vgg_block", "vgg", "nin_block", "nin",
           "Inception", "googlenet", "Residual", "resnet_block", "resnet18", "conv_block",
           "DenseBlock", "transition_block", "densenet", "ResNeXtBlock", "DepthwiseSeparable",
           "SqueezeExcitation", "SEResidual", "resnet_like", "resnext18", "se_resnet18",
           "mobilenet18", "spatial_steps", "count_parameters", "layer_summary"]


class CheckedSequential(netsummary.CheckedInput, keras.Sequential):
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
    >>> net = CheckedSequential(layers.Conv2D(4, 5), layers.Flatten(), name="tiny", in_channels=1)
    >>> net.min_size
    5
    """

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


def alexnet(num_classes=10, in_channels=1, image_size=224):
    """AlexNet (Krizhevsky et al., 2012) for one-channel images, single-GPU layout.

    Five convolutions (96 11x11 stride 4; 256 5x5; 384, 384, 256 3x3) with three 3x3
    stride-2 max-pooling layers, then two dense layers of 4096 units with dropout 0.5.
    Built for ``image_size`` x ``image_size`` inputs (224: the first layer gives 54x54).

    >>> alexnet()(tf.zeros((1, 224, 224, 1))).shape
    TensorShape([1, 10])
    """
    return CheckedSequential(
        layers.Conv2D(96, kernel_size=11, strides=4, activation="relu"),
        layers.MaxPool2D(pool_size=3, strides=2),
        layers.Conv2D(256, kernel_size=5, padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=3, strides=2),
        layers.Conv2D(384, kernel_size=3, padding="same", activation="relu"),
        layers.Conv2D(384, kernel_size=3, padding="same", activation="relu"),
        layers.Conv2D(256, kernel_size=3, padding="same", activation="relu"),
        layers.MaxPool2D(pool_size=3, strides=2),
        layers.Flatten(),
        layers.Dense(4096, activation="relu"), layers.Dropout(0.5),
        layers.Dense(4096, activation="relu"), layers.Dropout(0.5),
        layers.Dense(num_classes),
        name="alexnet", in_channels=in_channels, image_size=image_size)


def vgg_block(num_convs, in_channels, out_channels):
    """A VGG block: ``num_convs`` 3x3 convolutions (padding 1) with ReLU, then 2x2 max pooling.

    Keeps the height and width through the convolutions and halves them in the pooling.
    (Keras infers the input channels; ``in_channels`` keeps one signature for both
    frameworks.)

    >>> vgg_block(2, 1, 8)(tf.zeros((1, 32, 32, 1))).shape
    TensorShape([1, 16, 16, 8])
    """
    blk = [layers.Conv2D(out_channels, kernel_size=3, padding="same", activation="relu")
           for _ in range(num_convs)]
    return keras.Sequential(blk + [layers.MaxPool2D(pool_size=2, strides=2)])


def vgg(conv_arch, num_classes=10, in_channels=1, image_size=224):
    """A VGG network (Simonyan & Zisserman, 2015) from ``(num_convs, out_channels)`` pairs.

    ``conv_arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))`` is VGG-11. Each pair
    is one :func:`vgg_block`; the classifier has two dense layers of 4096 units with
    dropout 0.5. Five blocks shrink 224x224 to 7x7.

    >>> vgg(((1, 8), (1, 16)), image_size=32)(tf.zeros((1, 32, 32, 1))).shape
    TensorShape([1, 10])
    """
    blocks, channels = [], in_channels
    for num_convs, out_channels in conv_arch:
        blocks.append(vgg_block(num_convs, channels, out_channels))
        channels = out_channels
    return CheckedSequential(
        *blocks, layers.Flatten(),
        layers.Dense(4096, activation="relu"), layers.Dropout(0.5),
        layers.Dense(4096, activation="relu"), layers.Dropout(0.5),
        layers.Dense(num_classes),
        name="vgg", in_channels=in_channels, image_size=image_size)


def nin_block(in_channels, out_channels, kernel_size, strides, padding,
              final_relu=True, batch_norm=True):
    """A Network-in-Network block: one convolution, then two 1x1 convolutions, with ReLUs.

    The 1x1 convolutions act as a small fully connected network applied at every pixel.
    ``padding`` is ``'same'`` or ``'valid'`` (PyTorch: pixels per side). With
    ``batch_norm=True`` each ReLU's input is batch-normalized first (convolution, batch
    norm, ReLU; PyTorch's epsilon and running-average momentum). With ``final_relu=False``
    the last 1x1 convolution has neither, so its outputs can be negative.

    >>> nin_block(1, 8, 5, 1, "same")(tf.zeros((2, 28, 28, 1))).shape
    TensorShape([2, 28, 28, 8])
    >>> type(nin_block(1, 8, 5, 1, "same", final_relu=False).layers[-1]).__name__
    'Conv2D'
    """
    def conv(kernel_size, strides, padding, relu):
        block = [layers.Conv2D(out_channels, kernel_size, strides=strides, padding=padding)]
        if relu:  # the batch norm centres the ReLU's input, so few channels start dead
            block += ([layers.BatchNormalization(momentum=0.9, epsilon=1e-5)]
                      if batch_norm else [])
            block.append(layers.ReLU())
        return block

    return keras.Sequential([*conv(kernel_size, strides, padding, relu=True),
                             *conv(1, 1, "valid", relu=True),
                             *conv(1, 1, "valid", relu=final_relu)])


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

    >>> nin()(tf.zeros((2, 224, 224, 1))).shape
    TensorShape([2, 10])
    """
    return CheckedSequential(
        nin_block(in_channels, 96, kernel_size=11, strides=4, padding="valid",
                  batch_norm=batch_norm),
        layers.MaxPool2D(pool_size=3, strides=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding="same", batch_norm=batch_norm),
        layers.MaxPool2D(pool_size=3, strides=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding="same", batch_norm=batch_norm),
        layers.MaxPool2D(pool_size=3, strides=2),
        layers.Dropout(0.5),
        # The class scores: without a final ReLU they may be negative (see relu_scores).
        nin_block(384, num_classes, kernel_size=3, strides=1, padding="same",
                  final_relu=relu_scores, batch_norm=batch_norm),
        layers.GlobalAveragePooling2D(),
        layers.Flatten(), name="nin", in_channels=in_channels)


class Inception(layers.Layer):
    """The Inception block of GoogLeNet (Szegedy et al., 2015): four parallel paths.

    Path 1: 1x1 convolution (``c1`` channels). Path 2: 1x1 (``c2[0]``) then 3x3 (``c2[1]``).
    Path 3: 1x1 (``c3[0]``) then 5x5 (``c3[1]``). Path 4: 3x3 max pooling (stride 1) then
    1x1 (``c4``). All keep height and width; the outputs are concatenated on the channel
    axis, giving ``c1 + c2[1] + c3[1] + c4`` channels.

    >>> Inception(192, 64, (96, 128), (16, 32), 32)(tf.zeros((1, 12, 12, 192))).shape
    TensorShape([1, 12, 12, 256])
    """

    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.p1_1 = layers.Conv2D(c1, kernel_size=1, activation="relu")
        self.p2_1 = layers.Conv2D(c2[0], kernel_size=1, activation="relu")
        self.p2_2 = layers.Conv2D(c2[1], kernel_size=3, padding="same", activation="relu")
        self.p3_1 = layers.Conv2D(c3[0], kernel_size=1, activation="relu")
        self.p3_2 = layers.Conv2D(c3[1], kernel_size=5, padding="same", activation="relu")
        self.p4_1 = layers.MaxPool2D(pool_size=3, strides=1, padding="same")
        self.p4_2 = layers.Conv2D(c4, kernel_size=1, activation="relu")
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def spatial_steps(self):
        """Size-changing steps of this block: none (every path keeps height and width)."""
        return []

    def call(self, X):
        p1 = self.p1_1(X)
        p2 = self.p2_2(self.p2_1(X))
        p3 = self.p3_2(self.p3_1(X))
        p4 = self.p4_2(self.p4_1(X))
        return tf.concat([p1, p2, p3, p4], axis=-1)


def googlenet(num_classes=10, in_channels=1):
    """GoogLeNet (Szegedy et al., 2015): a stem, nine Inception blocks, global average pooling.

    Stem: 7x7 convolution (64, stride 2) and 3x3 max pooling (stride 2); 1x1 (64) and 3x3
    (192) convolutions and max pooling. Then 2, 5 and 2 Inception blocks with max pooling
    between them, global average pooling and one dense layer. Each stride-2 step halves
    the size (rounding up): 96x96 becomes 3x3 before the pooling.

    Stride-2 steps pad explicitly (``ZeroPadding2D``, then ``'valid'``), one or three pixels
    on every side as in PyTorch; ``'same'`` would pad only the bottom and right. Zeros pad
    the max pooling like PyTorch's minus infinity because its inputs are ReLU outputs.

    >>> googlenet()(tf.zeros((1, 96, 96, 1))).shape
    TensorShape([1, 10])
    """
    def pool():  # 3x3 max pooling, stride 2, padding 1 (its inputs are >= 0)
        return keras.Sequential([layers.ZeroPadding2D(1),
                                 layers.MaxPool2D(pool_size=3, strides=2)])
    b1 = keras.Sequential([layers.ZeroPadding2D(3),
                           layers.Conv2D(64, kernel_size=7, strides=2, activation="relu"),
                           pool()])
    b2 = keras.Sequential([layers.Conv2D(64, kernel_size=1, activation="relu"),
                           layers.Conv2D(192, kernel_size=3, padding="same", activation="relu"),
                           pool()])
    b3 = keras.Sequential([Inception(192, 64, (96, 128), (16, 32), 32),
                           Inception(256, 128, (128, 192), (32, 96), 64), pool()])
    b4 = keras.Sequential([Inception(480, 192, (96, 208), (16, 48), 64),
                           Inception(512, 160, (112, 224), (24, 64), 64),
                           Inception(512, 128, (128, 256), (24, 64), 64),
                           Inception(512, 112, (144, 288), (32, 64), 64),
                           Inception(528, 256, (160, 320), (32, 128), 128), pool()])
    b5 = keras.Sequential([Inception(832, 256, (160, 320), (32, 128), 128),
                           Inception(832, 384, (192, 384), (48, 128), 128),
                           layers.GlobalAveragePooling2D(), layers.Flatten()])
    return CheckedSequential(b1, b2, b3, b4, b5, layers.Dense(num_classes),
                             name="googlenet", in_channels=in_channels)


class Residual(layers.Layer):
    """The residual block of ResNet (He et al., 2016), with an optional 1x1 shortcut.

    Two 3x3 convolutions with batch normalization; the input is added before the last ReLU.
    With ``use_1x1conv=True`` the shortcut is a 1x1 convolution (same ``strides``), needed
    when the block changes the number of channels or (``strides=2``) halves the size.
    Each 3x3 convolution pads one pixel on every side (``ZeroPadding2D(1)``, then
    ``'valid'``), as PyTorch's ``padding=1``; at stride 2 Keras' ``'same'`` would pad only
    the bottom and right. Batch normalization has PyTorch's momentum and epsilon.

    >>> Residual(3, 6, use_1x1conv=True, strides=2)(tf.zeros((1, 8, 8, 3))).shape
    TensorShape([1, 4, 4, 6])
    """

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1, **kwargs):
        super().__init__(**kwargs)
        if not use_1x1conv and (strides != 1 or in_channels != num_channels):
            raise ValueError(f"Residual({in_channels}, {num_channels}, strides={strides}) "
                             "changes the shape, so the shortcut cannot be the identity: "
                             "pass use_1x1conv=True")
        self.pad = layers.ZeroPadding2D(1)
        self.conv1 = layers.Conv2D(num_channels, kernel_size=3, strides=strides)
        self.conv2 = layers.Conv2D(num_channels, kernel_size=3)
        self.conv3 = (layers.Conv2D(num_channels, kernel_size=1, strides=strides)
                      if use_1x1conv else None)
        self.bn1 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.bn2 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.strides = strides

    def spatial_steps(self):
        """Size-changing steps of this block: its two 3x3 convolutions."""
        return [("Residual.conv1", 3, self.strides, 1), ("Residual.conv2", 3, 1, 1)]

    def call(self, X, training=None):
        Y = tf.nn.relu(self.bn1(self.conv1(self.pad(X)), training=training))
        Y = self.bn2(self.conv2(self.pad(Y)), training=training)
        if self.conv3 is not None:
            X = self.conv3(X)
        return tf.nn.relu(Y + X)


def resnet_block(in_channels, num_channels, num_residuals, first_block=False):
    """``num_residuals`` :class:`Residual` blocks; the first halves height and width and
    changes the channels with a 1x1 shortcut, unless ``first_block`` is true.

    >>> resnet_block(64, 128, 2)(tf.zeros((1, 24, 24, 64))).shape
    TensorShape([1, 12, 12, 128])
    """
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blocks.append(Residual(in_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return keras.Sequential(blocks)


def resnet18(num_classes=10, in_channels=1):
    """ResNet-18 (He et al., 2016): a stem, four stages of two residual blocks, global pooling.

    Stem: 7x7 convolution (64, stride 2), batch norm, ReLU, 3x3 max pooling (stride 2).
    Stages of 64, 128, 256 and 512 channels; each stage after the first halves the size.
    17 convolutions plus the dense layer make the 18 layers.

    >>> resnet18()(tf.zeros((2, 96, 96, 1))).shape
    TensorShape([2, 10])
    """
    b1 = keras.Sequential([layers.ZeroPadding2D(3), layers.Conv2D(64, kernel_size=7, strides=2),
                           layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
                           layers.ZeroPadding2D(1), layers.MaxPool2D(pool_size=3, strides=2)])
    return CheckedSequential(
        b1, resnet_block(64, 64, 2, first_block=True), resnet_block(64, 128, 2),
        resnet_block(128, 256, 2), resnet_block(256, 512, 2),
        layers.GlobalAveragePooling2D(), layers.Flatten(), layers.Dense(num_classes),
        name="resnet18", in_channels=in_channels)


def conv_block(in_channels, num_channels):
    """DenseNet's convolution block: batch norm, ReLU, 3x3 convolution (keeps the size).

    >>> conv_block(3, 8)(tf.zeros((2, 8, 8, 3))).shape
    TensorShape([2, 8, 8, 8])
    """
    return keras.Sequential([layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
                             layers.ReLU(),
                             layers.Conv2D(num_channels, kernel_size=3, padding="same")])


class DenseBlock(layers.Layer):
    """A dense block (Huang et al., 2017): each :func:`conv_block` sees all earlier outputs.

    ``num_convs`` blocks of ``num_channels`` (the growth rate) each; every block's output is
    concatenated to its input on the channel axis, so the block outputs
    ``in_channels + num_convs * num_channels`` channels at the same height and width.

    >>> DenseBlock(2, 3, 10)(tf.zeros((4, 8, 8, 3))).shape
    TensorShape([4, 8, 8, 23])
    """

    def __init__(self, num_convs, in_channels, num_channels, **kwargs):
        super().__init__(**kwargs)
        self.net = [conv_block(in_channels + i * num_channels, num_channels)
                    for i in range(num_convs)]
        self.out_channels = in_channels + num_convs * num_channels

    def spatial_steps(self):
        """Size-changing steps of this block: none (3x3 convolutions with padding 1)."""
        return []

    def call(self, X, training=None):
        for blk in self.net:
            X = tf.concat([X, blk(X, training=training)], axis=-1)
        return X


def transition_block(in_channels, num_channels):
    """DenseNet's transition layer: batch norm, ReLU, 1x1 convolution to ``num_channels``,
    and 2x2 average pooling with stride 2 (halves height and width).

    >>> transition_block(23, 10)(tf.zeros((4, 8, 8, 23))).shape
    TensorShape([4, 4, 4, 10])
    """
    return keras.Sequential([layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
                             layers.ReLU(), layers.Conv2D(num_channels, kernel_size=1),
                             layers.AveragePooling2D(pool_size=2, strides=2)])


def densenet(num_classes=10, in_channels=1, growth_rate=32, arch=(4, 4, 4, 4)):
    """DenseNet (Huang et al., 2017): the ResNet stem, dense blocks and transition layers.

    Starts with 64 channels; each dense block of ``n`` convolutions adds ``n *
    growth_rate`` channels and each transition layer between blocks halves the channels
    and the size. Batch norm, ReLU, global average pooling and a dense layer finish it.

    >>> densenet()(tf.zeros((2, 96, 96, 1))).shape
    TensorShape([2, 10])
    """
    blks = [layers.ZeroPadding2D(3), layers.Conv2D(64, kernel_size=7, strides=2),
            layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
            layers.ZeroPadding2D(1), layers.MaxPool2D(pool_size=3, strides=2)]
    channels = 64
    for i, num_convs in enumerate(arch):
        blks.append(DenseBlock(num_convs, channels, growth_rate))
        channels += num_convs * growth_rate
        if i != len(arch) - 1:
            blks.append(transition_block(channels, channels // 2))
            channels //= 2
    blks += [layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
             layers.GlobalAveragePooling2D(), layers.Flatten(), layers.Dense(num_classes)]
    return CheckedSequential(*blks, name="densenet", in_channels=in_channels)


# ------------------------------------------------ after ResNet (chapter 24-after-resnet)
class ResNeXtBlock(layers.Layer):
    """ResNeXt's block (Xie et al., 2017): a bottleneck with a grouped 3x3 convolution.

    1x1 convolution to ``bottleneck`` channels (default ``num_channels``), 3x3 convolution
    in ``groups`` groups (stride ``strides``), 1x1 convolution to ``num_channels``; batch
    norm after each, ReLU after the first two. The input is added before the last ReLU,
    through a 1x1 convolution when ``use_1x1conv``. Shapes: (batch, H, W, in_channels) ->
    (batch, H / strides, W / strides, num_channels). The 3x3 convolution pads one pixel on
    every side, as PyTorch's ``padding=1``; batch norm has PyTorch's momentum and epsilon.
    """

    def __init__(self, in_channels, num_channels, groups=16, bottleneck=None,
                 use_1x1conv=False, strides=1, **kwargs):
        super().__init__(**kwargs)
        b = bottleneck or num_channels
        if b % groups:
            raise ValueError(f"ResNeXtBlock: {b} bottleneck channels cannot be split into "
                             f"{groups} groups; choose groups that divide {b}")
        if not use_1x1conv and (strides != 1 or in_channels != num_channels):
            raise ValueError(f"ResNeXtBlock({in_channels}, {num_channels}, strides={strides}) "
                             "changes the shape: pass use_1x1conv=True")
        self.pad = layers.ZeroPadding2D(1)
        self.conv1 = layers.Conv2D(b, kernel_size=1)
        self.conv2 = layers.Conv2D(b, kernel_size=3, strides=strides, groups=groups)
        self.conv3 = layers.Conv2D(num_channels, kernel_size=1)
        self.conv4 = (layers.Conv2D(num_channels, kernel_size=1, strides=strides)
                      if use_1x1conv else None)
        self.bn1 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.bn2 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.bn3 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.strides = strides

    def spatial_steps(self):
        """Size-changing steps of this block: its 3x3 convolution."""
        return [("ResNeXtBlock.conv2", 3, self.strides, 1)]

    def call(self, X, training=None):
        Y = tf.nn.relu(self.bn1(self.conv1(X), training=training))
        Y = tf.nn.relu(self.bn2(self.conv2(self.pad(Y)), training=training))
        Y = self.bn3(self.conv3(Y), training=training)
        if self.conv4 is not None:
            X = self.conv4(X)
        return tf.nn.relu(Y + X)


class DepthwiseSeparable(layers.Layer):
    """MobileNet's block (Howard et al., 2017): a depthwise 3x3 convolution (one filter per
    channel, stride ``strides``), batch norm, ReLU; a pointwise 1x1 convolution to
    ``out_channels``, batch norm, ReLU. Shapes: (batch, H, W, in_channels) ->
    (batch, H / strides, W / strides, out_channels). The depthwise convolution pads one
    pixel on every side, as PyTorch's ``padding=1``.
    """

    def __init__(self, in_channels, out_channels, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.pad = layers.ZeroPadding2D(1)
        self.depthwise = layers.DepthwiseConv2D(kernel_size=3, strides=strides, use_bias=False)
        self.bn1 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.pointwise = layers.Conv2D(out_channels, kernel_size=1, use_bias=False)
        self.bn2 = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.strides = strides

    def spatial_steps(self):
        """Size-changing steps of this block: its depthwise 3x3 convolution."""
        return [("DepthwiseSeparable.depthwise", 3, self.strides, 1)]

    def call(self, X, training=None):
        Y = tf.nn.relu(self.bn1(self.depthwise(self.pad(X)), training=training))
        return tf.nn.relu(self.bn2(self.pointwise(Y), training=training))


class SqueezeExcitation(layers.Layer):
    """Squeeze-and-excitation (Hu et al., 2018): scale each channel of (batch, H, W, C) by
    a weight in (0, 1) computed from the channel means: C -> C / reduction -> C, ReLU then
    sigmoid.
    """

    def __init__(self, channels, reduction=16, **kwargs):
        super().__init__(**kwargs)
        self.fc1 = layers.Dense(channels // reduction)
        self.fc2 = layers.Dense(channels)

    def call(self, X):
        s = tf.reduce_mean(X, axis=(1, 2))                      # squeeze: (batch, C)
        s = tf.sigmoid(self.fc2(tf.nn.relu(self.fc1(s))))       # excitation: (batch, C)
        return X * s[:, None, None, :]                          # rescale every channel


class SEResidual(Residual):
    """ResNet's residual block with squeeze-and-excitation on its residual branch, before
    the input is added (SE-ResNet, Hu et al., 2018). Arguments as :class:`Residual`, plus
    the SE block's ``reduction``.
    """

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1, reduction=16,
                 **kwargs):
        super().__init__(in_channels, num_channels, use_1x1conv, strides, **kwargs)
        self.se = SqueezeExcitation(num_channels, reduction)

    def call(self, X, training=None):
        Y = tf.nn.relu(self.bn1(self.conv1(self.pad(X)), training=training))
        Y = self.se(self.bn2(self.conv2(self.pad(Y)), training=training))
        if self.conv3 is not None:
            X = self.conv3(X)
        return tf.nn.relu(Y + X)


def resnet_like(make_block, num_classes=10, in_channels=1, name="resnet_like"):
    """ResNet-18's skeleton around blocks made by ``make_block(in_channels, num_channels,
    use_1x1conv=..., strides=...)``: stem, four stages of two blocks (64, 128, 256, 512
    channels; each later stage halves the size), global average pooling, dense layer.
    """
    stem = keras.Sequential([layers.ZeroPadding2D(3), layers.Conv2D(64, kernel_size=7, strides=2),
                             layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
                             layers.ZeroPadding2D(1), layers.MaxPool2D(pool_size=3, strides=2)])
    stages, c_in = [], 64
    for i, c in enumerate((64, 128, 256, 512)):
        first = make_block(c_in, c, use_1x1conv=i > 0, strides=1 if i == 0 else 2)
        stages.append(keras.Sequential([first, make_block(c, c, use_1x1conv=False, strides=1)]))
        c_in = c
    return CheckedSequential(stem, *stages, layers.GlobalAveragePooling2D(),
                                   layers.Flatten(), layers.Dense(num_classes), name=name,
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


def layer_summary(net, input_shape, show=True):
    """Print (or return) a layer-by-layer table of output shapes for one example.

    Parameters
    ----------
    net : keras.Sequential
        Its top-level layers are the rows of the table.
    input_shape : tuple
        Shape of the input, NHWC, e.g. ``(1, 224, 224, 1)``; a leading batch size of 1 is
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
    >>> rows = layer_summary(lenet(), (28, 28, 1), show=False)
    >>> rows[0], rows.macs
    (('Conv2D', (1, 28, 28, 6), 156), 416520)
    """
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
