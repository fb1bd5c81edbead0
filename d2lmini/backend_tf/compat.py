"""Names that code written for the book *Dive into Deep Learning* (d2l) expects.

d2l's code calls framework-neutral aliases such as ``d2l.tensor``, ``d2l.reshape`` or
``d2l.reduce_sum``, and a few helpers its chapters save into the ``d2l`` package
(``corr2d``, ``evaluate_accuracy_gpu``). They live here, apart from d2lmini's own API, so
that such code runs with one change, its import::

    from d2lmini import tensorflow as d2l   # instead of: from d2l import tensorflow as d2l

:mod:`d2lmini.backend_torch.compat` holds the same names, in the same order, for PyTorch.
Each alias behaves as d2l's TensorFlow alias does (so e.g. ``normal`` takes a shape
first, as ``tf.random.normal`` does).
"""
import tensorflow as tf

from .train import evaluate_accuracy

__all__ = ["nn_Module", "ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos",
           "cosh", "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul",
           "int32", "float32", "concat", "stack", "abs", "eye", "numpy", "size", "reshape",
           "to", "reduce_sum", "reduce_mean", "argmax", "astype", "transpose", "corr2d",
           "evaluate_accuracy_gpu"]

# tf.keras, not keras: under TF_USE_LEGACY_KERAS=1 it is Keras 2, the one d2l's code uses.
nn_Module = tf.keras.Model  # the base class of d2l's models

# Plain aliases of framework functions and dtypes: the same objects, so they keep their
# own documentation and signatures.
ones = tf.ones
zeros = tf.zeros
tensor = tf.constant
arange = tf.range
meshgrid = tf.meshgrid
sin = tf.sin
sinh = tf.sinh
cos = tf.cos
cosh = tf.cosh
tanh = tf.tanh
linspace = tf.linspace
exp = tf.exp
log = tf.math.log
normal = tf.random.normal
rand = tf.random.uniform
matmul = tf.matmul
int32 = tf.int32
float32 = tf.float32
concat = tf.concat
stack = tf.stack
abs = tf.abs  # noqa: A001 (d2l's name; shadows the builtin only inside this module)
eye = tf.eye


def randn(*shape, dtype=tf.float32):
    """Standard normal samples of shape ``shape``: ``randn(2, 3)`` or ``randn((2, 3))``.

    d2l's TensorFlow module has no ``randn``; this mirrors the PyTorch one.
    """
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tf.random.normal(shape, dtype=dtype)


def numpy(x, *args, **kwargs):
    """``x`` as a NumPy array, same shape."""
    return x.numpy(*args, **kwargs)


def size(x):
    """Number of elements of ``x`` (a NumPy integer): 6 for shape (2, 3)."""
    return tf.size(x).numpy()


def reshape(x, shape, name=None):
    """``x`` reshaped, e.g. ``reshape(x, (1, 6, 8, 1))``; -1 infers one dimension."""
    return tf.reshape(x, shape, name=name)


def to(x, target):
    """``x`` as dtype ``target`` (``to(x, d2l.float32)``) or copied to device ``target``
    (``to(x, '/GPU:0')`` or ``to(x, d2l.try_gpu())``); mirrors PyTorch's ``Tensor.to``.
    """
    if isinstance(target, tf.dtypes.DType):
        return tf.cast(x, target)
    with tf.device(getattr(target, "_device_name", target)):
        return tf.identity(x)


def reduce_sum(x, axis=None, keepdims=False):
    """Sum of ``x``: over all elements, or over ``axis`` (that dimension removed)."""
    return tf.reduce_sum(x, axis=axis, keepdims=keepdims)


def reduce_mean(x, axis=None, keepdims=False):
    """Mean of ``x``: over all elements, or over ``axis``."""
    return tf.reduce_mean(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, output_type=tf.int64):
    """Indices of the largest values of ``x`` along ``axis`` (default 0, as in ``tf.argmax``)."""
    return tf.argmax(x, axis=axis, output_type=output_type)


def astype(x, dtype):
    """``x`` converted to ``dtype``, e.g. ``astype(y_hat, y.dtype)``; same shape."""
    return tf.cast(x, dtype)


def transpose(x, perm=None):
    """Transpose of ``x``: shape (h, w) becomes (w, h); ``perm`` orders more dimensions."""
    return tf.transpose(x, perm)


def corr2d(X, K):
    """2-D cross-correlation (what a convolutional layer computes) of one channel.

    ``X`` of shape (h, w) and kernel ``K`` of shape (kh, kw) give shape
    (h - kh + 1, w - kw + 1): one ``tf.nn.conv2d`` (which cross-correlates) instead of
    loops. Integer inputs give float32, as d2l's version does.

    >>> corr2d(tf.reshape(tf.range(9.), (3, 3)), tf.constant([[0., 1.], [2., 3.]])).numpy()
    array([[19., 25.],
           [37., 43.]], dtype=float32)
    """
    X = tf.convert_to_tensor(X)
    if not X.dtype.is_floating:
        X = tf.cast(X, tf.float32)
    K = tf.cast(K, X.dtype)
    if X.shape.rank != 2 or K.shape.rank != 2:
        raise ValueError(f"corr2d takes a 2-D input and a 2-D kernel, got shapes "
                         f"{tuple(X.shape)} and {tuple(K.shape)}; loop over channels for more")
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(f"kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    # conv2d wants (batch, h, w, channels) and a kernel (kh, kw, in, out)
    Y = tf.nn.conv2d(X[tf.newaxis, :, :, tf.newaxis], K[:, :, tf.newaxis, tf.newaxis],
                     strides=1, padding="VALID")
    return Y[0, :, :, 0]


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (a float in [0, 1]), on ``device``.

    d2l's name for :func:`evaluate_accuracy`; without ``device``, :func:`try_gpu`.
    """
    return evaluate_accuracy(net, data_iter, device)
