"""``split_validation`` in both backends: a seeded, disjoint validation split of a training
loader, of the same class and with the same attributes, and clear errors."""
import re

import numpy as np
import pytest

from d2lmini.data import loading
from d2lmini import tensorflow as d2ltf  # before TensorFlow
from d2lmini import torch as d2l
from d2lmini.backend_tf import cifar10 as tf_cifar10, movie_reviews as tf_reviews
from d2lmini.backend_torch import cifar10 as pt_cifar10, movie_reviews as pt_reviews

BACKENDS = pytest.mark.parametrize("backend", [d2l, d2ltf], ids=["pytorch", "tensorflow"])
N = 60


def as_numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def tiny_images(n=N):
    """Fashion-MNIST-like uint8 images (n, 8, 8) whose first pixel is their index."""
    images = np.random.default_rng(0).integers(0, 255, (n, 8, 8), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n)
    return images, np.arange(n) % 10


def loader(backend, cls=None, **kwargs):
    images, labels = tiny_images()
    made = (cls or backend.ArrayLoader)(images, labels, 16, shuffle=True, seed=3, **kwargs)
    made.classes, made.data_name = tuple("abcdefghij"), "tiny"  # as the loading functions do
    return made


def indices(loader):
    """The examples a loader serves, by the index stored in their first pixel, in order."""
    out = []
    for X, _ in loader:  # (B, C, H, W) or (B, H, W, C): the first pixel is X[:, 0, 0, 0]
        out.extend(np.rint(as_numpy(X)[:, 0, 0, 0] * 255).astype(int).tolist())
    return out


@BACKENDS
def test_parts_are_disjoint_cover_the_data_and_have_the_asked_sizes(backend):
    original = loader(backend)
    train, valid = backend.split_validation(original, 15)
    assert train.num_examples == 45 and valid.num_examples == 15
    assert len(train) == 3 and len(valid) == 1
    seen_train, seen_valid = indices(train), indices(valid)
    assert len(seen_train) == 45 and len(seen_valid) == 15
    assert not set(seen_train) & set(seen_valid)
    assert sorted(seen_train + seen_valid) == list(range(N))
    assert original.num_examples == N   # the loader that was split is left as it was


@BACKENDS
def test_validation_is_unshuffled_and_training_reshuffles(backend):
    train, valid = backend.split_validation(loader(backend), 15)
    first, second = indices(valid), indices(valid)
    assert first == second == sorted(first)   # the original order, every pass
    assert indices(train) != indices(train)   # a new order each epoch


@BACKENDS
def test_the_same_seed_gives_the_same_split_and_another_seed_another(backend):
    def split(seed):
        return sorted(indices(backend.split_validation(loader(backend), 15, seed=seed)[1]))

    assert split(0) == split(0)
    assert split(0) != split(1)


def test_both_backends_hold_out_the_same_examples():
    def held_out(backend):
        return indices(backend.split_validation(loader(backend), 15, seed=7)[1])

    assert held_out(d2l) == held_out(d2ltf)


@BACKENDS
def test_the_parts_keep_the_class_and_the_attributes(backend):
    original = loader(backend)
    for part in backend.split_validation(original, 15):
        assert type(part) is type(original)
        assert part.classes == original.classes and part.data_name == "tiny"
        assert part.batch_size == 16 and part.image_size == (8, 8)
        assert part.total_examples == N


def test_the_keras_parts_have_their_own_datasets_for_fit():
    import keras
    train, valid = d2ltf.split_validation(loader(d2ltf), 15)
    assert sum(len(y) for _, y in valid.dataset) == 15
    assert sum(len(y) for _, y in train.dataset) == 45
    net = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(10, activation="softmax")])
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = net.fit(train.dataset, validation_data=valid.dataset, epochs=1, verbose=0,
                      shuffle=False)
    assert "val_accuracy" in history.history


@pytest.mark.parametrize("backend, module", [(d2l, pt_cifar10), (d2ltf, tf_cifar10)],
                         ids=["pytorch", "tensorflow"])
def test_training_part_keeps_augmentation_and_validation_has_none(backend, module):
    original = loader(backend, cls=module._CifarLoader, augment=True)
    train, valid = backend.split_validation(original, 15)
    assert type(train) is type(valid) is module._CifarLoader
    assert train.augment and not valid.augment
    X, _ = next(iter(valid))
    assert 3 in tuple(X.shape)[1:] and 8 in tuple(X.shape)[1:]   # one channel repeated to 3


@pytest.mark.parametrize("backend, module", [(d2l, pt_reviews), (d2ltf, tf_reviews)],
                         ids=["pytorch", "tensorflow"])
def test_loaders_of_token_ids_split_too(backend, module):
    tokens = np.arange(40).reshape(20, 2)
    original = module._TokenLoader(tokens, np.arange(20) % 2, 4, shuffle=True)
    train, valid = backend.split_validation(original, 5)
    ids = [int(v) for X, _ in valid for v in as_numpy(X)[:, 0]]
    assert len(ids) == 5 and train.num_examples == 15 and train.sequence_length == 2
    assert set(ids) <= set(range(0, 40, 2))


@BACKENDS
@pytest.mark.parametrize("bad", [0, -1, N, N + 5, 1.5, True, "10"])
def test_an_impossible_size_is_a_clear_value_error(backend, bad):
    with pytest.raises(ValueError, match=f"n_valid must be a whole number from 1 to {N - 1} "
                                         f".*got {re.escape(repr(bad))}$"):
        backend.split_validation(loader(backend), bad)


@BACKENDS
def test_a_bad_seed_and_a_foreign_loader_are_refused(backend):
    with pytest.raises(ValueError, match="seed must be an int, got '0'"):
        backend.split_validation(loader(backend), 5, seed="0")
    with pytest.raises(TypeError, match="split_validation takes a d2lmini loader"):
        backend.split_validation([(1, 2)], 1)


def test_split_indices_is_a_seeded_partition():
    train_idx, valid_idx = loading.split_indices(100, 20, seed=5)
    assert train_idx.shape == (80,) and valid_idx.shape == (20,)
    assert (np.diff(train_idx) > 0).all() and (np.diff(valid_idx) > 0).all()
    assert sorted([*train_idx, *valid_idx]) == list(range(100))
    assert np.array_equal(valid_idx, loading.split_indices(100, 20, seed=5)[1])
