"""Trust every run: a checkpoint is resumed only by the run that wrote it, and the mistakes a
student makes with ``train_ch6`` stop it before training, with a line that names the cause
and the fix (issue 33). Real Fashion-MNIST, 256 training and 128 test images, tiny networks:
a few seconds each."""
import errno
import importlib.util
import warnings

import numpy as np
import pytest

from d2lmini import tensorflow as d2ltf  # before TensorFlow
import keras
import torch
from torch import nn

from d2lmini import checkpoint as ck
from d2lmini import loop, training
from d2lmini import torch as d2l


@pytest.fixture
def tiny(monkeypatch, no_budget):
    """A real subset of Fashion-MNIST: 256 training and 128 test images."""
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "256")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "128")


def small_torch(outputs=10):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                         nn.Flatten(), nn.Linear(4 * 7 * 7, outputs))


def small_tf(outputs=10):
    return lambda: keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPool2D(4), keras.layers.Flatten(), keras.layers.Dense(outputs)])


def train(backend, net, loaders, epochs=1, **kwargs):
    kwargs.setdefault("verbose", False)
    return backend.train_ch6(net, *loaders, epochs, kwargs.pop("lr", 0.1), backend.try_gpu(),
                             **kwargs)


# A residual block as a student writes it in chapter 13, then edits: the skip connection
# removed from forward/call, every layer (and so every weight shape) unchanged.
TORCH_BLOCK = """
import torch
from torch import nn

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)
        self.head = nn.Sequential(nn.MaxPool2d(4), nn.Flatten(), nn.Linear(49, 10))

    def forward(self, X):
        return self.head(torch.relu(self.conv(X)){skip})

def make():
    return Block()
"""

TF_BLOCK = """
import keras

class Block(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(1, 3, padding="same")

    def call(self, X):
        return keras.ops.relu(self.conv(X)){skip}

def make():
    return keras.Sequential([keras.Input((28, 28, 1)), Block(), keras.layers.MaxPool2D(4),
                             keras.layers.Flatten(), keras.layers.Dense(10)])
"""


def cell(tmp_path, source, name):
    """Run ``source`` as a module (a notebook cell, as Python sees it) and return it."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("chapter", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend, block", [(d2l, TORCH_BLOCK), (d2ltf, TF_BLOCK)],
                         ids=["pytorch", "tensorflow"])
def test_an_edited_forward_does_not_replay_the_old_models_run(tiny, tmp_path, backend, block):
    loaders = backend.load_data_fashion_mnist(64)
    path = tmp_path / "block.ckpt"
    with_skip = cell(tmp_path, block.format(skip=" + X"), "with_skip")
    net = with_skip.make() if backend is d2l else with_skip.make
    train(backend, net, loaders, checkpoint=path)
    # The same cell re-run unchanged resumes (here: shows the finished run).
    again = cell(tmp_path, block.format(skip=" + X"), "same_again")
    shown = train(backend, again.make() if backend is d2l else again.make, loaders,
                  checkpoint=path)
    assert shown.extra["epoch_seconds"] == []
    edited = cell(tmp_path, block.format(skip=""), "without_skip")
    net = edited.make() if backend is d2l else edited.make
    with pytest.raises(ValueError, match=r"different run: the code of the model's class Block "
                                         r"\(forward/call .*delete the file or pass another"):
        train(backend, net, loaders, checkpoint=path)


def test_code_fingerprints_leave_out_the_frameworks_classes():
    class Mine(nn.Module):
        def forward(self, X):
            return X

    found = ck.code_fingerprints(nn.Sequential(nn.Linear(2, 2), Mine()).modules(), ("torch.",))
    assert list(found) == ["test_code_fingerprints_leave_out_the_frameworks_classes.Mine"]


@pytest.mark.parametrize("backend, make_net", [(d2l, small_torch), (d2ltf, small_tf)],
                         ids=["pytorch", "tensorflow"])
def test_a_checkpoint_with_more_epochs_than_asked_is_refused(tiny, tmp_path, backend,
                                                             make_net):
    loaders = backend.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    train(backend, make_net(), loaders, 3, checkpoint=path)
    with pytest.raises(ValueError, match=r"holds 3 epochs, more than the 2 this call trains: "
                                         r"its weights are those after epoch 3. Ask for "
                                         r"num_epochs=3"):
        train(backend, make_net(), loaders, 2, checkpoint=path)
    shown = train(backend, make_net(), loaders, 3, checkpoint=path)
    assert shown.history["epoch"] == [1, 2, 3] and shown.epochs == 3


def test_a_budget_below_the_checkpoint_names_the_variable(tiny, tmp_path, monkeypatch):
    loaders = d2l.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    train(d2l, small_torch(), loaders, 2, checkpoint=path)
    monkeypatch.setenv("D2LMINI_MAX_EPOCHS", "1")
    with pytest.raises(ValueError, match="capped to 1 by D2LMINI_MAX_EPOCHS"):
        train(d2l, small_torch(), loaders, 2, checkpoint=path)


@pytest.mark.parametrize("backend, make_net", [(d2l, small_torch), (d2ltf, small_tf)],
                         ids=["pytorch", "tensorflow"])
def test_resuming_with_another_seed_is_refused(tiny, tmp_path, monkeypatch, backend, make_net):
    loaders = backend.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    train(backend, make_net(), loaders, 1, checkpoint=path, seed=0)
    with pytest.raises(ValueError, match=r"the seed \(the checkpoint's run used seed 0, this "
                                         r"one seed 1"):
        train(backend, make_net(), loaders, 2, checkpoint=path, seed=1)
    # D2LMINI_SEED also draws another subsample of the 60,000 images: both are named.
    monkeypatch.setenv("D2LMINI_SEED", "1")
    loaders = backend.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match=r"this one seed 1.*the training data \(the examples"):
        train(backend, make_net(), loaders, 2, checkpoint=path)


def test_other_training_examples_are_refused(tiny, tmp_path, monkeypatch):
    loaders = d2l.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    train(d2l, small_torch(), loaders, 1, checkpoint=path)
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "320")  # 256 -> 320: the count says so too
    with pytest.raises(ValueError, match="train_examples=256 \\(now 320\\).*the training data"):
        train(d2l, small_torch(), d2l.load_data_fashion_mnist(64), 2, checkpoint=path)
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "256")
    resized = d2l.load_data_fashion_mnist(64, resize=32)
    with pytest.raises(ValueError, match=r"the training data \(the image size\)"):
        train(d2l, nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                                 nn.Flatten(), nn.LazyLinear(10)), resized, 2, checkpoint=path)


@pytest.mark.parametrize("backend, make_net", [(d2l, small_torch), (d2ltf, small_tf)],
                         ids=["pytorch", "tensorflow"])
def test_empty_or_missing_loaders_are_refused_before_training(tiny, backend, make_net):
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match=r"train_iter is empty \(0 batches\): nothing to train"):
        train(backend, make_net(), ([], test_iter))
    with pytest.raises(ValueError, match=r"test_iter is empty \(0 batches\): nothing to "
                                         r"evaluate"):
        train(backend, make_net(), (train_iter, []))
    with pytest.raises(ValueError, match="test_iter is None: train_ch6 .* pass both"):
        train(backend, make_net(), (train_iter, None))
    with pytest.raises(ValueError, match="has no length.*not a generator"):
        train(backend, make_net(), ((b for b in train_iter), test_iter))


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "xla"])
def test_labels_beyond_the_outputs_are_named_tensorflow(tiny, compile):
    train_iter, test_iter = d2ltf.load_data_fashion_mnist(64)
    too_many = d2ltf.ArrayLoader(np.zeros((64, 28, 28), np.uint8), np.full(64, 12), 64)
    with pytest.raises(ValueError, match="training labels go up to 12 but the network has 10 "
                                         "outputs .*give its last layer 13 outputs"):
        train(d2ltf, small_tf(), (too_many, test_iter), compile=compile)


def test_labels_beyond_the_outputs_are_named_pytorch(tiny):
    train_iter, test_iter = d2l.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match="training labels go up to 9 but the network has 5 "
                                         "outputs"):
        train(d2l, small_torch(5), (train_iter, test_iter))
    # A plain list of batches: its test labels are checked on the first batch.
    X, y = next(iter(test_iter))
    with pytest.raises(ValueError, match="test labels include -1; class indices start at 0"):
        train(d2l, small_torch(), (train_iter, [(X, y - 1)]))


@pytest.mark.parametrize("backend, make_net", [(d2l, small_torch), (d2ltf, small_tf)],
                         ids=["pytorch", "tensorflow"])
def test_more_outputs_than_classes_warns(tiny, backend, make_net):
    with pytest.warns(UserWarning, match="12 outputs but the training labels go up to 9 only"):
        train(backend, make_net(12), backend.load_data_fashion_mnist(64))


def test_float_and_one_hot_labels_are_named(tiny):
    train_iter, test_iter = d2l.load_data_fashion_mnist(64)
    X, y = next(iter(test_iter))
    with pytest.raises(ValueError, match="test labels are float32 numbers; train_ch6 wants "
                                         "integer class indices.*y.long\\(\\)"):
        train(d2l, small_torch(), (train_iter, [(X, y.float())]))
    one_hot = nn.functional.one_hot(y, 10).float()
    with pytest.raises(ValueError, match=r"shape \(64, 10\), one-hot .*y.argmax\(1\)"):
        train(d2l, small_torch(), (train_iter, [(X, one_hot)]))


def test_inputs_of_the_wrong_kind_are_named(tiny):
    train_iter, test_iter = d2l.load_data_fashion_mnist(64)
    X, y = next(iter(test_iter))
    with pytest.raises(ValueError, match="images as numpy.ndarray; PyTorch's train_ch6 needs "
                                         "torch tensors"):
        train(d2l, small_torch(), (train_iter, [(X.numpy(), y)]))
    with pytest.raises(ValueError, match=r"images of test_iter's batches are uint8.*X.float\(\) "
                                         r"/ 255"):
        train(d2l, small_torch(), (train_iter, [((X * 255).to(torch.uint8), y)]))
    with pytest.raises(ValueError, match="images are torch.float64 but the network's weights "
                                         "torch.float32"):
        train(d2l, small_torch(), (train_iter, [(X.double(), y)]))


def test_networks_train_ch6_cannot_train_are_named(tiny):
    loaders = d2l.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match=r"got a function: call it first \(net = small_torch"
                                         r"\(\)\)"):
        train(d2l, small_torch, loaders)
    with pytest.raises(ValueError, match=r"net is the class Sequential, not a network"):
        train(d2l, nn.Sequential, loaders)
    with pytest.raises(ValueError, match="has no parameters, so there is nothing to train"):
        train(d2l, nn.Sequential(nn.Flatten()), loaders)

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = small_torch()

        def forward(self, X):
            return self.body(X), self.body(X)

    with pytest.raises(ValueError, match="returns a tuple of 2, not one array of scores"):
        train(d2l, TwoHeads(), loaders)
    with pytest.raises(ValueError, match=r"scores of shape \(1, 4, 7, 7\).*Flatten"):
        train(d2l, nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(4)), loaders)


def test_networks_train_ch6_cannot_train_are_named_tensorflow(tiny):
    loaders = d2ltf.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match="net is the class Sequential, not a network"):
        train(d2ltf, keras.Sequential, loaders)
    with pytest.raises(ValueError, match="has no trainable weights"):
        train(d2ltf, lambda: keras.Sequential([keras.Input((28, 28, 1)),
                                               keras.layers.Flatten()]), loaders)


def test_numpy_and_tensor_numbers_are_accepted(tiny):
    loaders = d2l.load_data_fashion_mnist(64)
    result = train(d2l, small_torch(), loaders, np.int64(1), lr=np.float32(0.1),
                   seed=torch.tensor(3))
    assert result.lr == pytest.approx(0.1) and type(result.lr) is float
    assert result.extra["seed"] == 3 and result.epochs == 1
    with pytest.raises(ValueError, match="seed=-1 is outside 0 to 4294967295"):
        train(d2l, small_torch(), loaders, seed=-1)
    with pytest.raises(ValueError, match=r"num_epochs must be a positive int, got 2.0: write 2"):
        train(d2l, small_torch(), loaders, 2.0)


def test_batch_norm_with_a_lone_last_example_says_how_to_drop_it(tiny, monkeypatch):
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "129")  # batches of 64, 64 and 1
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.BatchNorm1d(16), nn.ReLU(),
                        nn.Linear(16, 10))
    with pytest.raises(ValueError, match="batch 3 holds a single example, and batch "
                                         "normalization cannot.*drop_last=True") as info:
        train(d2l, net, d2l.load_data_fashion_mnist(64))
    assert "more than 1 value per channel" in str(info.value.__cause__)


def test_checkpoint_paths_that_cannot_be_written_are_refused_before_training(
        tiny, tmp_path, monkeypatch):
    loaders = d2l.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match=r"ends in '/', so it names a folder.*runs/run.ckpt"):
        train(d2l, small_torch(), loaders, checkpoint=f"{tmp_path}/runs/")

    def no_room(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(ck.tempfile, "mkstemp", no_room)
    trained = []
    monkeypatch.setattr(loop, "_fit", lambda *a, **k: trained.append(1))
    with pytest.raises(PermissionError, match="folder .* is not writable .*Permission denied"):
        train(d2l, small_torch(), loaders, checkpoint=tmp_path / "run.ckpt")
    assert trained == []  # refused before the first epoch


def test_a_failed_save_says_the_previous_checkpoint_is_intact(tiny, tmp_path, monkeypatch):
    loaders = d2l.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    train(d2l, small_torch(), loaders, 1, checkpoint=path)
    before = path.read_bytes()
    real = ck.atomic_write

    def disk_full(target, write):
        if target == path:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(target, write)

    monkeypatch.setattr(ck, "atomic_write", disk_full)
    with pytest.raises(OSError, match=r"could not write the checkpoint .* after epoch 2 \(No "
                                      r"space left on device\); the previous checkpoint \(after "
                                      r"epoch 1\) is intact. The disk is full"):
        train(d2l, small_torch(), loaders, 2, checkpoint=path)
    assert path.read_bytes() == before


def test_two_runs_on_one_checkpoint_do_not_overwrite_each_other(tiny, tmp_path):
    loaders = d2l.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    with ck.RunLock(path):  # another run is training on it
        with pytest.raises(ck.CheckpointInUseError, match=r"another run is writing the "
                                                          r"checkpoint .*run.ckpt \(process "):
            train(d2l, small_torch(), loaders, checkpoint=path)
        assert not path.exists()
    train(d2l, small_torch(), loaders, checkpoint=path)  # free again once it has finished
    assert path.exists() and not (tmp_path / "run.ckpt.lock").exists()


def test_a_diverging_loss_warns_before_it_becomes_nan():
    watch = loop.StepWatch(training.Progress(1, 4, enabled=False), epoch=0, step=0, read=list,
                           check_every=1)
    with pytest.warns(RuntimeWarning, match="grew from 2.3 to 3.1e\\+03 by step 3: training "
                                            "is diverging"):
        for i, loss in enumerate([2.3, 40.0, 3100.0]):
            watch.after_step(i, loss, loss_sum=0.0, correct=0, n=i + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once is enough
        watch.after_step(3, 1e21, loss_sum=0.0, correct=0, n=4)
    with pytest.raises(training.NonFiniteLossError, match="or labels lie outside"):
        watch.after_step(0, float("nan"), loss_sum=0.0, correct=0, n=1)
