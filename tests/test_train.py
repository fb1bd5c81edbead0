"""train_ch6 in both backends: it learns on real data, reports honestly, fails clearly."""
import json
import math
import os

import numpy as np
import pytest

from d2lmini import tensorflow as d2ltf  # before TensorFlow
import keras
import torch
from torch import nn

from d2lmini import torch as d2l
from d2lmini.training import NonFiniteLossError, TrainResult


@pytest.fixture
def subset(monkeypatch, no_budget):
    """A real subset of Fashion-MNIST: 6,000 training and 2,000 test images."""
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "6000")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "2000")


def small_cnn_torch():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def small_cnn_tf():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Flatten(), keras.layers.Dense(10)])


@pytest.mark.slow
@pytest.mark.parametrize("backend, make_net", [(d2l, small_cnn_torch), (d2ltf, small_cnn_tf)],
                         ids=["pytorch", "tensorflow"])
def test_learns_on_real_data(subset, backend, make_net, capsys):
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    train_iter, test_iter = backend.load_data_fashion_mnist(32)
    result = backend.train_ch6(make_net(), train_iter, test_iter, 3, 0.05, backend.try_gpu())
    h = result.history
    assert h["epoch"] == [1, 2, 3]
    assert h["test_acc"][-1] > 0.70, h
    assert h["train_loss"][-1] < h["train_loss"][0] < math.log(10)
    assert h["train_acc"][-1] > h["train_acc"][0]
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"loss {h['train_loss'][-1]:.3f}, train acc ")
    assert "examples/sec on " in line and "6,000 of 60,000 train" in line
    assert result.examples_per_sec > 0 and result.train_examples == 6000


def batches_with_nan_at(step, layout):
    """Ten random batches of 16 images; batch number ``step`` (1-based) is all NaN."""
    rng = np.random.default_rng(0)
    shape = (16, 1, 28, 28) if layout == "NCHW" else (16, 28, 28, 1)
    out = []
    for i in range(1, 11):
        X = rng.random(shape, dtype=np.float32)
        if i == step:
            X[:] = np.nan   # a whole batch, so that max pooling cannot hide it
        out.append((X, rng.integers(0, 10, 16)))
    return out


def test_nan_loss_stops_training_and_names_the_step():
    data = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches_with_nan_at(3, "NCHW")]
    with pytest.raises(NonFiniteLossError, match="nan at step 3"):
        d2l.train_ch6(small_cnn_torch(), data, data, 1, 0.1, "cpu", verbose=False)
    data = batches_with_nan_at(7, "NHWC")
    # A linear model: without XLA, TensorFlow's oneDNN kernels for the CNN above (fused
    # convolution, ReLU, pooling; the default on CPUs with AVX-512 VNNI, bfloat16 or AMX,
    # where train_ch6 leaves XLA off) turn a NaN image into numbers: its loss stays finite.
    def linear():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(10)])

    with pytest.raises(NonFiniteLossError, match="nan at step 7"):
        d2ltf.train_ch6(linear, data, data, 1, 0.1, "/CPU:0", verbose=False)


def test_nonfinite_check_points_at_the_first_bad_step():
    from d2lmini.training import first_nonfinite
    assert first_nonfinite([2.3, 2.2], 1) is None
    step, value = first_nonfinite([2.0, 1.9, float("inf"), float("nan")], 10)
    assert step == 12 and value == float("inf")


def test_the_watch_stops_at_the_first_bad_step_of_its_window():
    from d2lmini.loop import StepWatch
    from d2lmini.training import Progress
    watch = StepWatch(Progress(1, 100, enabled=False), epoch=0, step=40, read=list,
                      check_every=5)
    with pytest.raises(NonFiniteLossError, match="inf at step 43"):
        for i, loss in enumerate([2.0, 1.9, float("inf"), 1.8, 1.7]):
            watch.after_step(i, loss, loss_sum=1.9 * (i + 1), correct=i, n=i + 1)
    assert watch.step == 45  # it looked once, after the fifth step of the window


def test_the_watch_looks_after_check_seconds_even_within_a_window():
    """Slow steps (seconds each on a CPU) still move the progress bar: a look is due when
    ``check_seconds`` have passed, however few steps the window holds."""
    from d2lmini.loop import StepWatch
    from d2lmini.training import Progress

    class Bar(Progress):
        def __init__(self):
            super().__init__(1, 100, enabled=False)
            self.reported = []

        def batch(self, epoch, i, loss, acc, plot=True):
            self.reported.append((i, plot))

    reads = []
    for seconds, expected in [(3600.0, []), (0.0, [(0, False), (1, False), (2, False)])]:
        bar = Bar()
        watch = StepWatch(bar, epoch=0, step=0, read=lambda w: reads.append(len(w)) or w,
                          check_every=50, check_seconds=seconds)
        for i in range(3):
            watch.after_step(i, 2.0, loss_sum=2.0 * (i + 1), correct=i, n=i + 1)
        assert bar.reported == expected, f"check_seconds={seconds}"
    assert reads == [1, 1, 1], "each timely look reads only the steps since the last one"


@pytest.mark.parametrize("device", ["cuda:7", "tpu", "gpu:3"])
def test_unknown_or_missing_device_is_a_value_error(device):
    with pytest.raises(ValueError, match="device"):
        d2l.resolve_device(device)


@pytest.mark.parametrize("device", ["/GPU:7", "/TPU:0", 42])
def test_unknown_or_missing_tf_device_is_a_value_error(device):
    with pytest.raises(ValueError, match="device"):
        d2ltf.resolve_device(device)


def test_try_gpu_falls_back_to_cpu_without_gpus():
    if d2l.num_gpus() == 0:
        assert str(d2l.try_gpu()) == "cpu" and d2l.try_all_gpus() == [torch.device("cpu")]
    if d2ltf.num_gpus() == 0:
        assert d2ltf.try_gpu() == "/CPU:0" and d2ltf.try_all_gpus() == ["/CPU:0"]
    with pytest.raises(ValueError):
        d2l.try_gpu(-1)


@pytest.mark.parametrize("epochs, lr", [(0, 0.1), (2.5, 0.1), (1, 0), (1, -0.1), (1, "0.1")])
def test_bad_epochs_or_lr_is_a_value_error(epochs, lr):
    with pytest.raises(ValueError):
        d2l.train_ch6(small_cnn_torch(), [], [], epochs, lr, "cpu")


@pytest.mark.parametrize("backend", [d2l, d2ltf], ids=["pytorch", "tensorflow"])
@pytest.mark.parametrize("optimizer", ["Adam", "rmsprop", None])
def test_unknown_optimizer_is_a_value_error_that_lists_the_choices(backend, optimizer):
    net = small_cnn_torch() if backend is d2l else small_cnn_tf
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'adam', 'adadelta'"):
        backend.train_ch6(net, [], [], 1, 0.1, "cpu" if backend is d2l else None,
                          optimizer=optimizer)


# Adadelta learns in one framework here; tests/test_twins.py shows that both take its steps.
@pytest.mark.slow
@pytest.mark.parametrize("backend, make_net, optimizer, lr", [
    (d2l, small_cnn_torch, "adam", 0.002), (d2ltf, small_cnn_tf, "adam", 0.002),
    (d2l, small_cnn_torch, "adadelta", 1.0)], ids=["pytorch-adam", "tensorflow-adam",
                                                   "pytorch-adadelta"])
def test_adaptive_optimizers_learn_on_real_data(subset, backend, make_net, optimizer, lr):
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    result = backend.train_ch6(make_net(), train_iter, test_iter, 2, lr, backend.try_gpu(),
                               verbose=False, optimizer=optimizer)
    assert result.extra["optimizer"] == optimizer
    assert result.history["test_acc"][-1] > 0.70, result.history
    assert result.history["train_loss"][-1] < result.history["train_loss"][0]
    assert f"({optimizer.capitalize()})" in result.describe().splitlines()[1]


def test_result_round_trips_through_json(tmp_path):
    r = TrainResult("pytorch", "cpu", {"epoch": [1], "train_loss": [0.5], "train_acc": [0.8],
                                       "test_acc": [0.75]}, 1234.5, 6000, 60000, 2000, 10000,
                    1, 10, (28, 28), 64, 0.1, 4.9)
    assert r.budgeted
    assert "6,000 of 60,000 train" in r.summary() and "1 of 10 epochs" in r.summary()
    path = r.save(tmp_path / "run.json", model="tiny")
    data = json.loads(path.read_text())
    assert data["extra"] == {"model": "tiny"} and data["summary"] == r.summary()
    back = TrainResult.load(path)
    assert back.final == r.final and back.image_size == (28, 28)


def test_a_saved_result_names_its_cpu_and_is_never_half_written(tmp_path, monkeypatch):
    """Two runs of the same seed on different CPUs differ in their last digits and their
    speed, so the record says which CPU ran; and a save that fails keeps the old record."""
    from d2lmini import precision
    r = TrainResult("pytorch", "cpu", {"epoch": [1], "train_loss": [0.5], "train_acc": [0.8],
                                       "test_acc": [0.75]}, 12.5, 60000, 60000, 10000, 10000,
                    1, 10, (28, 28), 64, 0.1, 4800.0)
    path = r.save(tmp_path / "run.json")
    assert json.loads(path.read_text())["cpu"] == precision.cpu_name() != ""
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the next save fails as it reaches the disk
    r.history["test_acc"] = [0.76]
    with pytest.raises(OSError, match="No space"):
        r.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_quick_runs_are_not_saved_as_results(tmp_path):
    r = TrainResult("pytorch", "cpu", {"epoch": [1], "train_loss": [0.5], "train_acc": [0.8],
                                       "test_acc": [0.75]}, 1.0, 2000, 60000, 1000, 10000,
                    1, 10, (28, 28), 64, 0.1, 4.9, quick=True)
    assert r.save(tmp_path / "run.json") is None
    assert not (tmp_path / "run.json").exists()


def test_accuracy_counts_correct_predictions():
    y_hat = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], dtype=np.float32)
    y = np.array([1, 1, 1])
    assert int(d2l.accuracy(torch.tensor(y_hat), torch.tensor(y))) == 2
    assert int(d2ltf.accuracy(y_hat, y)) == 2


def test_tf_xavier_reinit_reaches_layers_inside_custom_layers():
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(4, 3, kernel_initializer="zeros")

        def call(self, x):
            return self.conv(x)

    net = keras.Sequential([keras.Input((8, 8, 1)), Block(), keras.layers.Flatten(),
                            keras.layers.Dense(3, kernel_initializer="zeros")])
    d2ltf.init_xavier(net)
    kernels = [w for w in net.weights if "kernel" in w.path]
    assert len(kernels) == 2
    assert all(float(np.abs(k.numpy()).sum()) > 0 for k in kernels)


def test_xavier_reaches_one_dimensional_convolutions_in_both_frameworks():
    """Text CNNs use Conv1d / Conv1D: train_ch6 must redraw them as it does Conv2d."""
    bound = (6 / (8 * 3 + 5 * 3)) ** 0.5  # Xavier's limit: fan_in 8*3, fan_out 5*3
    conv = nn.Conv1d(8, 5, 3)
    nn.init.zeros_(conv.weight)
    d2l.init_xavier(nn.Sequential(conv))
    w = conv.weight.detach().abs()
    assert 0 < float(w.max()) <= bound and float(w.max()) > 0.5 * bound

    net = keras.Sequential([keras.Input((10, 8)),
                            keras.layers.Conv1D(5, 3, kernel_initializer="zeros")])
    d2ltf.init_xavier(net)
    k = np.abs(net.layers[0].kernel.numpy())
    assert 0 < k.max() <= bound and k.max() > 0.5 * bound


@pytest.mark.parametrize("epochs", [1, 3])
def test_the_live_plot_shows_every_point_from_the_first_epoch_on(monkeypatch, epochs):
    """A one-epoch run's plot was empty: its axis started at epoch 1, where the training
    curves had one point and test accuracy one point, neither drawn without a marker."""
    from d2lmini import training
    monkeypatch.setattr(training, "in_notebook", lambda: True)  # the plot, not the bar
    progress = training.Progress(epochs, num_batches=10)
    for epoch in range(epochs):
        for i in range(10):
            if (i + 1) % progress.batches_per_point() == 0:
                progress.batch(epoch, i, loss=2.0 - 0.1 * i, acc=0.1 * i)
        progress.epoch(epoch, test_acc=0.5 + 0.1 * epoch)
    ax = progress.animator.axes
    lo, hi = ax.get_xlim()
    lines = ax.get_lines()
    assert len(lines) == 3
    for line in lines:
        x = line.get_xdata()
        assert lo <= min(x) and max(x) <= hi  # every point in view
        assert len(x) >= 3 or line.get_marker() not in (None, "None", "")  # and visible
    assert lines[2].get_ydata()[-1] == pytest.approx(0.5 + 0.1 * (epochs - 1))
