"""The Fashion-MNIST loaders of both backends: same data, same contract."""
import numpy as np
import pytest

from d2lmini import config
from d2lmini.data import fashion_mnist
from d2lmini import tensorflow as d2ltf  # before TensorFlow
from d2lmini import torch as d2l


@pytest.fixture
def small(monkeypatch, no_budget):
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "600")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "300")


def as_numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def test_real_files_have_the_published_sizes():
    X, y, Xt, yt = fashion_mnist.load_arrays()
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28)
    assert X.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [6000] * 10    # balanced classes
    assert np.bincount(yt).tolist() == [1000] * 10


def test_both_backends_give_the_same_shapes_dtypes_and_ranges(small, capsys):
    tr, te = d2l.load_data_fashion_mnist(64)
    tr_tf, te_tf = d2ltf.load_data_fashion_mnist(64)
    assert "600 of 60,000 training" in capsys.readouterr().out  # says it is budgeted
    X, y = next(iter(te))
    X_tf, y_tf = next(iter(te_tf))
    assert tuple(X.shape) == (64, 1, 28, 28) and tuple(X_tf.shape) == (64, 28, 28, 1)
    assert str(X.dtype) == "torch.float32" and X_tf.dtype.name == "float32"
    assert str(y.dtype) == "torch.int64" and y_tf.dtype.name == "int32"
    # The test split is not shuffled: both frameworks see the same first batch.
    np.testing.assert_allclose(as_numpy(X)[:, 0], as_numpy(X_tf)[..., 0], atol=1e-6)
    np.testing.assert_array_equal(as_numpy(y), as_numpy(y_tf))
    for loader in (tr, te, tr_tf, te_tf):
        values = np.concatenate([as_numpy(b[0]).ravel() for b in loader])
        assert 0.0 <= values.min() and values.max() <= 1.0 and values.max() > 0.99
    assert len(tr) == len(tr_tf) == 10 and tr.num_examples == tr_tf.num_examples == 600


@pytest.mark.parametrize("resize, size", [(224, (224, 224)), ((32, 48), (32, 48)), (14, (14, 14))])
def test_resize_happens_per_batch(small, resize, size):
    X, _ = next(iter(d2l.load_data_fashion_mnist(8, resize=resize)[0]))
    X_tf, _ = next(iter(d2ltf.load_data_fashion_mnist(8, resize=resize)[0]))
    assert tuple(X.shape) == (8, 1, *size)
    assert tuple(X_tf.shape) == (8, *size, 1)


def test_resize_does_not_store_a_resized_copy(small):
    tr, _ = d2l.load_data_fashion_mnist(8, resize=224)
    assert tr.images.dtype.itemsize == 1 and tuple(tr.images.shape[2:]) == (28, 28)


def test_training_order_is_shuffled_per_epoch_and_reproducible(small):
    def epoch_labels(loader):
        return np.concatenate([as_numpy(y) for _, y in loader])

    for backend in (d2l, d2ltf):
        a, _ = backend.load_data_fashion_mnist(50)
        b, _ = backend.load_data_fashion_mnist(50)
        first, second = epoch_labels(a), epoch_labels(a)
        assert not np.array_equal(first, second), "epochs must be reshuffled"
        assert sorted(first) == sorted(second)
        np.testing.assert_array_equal(first, epoch_labels(b))   # same seed, same order
        np.testing.assert_array_equal(second, epoch_labels(b))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "256", None, True])
def test_bad_batch_size_is_a_clear_value_error(bad):
    for backend in (d2l, d2ltf):
        with pytest.raises(ValueError, match="batch_size"):
            backend.load_data_fashion_mnist(bad)


@pytest.mark.parametrize("bad", [0, -224, (224,), (0, 10), "224", 22.4, 100000])
def test_bad_resize_is_a_clear_value_error(bad):
    for backend in (d2l, d2ltf):
        with pytest.raises(ValueError, match="resize"):
            backend.load_data_fashion_mnist(32, resize=bad)


def test_quick_mode_subsamples_and_caps_epochs(monkeypatch, no_budget):
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    b = config.budget()
    assert (b.train_examples, b.test_examples, b.epochs) == (2000, 1000, 2)
    assert b.cap_epochs(10) == 2 and b.cap_epochs(1) == 1
    tr, te = d2l.load_data_fashion_mnist(256)
    assert (tr.num_examples, tr.total_examples, te.num_examples) == (2000, 60000, 1000)


def test_bad_budget_setting_says_what_to_do(monkeypatch, no_budget):
    monkeypatch.setenv("D2LMINI_MAX_EPOCHS", "ten")
    with pytest.raises(ValueError, match="D2LMINI_MAX_EPOCHS"):
        config.budget()


# ---------------------------------------------------------------- an incomplete D2LMINI_DATA_DIR
@pytest.fixture
def three_of_four(tmp_path, monkeypatch):
    """D2LMINI_DATA_DIR holding 3 of the 4 Fashion-MNIST files (only their presence is
    looked at), an empty cache and no network."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name in list(fashion_mnist.FILES)[:3]:
        (data_dir / name).write_bytes(b"")
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("D2LMINI_FASHION_MNIST_URL", "http://127.0.0.1:1/")
    return data_dir


def test_incomplete_data_dir_is_named_when_nothing_is_found(three_of_four, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", ())
    with pytest.raises(fashion_mnist.DataNotFoundError,
                       match=rf"Passed over:\n  - {three_of_four}: it lacks "
                             r"t10k-labels-idx1-ubyte.gz \(3 of the 4 files are there\)"):
        fashion_mnist.locate()


def test_incomplete_data_dir_is_named_when_another_folder_is_used(three_of_four, tmp_path,
                                                                   monkeypatch):
    system = tmp_path / "system"
    system.mkdir()
    for name in fashion_mnist.FILES:
        (system / name).write_bytes(b"")
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", (str(system),))
    with pytest.warns(UserWarning, match=rf"passed over {three_of_four}: it lacks "
                                         rf"t10k-labels-idx1-ubyte.gz .*using {system}"):
        assert fashion_mnist.locate() == system
