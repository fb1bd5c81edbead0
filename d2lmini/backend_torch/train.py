"""Training and evaluation of a classifier in PyTorch: ``train_ch6`` and friends."""
import time

import torch
from torch import nn

from .. import training
from ..training import NonFiniteLossError, TrainResult  # noqa: F401 (re-exported)
from .devices import resolve_device

__all__ = ["accuracy", "evaluate_accuracy", "init_xavier", "train_ch6", "TrainResult",
           "NonFiniteLossError"]

# How many steps may pass between two looks at the loss values: each look waits for the
# device, so we look rarely (on a GPU a per-step .item() would stall the pipeline).
CHECK_EVERY = 50


def accuracy(y_hat, y):
    """Number of correct predictions, as a 0-d tensor (no synchronisation).

    ``y_hat`` holds scores of shape (batch, classes); ``y`` labels of shape (batch,).
    """
    return (y_hat.argmax(dim=1) == y).sum()


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (a float in [0, 1]), in evaluation mode."""
    device = resolve_device(device) if device is not None else next(net.parameters()).device
    batches = data_iter.on(device) if hasattr(data_iter, "on") else data_iter
    was_training = net.training
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    total = 0
    with torch.no_grad():
        for X, y in batches:
            X, y = X.to(device), y.to(device)
            correct += accuracy(net(X), y)
            total += y.numel()
    net.train(was_training)
    return correct.item() / max(total, 1)


def init_xavier(module):
    """Xavier-uniform weights for linear and convolutional layers (apply with ``net.apply``)."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, verbose=True):
    """Train a classifier with SGD and cross-entropy; evaluate after every epoch.

    Weights of linear and convolutional layers are Xavier-initialized
    :cite:`glorot2010understanding`. In Jupyter a live plot shows train loss, train
    accuracy and test accuracy; in a terminal a progress bar. Training stops with
    :class:`NonFiniteLossError`, naming the step, if the loss becomes NaN or infinite.

    Parameters
    ----------
    net : torch.nn.Module
        Maps a batch ``X`` of shape (batch, C, H, W) to scores of shape (batch, classes).
    train_iter, test_iter : iterables of ``(X, y)``
        E.g. from :func:`load_data_fashion_mnist`.
    num_epochs : int
        Passes over the training data (capped by quick mode or ``D2LMINI_MAX_EPOCHS``).
    lr : float
        Learning rate.
    device : torch.device or str, optional
        Where to train; default :func:`try_gpu`.
    verbose : bool
        Show progress and print the summary line.

    Returns
    -------
    TrainResult
        Per-epoch history, throughput and what ran. Its summary line is printed, e.g.
        ``loss 0.325, train acc 0.881, test acc 0.871, 4700.9 examples/sec on cuda:0``.

    Example
    -------
    >>> train_iter, test_iter = load_data_fashion_mnist(256)             # doctest: +SKIP
    >>> result = train_ch6(net, train_iter, test_iter, 10, 0.9, try_gpu())  # doctest: +SKIP
    """
    from .. import config

    device = resolve_device(device)
    training.check_training_args(num_epochs, lr)
    budget = config.budget()
    epochs = budget.cap_epochs(num_epochs)
    net.apply(init_xavier)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = train_iter.on(device) if hasattr(train_iter, "on") else train_iter
    num_batches = len(batches)
    progress = training.Progress(epochs, num_batches, enabled=verbose)
    history = {"epoch": [], "train_loss": [], "train_acc": [], "test_acc": []}
    train_seconds, seen, step = 0.0, 0, 0
    try:
        for epoch in range(epochs):
            net.train()
            # Sums stay on the device; we read them only every few steps.
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), dtype=torch.int64, device=device)
            n, window = 0, []
            tic = time.perf_counter()
            for i, (X, y) in enumerate(batches):
                X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
                y_hat = net(X)
                loss = loss_fn(y_hat, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    window.append(loss.detach())
                    loss_sum += loss.detach() * y.shape[0]
                    correct += accuracy(y_hat, y)
                n += y.shape[0]
                step += 1
                last = i + 1 == num_batches
                if len(window) >= CHECK_EVERY or last or (i + 1) % progress.every() == 0:
                    training.first_nonfinite(torch.stack(window).tolist(), step - len(window) + 1)
                    window = []
                    progress.batch(epoch, i, loss_sum.item() / n, correct.item() / n)
            train_seconds += time.perf_counter() - tic
            seen += n
            test_acc = evaluate_accuracy(net, test_iter, device)
            history["epoch"].append(epoch + 1)
            history["train_loss"].append(loss_sum.item() / n)
            history["train_acc"].append(correct.item() / n)
            history["test_acc"].append(test_acc)
            progress.epoch(epoch, test_acc)
    finally:
        progress.close()
    result = TrainResult(
        framework="pytorch", device=str(device), history=history,
        examples_per_sec=seen / train_seconds if train_seconds else 0.0,
        train_examples=getattr(train_iter, "num_examples", seen // max(epochs, 1)),
        total_train_examples=getattr(train_iter, "total_examples", seen // max(epochs, 1)),
        test_examples=getattr(test_iter, "num_examples", 0),
        total_test_examples=getattr(test_iter, "total_examples", 0),
        epochs=epochs, requested_epochs=num_epochs,
        image_size=tuple(getattr(train_iter, "image_size", tuple(X.shape[2:]))),
        batch_size=getattr(train_iter, "batch_size", int(X.shape[0])), lr=lr,
        train_seconds=train_seconds, quick=budget.quick)
    if verbose:
        print(result.summary())
    return result

