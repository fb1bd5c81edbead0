"""d2lmini: the helper package of a runnable textbook on convolutional networks.

One public API over two frameworks::

    from d2lmini import torch as d2l        # PyTorch
    from d2lmini import tensorflow as d2l   # TensorFlow / Keras

Both expose the same names (``load_data_fashion_mnist``, ``train_ch6``, ``try_gpu``, ...).
What needs no framework lives once, by kind: the training core in the top-level modules
(``training``, ``loop``, ``checkpoint``, ``networks``, ``arithmetic``, ``plotting``, ...),
data in :mod:`d2lmini.data` (``fashion_mnist``, ``cifar10``, ``loading``, ...), and the
book's own tools in :mod:`d2lmini.book` (``explore``, ``selfcheck``, ``twins``,
``execute``, ...). Importing any of them imports neither PyTorch nor TensorFlow.
"""

__version__ = "0.1.0"
