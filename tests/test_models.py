"""The classic networks of Part II in both frameworks: shapes, parameters, input checks.

Each network of the book's registry (d2lmini/networks.py) is built in PyTorch and in Keras
as its chapter builds it, at its chapter's input size; the two must agree layer by layer
(output shapes of the layers with weights, parameter counts, multiply-adds). CPU-light: one
example per forward pass, VGG with narrow channels.
"""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

from d2lmini import netsummary, networks  # noqa: E402
from d2lmini import tensorflow as mtf  # noqa: E402
from d2lmini import torch as mpt  # noqa: E402
from d2lmini.backend_tf import book_networks as ntf, models as htf  # noqa: E402
from d2lmini.backend_torch import book_networks as npt, models as hpt  # noqa: E402


def nchw_to_nhwc(shape):
    return (shape[0],) + tuple(shape[2:]) + (shape[1],) if len(shape) == 4 else tuple(shape)


def summaries(key):
    """Layer summaries of a registry network in PyTorch and Keras, at its chapter's size."""
    size = networks.NETWORKS[key].size
    pt = mpt.layer_summary(networks.build(key, "pytorch"), (1, 1, size, size), show=False)
    tf_ = mtf.layer_summary(networks.build(key, "tensorflow"), (1, size, size, 1), show=False)
    return pt, tf_


@pytest.mark.parametrize("key", list(networks.NETWORKS))
def test_frameworks_agree(key):
    pt, tf_ = summaries(key)
    # The layers that hold weights line up one to one, with the same output shapes.
    weighted_pt = [(nchw_to_nhwc(shape), params) for _, shape, params in pt if params]
    weighted_tf = [(shape, params) for _, shape, params in tf_ if params]
    assert weighted_pt == weighted_tf
    assert pt[-1][1] == tf_[-1][1] == (1, 10)
    assert pt.params == tf_.params == mpt.count_parameters(networks.build(key, "pytorch"))
    assert pt.macs == tf_.macs > 0


def test_lenet_counts_by_hand():
    pt, tf_ = summaries("lenet")
    params = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    macs = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10
    assert pt.params == tf_.params == params
    assert pt.macs == tf_.macs == macs


def test_first_layers_of_the_chapter_tables():
    pt, tf_ = summaries("alexnet")
    assert pt[0][1] == (1, 96, 54, 54) and tf_[0][1] == (1, 54, 54, 96)
    pt, tf_ = summaries("vgg")
    assert pt[0][1] == (1, 16, 112, 112) and tf_[0][1] == (1, 112, 112, 16)
    assert pt[4][1] == (1, 128, 7, 7)


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_alexnet_too_small_names_layer_and_size(framework):
    if framework == "pytorch":
        net, X = mpt.alexnet(), torch.zeros(2, 1, 28, 28)
    else:
        net, X = mtf.alexnet(), tf.zeros((2, 28, 28, 1))
    with pytest.raises(ValueError) as err:
        net(X)
    message = str(err.value)
    assert "MaxPool" in message and ("layer 5 " in message or "layer 3 " in message)
    assert "224x224" in message and "28x28" in message and "resize=224" in message


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_flattening_classifier_needs_its_size(framework):
    if framework == "pytorch":
        net, X = mpt.alexnet(), torch.zeros(1, 1, 96, 96)
    else:
        net, X = mtf.alexnet(), tf.zeros((1, 96, 96, 1))
    with pytest.raises(ValueError, match="built for 224x224.*got 96x96"):
        net(X)


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_wrong_channels(framework):
    if framework == "pytorch":
        net, X = mpt.lenet(), torch.zeros(1, 3, 28, 28)
    else:
        net, X = mtf.lenet(), tf.zeros((1, 28, 28, 3))
    with pytest.raises(ValueError, match="1-channel.*in_channels=3"):
        net(X)


def test_min_size_is_exact_for_global_pooling_nets():
    """NiN runs at its computed minimum size and refuses one pixel less, in both frameworks."""
    pt, keras_net = mpt.nin(), mtf.nin()
    n = pt.min_size
    assert n == keras_net.min_size
    pt.eval()
    with torch.no_grad():
        assert pt(torch.zeros(1, 1, n, n)).shape == (1, 10)
    assert keras_net(tf.zeros((1, n, n, 1)), training=False).shape == (1, 10)
    with pytest.raises(ValueError, match=f"at least {n}x{n}"):
        pt(torch.zeros(1, 1, n - 1, n - 1))
    with pytest.raises(ValueError, match=f"at least {n}x{n}"):
        keras_net(tf.zeros((1, n - 1, n - 1, 1)))
    # Without the check, PyTorch itself would fail one pixel below the minimum.
    with pytest.raises(RuntimeError):
        torch.nn.Sequential(*pt.children())(torch.zeros(1, 1, n - 1, n - 1))


def test_residual_needs_1x1_shortcut_when_shape_changes():
    for module in (mpt, mtf):
        with pytest.raises(ValueError, match="use_1x1conv=True"):
            module.Residual(64, 128)


def test_blocks_agree():
    assert mpt.Inception(192, 64, (96, 128), (16, 32), 32)(
        torch.zeros(1, 192, 6, 6)).shape == (1, 256, 6, 6)
    assert mtf.Inception(192, 64, (96, 128), (16, 32), 32)(
        tf.zeros((1, 6, 6, 192))).shape == (1, 6, 6, 256)
    assert mpt.DenseBlock(2, 3, 10)(torch.zeros(1, 3, 5, 5)).shape == (1, 23, 5, 5)
    assert mtf.DenseBlock(2, 3, 10)(tf.zeros((1, 5, 5, 3))).shape == (1, 5, 5, 23)
    assert mpt.transition_block(23, 10)(torch.zeros(1, 23, 5, 5)).shape == (1, 10, 2, 2)
    assert mtf.transition_block(23, 10)(tf.zeros((1, 5, 5, 23))).shape == (1, 2, 2, 10)


@pytest.mark.parametrize("pt,tf_", [(hpt, htf), (npt, ntf)], ids=["models", "book_networks"])
def test_mirrored_public_names(pt, tf_):
    assert pt.__all__ == tf_.__all__
    for name in pt.__all__:
        assert getattr(pt, name).__doc__ is not None, name
        assert getattr(mpt, name) is getattr(pt, name)  # what d2lmini.torch exports


def test_netsummary_arithmetic():
    steps = [("conv", 11, 4, 0), ("pool", 3, 2, 0)]
    assert netsummary.trace_sizes(steps, 224) == [54, 26]
    assert netsummary.min_input_size(steps) == 19
    assert netsummary.trace_sizes(steps, 18)[-1] == 0
    netsummary.check_input_size(steps, 19, 19)  # no error
    with pytest.raises(ValueError, match="'pool'|pool"):
        netsummary.check_input_size(steps, 18, 30)
    text = netsummary.format_table([("Conv", (1, 2, 3, 3), 20)], total_params=20, macs=180)
    assert "(1, 2, 3, 3)" in text and "multiply-adds per example: 180" in text


def test_layer_summary_counts_a_block_once_in_both_frameworks():
    """A Sequential made without an Input traces its blocks while building itself: the
    multiply-adds of that trace must not be counted as a second pass."""
    from d2lmini import tensorflow as d2ltf
    from d2lmini import torch as d2lpt
    import keras
    from torch import nn
    for block_pt, block_tf in [(d2lpt.Residual(64, 64), d2ltf.Residual(64, 64)),
                               (d2lpt.SEResidual(64, 64), d2ltf.SEResidual(64, 64)),
                               (d2lpt.ResNeXtBlock(64, 64), d2ltf.ResNeXtBlock(64, 64))]:
        pt = d2lpt.layer_summary(nn.Sequential(block_pt), (1, 64, 24, 24), show=False)
        tf_ = d2ltf.layer_summary(keras.Sequential([block_tf]), (1, 24, 24, 64), show=False)
        assert (pt.params, pt.macs) == (tf_.params, tf_.macs)
    # the residual block: two 3x3 convolutions of 64 channels at 24x24, no shortcut
    assert d2lpt.layer_summary(nn.Sequential(d2lpt.Residual(64, 64)), (1, 64, 24, 24),
                               show=False).macs == 2 * 9 * 64 * 64 * 24 * 24
