"""d2lmini.arithmetic against real PyTorch and Keras layers over random configurations."""
import doctest
import os
import random

import numpy as np
import pytest

from d2lmini import arithmetic
from d2lmini.arithmetic import (Conv, Dense, Pool, conv_output_size, count_macs, count_params,
                                layer_table, receptive_field, same_padding)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
keras = tf.keras
F = torch.nn.functional

N_RANDOM = 300  # random configurations per comparison


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These tensors are tiny: one thread avoids thread start-up and contention costs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _configs(seed, count, ks=(1, 7), strides=(1, 4), pads=(0, 3), dils=(1, 3), sizes=(1, 24)):
    rng = random.Random(seed)
    for _ in range(count):
        yield (rng.randint(*sizes), rng.randint(*sizes), rng.randint(*ks),
               rng.randint(*strides), rng.randint(*pads), rng.randint(*dils))


def test_doctests():
    result = doctest.testmod(arithmetic)
    assert result.attempted > 10 and result.failed == 0


# ------------------------------------------------------------------------------ PyTorch
def test_conv_output_size_matches_torch_conv2d():
    checked = empty = 0
    with torch.no_grad():
        for h, w, k, s, p, d in _configs(0, N_RANDOM):
            layer = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
            x = torch.zeros(1, 1, h, w)
            try:
                expected = (conv_output_size(h, k, s, p, d), conv_output_size(w, k, s, p, d))
            except ValueError:
                with pytest.raises(RuntimeError):
                    layer(x)
                empty += 1
                continue
            assert tuple(layer(x).shape[2:]) == expected, (h, w, k, s, p, d)
            checked += 1
    assert checked > 150 and empty > 10  # both branches really ran


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_output_size_matches_torch_maxpool2d(ceil_mode):
    checked = 0
    for h, w, k, s, p, d in _configs(1 + ceil_mode, N_RANDOM):
        p = min(p, k // 2)  # PyTorch pooling allows at most half a window of padding
        pool = torch.nn.MaxPool2d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)
        x = torch.zeros(1, 1, h, w)
        try:
            expected = (conv_output_size(h, k, s, p, d, ceil_mode),
                        conv_output_size(w, k, s, p, d, ceil_mode))
        except ValueError:
            with pytest.raises(RuntimeError):
                pool(x)
            continue
        assert tuple(pool(x).shape[2:]) == expected, (h, w, k, s, p, d, ceil_mode)
        checked += 1
    assert checked > 150


def test_ceil_mode_drops_window_starting_in_padding():
    # floor gives 2, ceil would give 3, but the third window would start in the padding.
    assert conv_output_size(5, 2, stride=2, padding=1) == 3
    assert conv_output_size(4, 2, stride=2, padding=1, ceil_mode=True) == 3
    x = torch.zeros(1, 1, 4, 4)
    assert torch.nn.MaxPool2d(2, 2, padding=1, ceil_mode=True)(x).shape[-1] == 3


# ------------------------------------------------------------------------------ Keras
def _keras_configs(seed, count):
    for h, w, k, s, _, d in _configs(seed, count):
        if d > 1:
            s = 1  # Keras does not combine dilation_rate > 1 with strides > 1
        yield h, w, k, s, d


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_matches_keras_conv2d(padding):
    layers, checked = {}, 0
    for h, w, k, s, d in _keras_configs(3 if padding == "valid" else 4, N_RANDOM):
        try:
            expected = (conv_output_size(h, k, s, padding, d),
                        conv_output_size(w, k, s, padding, d))
        except ValueError:
            assert padding == "valid" and d * (k - 1) + 1 > min(h, w)
            continue
        key = (k, s, d)
        if key not in layers:
            layers[key] = keras.layers.Conv2D(1, k, strides=s, padding=padding,
                                              dilation_rate=d, use_bias=False)
        y = layers[key](tf.zeros((1, h, w, 1)))
        assert tuple(y.shape[1:3]) == expected, (h, w, k, s, d, padding)
        checked += 1
    assert checked > 150


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool_output_size_matches_keras_maxpooling2d(padding):
    layers, checked = {}, 0
    for h, w, k, s, _, _ in _configs(5 if padding == "valid" else 6, N_RANDOM):
        try:
            expected = (conv_output_size(h, k, s, padding), conv_output_size(w, k, s, padding))
        except ValueError:
            continue
        if (k, s) not in layers:
            layers[k, s] = keras.layers.MaxPooling2D(k, strides=s, padding=padding)
        y = layers[k, s](tf.zeros((1, h, w, 1)))
        assert tuple(y.shape[1:3]) == expected, (h, w, k, s, padding)
        checked += 1
    assert checked > 150


def test_same_padding_reproduces_keras_same_in_torch():
    """Pad with same_padding's numbers, then a 'valid' torch conv equals Keras 'same'."""
    rng = np.random.default_rng(0)
    asymmetric = 0
    for h, w, k, s, d in _keras_configs(7, 60):
        layer = keras.layers.Conv2D(2, k, strides=s, padding="same", dilation_rate=d,
                                    use_bias=False)
        x = rng.standard_normal((1, h, w, 2)).astype("float32")
        y_keras = layer(x).numpy()
        top, bottom = same_padding(h, k, s, d)
        left, right = same_padding(w, k, s, d)
        asymmetric += (top != bottom) or (left != right)
        weight = torch.from_numpy(layer.get_weights()[0].transpose(3, 2, 0, 1).copy())
        xt = F.pad(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), (left, right, top, bottom))
        y_torch = F.conv2d(xt, weight, stride=s, dilation=d).numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(y_torch, y_keras, rtol=1e-4, atol=1e-4)
    assert asymmetric > 10  # the interesting case was exercised


# ------------------------------------------------------------------------------ errors
def test_empty_output_raises_clear_value_error():
    with pytest.raises(ValueError, match=r"window of size 5 .*input of size 3"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match=r"dilation 3: it spans 7"):
        conv_output_size(6, 3, dilation=3, padding="valid")
    with pytest.raises(ValueError, match=r"padded to 4"):
        conv_output_size(2, 5, padding=1)
    with pytest.raises(ValueError, match="layer 3 \\(Conv\\)"):
        count_macs([Conv(1, 4, 5), Pool(2), Conv(4, 4, 5)], input_size=12)
    assert conv_output_size(3, 5, padding=1) == 1  # just fits


@pytest.mark.parametrize("bad", [dict(n=0, kernel=3), dict(n=5, kernel=0),
                                 dict(n=5, kernel=3, stride=0), dict(n=5, kernel=3, padding=-1),
                                 dict(n=5, kernel=3, padding="full"),
                                 dict(n=5, kernel=3, padding="same", ceil_mode=True),
                                 dict(n=5.0, kernel=3)])
def test_invalid_arguments_raise_value_error(bad):
    with pytest.raises(ValueError):
        conv_output_size(**bad)


def test_layers_must_chain():
    with pytest.raises(ValueError, match="expects 3 input channels"):
        layer_table([Conv(1, 4, 3), Conv(3, 4, 3)], input_size=10)
    with pytest.raises(ValueError, match="expects 100 inputs"):
        layer_table([Conv(1, 4, 3), Dense(100, 10)], input_size=10)
    with pytest.raises(ValueError, match="input_size"):
        count_macs(Conv(1, 4, 3))


# ------------------------------------------------------------------------------ receptive field
def _measured_extent(grad):
    rows = np.nonzero(np.abs(grad).sum(axis=1))[0]
    cols = np.nonzero(np.abs(grad).sum(axis=0))[0]
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def _random_stacks(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        yield [(rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 2))
               for _ in range(rng.randint(1, 4))]


def test_receptive_field_matches_torch_gradient():
    for stack in _random_stacks(8, 25):
        rf = receptive_field(stack)
        n = rf.size + 2 * rf.jump + 8  # room for a unit well inside the input
        net = torch.nn.Sequential(*[torch.nn.Conv2d(1, 1, k, s, dilation=d, bias=False)
                                    for k, s, d in stack])
        for conv in net:
            torch.nn.init.constant_(conv.weight, 1.0)  # positive: no cancellation
        x = torch.ones(1, 1, n, n, requires_grad=True)
        y = net(x)
        y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
        assert _measured_extent(x.grad[0, 0].numpy()) == (rf.size, rf.size), stack


def test_receptive_field_matches_tensorflow_gradient():
    for stack in _random_stacks(9, 8):
        stack = [(k, 1 if d > 1 else s, d) for k, s, d in stack]
        rf = receptive_field(stack)
        n = rf.size + 2 * rf.jump + 8
        net = keras.Sequential([keras.Input((n, n, 1))] + [
            keras.layers.Conv2D(1, k, strides=s, dilation_rate=d, use_bias=False,
                                kernel_initializer="ones") for k, s, d in stack])
        x = tf.ones((1, n, n, 1))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = net(x)
            unit = y[0, y.shape[1] // 2, y.shape[2] // 2, 0]
        grad = tape.gradient(unit, x)[0, :, :, 0].numpy()
        assert _measured_extent(grad) == (rf.size, rf.size), stack


def test_receptive_field_known_values_and_specs():
    assert receptive_field([(3, 1)] * 2).size == 5
    assert receptive_field([(3, 1)] * 3).size == 7
    rf = receptive_field([Conv(1, 6, 5), Pool(2), Conv(6, 16, 5), Pool(2)])  # LeNet-5
    assert (rf.size, rf.jump) == (16, 4)
    with pytest.raises(ValueError, match="Dense"):
        receptive_field([(3, 1), Dense(10, 2)])
    with pytest.raises(ValueError, match="layer 2"):
        receptive_field([(3, 1), (3,)])


# ------------------------------------------------------------------------------ parameters, MACs
def _conv_specs(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        groups = rng.choice([1, 1, 2, 3])
        yield Conv(groups * rng.randint(1, 4), groups * rng.randint(1, 4),
                   (rng.randint(1, 5), rng.randint(1, 5)), stride=rng.randint(1, 3),
                   groups=groups, bias=rng.random() < 0.5)


def test_count_params_matches_torch_and_keras():
    for spec in _conv_specs(10, 40):
        torch_layer = torch.nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel,
                                      groups=spec.groups, bias=spec.bias)
        keras_layer = keras.layers.Conv2D(spec.out_channels, spec.kernel, groups=spec.groups,
                                          use_bias=spec.bias)
        keras_layer.build((None, 8, 8, spec.in_channels))
        n_torch = sum(p.numel() for p in torch_layer.parameters())
        assert count_params(spec) == n_torch == keras_layer.count_params(), spec
    for fan_in, fan_out, bias in [(784, 128, True), (128, 10, True), (150528, 128, False)]:
        dense = keras.layers.Dense(fan_out, use_bias=bias)
        dense.build((None, fan_in))
        linear = torch.nn.Linear(fan_in, fan_out, bias=bias, device="meta")
        expected = sum(p.numel() for p in linear.parameters())
        assert count_params(Dense(fan_in, fan_out, bias)) == expected == dense.count_params()


def test_count_macs_matches_products_summed_by_torch():
    """With ones as input and weights and no padding, each output value equals the number
    of products summed into it, so the output's sum counts the multiply-adds."""
    rng = random.Random(11)
    with torch.no_grad():
        for spec in _conv_specs(12, 40):
            h, w = rng.randint(5, 12), rng.randint(5, 12)
            layer = torch.nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel,
                                    stride=spec.stride, groups=spec.groups, bias=False)
            torch.nn.init.ones_(layer.weight)
            y = layer(torch.ones(1, spec.in_channels, h, w))
            assert count_macs(spec, (h, w)) == int(y.sum().item()), (spec, h, w)
    dense = torch.nn.Linear(50, 7, bias=False)
    torch.nn.init.ones_(dense.weight)
    assert count_macs(Dense(50, 7)) == int(dense(torch.ones(1, 50)).sum().item())


def test_layer_table_shapes_match_torch_network():
    specs = [Conv(1, 6, 5, padding=2), Pool(2), Conv(6, 16, 5), Pool(2),
             Dense(16 * 5 * 5, 120), Dense(120, 84), Dense(84, 10)]
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.AvgPool2d(2), torch.nn.Conv2d(6, 16, 5),
        torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400, 120),
        torch.nn.Linear(120, 84), torch.nn.Linear(84, 10))
    x = torch.zeros(1, 1, 28, 28)
    shapes = []
    for layer in net:
        x = layer(x)
        if not isinstance(layer, torch.nn.Flatten):
            shapes.append(tuple(x.shape[1:]))
    rows = layer_table(specs, input_size=28)
    assert [r["output_shape"] for r in rows] == shapes
    assert count_params(specs) == sum(p.numel() for p in net.parameters())
    assert [r["output_shape"] for r in layer_table([Conv(1, 2, 3, padding="same", stride=2)],
                                                   input_size=(7, 8))] == [(2, 4, 4)]
