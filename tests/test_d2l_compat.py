"""Code written for the book d2l runs with d2lmini: its aliases, devices and training calls.

Every test uses synthetic data built here: nothing is downloaded.
"""
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from d2lmini import tensorflow as d2ltf  # before TensorFlow
import keras
import tensorflow as tf
import torch
from torch import nn

from d2lmini import torch as d2lpt
from d2lmini.backend_tf import compat as compat_tf
from d2lmini.backend_torch import compat as compat_pt
from d2lmini.backend_torch import devices as devices_pt
from d2lmini.backend_torch import train as train_pt

BACKENDS = pytest.mark.parametrize("d2l", [d2lpt, d2ltf], ids=["pytorch", "tensorflow"])


def as_np(d2l, x):
    return d2l.numpy(x)


# --- names ---------------------------------------------------------------------------


def test_same_names_in_both_backends_and_exported():
    assert compat_pt.__all__ == compat_tf.__all__
    for name in compat_pt.__all__:
        assert getattr(d2lpt, name) is getattr(compat_pt, name), name
        assert getattr(d2ltf, name) is getattr(compat_tf, name), name
    own = ["numpy", "size", "reshape", "to", "reduce_sum", "reduce_mean", "argmax", "astype",
           "transpose", "corr2d", "evaluate_accuracy_gpu"]
    for name in own:  # our own functions say what they do, with shapes where there are any
        assert getattr(compat_pt, name).__doc__ and getattr(compat_tf, name).__doc__, name


def test_base_class_and_dtypes():
    assert d2lpt.nn_Module is nn.Module and d2ltf.nn_Module is tf.keras.Model
    assert (d2lpt.float32, d2lpt.int32) == (torch.float32, torch.int32)
    assert (d2ltf.float32, d2ltf.int32) == (tf.float32, tf.int32)


# --- tensor aliases ----------------------------------------------------------------------


@BACKENDS
def test_tensor_zeros_ones_arange(d2l):
    X = d2l.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    assert tuple(X.shape) == (2, 3) and X.dtype == d2l.float32
    np.testing.assert_array_equal(as_np(d2l, X), [[0, 1, 2], [3, 4, 5]])
    assert tuple(d2l.zeros((2, 4)).shape) == (2, 4) and as_np(d2l, d2l.zeros((2, 4))).sum() == 0
    assert as_np(d2l, d2l.ones((3, 2))).sum() == 6
    np.testing.assert_array_equal(as_np(d2l, d2l.arange(4)), [0, 1, 2, 3])
    np.testing.assert_allclose(as_np(d2l, d2l.eye(2)), np.eye(2))
    np.testing.assert_allclose(as_np(d2l, d2l.linspace(0.0, 1.0, 3)), [0, 0.5, 1])


@BACKENDS
def test_numpy_size_reshape(d2l):
    X = d2l.arange(12)
    assert isinstance(as_np(d2l, X), np.ndarray)
    assert int(d2l.size(X)) == 12
    Y = d2l.reshape(X, (1, 3, 4, 1))
    assert tuple(Y.shape) == (1, 3, 4, 1)
    assert tuple(d2l.reshape(X, (-1, 6)).shape) == (2, 6)


@BACKENDS
def test_reductions_argmax_astype(d2l):
    X = d2l.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert float(d2l.reduce_sum(X)) == 18.0
    np.testing.assert_allclose(as_np(d2l, d2l.reduce_sum(X, axis=1)), [8, 10])
    np.testing.assert_allclose(as_np(d2l, d2l.reduce_mean(X, axis=0)), [4, 2.5, 2.5])
    np.testing.assert_array_equal(as_np(d2l, d2l.argmax(X, axis=1)), [1, 0])
    Z = d2l.astype(X, d2l.int32)
    assert Z.dtype == d2l.int32 and as_np(d2l, Z)[1, 0] == 7


@BACKENDS
def test_matmul_concat_stack_transpose(d2l):
    A = d2l.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(as_np(d2l, d2l.matmul(A, A)), [[7, 10], [15, 22]])
    np.testing.assert_allclose(as_np(d2l, d2l.transpose(A)), [[1, 3], [2, 4]])
    assert tuple(d2l.concat((A, A), 0).shape) == (4, 2)
    assert tuple(d2l.stack((A, A), 0).shape) == (2, 2, 2)
    np.testing.assert_allclose(as_np(d2l, d2l.abs(d2l.tensor([-1.5, 2.0]))), [1.5, 2.0])


@BACKENDS
def test_elementwise_functions(d2l):
    x = d2l.tensor([0.0, 1.0])
    np.testing.assert_allclose(as_np(d2l, d2l.exp(x)), [1, np.e], rtol=1e-6)
    np.testing.assert_allclose(as_np(d2l, d2l.log(d2l.exp(x))), [0, 1], atol=1e-6)
    for f, g in [(d2l.sin, np.sin), (d2l.cos, np.cos), (d2l.tanh, np.tanh),
                 (d2l.sinh, np.sinh), (d2l.cosh, np.cosh)]:
        np.testing.assert_allclose(as_np(d2l, f(x)), g([0.0, 1.0]), rtol=1e-6)


def test_random_aliases_follow_each_framework():
    # d2l's PyTorch ``normal`` takes (mean, std, size), its TensorFlow one a shape first.
    assert tuple(d2lpt.normal(0, 1, (2, 3)).shape) == (2, 3)
    assert tuple(d2ltf.normal((2, 3)).shape) == (2, 3)
    for d2l in (d2lpt, d2ltf):
        u = as_np(d2l, d2l.rand((50, 2)))
        assert u.shape == (50, 2) and (u >= 0).all() and (u < 1).all()
        assert tuple(d2l.randn(2, 3).shape) == (2, 3) and tuple(d2l.randn((4,)).shape) == (4,)
        X, Y = d2l.meshgrid(d2l.arange(2), d2l.arange(3), indexing="ij")
        assert tuple(X.shape) == (2, 3)


@BACKENDS
def test_to_dtype_and_device(d2l):
    x = d2l.tensor([1, 2])
    y = d2l.to(x, d2l.float32)
    assert y.dtype == d2l.float32 and as_np(d2l, y).tolist() == [1.0, 2.0]
    z = d2l.to(x, d2l.try_gpu())
    assert as_np(d2l, z).tolist() == [1, 2]


# --- corr2d, evaluate_accuracy_gpu ------------------------------------------------------


def corr2d_loops(X, K):
    """The definition, with loops: the reference the vectorized versions must match."""
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


@BACKENDS
def test_corr2d_matches_definition(d2l):
    X = d2l.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = d2l.tensor([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(as_np(d2l, d2l.corr2d(X, K)), [[19, 25], [37, 43]])
    rng = np.random.default_rng(0)
    Xr, Kr = rng.normal(size=(6, 8)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    Y = d2l.corr2d(d2l.tensor(Xr), d2l.tensor(Kr))
    assert tuple(Y.shape) == (5, 6)
    np.testing.assert_allclose(as_np(d2l, Y), corr2d_loops(Xr, Kr), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="2-D"):
        d2l.corr2d(d2l.ones((1, 3, 3)), K)
    with pytest.raises(ValueError, match="larger"):
        d2l.corr2d(d2l.ones((1, 1)), K)


def test_corr2d_learns_a_kernel_in_pytorch():
    # The conv-layer chapter learns K from X and Y = corr2d(X, K): gradients must reach K.
    K = torch.zeros(1, 2, requires_grad=True)
    d2lpt.corr2d(torch.ones(3, 3), K).sum().backward()
    assert K.grad.tolist() == [[6.0, 6.0]]


@BACKENDS
def test_evaluate_accuracy_gpu(d2l):
    loader, _ = toy_loaders(d2l, n=64)
    net = toy_net(d2l)
    if d2l is d2ltf:
        net(next(iter(loader))[0])
    acc = d2l.evaluate_accuracy_gpu(net, loader)
    assert acc == d2l.evaluate_accuracy(net, loader) and 0.0 <= acc <= 1.0


# --- devices ------------------------------------------------------------------------------


def test_tf_try_gpu_is_a_name_and_a_device_context():
    device = d2ltf.try_gpu()
    assert device == "/CPU:0" or device.startswith("/GPU:")  # still a str, as before
    assert device._device_name == str(device)                # what d2l's train_ch6 reads
    assert json.loads(json.dumps(device)) == str(device)
    assert pickle.loads(pickle.dumps(device)) == device
    with device:                                              # d2l's ``with try_gpu():``
        with device:                                          # re-entrant
            x = tf.ones(2)
    assert x.device.endswith(str(device).strip("/").replace("CPU", "device:CPU")
                             .replace("GPU", "device:GPU"))
    strategy = tf.distribute.OneDeviceStrategy(device._device_name)
    assert strategy.extended.worker_devices[0].endswith(x.device.rsplit("/", 1)[-1])
    assert all(d._device_name == d for d in d2ltf.try_all_gpus())
    assert d2ltf.resolve_device(device) == str(device)


@pytest.mark.parametrize("cuda, mps, expected, expected_all", [
    (0, True, "mps", ["mps"]),
    (0, False, "cpu", ["cpu"]),
    (2, True, "cuda:0", ["cuda:0", "cuda:1"]),
])
def test_torch_try_gpu_finds_apple_mps(monkeypatch, cuda, mps, expected, expected_all):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert d2lpt.try_gpu() == torch.device(expected)
    assert d2lpt.try_all_gpus() == [torch.device(d) for d in expected_all]
    assert d2lpt.try_gpu(5) == torch.device("cpu")  # mps is only ever GPU 0


def test_torch_mps_refused_where_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="'mps'.*not available.*try_gpu"):
        devices_pt.resolve_device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert devices_pt.resolve_device("mps") == torch.device("mps")


# --- training: d2l-style code, quick mode -------------------------------------------------


def toy_images(n, seed=0):
    """uint8 images (n, 28, 28) of 4 classes: class c lights up quadrant c."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for i, c in enumerate(labels):
        r, q = divmod(int(c), 2)
        images[i, 14 * r:14 * r + 14, 14 * q:14 * q + 14] += 150
    return images, labels


def toy_loaders(d2l, n=512, batch_size=64):
    train = toy_images(n, seed=0)
    test = toy_images(n // 2, seed=1)
    return (d2l.ArrayLoader(*train, batch_size, shuffle=True),
            d2l.ArrayLoader(*test, batch_size))


def toy_net(d2l):
    if d2l is d2lpt:
        return nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.AvgPool2d(4),
                             nn.Flatten(), nn.Linear(4 * 7 * 7, 4))
    return keras.Sequential([keras.layers.Conv2D(4, 5, padding="same", activation="relu"),
                             keras.layers.AvgPool2D(4), keras.layers.Flatten(),
                             keras.layers.Dense(4)])


@BACKENDS
def test_d2l_style_training_in_quick_mode(d2l, monkeypatch, capsys):
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    # The book's way of looking at a network: one random example through it, then train.
    shape = (1, 1, 28, 28) if d2l is d2lpt else (1, 28, 28, 1)
    X = d2l.reshape(d2l.rand(shape), shape)
    net = toy_net(d2l)
    Y = net(X)
    assert tuple(Y.shape) == (1, 4)
    train_iter, test_iter = toy_loaders(d2l)
    lr, num_epochs = 0.5, 10
    result = d2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, d2l.try_gpu())
    assert result.epochs == 2 and result.requested_epochs == 10  # quick mode's cap
    assert len(result.history["test_acc"]) == 2
    assert result.history["test_acc"][-1] > 0.5  # 4 classes: chance is 0.25
    assert "examples/sec on " in capsys.readouterr().out


def test_tf_train_ch6_result_gives_the_trained_model(monkeypatch):
    # d2l's TensorFlow train_ch6 returns the model: ``net = d2l.train_ch6(...); net.layers``.
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    train_iter, test_iter = toy_loaders(d2ltf, n=128)
    net = d2ltf.train_ch6(toy_net(d2ltf), train_iter, test_iter, 1, 0.1, d2ltf.try_gpu(),
                          verbose=False)
    assert len(net.layers) == 4 and net.layers[0].kernel.shape == (5, 5, 1, 4)
    assert net.final == tuple(net.history[k][-1] for k in ("train_loss", "train_acc", "test_acc"))
    with pytest.raises(AttributeError, match="no_such_thing"):
        net.no_such_thing


def test_tf_loader_is_a_dataset_for_keras_fit():
    """d2l's own TensorFlow train_ch6: strategy scope, compile, fit and evaluate on the
    loaders, and cardinality for its examples/sec line."""
    train_iter, test_iter = toy_loaders(d2ltf, n=256)
    assert isinstance(train_iter, tf.data.Dataset)
    assert int(tf.data.experimental.cardinality(train_iter)) == len(train_iter) == 4
    X, y = next(iter(train_iter))  # the loader's own Python iteration is unchanged
    assert X.shape == (64, 28, 28, 1) and X.dtype == tf.float32 and y.dtype == tf.int32
    assert train_iter.epoch == 0   # a peek does not move the shuffling on
    device = d2ltf.try_gpu()
    keras.utils.set_random_seed(0)
    with tf.distribute.OneDeviceStrategy(device._device_name).scope():
        net = toy_net(d2ltf)
        net.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])
    history = net.fit(train_iter, epochs=3, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    acc = net.evaluate(test_iter, verbose=0, return_dict=True)["accuracy"]
    assert 0.5 < acc <= 1.0


# --- lazy layers (d2l 1.0) in PyTorch ------------------------------------------------------


def test_torch_train_ch6_trains_lazy_layers(monkeypatch):
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    torch.manual_seed(0)
    net = nn.Sequential(nn.LazyConv2d(4, 5, padding=2), nn.ReLU(), nn.AvgPool2d(4),
                        nn.Flatten(), nn.LazyLinear(4))
    train_iter, test_iter = toy_loaders(d2lpt)
    result = d2lpt.train_ch6(net, train_iter, test_iter, 2, 0.5, verbose=False)
    assert net[4].weight.shape == (4, 4 * 7 * 7) and net[0].weight.shape == (4, 1, 5, 5)
    assert result.history["test_acc"][-1] > 0.5
    assert result.history["epoch"] == [1, 2]


def test_init_xavier_on_lazy_layer_says_what_to_do():
    with pytest.raises(ValueError, match=r"run the network once on a batch"):
        d2lpt.init_xavier(nn.Sequential(nn.LazyLinear(3)))


def test_materializing_leaves_a_normal_net_alone():
    torch.manual_seed(0)
    net = toy_net(d2lpt)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rng = torch.get_rng_state()
    _, test_iter = toy_loaders(d2lpt, n=64)
    train_pt.materialize_lazy(net, test_iter)
    assert torch.equal(rng, torch.get_rng_state())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_normal_net_starts_from_the_same_weights(monkeypatch):
    """train_ch6's starting weights for a network without lazy layers (seed 0) are exactly
    those of the network built after ``torch.manual_seed(0)`` and given ``init_xavier``."""
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    torch.manual_seed(0)
    expected = d2lpt.init_xavier(toy_net(d2lpt)).state_dict()
    seen = {}

    class RecordingSGD(torch.optim.SGD):  # sees the weights training starts from
        def __init__(self, params, **kwargs):
            params = list(params)
            seen["weights"] = [p.detach().clone() for p in params]
            super().__init__(params, **kwargs)

    monkeypatch.setattr(torch.optim, "SGD", RecordingSGD)
    torch.manual_seed(0)
    train_iter, test_iter = toy_loaders(d2lpt, n=64)
    d2lpt.train_ch6(toy_net(d2lpt), train_iter, test_iter, 1, 0.1, "cpu", verbose=False)
    assert len(seen["weights"]) == len(expected)
    for got, want in zip(seen["weights"], expected.values()):
        assert torch.equal(got, want)


# --- Keras 2 (TF_USE_LEGACY_KERAS=1) ------------------------------------------------------

LEGACY_SCRIPT = textwrap.dedent("""
    import numpy as np
    from d2lmini import tensorflow as d2l
    import tensorflow as tf
    assert tf.keras.Model.__module__.startswith("tf_keras"), tf.keras.Model.__module__
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (128, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 4, 128)
    train_iter = d2l.ArrayLoader(images, labels, 32, shuffle=True)
    test_iter = d2l.ArrayLoader(images, labels, 32)
    def net():
        return tf.keras.models.Sequential([
            tf.keras.layers.Conv2D(4, 5, activation="relu"), tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(4)])
    result = d2l.train_ch6(net, train_iter, test_iter, 1, 0.1, d2l.try_gpu(), verbose=False)
    print("layers", len(result.layers), "epochs", result.epochs)
""")


def test_keras2_models_train_under_legacy_keras():
    pytest.importorskip("tf_keras", reason="Keras 2 path: pip install tf-keras to test it")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", D2LMINI_QUICK="1")
    out = subprocess.run([sys.executable, "-c", LEGACY_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "layers 3 epochs 1" in out.stdout


def test_tensorflow_training_gives_the_callers_random_state_back():
    """As PyTorch's train_ch6 forks its generator, TensorFlow's seeds its run and then puts
    back Python's and NumPy's states and the global seeds it changed."""
    import random
    from tensorflow.python.eager import context
    random.seed(7)
    np.random.seed(123)
    tf.random.set_seed(11)
    py, npy = random.getstate(), np.random.get_state()
    train_iter, test_iter = toy_loaders(d2ltf, n=64)
    d2ltf.train_ch6(lambda: toy_net(d2ltf), train_iter, test_iter, 1, 0.1, "/CPU:0",
                    verbose=False, seed=5)
    assert random.getstate() == py
    after = np.random.get_state()
    assert after[0] == npy[0] and np.array_equal(after[1], npy[1]) and after[2:] == npy[2:]
    assert context.global_seed() == 11
