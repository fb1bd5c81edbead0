"""One network, two frameworks: every Part II network computes the same function in PyTorch
and in Keras (d2lmini.book.twins copies the weights across).

* float32, evaluation mode: the logits agree to a relative difference under 1e-4 (they land
  near 1e-7, float32 rounding).
* One SGD step in training mode (batch norm on batch statistics, dropout off), in float64:
  the same loss and the same updated weights to 1e-9. In float32 the updated weights differ
  by 1e-5 to 2e-4 in most networks and by a few percent in a batch-norm shift of ResNet-18:
  rounding moves one or two ReLU inputs across zero (chapter 21 counts them;
  tests/test_relu_flips.py tests the count), and the gradient follows; float64 shows that
  the two steps are the same computation.
* Batch norm's running variance is the one real difference: PyTorch updates it with the
  unbiased batch variance, Keras with the biased one (tested below on one layer).
"""
import os
import re
import warnings

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from d2lmini import networks  # noqa: E402
from d2lmini.book import twins  # noqa: E402

# Each chapter's own network (the registry's variants differ from theirs by a ReLU at most).
PART2 = [n.key for n in networks.chapter_networks()]


def twin_pair(key, seed=0):
    """A registry network in PyTorch (seeded) and its Keras twin holding the same weights
    (copied without a warning that their outputs differ)."""
    torch.manual_seed(seed)
    pt, kr = networks.build(key, "pytorch"), networks.build(key, "tensorflow")
    size = networks.NETWORKS[key].size
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transfer = twins.copy_weights(pt, kr, (1, 1, size, size))
    assert not [w for w in caught if "outputs differ" in str(w.message)]
    return pt, kr, transfer


def batch(size, n=4, dtype=None):
    g = torch.Generator().manual_seed(1)
    X = torch.rand(n, 1, size, size, generator=g, dtype=dtype or torch.float32)
    y = torch.tensor([0, 3, 5, 9, 1, 7][:n])
    return X, y



@pytest.mark.parametrize("key", PART2)
def test_same_logits(key):
    pt, kr, transfer = twin_pair(key)
    assert transfer.differences == []  # batch norm, padding: aligned in the Keras twins
    X, _ = batch(networks.NETWORKS[key].size, n=2)
    assert twins.compare_outputs(pt, kr, X) < 1e-4


@pytest.mark.parametrize("key", PART2)
def test_same_sgd_step(key, float64):
    """One SGD step at the chapter's learning rate."""
    spec = networks.NETWORKS[key]
    pt, kr, _ = twin_pair(key)
    X, y = batch(spec.size, dtype=torch.float64)
    loss_pt, loss_tf, weights = twins.compare_sgd_step(pt, kr, X, y, spec.lr)
    assert abs(loss_pt - loss_tf) <= 1e-9 * loss_pt
    assert weights < 1e-9
    # ...and the step changed the weights: compare with the Keras twin before the step.
    _, fresh, _ = twin_pair(key)
    moved = max(twins.relative_difference(a.numpy(), b.numpy())
                for a, b in zip(fresh.trainable_variables, kr.trainable_variables))
    assert moved > 1e-6


def test_copy_permutes_the_first_dense_layer():
    """LeNet flattens 16x5x5 maps: without reordering the dense inputs (C, H, W) ->
    (H, W, C), the logits would differ."""
    pt, kr, _ = twin_pair("lenet")
    X, _ = batch(28, n=2)
    right = twins.compare_outputs(pt, kr, X)
    assert right < 1e-4
    dense = [layer for layer in kr.layers if isinstance(layer, keras.layers.Dense)][0]
    w = pt[7].weight.detach().numpy()  # (120, 400), inputs in (C, H, W) order
    dense.kernel.assign(w.T)           # copied without the permutation
    # (small at initialization, where every sigmoid outputs about 0.5, but far above rounding)
    assert twins.compare_outputs(pt, kr, X) > max(1e-3, 1000 * right)


def test_mismatched_networks_are_named():
    pt = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(),
                             torch.nn.Linear(4 * 6 * 6, 10))
    kr = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),
                           keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="shape"):
        twins.copy_weights(pt, kr, (1, 1, 8, 8))
    kr = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="1 layers with weights|2 layers with weights"):
        twins.copy_weights(pt, kr, (1, 1, 8, 8))


def small_pair(keras_activation="relu", torch_end=(), batch_norm=False):
    """A tiny PyTorch network (convolution, ReLU, dense) and a Keras one, unbuilt, whose
    convolution has ``keras_activation``."""
    torch.manual_seed(0)
    bn = [torch.nn.BatchNorm2d(4)] if batch_norm else []
    pt = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), *bn, torch.nn.ReLU(), torch.nn.Flatten(),
                             torch.nn.Linear(144, 10), *torch_end)
    kbn = [keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)] if batch_norm else []
    kr = keras.Sequential([keras.layers.Conv2D(4, 3), *kbn,
                           keras.layers.Activation(keras_activation), keras.layers.Flatten(),
                           keras.layers.Dense(10)])
    return pt, kr


def test_swapped_arguments_are_named():
    from d2lmini import torch as d2l
    pt, kr = small_pair()
    with pytest.raises(TypeError, match=r"copy_weights\(torch_net, keras_net, input_shape\): "
                                        r"got a Keras model as torch_net; swap the first two"):
        twins.copy_weights(kr, pt, (1, 1, 8, 8))
    with pytest.raises(TypeError, match="torch_net must be a torch.nn.Module.*got the "
                                        "function lenet; pass the network it makes: lenet()"):
        twins.copy_weights(d2l.lenet, kr, (1, 1, 8, 8))
    with pytest.raises(TypeError, match="keras_net must be a Keras model, got a Sequential "
                                        "from torch"):
        twins.copy_weights(pt, pt, (1, 1, 8, 8))


@pytest.mark.parametrize("shape, fix", [((8, 8, 1), r"\(C, H, W\) order, e\.g\. \(1, 8, 8\)"),
                                        ((2, 8, 8, 1), r"\(N, C, H, W\) order, e\.g\. "
                                                       r"\(2, 1, 8, 8\)")])
def test_channels_last_input_shapes_are_named(shape, fix):
    """The network's first convolution takes 1 channel: the last entry, not the channel
    position. The Keras model is not built with the wrong shape, so the right one works."""
    pt, kr = small_pair()
    with pytest.raises(ValueError, match=rf"input_shape={re.escape(str(shape))} looks "
                                         rf"channels-last; give PyTorch's {fix}"):
        twins.copy_weights(pt, kr, shape)
    assert not kr.built
    twins.copy_weights(pt, kr, (1, 8, 8))  # (C, H, W) is a batch of one
    assert twins.compare_outputs(pt, kr, torch.rand(2, 1, 8, 8)) < 1e-5


def test_channels_last_without_a_convolution():
    """A network of dense layers runs on either order: a square image with its channel
    last is taken for what it is."""
    torch.manual_seed(0)
    pt = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    kr = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match=r"input_shape=\(28, 28, 1\) looks channels-last"):
        twins.copy_weights(pt, kr, (28, 28, 1))
    twins.copy_weights(pt, kr, (1, 28, 28))


def test_input_shapes_the_network_cannot_take_are_named():
    pt, kr = small_pair()
    with pytest.raises(ValueError, match=r"input_shape=\(1, 3, 8, 8\) has 3 channels, but "
                                         r"torch_net's first convolution \(0\) takes 1"):
        twins.copy_weights(pt, kr, (1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"torch_net fails on an input of shape \(1, 1, 9, 9\)"):
        twins.copy_weights(pt, kr, (1, 1, 9, 9))  # the dense layer takes 4 x 6 x 6 values
    with pytest.raises(ValueError, match=r"input_shape must be PyTorch's \(N, C, H, W\)"):
        twins.copy_weights(pt, kr, (8, 8))
    assert not kr.built


@pytest.mark.parametrize("keras_activation, torch_end, cause", [
    ("sigmoid", (), "different activations"),
    ("linear", (), "different activations"),
    ("relu", (torch.nn.Softmax(dim=1),), "torch_net ends in a softmax, keras_net does not")])
def test_twins_that_compute_different_functions_are_warned_of(keras_activation, torch_end,
                                                               cause):
    pt, kr = small_pair(keras_activation, torch_end)
    with pytest.warns(UserWarning, match=rf"copy_weights: the two networks' outputs differ "
                                         rf"by [0-9.e+-]+ \(relative\).*{cause}"):
        twins.copy_weights(pt, kr, (1, 1, 8, 8))


def test_the_check_after_copying_changes_no_state():
    """The comparison runs in evaluation mode, off torch's random stream: batch norm's
    running statistics, the training flag and the random state stay as they were."""
    pt, kr = small_pair(batch_norm=True)
    pt.train()
    with torch.no_grad():
        pt[1].running_mean.uniform_(-1, 1)
    before = {k: v.clone() for k, v in pt.state_dict().items()}
    rng = torch.get_rng_state()
    twins.copy_weights(pt, kr, (1, 1, 8, 8))
    assert pt.training
    assert torch.equal(torch.get_rng_state(), rng)
    for k, v in pt.state_dict().items():
        assert torch.equal(v, before[k]), k
    np.testing.assert_array_equal(kr.layers[1].moving_mean.numpy(), before["1.running_mean"])


def test_keras_defaults_are_reported_and_measured():
    """Keras' default batch norm (epsilon 1e-3, momentum 0.99) is listed as a difference,
    and the logits then differ measurably; with PyTorch's values they agree."""
    def pair(**bn):
        torch.manual_seed(0)
        pt = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4),
                                 torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 10))
        with torch.no_grad():  # running statistics away from (0, 1), as after training
            pt[1].running_var.uniform_(0.001, 0.01)
        kr = keras.Sequential([keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization(**bn),
                               keras.layers.ReLU(), keras.layers.Flatten(),
                               keras.layers.Dense(10)])
        return pt, kr, twins.copy_weights(pt, kr, (1, 1, 8, 8))

    X = torch.rand(2, 1, 8, 8)
    with pytest.warns(UserWarning, match="outputs differ .* the differences listed in the "
                                         "result's .differences: 1: batch-norm epsilon"):
        pt, kr, transfer = pair()
    assert any("epsilon 1e-05 (PyTorch) vs 0.001 (Keras)" in d for d in transfer.differences)
    assert any("momentum" in d for d in transfer.differences)
    assert twins.compare_outputs(pt, kr, X) > 1e-2
    pt, kr, transfer = pair(momentum=0.9, epsilon=1e-5)
    assert transfer.differences == []
    assert twins.compare_outputs(pt, kr, X) < 1e-5


def test_running_variance_conventions(float64):
    """After one training-mode batch, PyTorch's running variance uses the batch variance
    times n / (n - 1), Keras' the batch variance itself (n values per channel)."""
    pt = torch.nn.BatchNorm2d(3)
    kr = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    X = torch.rand(2, 3, 3, 3) * 4
    pt.train()(X)
    kr(twins.nchw_to_nhwc(X), training=True)
    n = 2 * 3 * 3
    var = X.transpose(0, 1).reshape(3, -1).var(dim=1, unbiased=False).numpy()
    np.testing.assert_allclose(pt.running_var.numpy(), 0.9 + 0.1 * var * n / (n - 1), rtol=1e-12)
    np.testing.assert_allclose(kr.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-12)


def _steps_in_both(name, lr, grads):
    """The weights after the same gradients go through ``name`` in each framework, float64."""
    from d2lmini.backend_tf.train import make_optimizer as keras_optimizer
    from d2lmini.backend_torch.train import make_optimizer as torch_optimizer
    w0 = np.random.default_rng(0).normal(size=grads[0].shape)
    w_pt = torch.tensor(w0, requires_grad=True)
    w_tf = tf.Variable(w0)
    opt_pt, opt_tf = torch_optimizer(name, [w_pt], lr), keras_optimizer(name, lr)
    for g in grads:
        w_pt.grad = torch.tensor(g)
        opt_pt.step()
        opt_tf.apply_gradients([(tf.constant(g), w_tf)])
    return w0, w_pt.detach().numpy(), w_tf.numpy()


@pytest.mark.parametrize("name, lr, tolerance", [
    ("sgd", 0.5, 1e-12),
    ("adadelta", 1.0, 1e-12),
    # Keras adds Adam's epsilon to sqrt(v) before the bias correction, PyTorch after it:
    # the same rule, except where sqrt(v) is not much larger than epsilon (1e-8): at the
    # first step Keras' epsilon weighs as 1e-8 / sqrt(1 - 0.999) = 3.2e-7 would in
    # PyTorch. With gradients near 1 the steps agree to about 1e-5 of their size.
    ("adam", 0.01, 1e-4)])
def test_optimizers_take_the_same_steps_in_both_frameworks(name, lr, tolerance):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(6, 4)) for _ in range(5)]
    w0, w_pt, w_tf = _steps_in_both(name, lr, grads)
    moved = np.abs(w_pt - w0).max()
    assert moved > 1e-3  # five steps moved the weights...
    assert np.abs(w_pt - w_tf).max() <= tolerance * moved  # ...by the same amounts


def test_adam_epsilon_placement_shows_only_for_tiny_gradients():
    tiny = [np.full((2, 2), 1e-9)] * 3
    w0, w_pt, w_tf = _steps_in_both("adam", 0.01, tiny)
    # sqrt(v) is about 1e-9 here: PyTorch divides by about 1e-9 + 1e-8, Keras by about
    # 1e-9 + 1e-8 * 1/sqrt(1 - 0.999^t), so PyTorch steps several times further.
    assert np.abs(w_pt - w0).max() > 3 * np.abs(w_tf - w0).max()


# Chapter 24's networks: not trained by the registry's full runs, but the same twins.
AFTER_RESNET = ["resnext18", "mobilenet18", "se_resnet18"]


def after_resnet_pair(builder, seed=0):
    from d2lmini import tensorflow as d2ltf
    from d2lmini import torch as d2l
    torch.manual_seed(seed)
    pt, kr = getattr(d2l, builder)(), getattr(d2ltf, builder)()
    return pt, kr, twins.copy_weights(pt, kr, (1, 1, 96, 96))


@pytest.mark.parametrize("builder", AFTER_RESNET)
def test_after_resnet_networks_have_the_same_logits(builder):
    pt, kr, transfer = after_resnet_pair(builder)
    assert transfer.differences == []
    if builder == "mobilenet18":  # its depthwise kernels went to DepthwiseConv2D layers
        assert any("depthwise" in keras_name for _, keras_name, _ in transfer.pairs)
    X, _ = batch(96, n=2)
    assert twins.compare_outputs(pt.eval(), kr, X) < 1e-4


@pytest.mark.parametrize("builder", AFTER_RESNET)
def test_after_resnet_networks_take_the_same_sgd_step(builder, float64):
    pt, kr, _ = after_resnet_pair(builder)
    X, y = batch(96, dtype=torch.float64)
    loss_pt, loss_tf, weights = twins.compare_sgd_step(pt, kr, X, y, 0.05)
    assert abs(loss_pt - loss_tf) <= 1e-9 * loss_pt
    assert weights < 1e-9


def test_a_depthwise_kernel_is_transposed_to_keras_layout():
    from torch import nn
    pt = nn.Sequential(nn.Conv2d(3, 3, 3, groups=3, bias=False))
    kr = keras.Sequential([keras.layers.DepthwiseConv2D(3, use_bias=False)])
    twins.copy_weights(pt, kr, (1, 3, 5, 5))
    w = pt[0].weight.detach().numpy()             # (C, 1, kh, kw)
    k = kr.layers[0].kernel.numpy()                # (kh, kw, C, 1)
    assert k[0, 2, 1, 0] == w[1, 0, 0, 2]          # channel 1, row 0, column 2
    assert twins.compare_outputs(pt, kr, torch.rand(2, 3, 5, 5)) < 1e-5


def test_one_layer_walk_and_one_softmax_rule_for_train_ch6_and_twins():
    """twins pairs layers with the TF backend's ordered walk and asks train_ch6's own rule
    whether a network ends in a softmax (inside a block too)."""
    from d2lmini.backend_tf import train
    block = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(3, activation="softmax")])
    net = keras.Sequential([keras.layers.Dense(5), block])
    net(np.zeros((1, 2), "float32"))
    assert train.ends_in_softmax(net) and twins._ends_in_softmax(net)
    plain = keras.Sequential([keras.layers.Dense(3)])
    plain(np.zeros((1, 2), "float32"))
    assert not train.ends_in_softmax(plain) and not twins._ends_in_softmax(plain)
    ordered = list(train.layers_in_order(net))
    names = [type(m).__name__ for m in ordered if type(m).__name__ != "InputLayer"]
    assert names == ["Dense", "Sequential", "Dense", "Dense"]  # created order, depth first
    assert {id(m) for m in ordered} == {id(m) for m in train._walk(net)}
