"""``twins.relu_inputs``: the input of every ReLU of two twins, as chapter 21 uses it to
count the ReLU inputs whose sign differs between the frameworks after float32 rounding.

* Each ReLU is found however it is called (``nn.ReLU``, ``torch.relu`` in a ``forward``;
  a ``"relu"`` activation, ``layers.ReLU``, ``tf.nn.relu`` in a ``call``), in order, in
  Keras' layout, and the twins' inputs agree to float32 rounding.
* The forward pass is the one of a training step (batch statistics, dropout off), and it
  leaves no trace: running statistics, training mode and ``tf.nn.relu`` are restored.
* A twin that applies another ReLU is refused; a sign that differs is seen.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from d2lmini.book import twins  # noqa: E402


class TorchNet(torch.nn.Module):
    """conv, batch norm, nn.ReLU; dropout; conv, torch.relu; flatten, dense, Tensor.relu."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn = torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4)
        self.relu, self.drop = torch.nn.ReLU(), torch.nn.Dropout(0.5)
        self.conv2, self.dense = torch.nn.Conv2d(4, 3, 3), torch.nn.Linear(3 * 4 * 4, 5)

    def forward(self, X):
        X = self.drop(self.relu(self.bn(self.conv1(X))))
        X = torch.relu(self.conv2(X))
        return self.dense(X.flatten(1)).relu()


def keras_net():
    """The Keras twin: a layers.ReLU, a "relu" activation, a tf.nn.relu."""
    L = keras.layers
    return keras.Sequential([L.Conv2D(4, 3), L.BatchNormalization(momentum=0.9, epsilon=1e-5),
                             L.ReLU(), L.Dropout(0.5), L.Conv2D(3, 3, activation="relu"),
                             L.Flatten(), L.Dense(5), L.Lambda(lambda x: tf.nn.relu(x))])


@pytest.fixture
def pair():
    torch.manual_seed(0)
    pt, kr = TorchNet(), keras_net()
    twins.copy_weights(pt, kr, (2, 1, 8, 8))
    return pt, kr


def test_every_relu_in_order_and_layout(pair):
    pt, kr = pair
    X = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    inputs = twins.relu_inputs(pt, kr, X)
    assert [a.shape for a, _ in inputs] == [(3, 6, 6, 4), (3, 4, 4, 3), (3, 5)]
    for a, b in inputs:
        assert a.shape == b.shape
        assert twins.relative_difference(a, b) < 1e-5
    # batch statistics, as in training: each channel of the first input has mean 0
    assert np.abs(inputs[0][0].mean(axis=(0, 1, 2))).max() < 1e-5


def test_leaves_no_trace(pair):
    pt, kr = pair
    pt.eval()
    saved = {k: v.clone() for k, v in pt.state_dict().items()}
    moving = [v.numpy().copy() for v in kr.non_trainable_variables]
    relu = tf.nn.relu
    twins.relu_inputs(pt, kr, torch.rand(2, 1, 8, 8))
    assert not pt.training and tf.nn.relu is relu and pt.drop.p == 0.5
    for k, v in pt.state_dict().items():
        assert torch.equal(v, saved[k]), k
    for v, a in zip(kr.non_trainable_variables, moving):
        np.testing.assert_array_equal(v.numpy(), a)


def test_a_sign_that_differs_is_seen(pair):
    pt, kr = pair
    X = torch.rand(2, 1, 8, 8)
    a, _ = twins.relu_inputs(pt, kr, X)[-1]
    i = np.unravel_index(np.abs(a).argmin(), a.shape)  # the last ReLU's input nearest zero
    bias = kr.layers[-2].bias
    bias.assign(bias.numpy() - 2 * a[i] * (np.arange(5) == i[-1]))  # mirrored in Keras
    a, b = twins.relu_inputs(pt, kr, X)[-1]
    assert ((a > 0) != (b > 0))[i]


def test_another_relu_is_refused(pair):
    pt, _ = pair
    relu = tf.nn.relu
    kr = keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
                           keras.layers.Dense(5)])
    kr(np.zeros((1, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="different ReLUs"):
        twins.relu_inputs(pt, kr, torch.rand(2, 1, 8, 8))
    assert tf.nn.relu is relu
