"""d2lmini: the helper package of a runnable textbook on convolutional networks.

One public API over two frameworks::

    from d2lmini import torch as d2l        # PyTorch
    from d2lmini import tensorflow as d2l   # TensorFlow / Keras

Both expose the same names (``load_data_fashion_mnist``, ``train_ch6``, ``try_gpu``, ...).
What needs no framework (reading data files, downloads, plotting, convolution arithmetic)
lives once, in the top-level modules of this package.
"""

__version__ = "0.1.0"
