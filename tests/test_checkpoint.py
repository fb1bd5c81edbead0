"""train_ch6(..., checkpoint=path): atomic saves every epoch, and a resumed run that ends
exactly where an uninterrupted one does (both backends, real Fashion-MNIST, a few seconds)."""
import numpy as np
import pytest

from d2lmini import tensorflow as d2ltf  # before TensorFlow
import keras
import torch
from torch import nn

from d2lmini import checkpoint as ck
from d2lmini import torch as d2l


@pytest.fixture
def tiny(monkeypatch, no_budget):
    """A real subset of Fashion-MNIST: 256 training and 128 test images."""
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "256")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "128")


def net_torch():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 7 * 7, 10))


def net_tf():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPool2D(4), keras.layers.Flatten(), keras.layers.Dropout(0.3),
        keras.layers.Dense(10)])


class Interrupting:
    """Wraps a loader; raises KeyboardInterrupt at batch ``at_batch`` of its ``at_call``-th
    iteration, like a user stopping the kernel in the middle of an epoch."""

    def __init__(self, loader, at_call, at_batch=2):
        self.loader, self.at_call, self.at_batch, self.calls = loader, at_call, at_batch, 0

    def __len__(self):
        return len(self.loader)

    def __getattr__(self, name):
        if name == "on":  # iterate through this wrapper, not a copy of the loader
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __iter__(self):
        self.calls += 1
        for i, batch in enumerate(self.loader):
            if self.calls == self.at_call and i == self.at_batch:
                raise KeyboardInterrupt
            yield batch


def weights_of(backend, result, net):
    if backend is d2l:
        return [p.detach().numpy().copy() for p in net.parameters()]
    return [v.numpy() for v in result.net.trainable_variables]


# The torch loop iterates once per epoch; the TF loop also peeks at one batch first.
# Adam carries state between steps (two moments per weight): a resumed run must restore it.
@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("adam", 0.01)])
@pytest.mark.parametrize("backend, make_net, epoch2_call", [(d2l, net_torch, 2),
                                                            (d2ltf, net_tf, 3)],
                         ids=["pytorch", "tensorflow"])
def test_interrupted_run_resumes_to_the_same_result(tiny, tmp_path, backend, make_net,
                                                    epoch2_call, optimizer, lr, capsys):
    device = backend.try_gpu()
    keras.utils.set_random_seed(0)  # tf.data's shuffle order depends on the global seed too
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    net = make_net()
    full = backend.train_ch6(net if backend is d2l else make_net, train_iter, test_iter, 3,
                             lr, device, verbose=False, optimizer=optimizer)
    expected = weights_of(backend, full, net)

    path = tmp_path / "runs" / "small.ckpt"
    keras.utils.set_random_seed(0)
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    stopper = Interrupting(train_iter, at_call=epoch2_call)
    with pytest.raises(KeyboardInterrupt):
        backend.train_ch6(make_net() if backend is d2l else make_net, stopper, test_iter, 3,
                          lr, device, verbose=False, checkpoint=path, optimizer=optimizer)
    assert path.exists() and not list(path.parent.glob(".*.tmp"))  # epoch 1 saved, no leftovers

    # A new process would start from fresh loaders and a freshly built network.
    keras.utils.set_random_seed(0)
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    net = make_net()
    resumed = backend.train_ch6(net if backend is d2l else make_net, train_iter, test_iter, 3,
                                lr, device, verbose=True, checkpoint=path,
                                optimizer=optimizer)
    assert "resuming from small.ckpt: 1 of 3 epochs done" in capsys.readouterr().out
    assert resumed.extra["resumed_from_epoch"] == 1 and len(resumed.extra["epoch_seconds"]) == 2
    assert resumed.history["epoch"] == [1, 2, 3]
    np.testing.assert_allclose(resumed.history["train_loss"], full.history["train_loss"],
                               rtol=1e-6)
    assert resumed.history["test_acc"] == full.history["test_acc"]
    for got, want in zip(weights_of(backend, resumed, net), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend, make_net", [(d2l, net_torch), (d2ltf, net_tf)],
                         ids=["pytorch", "tensorflow"])
def test_checkpoint_of_another_run_is_refused(tiny, tmp_path, backend, make_net):
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    net = make_net() if backend is d2l else make_net
    backend.train_ch6(net, train_iter, test_iter, 1, 0.1, backend.try_gpu(), verbose=False,
                      checkpoint=path)
    net = make_net() if backend is d2l else make_net
    with pytest.raises(ValueError, match="different run: lr=0.1"):
        backend.train_ch6(net, train_iter, test_iter, 2, 0.5, backend.try_gpu(),
                          verbose=False, checkpoint=path)
    net = make_net() if backend is d2l else make_net
    with pytest.raises(ValueError, match="different run: optimizer='sgd' \\(now 'adam'\\)"):
        backend.train_ch6(net, train_iter, test_iter, 2, 0.1, backend.try_gpu(),
                          verbose=False, checkpoint=path, optimizer="adam")
    # A finished run asked again returns its record without training.
    again = backend.train_ch6(make_net() if backend is d2l else make_net, train_iter,
                              test_iter, 1, 0.1, backend.try_gpu(), verbose=False,
                              checkpoint=path)
    assert again.history["epoch"] == [1] and again.extra["epoch_seconds"] == []


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "a.ckpt"
    ck.atomic_write(path, lambda f: f.write(b"epoch 1"))

    def broken(f):
        f.write(b"half of epoch 2")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        ck.atomic_write(path, broken)
    assert path.read_bytes() == b"epoch 1"
    assert [p.name for p in tmp_path.iterdir()] == ["a.ckpt"]


def test_checkpoint_path_must_be_a_file(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        ck.resolve_path(tmp_path)
    with pytest.raises(ValueError, match="file path"):
        ck.resolve_path(3)
    assert ck.resolve_path(tmp_path / "new" / "x.ckpt").parent.is_dir()


def test_unreadable_checkpoint_is_a_clear_error(tiny, tmp_path):
    path = tmp_path / "junk.ckpt"
    path.write_bytes(b"not a checkpoint")
    train_iter, test_iter = d2l.load_data_fashion_mnist(64)
    with pytest.raises(ValueError, match="cannot read the checkpoint"):
        d2l.train_ch6(net_torch(), train_iter, test_iter, 1, 0.1, "cpu", verbose=False,
                      checkpoint=path)


def activations_swapped(backend):
    """The same network with sigmoid instead of ReLU: same parameter shapes, another model."""
    if backend is d2l:
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Sigmoid(), nn.MaxPool2d(4),
                             nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 7 * 7, 10))
    return lambda: keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="sigmoid"),
        keras.layers.MaxPool2D(4), keras.layers.Flatten(), keras.layers.Dropout(0.3),
        keras.layers.Dense(10)])


@pytest.mark.parametrize("backend, make_net", [(d2l, net_torch), (d2ltf, net_tf)],
                         ids=["pytorch", "tensorflow"])
def test_checkpoint_of_another_architecture_is_refused(tiny, tmp_path, backend, make_net):
    """A student who swaps an activation in a chapter's cell must not get the old run back."""
    train_iter, test_iter = backend.load_data_fashion_mnist(64)
    path = tmp_path / "run.ckpt"
    backend.train_ch6(make_net() if backend is d2l else make_net, train_iter, test_iter, 1,
                      0.1, backend.try_gpu(), verbose=False, checkpoint=path)
    with pytest.raises(ValueError, match="the model's layers"):
        backend.train_ch6(activations_swapped(backend), train_iter, test_iter, 1, 0.1,
                          backend.try_gpu(), verbose=False, checkpoint=path)


def test_quick_mode_neither_reads_nor_writes_checkpoints(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    path = tmp_path / "real-run.ckpt"
    path.write_bytes(b"a real run's checkpoint")  # would be unreadable if it were read
    train_iter, test_iter = d2l.load_data_fashion_mnist(64)
    d2l.train_ch6(net_torch(), train_iter, test_iter, 1, 0.1, "cpu", checkpoint=path)
    assert "quick mode: not using the checkpoint real-run.ckpt" in capsys.readouterr().out
    assert path.read_bytes() == b"a real run's checkpoint"


@pytest.fixture
def live_plots(monkeypatch):
    """Every ``Progress`` the training loop makes, drawn as in a notebook (into a figure)."""
    from d2lmini import loop, training
    monkeypatch.setattr(training, "in_notebook", lambda: True)  # the plot, not the bar
    made = []

    class Kept(training.Progress):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(loop, "Progress", Kept)
    return made


@pytest.mark.parametrize("backend, make_net", [(d2l, net_torch), (d2ltf, net_tf)],
                         ids=["pytorch", "tensorflow"])
def test_a_finished_run_shown_again_draws_the_curves_it_drew_live(tiny, tmp_path, backend,
                                                                   make_net, live_plots):
    """A chapter's run shown from its checkpoint showed one point per epoch where the live
    run had drawn several: a one-epoch run's curves shrank to single dots."""
    train_iter, test_iter = backend.load_data_fashion_mnist(64)  # 4 batches, a point each
    path = tmp_path / "run.ckpt"
    for _ in range(2):  # the live run, then the same cell run again
        backend.train_ch6(make_net() if backend is d2l else make_net, train_iter, test_iter,
                          2, 0.1, backend.try_gpu(), checkpoint=path)
    live, shown = (p.animator for p in live_plots)
    assert len(live.X[0]) == 8 and len(live.X[2]) == 2  # 4 training points an epoch
    assert shown.X == live.X
    np.testing.assert_allclose(shown.Y[0], live.Y[0], rtol=1e-6)
    np.testing.assert_allclose(shown.Y[1], live.Y[1], rtol=1e-6)
    assert shown.Y[2] == live.Y[2]


def test_a_checkpoint_without_points_is_shown_one_point_an_epoch():
    """Checkpoints written before the live plot's points were kept still replay."""
    from d2lmini import loop, training
    record = ck.new_record(0.1, 64, 256, {}, "float32")
    del record["points"]
    ck.record_epoch(record, {"train_loss": 2.0, "train_acc": 0.3, "test_acc": 0.4}, 1.0, 256,
                    4, None)
    del record["points"]
    progress = training.Progress(1, 4, enabled=False)
    loop._replay(progress, record, 1, num_batches=4)
    assert progress.points == [[0, 3, 2.0, 0.3]]
