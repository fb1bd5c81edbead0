"""Training and evaluation of a classifier in TensorFlow: ``train_ch6`` and friends."""
import time

import keras
import tensorflow as tf

from .. import training
from ..training import NonFiniteLossError, TrainResult  # noqa: F401 (re-exported)
from .devices import resolve_device

__all__ = ["accuracy", "evaluate_accuracy", "init_xavier", "train_ch6", "TrainResult",
           "NonFiniteLossError"]

# How many steps may pass between two looks at the loss values: each look waits for the
# device, so we look rarely (on a GPU a per-step read would stall the pipeline).
CHECK_EVERY = 50


def accuracy(y_hat, y):
    """Number of correct predictions, as a 0-d tensor (no synchronisation).

    ``y_hat`` holds scores of shape (batch, classes); ``y`` labels of shape (batch,).
    """
    pred = tf.argmax(y_hat, axis=1, output_type=tf.int32)
    return tf.reduce_sum(tf.cast(pred == tf.cast(y, tf.int32), tf.int32))


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (a float in [0, 1]), in inference mode."""
    device = resolve_device(device)

    @tf.function(reduce_retracing=True)
    def correct_in(X, y):
        return accuracy(net(X, training=False), y)

    correct, total = 0, 0
    with tf.device(device):
        for X, y in data_iter:
            correct += int(correct_in(X, y))
            total += int(y.shape[0])
    return correct / max(total, 1)


def init_xavier(net):
    """Xavier-uniform weights for the dense and convolutional layers of a built model.

    Keras already initializes new ``Dense`` and ``Conv2D`` kernels this way
    (``glorot_uniform``); this re-draws them, so that a model trained once starts afresh.
    """
    init = keras.initializers.GlorotUniform()
    for layer in _walk(net):
        kernel = getattr(layer, "kernel", None)
        if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D)) and kernel is not None:
            kernel.assign(init(kernel.shape))


def _walk(layer):
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _walk(sub)


def _ends_in_softmax(net):
    last = net.layers[-1] if getattr(net, "layers", None) else None
    return getattr(last, "activation", None) is keras.activations.softmax or \
        isinstance(last, keras.layers.Softmax)


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, verbose=True):
    """Train a classifier with SGD and cross-entropy; evaluate after every epoch.

    Weights of dense and convolutional layers are Xavier-initialized
    :cite:`glorot2010understanding`. In Jupyter a live plot shows train loss, train
    accuracy and test accuracy; in a terminal a progress bar. Training stops with
    :class:`NonFiniteLossError`, naming the step, if the loss becomes NaN or infinite.

    Parameters
    ----------
    net : keras.Model, or a function returning one
        Maps a batch ``X`` of shape (batch, H, W, C) to scores of shape (batch, classes)
        (logits; a final softmax is detected and handled). A function is called on
        ``device``, as in ``def net(): return keras.Sequential([...])``.
    train_iter, test_iter : iterables of ``(X, y)``
        E.g. from :func:`load_data_fashion_mnist`.
    num_epochs : int
        Passes over the training data (capped by quick mode or ``D2LMINI_MAX_EPOCHS``).
    lr : float
        Learning rate.
    device : str, optional
        Where to train, e.g. '/GPU:0'; default :func:`try_gpu`.
    verbose : bool
        Show progress and print the summary line.

    Returns
    -------
    TrainResult
        Per-epoch history, throughput and what ran. Its summary line is printed, e.g.
        ``loss 0.325, train acc 0.881, test acc 0.871, 4700.9 examples/sec on /GPU:0``.

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
    num_batches = len(train_iter)
    with tf.device(device):
        if not isinstance(net, keras.Model):
            if not callable(net):
                raise ValueError("net must be a keras.Model or a function that returns one")
            net = net()
        X0, _ = next(iter(train_iter))
        net(X0[:1], training=False)  # builds the weights if needed
        init_xavier(net)
        optimizer = keras.optimizers.SGD(learning_rate=lr)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=not _ends_in_softmax(net))

        @tf.function(reduce_retracing=True)
        def train_step(X, y):
            with tf.GradientTape() as tape:
                y_hat = net(X, training=True)
                loss = loss_fn(y, y_hat)
            grads = tape.gradient(loss, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables))
            return loss, accuracy(y_hat, y)

        progress = training.Progress(epochs, num_batches, enabled=verbose)
        history = {"epoch": [], "train_loss": [], "train_acc": [], "test_acc": []}
        train_seconds, seen, step = 0.0, 0, 0
        try:
            for epoch in range(epochs):
                loss_sum = tf.zeros(())
                correct = tf.zeros((), tf.int32)
                n, window = 0, []
                tic = time.perf_counter()
                for i, (X, y) in enumerate(train_iter):
                    loss, right = train_step(X, y)
                    batch = int(y.shape[0])
                    window.append(loss)
                    loss_sum += loss * batch
                    correct += right
                    n += batch
                    step += 1
                    last = i + 1 == num_batches
                    if len(window) >= CHECK_EVERY or last or (i + 1) % progress.every() == 0:
                        training.first_nonfinite(tf.stack(window).numpy().tolist(),
                                                 step - len(window) + 1)
                        window = []
                        progress.batch(epoch, i, float(loss_sum) / n, int(correct) / n)
                train_seconds += time.perf_counter() - tic
                seen += n
                test_acc = evaluate_accuracy(net, test_iter, device)
                history["epoch"].append(epoch + 1)
                history["train_loss"].append(float(loss_sum) / n)
                history["train_acc"].append(int(correct) / n)
                history["test_acc"].append(test_acc)
                progress.epoch(epoch, test_acc)
        finally:
            progress.close()
    result = TrainResult(
        framework="tensorflow", device=device, history=history,
        examples_per_sec=seen / train_seconds if train_seconds else 0.0,
        train_examples=getattr(train_iter, "num_examples", seen // max(epochs, 1)),
        total_train_examples=getattr(train_iter, "total_examples", seen // max(epochs, 1)),
        test_examples=getattr(test_iter, "num_examples", 0),
        total_test_examples=getattr(test_iter, "total_examples", 0),
        epochs=epochs, requested_epochs=num_epochs,
        image_size=tuple(getattr(train_iter, "image_size", tuple(X0.shape[1:3]))),
        batch_size=getattr(train_iter, "batch_size", int(X0.shape[0])), lr=lr,
        train_seconds=train_seconds, quick=budget.quick)
    result.net = net
    if verbose:
        print(result.summary())
    return result
