"""The epoch loop of ``train_ch6``, written once for both frameworks.

A backend's ``train_ch6`` prepares the network, the optimizer and the step for its
framework, then hands :func:`fit` a :class:`Steps`: four short functions that train one
epoch, evaluate, save and load a checkpoint. Everything else happens here, the same way in
PyTorch and TensorFlow:

* the budget (quick mode, ``D2LMINI_MAX_EPOCHS``) caps the epochs;
* a checkpoint is resumed, its finished epochs replayed on the progress display, and the
  loader's epoch counter restored, so the next epoch sees the order it would have seen;
* the losses are read a window at a time (:class:`StepWatch`), and a NaN or infinite one
  stops training with the step that produced it;
* after each epoch the record and the checkpoint are written;
* the result (:class:`~d2lmini.training.TrainResult`) is built and its summary printed.
"""
import contextlib
import dataclasses
import errno
import time
import warnings
from typing import Callable

from . import checkpoint as checkpoints
from . import config
from .training import (NonFiniteLossError, Progress, TrainResult, caller_stacklevel,
                       first_nonfinite)

# How many steps may pass between two looks at the loss values: each look waits for the
# device, so we look rarely (on a GPU, reading every step's loss would stall the pipeline).
CHECK_EVERY = 50
# ... but at least this often, so that a slow step (a large network on a CPU takes seconds)
# does not leave the progress bar still for minutes.
CHECK_SECONDS = 10.0
# A loss this many times its first value is diverging, even while it stays finite (a
# learning rate of 1e6 took LeNet's loss to 1e21 without a NaN).
GROWTH_WARNING = 1000.0


@dataclasses.dataclass
class Steps:
    """What a backend gives :func:`fit`: its framework's half of training.

    ``train_epoch(watch)`` runs one pass over the training data, calling
    ``watch.after_step`` after every step, and returns ``(mean loss, accuracy, examples)``.
    ``evaluate()`` returns the test accuracy. ``save(path, record)`` writes the weights,
    the optimizer state and ``record`` to ``path`` (atomically); ``load(path)`` reads it
    and returns ``(record, restore)``: :func:`fit` checks the record against this run's
    settings, then calls ``restore()`` to put the weights and optimizer state in place.
    ``read_losses(window)`` turns a list of 0-d loss tensors into floats, with one wait for
    the device.
    """

    train_epoch: Callable
    evaluate: Callable
    save: Callable
    load: Callable
    read_losses: Callable


class StepWatch:
    """Keeps the losses of the last steps and looks at them every few steps.

    A look reads the window of losses (one wait for the device), stops training with
    :class:`~d2lmini.training.NonFiniteLossError` if one is NaN or infinite, and gives the
    progress display a point. Looks happen every :data:`CHECK_EVERY` steps or
    :data:`CHECK_SECONDS` seconds, whichever comes first, at each point of the plot, and at
    the end of the epoch; a look made for the time moves the progress bar, not the plot.
    A loss that grows to :data:`GROWTH_WARNING` times the first one looked at gives one
    ``RuntimeWarning``: training diverges even where no value is NaN yet. ``first`` is a
    dict shared by the watches of one run (its ``"loss"`` is that first value).

    >>> watch = StepWatch(Progress(1, 3, enabled=False), epoch=0, step=0, read=list)
    >>> for i, loss in enumerate([2.3, 2.1, float("nan")]):
    ...     watch.after_step(i, loss, loss_sum=0.0, correct=0, n=i + 1)
    Traceback (most recent call last):
    ...
    d2lmini.training.NonFiniteLossError: the training loss became nan at step 3: ...
    """

    def __init__(self, progress, epoch, step, read, check_every=CHECK_EVERY,
                 check_seconds=CHECK_SECONDS, first=None):
        self.progress, self.epoch, self.step, self.read = progress, epoch, step, read
        self.check_every, self.check_seconds, self.window = check_every, check_seconds, []
        self.last_look = time.monotonic()
        self.first = {} if first is None else first

    def after_step(self, i, loss, loss_sum, correct, n):
        """Note step ``i`` (0-based, in this epoch) and its loss (a 0-d tensor).

        ``loss_sum`` and ``correct`` are this epoch's sums so far over ``n`` examples (0-d
        tensors, or numbers); they are read only when the watch looks, so in between they
        stay on the device.
        """
        self.window.append(loss)
        self.step += 1
        point = i + 1 == self.progress.num_batches or \
            (i + 1) % self.progress.batches_per_point() == 0
        late = time.monotonic() - self.last_look >= self.check_seconds
        if point or late or len(self.window) >= self.check_every:
            losses = self.read(self.window)
            bad = first_nonfinite(losses, self.step - len(self.window) + 1)
            if bad is not None:
                raise NonFiniteLossError(
                    f"the training loss became {bad[1]} at step {bad[0]}: training stopped. "
                    "The learning rate is probably too high for this network (try dividing "
                    "it by 10), or the input holds NaNs, or labels lie outside 0 to the "
                    "number of outputs - 1.")
            self._watch_growth(losses)
            self.window, self.last_look = [], time.monotonic()
            self.progress.batch(self.epoch, i, float(loss_sum) / n, int(correct) / n,
                                plot=point)

    def _watch_growth(self, losses):
        """Warn once if a loss has grown to :data:`GROWTH_WARNING` times the first one."""
        if not losses or self.first.get("warned"):
            return
        start = self.first.setdefault("loss", losses[0])
        worst = max(losses)
        if start > 0 and worst >= GROWTH_WARNING * start:
            self.first["warned"] = True
            warnings.warn(f"the training loss grew from {start:.3g} to {worst:.3g} by step "
                          f"{self.step}: training is diverging. The learning rate is "
                          "probably too high for this network (try dividing it by 10)",
                          RuntimeWarning, stacklevel=caller_stacklevel())


def fit(steps, net, train_iter, test_iter, num_epochs, lr, *, framework, device, settings,
        precision_note, checkpoint=None, verbose=True, show_precision=False, extra=None,
        batch_shape=None, writer=True):
    """Train for the epochs the budget allows; return a :class:`TrainResult`.

    Parameters
    ----------
    steps : Steps
        The backend's half (see :class:`Steps`).
    net
        The network, kept in the result as ``result.net``.
    train_iter, test_iter
        The loaders: their ``batch_size``, ``num_examples``, ``total_examples``,
        ``image_size`` and ``epoch`` are read when they have them.
    num_epochs, lr
        As given to ``train_ch6`` (checked there).
    framework, device : str
        For the result: ``"pytorch"`` or ``"tensorflow"``, and where it ran.
    settings : dict
        ``shapes`` (weight shapes), ``precision`` (the dtype name), ``architecture``
        (a fingerprint), ``code`` (:func:`~d2lmini.checkpoint.code_fingerprints`) and
        ``optimizer`` (its name, default ``"sgd"``): what a checkpoint must match to be
        resumed, with the seed (``extra["seed"]``) and the training data
        (:func:`~d2lmini.checkpoint.data_fingerprint`).
    precision_note : str
        How the run computed, in words: the result's ``extra["precision"]``.
    checkpoint : str or path, optional
        Resumed if it exists (and written by this same run: see
        :func:`~d2lmini.checkpoint.check_compatible`), written after every epoch, locked
        while the run goes on (:class:`~d2lmini.checkpoint.RunLock`); ignored in quick
        mode.
    verbose : bool
        Progress display and summary line.
    show_precision : bool
        Print ``precision_note`` before the summary (``train_ch6`` does when ``amp`` was
        asked for).
    extra : dict
        Stored in the result's ``extra`` after ``precision``, ``epoch_seconds`` and
        ``resumed_from_epoch``.
    batch_shape : callable, optional
        Returns ``(image_size, batch_size)`` of a training batch, for loaders that do not
        say (any iterable of ``(X, y)``).
    writer : bool
        Whether this process writes the checkpoint (``steps.save`` does): it alone locks the
        file and checks that its folder is writable. In data-parallel training every process
        resumes from the checkpoint and one writes it.
    """
    budget = config.budget()
    epochs = budget.cap_epochs(num_epochs)
    ckpt_path = _resume_path(checkpoint, verbose)
    seed = (extra or {}).get("seed")
    record = checkpoints.new_record(
        lr, getattr(train_iter, "batch_size", None), getattr(train_iter, "num_examples", None),
        settings["shapes"], settings["precision"], settings["architecture"],
        settings.get("optimizer", "sgd"), seed=seed, code=settings.get("code"),
        # hashing the examples takes a fraction of a second: only a checkpoint needs it
        data=None if ckpt_path is None else checkpoints.data_fingerprint(train_iter))
    locked = ckpt_path is not None and writer
    with checkpoints.RunLock(ckpt_path) if locked else contextlib.nullcontext():
        if locked:
            checkpoints.check_writable(ckpt_path)
        if ckpt_path is not None:
            if ckpt_path.exists():
                record = _resume(steps, ckpt_path, record, train_iter, epochs, num_epochs)
                if verbose:
                    print(f"resuming from {ckpt_path.name}: {record['epochs_done']} of "
                          f"{epochs} epochs done")
        return _fit(steps, net, train_iter, test_iter, num_epochs, lr, epochs, record,
                    ckpt_path, budget, framework=framework, device=device,
                    precision_note=precision_note, verbose=verbose,
                    show_precision=show_precision, extra=extra, batch_shape=batch_shape)


def _fit(steps, net, train_iter, test_iter, num_epochs, lr, epochs, record, ckpt_path, budget,
         *, framework, device, precision_note, verbose, show_precision, extra, batch_shape):
    """The epochs of :func:`fit` after its checkpoint was resumed (or not)."""
    num_batches = len(train_iter)
    first_epoch = record["epochs_done"]
    progress = Progress(epochs, num_batches, enabled=verbose)
    _replay(progress, record, min(first_epoch, epochs), num_batches)
    epoch_seconds, first = [], {}
    try:
        for epoch in range(first_epoch, epochs):
            tic = time.perf_counter()
            watch = StepWatch(progress, epoch, record["step"], steps.read_losses, first=first)
            train_loss, train_acc, n = steps.train_epoch(watch)
            train_seconds = time.perf_counter() - tic
            test_acc = steps.evaluate()
            epoch_seconds.append(time.perf_counter() - tic)
            checkpoints.record_epoch(
                record, {"train_loss": train_loss, "train_acc": train_acc, "test_acc": test_acc},
                record["train_seconds"] + train_seconds, record["seen"] + n, watch.step,
                getattr(train_iter, "epoch", None), progress.points)
            if ckpt_path is not None:
                _save(steps, ckpt_path, record)
            progress.epoch(epoch, test_acc)
    finally:
        progress.close()
    result = _result(record, net, train_iter, test_iter, epochs, num_epochs, lr, framework,
                     device, budget.quick, batch_shape,
                     {"precision": precision_note, "epoch_seconds": epoch_seconds,
                      "resumed_from_epoch": first_epoch, **(extra or {})})
    if verbose:
        if show_precision:
            print(f"precision: {precision_note}")
        print(result.summary())
    return result


def _resume_path(checkpoint, verbose):
    checkpoint = checkpoints.skip_in_quick_mode(checkpoint, verbose)
    return None if checkpoint is None else checkpoints.resolve_path(checkpoint)


def _save(steps, path, record):
    """Write the checkpoint; a failed write (a full disk) says that the previous one holds."""
    try:
        steps.save(path, record)
    except OSError as e:
        done = record["epochs_done"] - 1
        before = (f"the previous checkpoint (after epoch {done}) is intact" if path.exists()
                  else "no earlier checkpoint was written")
        full = " The disk is full: free some space" if e.errno == errno.ENOSPC else " Fix it"
        raise OSError(e.errno, f"could not write the checkpoint {path} after epoch "
                      f"{record['epochs_done']} ({e.strerror or e}); {before}.{full}, or pass "
                      "another checkpoint path, then run the cell again to resume") from e


def _resume(steps, path, record, train_iter, epochs, num_epochs):
    """Load the checkpoint at ``path`` into the model and optimizer; return its record."""
    try:
        saved, restore = steps.load(path)
    except Exception as e:  # any unreadable file gets the same advice
        raise ValueError(f"cannot read the checkpoint {path} ({e}); delete it or pass "
                         "another checkpoint path") from e
    checkpoints.check_compatible(saved, record["settings"], path)
    checkpoints.check_epochs(saved, epochs, num_epochs, path)
    restore()
    if saved.get("loader_epoch") is not None and hasattr(train_iter, "epoch"):
        train_iter.epoch = saved["loader_epoch"]  # the next epoch sees the order it would have
    return saved


def _replay(progress, record, epochs_done, num_batches):
    """Show the first ``epochs_done`` epochs a checkpoint holds as they were drawn live.

    A checkpoint keeps the points of the live plot; one written before it did gets a point
    per epoch, the epoch's averages.
    """
    history = record["history"]
    points = record.get("points") or [
        [e, num_batches - 1, history["train_loss"][e], history["train_acc"][e]]
        for e in range(len(history["train_loss"]))]
    for e in range(epochs_done):
        for epoch, i, loss, acc in points:
            if epoch == e:
                progress.batch(e, i, loss, acc)
        progress.epoch(e, history["test_acc"][e])


def _result(record, net, train_iter, test_iter, epochs, num_epochs, lr, framework, device,
            quick, batch_shape, extra):
    seen, train_seconds = record["seen"], record["train_seconds"]
    image_size = getattr(train_iter, "image_size", None)
    batch_size = getattr(train_iter, "batch_size", None)
    if (image_size is None or batch_size is None) and batch_shape is not None:
        shown_size, shown_batch = batch_shape()
        image_size, batch_size = image_size or shown_size, batch_size or shown_batch
    length = getattr(train_iter, "sequence_length", None)  # a loader of token ids
    if length is not None:
        extra = {**extra, "sequence_length": int(length)}
    result = TrainResult(
        framework=framework, device=str(device), history=record["history"],
        examples_per_sec=seen / train_seconds if train_seconds else 0.0,
        train_examples=getattr(train_iter, "num_examples", seen // max(epochs, 1)),
        total_train_examples=getattr(train_iter, "total_examples", seen // max(epochs, 1)),
        test_examples=getattr(test_iter, "num_examples", 0),
        total_test_examples=getattr(test_iter, "total_examples", 0),
        epochs=epochs, requested_epochs=num_epochs, image_size=tuple(image_size),
        batch_size=int(batch_size), lr=lr, train_seconds=train_seconds, quick=quick,
        extra=extra)
    result.net = net
    return result
