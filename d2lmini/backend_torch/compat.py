"""Names that code written for the book *Dive into Deep Learning* (d2l) expects.

d2l's code calls framework-neutral aliases such as ``d2l.tensor``, ``d2l.reshape`` or
``d2l.reduce_sum``, and a few helpers its chapters save into the ``d2l`` package
(``corr2d``, ``evaluate_accuracy_gpu``). They live here, apart from d2lmini's own API, so
that such code runs with one change, its import::

    from d2lmini import torch as d2l   # instead of: from d2l import torch as d2l

:mod:`d2lmini.backend_tf.compat` holds the same names, in the same order, for TensorFlow.
Each alias behaves as d2l's PyTorch alias does (so e.g. ``transpose`` is a 2-D transpose).
"""
import torch
from torch import nn

from .train import evaluate_accuracy

__all__ = ["nn_Module", "ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos",
           "cosh", "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul",
           "int32", "float32", "concat", "stack", "abs", "eye", "numpy", "size", "reshape",
           "to", "reduce_sum", "reduce_mean", "argmax", "astype", "transpose", "corr2d",
           "evaluate_accuracy_gpu"]

nn_Module = nn.Module  # the base class of d2l's models

# Plain aliases of framework functions and dtypes: the same objects, so they keep their
# own documentation and signatures.
ones = torch.ones
zeros = torch.zeros
tensor = torch.tensor
arange = torch.arange
meshgrid = torch.meshgrid
sin = torch.sin
sinh = torch.sinh
cos = torch.cos
cosh = torch.cosh
tanh = torch.tanh
linspace = torch.linspace
exp = torch.exp
log = torch.log
normal = torch.normal
rand = torch.rand
randn = torch.randn
matmul = torch.matmul
int32 = torch.int32
float32 = torch.float32
concat = torch.cat
stack = torch.stack
abs = torch.abs  # noqa: A001 (d2l's name; shadows the builtin only inside this module)
eye = torch.eye


def numpy(x, *args, **kwargs):
    """``x`` as a NumPy array (detached from autograd; on the CPU), same shape."""
    return x.detach().cpu().numpy(*args, **kwargs)


def size(x, *args, **kwargs):
    """Number of elements of ``x`` (an int): 6 for shape (2, 3)."""
    return x.numel(*args, **kwargs)


def reshape(x, *args, **kwargs):
    """``x`` reshaped, e.g. ``reshape(x, (1, 1, 6, 8))``; -1 infers one dimension."""
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    """``x.to(...)``: ``x`` on another device or as another dtype."""
    return x.to(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    """Sum of ``x``: over all elements, or over ``axis``/``dim`` (that dimension removed)."""
    return x.sum(*args, **kwargs)


def reduce_mean(x, *args, **kwargs):
    """Mean of ``x``: over all elements, or over ``axis``/``dim``."""
    return x.mean(*args, **kwargs)


def argmax(x, *args, **kwargs):
    """Indices of the largest values of ``x``: flat, or along ``axis``/``dim`` (int64)."""
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    """``x`` converted to a dtype, e.g. ``astype(y_hat, y.dtype)``; same shape."""
    return x.type(*args, **kwargs)


def transpose(x, *args, **kwargs):
    """Transpose of a matrix (at most 2-D): shape (h, w) becomes (w, h)."""
    return x.t(*args, **kwargs)


def corr2d(X, K):
    """2-D cross-correlation (what a convolutional layer computes) of one channel.

    ``X`` of shape (h, w) and kernel ``K`` of shape (kh, kw) give shape
    (h - kh + 1, w - kw + 1), dtype of ``X``. Written without loops over the output:
    one ``unfold`` gathers every window, one product sums it.

    >>> corr2d(torch.arange(9.).reshape(3, 3), torch.tensor([[0., 1.], [2., 3.]]))
    tensor([[19., 25.],
            [37., 43.]])
    """
    X = torch.as_tensor(X)
    K = torch.as_tensor(K, dtype=X.dtype)  # the same tensor when it already is one
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"corr2d takes a 2-D input and a 2-D kernel, got shapes "
                         f"{tuple(X.shape)} and {tuple(K.shape)}; loop over channels for more")
    h, w = K.shape
    if h > X.shape[0] or w > X.shape[1]:
        raise ValueError(f"kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    windows = X.unfold(0, h, 1).unfold(1, w, 1)  # (H-h+1, W-w+1, h, w)
    return (windows * K).sum(dim=(-2, -1))


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (a float in [0, 1]), on ``device``.

    d2l's name for :func:`evaluate_accuracy`; without ``device``, the device of the
    network's first parameter.
    """
    return evaluate_accuracy(net, data_iter, device)
