"""Data, without a framework: reading, downloading, checking and batching the data sets
(:mod:`~d2lmini.data.fashion_mnist`, :mod:`~d2lmini.data.cifar10`,
:mod:`~d2lmini.data.movie_reviews`), the loaders' shared rules (:mod:`~d2lmini.data.loading`,
:mod:`~d2lmini.data.augment`), and the book's committed files (:mod:`~d2lmini.data.bookfiles`).
The backends' loaders (``d2lmini.torch.load_data_fashion_mnist``, ...) are built on these.
"""
