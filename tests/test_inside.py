"""The look inside a trained network (d2lmini.inside and the backends' look_inside): the
confusion matrix counts right, mistakes are mistakes, and the two frameworks' twins show the
same kernels and the same feature maps, stage for stage."""
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from d2lmini import inside, networks


def test_confusion_matrix_counts_pairs():
    cm = inside.confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], 3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [1, 0, 2]]
    assert cm.sum() == 6 and np.trace(cm) == 4


def test_confusion_matrix_refuses_labels_outside_the_classes():
    with pytest.raises(ValueError, match=r"class 3, outside 0\.\.2"):
        inside.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="one length"):
        inside.confusion_matrix([0, 1], [0], 3)


def test_predictions_summaries():
    p = inside.Predictions(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 1, 1]),
                           ["a", "b", "c"], np.zeros((0, 2, 2)), np.zeros(0), np.zeros(0))
    assert p.accuracy == pytest.approx(3 / 6)
    assert p.per_class.tolist() == [0.5, 1.0, 0.0]
    assert p.most_confused() == [("c", "b", 2), ("a", "b", 1)]
    report = p.report()
    assert "weakest class: c (0.000)" in report and "c taken for b 2 times" in report


def test_stages_end_after_the_nonlinearity():
    # PyTorch LeNet: conv, sigmoid, pool, conv, sigmoid, pool; Keras: conv with sigmoid built in.
    assert inside.choose_stages(["conv", "act", "other"] * 2) == [1, 4]
    assert inside.choose_stages(["conv+act", "other"] * 2) == [0, 2]
    # Batch norm between a convolution and its ReLU; an activation with no convolution before.
    assert inside.choose_stages(["act", "conv", "other", "act", "block"]) == [3, 4]


def test_kernels_must_be_four_dimensional():
    with pytest.raises(ValueError, match=r"\(out_channels, in_channels, kh, kw\)"):
        inside.plot_kernels(np.zeros((3, 5, 5)))


torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
from d2lmini import tensorflow as d2ltf  # noqa: E402
from d2lmini import torch as d2lpt  # noqa: E402
from d2lmini.book import twins  # noqa: E402


def twin_pair(key):
    torch.manual_seed(0)
    pt, kr = networks.build(key, "pytorch"), networks.build(key, "tensorflow")
    size = networks.NETWORKS[key].size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twins.copy_weights(pt, kr, (1, 1, size, size))
    return pt, kr, size


@pytest.mark.parametrize("key", ["lenet", "nin", "resnet"])
def test_twins_show_the_same_kernels_and_feature_maps(key):
    pt, kr, size = twin_pair(key)
    np.testing.assert_allclose(d2lpt.conv_kernels(pt), d2ltf.conv_kernels(kr), rtol=1e-6)
    X = torch.rand(1, 1, size, size, generator=torch.Generator().manual_seed(1))
    maps_pt = d2lpt.feature_maps(pt, X)
    maps_tf = d2ltf.feature_maps(kr, tf.constant(twins.nchw_to_nhwc(X.numpy())))
    assert len(maps_pt) == len(maps_tf) >= 2
    for (_, a), (_, b) in zip(maps_pt, maps_tf):
        assert a.shape == b.shape and a.ndim == 3
        assert twins.relative_difference(a, b) < 1e-4


class Loader(list):
    classes = [f"class {i}" for i in range(10)]


def tiny_data(layout):
    g = np.random.default_rng(0)
    X = g.random((40, 28, 28, 1), dtype=np.float32)
    y = g.integers(0, 10, 40)
    if layout == "pytorch":
        return Loader((torch.from_numpy(X[i:i + 16].transpose(0, 3, 1, 2)).contiguous(),
                       torch.from_numpy(y[i:i + 16])) for i in range(0, 40, 16)), X, y
    return Loader((tf.constant(X[i:i + 16]), tf.constant(y[i:i + 16]))
                  for i in range(0, 40, 16)), X, y


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_predict_all_keeps_the_first_mistakes(framework):
    d2l = d2lpt if framework == "pytorch" else d2ltf
    net = networks.build("lenet", framework)
    data, X, y = tiny_data(framework)
    pred = d2l.predict_all(net, data, n_mistakes=5)
    if framework == "pytorch":
        with torch.no_grad():
            expected = net.eval()(torch.from_numpy(X.transpose(0, 3, 1, 2))).argmax(1).numpy()
    else:
        expected = np.argmax(net(X, training=False), axis=1)
    np.testing.assert_array_equal(pred.y_true, y)
    np.testing.assert_array_equal(pred.y_pred, expected)
    wrong = np.flatnonzero(expected != y)[:5]
    assert len(pred.mistakes) == len(wrong) and pred.mistakes.shape[1:] == (28, 28)
    np.testing.assert_allclose(pred.mistakes, X[wrong, :, :, 0])
    np.testing.assert_array_equal(pred.mistake_true, y[wrong])
    assert (pred.mistake_true != pred.mistake_pred).all()
    assert pred.classes == Loader.classes


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_look_inside_draws_titled_figures(framework):
    import matplotlib.pyplot as plt
    d2l = d2lpt if framework == "pytorch" else d2ltf
    plt.close("all")
    net = networks.build("lenet", framework)
    data, _, _ = tiny_data(framework)
    before = set(plt.get_fignums())
    pred = d2l.look_inside(net, data, title="LeNet here")
    figs = [plt.figure(n) for n in set(plt.get_fignums()) - before]
    titles = [f._suptitle.get_text() for f in figs if f._suptitle]
    assert len(figs) == 4 and len(titles) == 4
    assert all(t.startswith("LeNet here") for t in titles)
    assert len(pred.y_true) == 40
    plt.close("all")


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_a_network_without_convolutions_is_refused(framework):
    d2l = d2lpt if framework == "pytorch" else d2ltf
    if framework == "pytorch":
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    else:
        net = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no .*Conv2[dD]"):
        d2l.conv_kernels(net)
    with pytest.raises(TypeError, match="the trained network"):
        d2l.conv_kernels(lambda x: x)
