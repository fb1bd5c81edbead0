"""The framework-free half of the data loaders: argument checks and the run budget.

Both backends' ``load_data_*`` functions call :func:`check_batch_size`,
:func:`check_resize` and :func:`apply_budget`, then wrap the numpy arrays in their
framework's iterator: images (:func:`check_arrays`) or sentences as token ids
(:func:`check_tokens`).
"""
import numbers

import numpy as np

from .. import config


def check_arrays(images, labels):
    """``images`` as a uint8 array of shape (N, H, W) or (N, H, W, C), with one label each;
    ``ValueError`` otherwise.

    >>> check_arrays(np.zeros((2, 4, 4), np.uint8), [0, 1]).shape
    (2, 4, 4)
    >>> check_arrays(np.zeros((2, 4, 4)), [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: images must be uint8 of shape (N, H, W) or (N, H, W, C), got float64 (2, 4, 4)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise ValueError(f"images must be uint8 of shape (N, H, W) or (N, H, W, C), got "
                         f"{images.dtype} {images.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    return images


def check_tokens(tokens, labels):
    """``tokens`` as an integer array of shape (N, L) of token ids (0 or more), with one label
    each; ``ValueError`` otherwise.

    >>> check_tokens(np.array([[5, 2, 0], [1, 0, 0]]), [1, 0]).shape
    (2, 3)
    >>> check_tokens(np.zeros((2, 3), np.float32), [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: tokens must be integer token ids of shape (N, L), got float32 (2, 3)
    """
    tokens = np.asarray(tokens)
    if not np.issubdtype(tokens.dtype, np.integer) or tokens.ndim != 2:
        raise ValueError(f"tokens must be integer token ids of shape (N, L), got "
                         f"{tokens.dtype} {tokens.shape}")
    if tokens.size and tokens.min() < 0:
        raise ValueError(f"token ids must be 0 or more (0 pads), got {tokens.min()}")
    if len(tokens) != len(labels):
        raise ValueError(f"{len(tokens)} token sequences but {len(labels)} labels")
    return tokens



def prepare_tokens(loader, tokens, labels, resize=None):
    """The framework-free half of a token loader's ``_prepare``: refuse ``resize``, check
    the ids (:func:`check_tokens`), and set ``loader.sequence_length`` and
    ``loader.image_size``; return the checked (N, L) array.

    ``train_ch6``'s run record reads ``image_size`` as (height, width): for sentences it is
    one row of ``L`` tokens.

    >>> class Loader: pass
    >>> loader = Loader()
    >>> prepare_tokens(loader, np.array([[5, 2, 0]]), [1]).shape, loader.image_size
    ((1, 3), (1, 3))
    >>> prepare_tokens(loader, np.array([[5, 2, 0]]), [1], resize=96)
    Traceback (most recent call last):
    ...
    ValueError: resize is for images; sentences keep their max_len tokens, got resize=96
    """
    if resize is not None:
        raise ValueError(f"resize is for images; sentences keep their max_len tokens, "
                         f"got resize={resize!r}")
    tokens = check_tokens(tokens, labels)
    loader.sequence_length = tokens.shape[1]
    loader.image_size = (1, loader.sequence_length)
    return tokens


def fingerprint(loader, images, labels, shuffle):
    """What identifies the examples a loader serves, for a checkpoint
    (:func:`d2lmini.checkpoint.data_fingerprint`): a hash of the ``images`` (or token ids)
    and ``labels`` arrays, the seed of their order, shuffling, the image size and the kind
    of loader. Two budgets that keep other examples, or another ``D2LMINI_SEED``'s
    subsample, differ in ``"examples"``.

    >>> class Loader: seed, image_size = 0, (28, 28)
    >>> a = fingerprint(Loader(), np.zeros((2, 28, 28), np.uint8), np.array([0, 1]), True)
    >>> b = fingerprint(Loader(), np.zeros((2, 28, 28), np.uint8), np.array([1, 0]), True)
    >>> a["examples"] == b["examples"], a["seed"], a["image_size"]
    (False, 0, [28, 28])
    """
    import hashlib
    digest = hashlib.sha256()
    for array in (images, labels):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.data)
    size = getattr(loader, "image_size", None)
    return {"examples": digest.hexdigest()[:16], "seed": getattr(loader, "seed", None),
            "shuffle": bool(shuffle), "image_size": None if size is None else list(size),
            "loader": type(loader).__name__}


class PassCounter:
    """The epoch count of a shuffled loader. A loader sets ``self._passes = [0]`` once; the
    copies that its ``on(device)`` makes share that list, hence the count."""

    @property
    def epoch(self):
        """Complete passes so far (shuffled loaders only): the next pass's order is seeded
        by ``seed + epoch``. Settable, e.g. to resume a run."""
        return self._passes[0]

    @epoch.setter
    def epoch(self, value):
        self._passes[0] = int(value)


def check_batch_size(batch_size):
    """Return ``batch_size`` if it is a positive whole number, else raise ``ValueError``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive whole number such as 256, "
                         f"got {batch_size!r}")
    return int(batch_size)


def check_resize(resize, native):
    """Normalize ``resize`` to an ``(height, width)`` tuple (``native`` when ``None``).

    Allowed: ``None``, a positive int (square images), or a pair of positive ints.

    >>> check_resize(None, (28, 28)), check_resize(224, (28, 28)), check_resize((32, 48), (28, 28))
    ((28, 28), (224, 224), (32, 48))
    """
    if resize is None:
        return tuple(native)
    if isinstance(resize, numbers.Integral) and not isinstance(resize, bool):
        resize = (resize, resize)
    if (isinstance(resize, (tuple, list)) and len(resize) == 2
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
                    for v in resize)):
        if max(resize) > 4096:
            raise ValueError(f"resize={resize!r} is larger than 4096 pixels; "
                             "CNNs in this book use at most 224")
        return int(resize[0]), int(resize[1])
    raise ValueError(f"resize must be None, a positive int such as 224, or a pair (height, "
                     f"width) of positive ints; got {resize!r}")


def apply_budget(images, labels, split):
    """Subsample ``split`` ("train" or "test") as quick mode or ``D2LMINI_MAX_*`` ask.

    Returns ``(images, labels, total)`` where ``total`` is the size before subsampling.
    """
    budget = config.budget()
    limit = budget.train_examples if split == "train" else budget.test_examples
    total = len(labels)
    images, labels = subsample(images, labels, limit, seed=config.seed())
    return images, labels, total


def build_loaders(loader_cls, arrays, batch_size, resize, name, train_kwargs=None, **kwargs):
    """Budgeted train and test loaders of one backend over ``arrays``.

    ``arrays`` is ``(train_images, train_labels, test_images, test_labels)`` as numpy;
    ``loader_cls`` a backend's ``ArrayLoader`` (or a subclass): ``kwargs`` go to both
    loaders, ``train_kwargs`` (e.g. ``{"augment": True}``) to the training loader only. The
    training loader shuffles with the configured seed; a line says when a budget applies.
    """
    X_train, y_train, X_test, y_test = arrays
    X_train, y_train, n_train = apply_budget(X_train, y_train, "train")
    X_test, y_test, n_test = apply_budget(X_test, y_test, "test")
    train_iter = loader_cls(X_train, y_train, batch_size, shuffle=True, resize=resize,
                            total_examples=n_train, seed=config.seed(), **kwargs,
                            **(train_kwargs or {}))
    test_iter = loader_cls(X_test, y_test, batch_size, shuffle=False, resize=resize,
                           total_examples=n_test, **kwargs)
    note = describe(name, train_iter, test_iter)
    if note:
        print(note)
    return train_iter, test_iter


def describe(name, train_iter, test_iter):
    """One line saying what a loader returned, printed when a budget is in force."""
    budget = config.budget()
    if not budget.limited:
        return None
    mode = "quick mode" if budget.quick else "budget"
    length = getattr(train_iter, "sequence_length", None)  # a loader of token ids
    size = (f"sentences of {length} tokens" if length else
            f"{train_iter.image_size[0]}x{train_iter.image_size[1]} images")
    return (f"{name} ({mode}): {train_iter.num_examples:,} of {train_iter.total_examples:,} "
            f"training and {test_iter.num_examples:,} of {test_iter.total_examples:,} test "
            f"examples, {size}")


def subsample(images, labels, n, seed=0):
    """A seeded random subset of ``n`` examples, in their original order.

    All examples are returned when ``n`` is None or at least the number of examples.
    """
    if n is None or n >= len(labels):
        return images, labels
    order = np.sort(np.random.default_rng(seed).permutation(len(labels))[:n])
    return images[order], labels[order]


def split_indices(n, n_valid, seed=0):
    """A seeded split of ``n`` examples into training and validation indices.

    The framework-free half of the backends' ``split_validation``: ``n_valid`` indices
    drawn at random (``numpy.random.default_rng(seed)``) go to validation, the others to
    training; each part is in increasing order, and together they are ``0 .. n-1`` once.

    Parameters
    ----------
    n : int
        Number of examples to split.
    n_valid : int
        Examples held out for validation: a whole number from 1 to ``n - 1``.
    seed : int
        Seed of the draw; the same seed gives the same split.

    Returns
    -------
    train_idx, valid_idx : int64 arrays, shapes (n - n_valid,) and (n_valid,)

    Raises
    ------
    ValueError
        ``n_valid`` is not a whole number from 1 to ``n - 1`` (both parts must be
        non-empty), or ``seed`` is not an int.

    Example
    -------
    >>> train_idx, valid_idx = split_indices(10, 3, seed=0)
    >>> len(train_idx), len(valid_idx), sorted([*train_idx, *valid_idx]) == list(range(10))
    (7, 3, True)
    >>> split_indices(10, 10)
    Traceback (most recent call last):
    ...
    ValueError: n_valid must be a whole number from 1 to 9 (10 examples: both parts need at least one), got 10
    """
    if isinstance(n_valid, bool) or not isinstance(n_valid, numbers.Integral) \
            or not 1 <= n_valid <= n - 1:
        raise ValueError(f"n_valid must be a whole number from 1 to {n - 1} ({n:,} examples: "
                         f"both parts need at least one), got {n_valid!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an int, got {seed!r}")
    order = np.random.default_rng(int(seed)).permutation(n)
    return np.sort(order[n_valid:]), np.sort(order[:int(n_valid)])


def split_loader(loader, images, labels, shuffle, n_valid, seed=0):
    """The framework-free body of the backends' ``split_validation``.

    ``images`` and ``labels`` are ``loader``'s examples as numpy arrays, in the layout its
    class takes (images (N, H, W, C) or token ids (N, L)), and ``shuffle`` whether it
    reshuffles. Two new loaders of ``type(loader)`` are built over the parts that
    :func:`split_indices` draws, with the batch size, image size, seed, device and
    ``total_examples`` of ``loader``: the training one shuffles (as ``loader`` does) and
    keeps ``augment``; the validation one neither shuffles nor augments. Attributes that
    the loading function set after building ``loader`` (``classes``, ``data_name``,
    ``vocab``) are copied to both.
    """
    train_idx, valid_idx = split_indices(len(labels), n_valid, seed)
    cls = type(loader)
    # Token loaders take no resize; image loaders are rebuilt at the size they serve.
    resize = None if hasattr(loader, "sequence_length") else tuple(loader.image_size)
    augments = "augment" in vars(loader)

    def build(idx, shuffles, augment):
        extra = {"augment": augment} if augments else {}
        new = cls(images[idx], labels[idx], loader.batch_size, shuffle=shuffles,
                  resize=resize, total_examples=loader.total_examples, seed=loader.seed,
                  **extra)
        for name, value in vars(loader).items():  # set by the loading function
            if name not in vars(new):
                setattr(new, name, value)
        return new if loader.device is None else new.on(loader.device)

    return (build(train_idx, shuffle, augments and loader.augment),
            build(valid_idx, False, False))
