"""The book's networks in one table: how each is built, which chapter trains it, and how.

Part II trains seven networks on Fashion-MNIST, one chapter each, plus one variant (NiN's
first design, kept for its full runs). What is known about each (its builder in the two
backends, its chapter, the image size, batch size, learning rate and epochs of the
chapter's training cell) is written here once, and read by ``scripts/full_runs.py``,
``benchmarks/bench.py`` and the tests; ``tests/test_full_runs.py`` checks the values
against each chapter's training cell, ``tests/test_networks.py`` that every builder of
the backends has an entry and every entry a builder in both.

Framework-free: importing this module imports neither PyTorch nor TensorFlow; :func:`build`
imports the backend it is asked for, when it is asked.

>>> from d2lmini.networks import NETWORKS, by_builder
>>> alexnet = NETWORKS["alexnet"]
>>> alexnet.chapter, alexnet.image_size, alexnet.batch_size, alexnet.lr, alexnet.epochs
('09-alexnet', 224, 128, 0.01, 10)
>>> NETWORKS["lenet"].image_size is None, NETWORKS["lenet"].size  # None: the 28x28 images
(True, 28)
>>> by_builder("resnet18").key, NETWORKS["resnet"].title
('resnet', 'ResNet-18')
>>> NETWORKS["nin-relu-scores"].base, NETWORKS["nin-relu-scores"].kwargs
('nin', {'relu_scores': True, 'batch_norm': False})
>>> [n.key for n in chapter_networks()]
['lenet', 'alexnet', 'vgg', 'nin', 'googlenet', 'resnet', 'densenet']
"""
import importlib
import inspect
from dataclasses import dataclass, field

from .frameworks import FRAMEWORKS

__all__ = ["FASHION_MNIST_SIZE", "FULL_RUN", "Network", "NETWORKS", "AFTER_RESNET", "titles",
           "chapter_networks", "by_builder", "build"]

FASHION_MNIST_SIZE = 28  # the images' own height and width: what ``image_size=None`` means
FULL_RUN = ("committed", "awaiting", "none")


@dataclass(frozen=True, kw_only=True)
class Network:
    """One network as its chapter trains it (the values of the chapter's training cell).

    Attributes
    ----------
    key : str
        The network's name in file names and on command lines (``notebooks/results/
        <key>-pytorch-full.json``, ``python scripts/full_runs.py <key>``).
    title : str
        Its name in the book (the ``model`` of its saved runs, chapter 15's tables).
    builder : str
        The function that builds it, the same name in ``d2lmini.torch`` and
        ``d2lmini.tensorflow`` (``"resnet18"`` for ``"resnet"``).
    kwargs : dict
        Keyword arguments the chapter passes to the builder (VGG's narrow ``conv_arch``).
    chapter : str
        The chapter's file stem, ``notebooks/<chapter>.md`` / ``.ipynb``.
    image_size : int or None
        ``resize`` of ``load_data_fashion_mnist``; ``None`` for the 28x28 images as they are.
    batch_size, lr, epochs
        The chapter's batch size, learning rate and number of epochs.
    variant_of : str or None
        For a variant of a chapter's network, the key of that network: the variant shares its
        chapter, settings and checkpoint name (``checkpoints/<base>-<framework>.ckpt``).
    full_run : {"committed", "awaiting", "none"}
        Its full-size GPU run (``python scripts/full_runs.py <key>``): ``"committed"`` in
        ``notebooks/results/<key>-pytorch-full.json``; ``"awaiting"`` a run on a GPU (the
        chapter trains it on a CPU budget meanwhile); ``"none"`` for a design the chapter
        compares with from its CPU runs alone (``results/<key>-<framework>.json``).
        ``tests/test_full_runs.py`` checks each against the committed files.
    """

    key: str
    title: str
    builder: str
    kwargs: dict = field(default_factory=dict)
    chapter: str
    image_size: int | None
    batch_size: int
    lr: float
    epochs: int
    variant_of: str | None = None
    full_run: str = "committed"

    def __post_init__(self):
        if self.full_run not in FULL_RUN:
            raise ValueError(f"{self.key}: full_run must be one of {', '.join(FULL_RUN)}, "
                             f"not {self.full_run!r}")

    @property
    def size(self):
        """Height (= width) of the images the network is trained on."""
        return self.image_size or FASHION_MNIST_SIZE

    @property
    def base(self):
        """The key of the chapter's own network: ``variant_of``, or the network's own key."""
        return self.variant_of or self.key


def _table(*networks):
    return {n.key: n for n in networks}


# In the book's order (chapter 15 sorts its tables by these titles).
NETWORKS = _table(
    Network(key="lenet", title="LeNet", builder="lenet", chapter="08-lenet",
            image_size=None, batch_size=256, lr=0.9, epochs=10),
    Network(key="alexnet", title="AlexNet", builder="alexnet", chapter="09-alexnet",
            image_size=224, batch_size=128, lr=0.01, epochs=10),
    # VGG-11 with a quarter of its channels: the chapter divides conv_arch by ratio = 4.
    Network(key="vgg", title="VGG-11/4", builder="vgg", chapter="10-vgg",
            kwargs={"conv_arch": ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))},
            image_size=224, batch_size=128, lr=0.05, epochs=10),
    # NiN lost the ReLU on its class scores and gained batch normalization after its full
    # runs (kept below, as "nin-relu-scores"); its own full run is to be made on a GPU with
    # `python scripts/full_runs.py nin --seeds 0 1 2`.
    Network(key="nin", title="NiN", builder="nin", chapter="11-nin",
            image_size=160, batch_size=128, lr=0.1, epochs=10, full_run="awaiting"),
    # Its second design: no ReLU on the scores, still no batch norm; the chapter shows it
    # unsteady, from its CPU runs.
    Network(key="nin-no-bn", title="NiN without batch norm", builder="nin",
            kwargs={"batch_norm": False}, chapter="11-nin", variant_of="nin",
            image_size=224, batch_size=128, lr=0.1, epochs=10, full_run="none"),
    # Its first design (d2l's), with a ReLU on its class scores and no batch norm: the
    # chapter shows its silent classes.
    Network(key="nin-relu-scores", title="NiN, ReLU on the scores", builder="nin",
            kwargs={"relu_scores": True, "batch_norm": False}, chapter="11-nin",
            variant_of="nin", image_size=224, batch_size=128, lr=0.1, epochs=10),
    Network(key="googlenet", title="GoogLeNet", builder="googlenet", chapter="12-googlenet",
            image_size=96, batch_size=128, lr=0.1, epochs=10),
    Network(key="resnet", title="ResNet-18", builder="resnet18", chapter="13-resnet",
            image_size=96, batch_size=128, lr=0.05, epochs=10),
    Network(key="densenet", title="DenseNet", builder="densenet", chapter="14-densenet",
            image_size=96, batch_size=128, lr=0.1, epochs=10),
)


# Chapter 24 (after ResNet) trains these in one cell, on ResNet-18's budget, and compares them
# there; they have no full run, so no entry above. {builder: title}
AFTER_RESNET = {"resnext18": "ResNeXt-18", "mobilenet18": "MobileNet-18",
                "se_resnet18": "SE-ResNet-18"}


def titles():
    """Every network's title in the book's order: the registry's, then chapter 24's (the
    order of chapter 15's tables).

    >>> titles()[:4], titles()[-1]
    (['LeNet', 'AlexNet', 'VGG-11/4', 'NiN'], 'SE-ResNet-18')
    """
    return [n.title for n in NETWORKS.values()] + list(AFTER_RESNET.values())


def chapter_networks():
    """Each chapter's own network (no variants), in the book's order.

    >>> [n.builder for n in chapter_networks()][-2:]
    ['resnet18', 'densenet']
    """
    return [n for n in NETWORKS.values() if n.variant_of is None]


def by_builder(builder):
    """The chapter's own network that ``builder`` builds (a variant shares its builder).

    >>> by_builder("nin").key
    'nin'
    >>> by_builder("transformer")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "no network of the book is built by 'transformer'; builders: lenet, alexnet, ..."
    """
    for n in chapter_networks():
        if n.builder == builder:
            return n
    raise KeyError(f"no network of the book is built by {builder!r}; builders: "
                   f"{', '.join(n.builder for n in chapter_networks())}")


def _spec(key):
    try:
        return NETWORKS[key]
    except KeyError:
        raise KeyError(f"unknown network {key!r}; choose from {', '.join(NETWORKS)}") from None


def _backend(framework):
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)}, not {framework!r}")
    return importlib.import_module("d2lmini." + {"pytorch": "torch"}.get(framework, framework))


def build(key, framework="pytorch"):
    """The network ``key``, untrained, in ``framework`` (``"pytorch"`` or ``"tensorflow"``).

    Calls the backend's builder with the entry's ``kwargs``, and with
    ``image_size=<its size>`` when the builder takes one (the networks with a flattening
    classifier are built for one input size). Imports that backend, and so its framework.

    >>> build("lenet", "jax")
    Traceback (most recent call last):
    ...
    ValueError: framework must be one of pytorch, tensorflow, not 'jax'
    >>> build("transformer")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "unknown network 'transformer'; choose from lenet, alexnet, vgg, nin, ..."
    """
    spec = _spec(key)
    make = getattr(_backend(framework), spec.builder)
    kwargs = dict(spec.kwargs)
    if "image_size" in inspect.signature(make).parameters:
        kwargs.setdefault("image_size", spec.size)
    return make(**kwargs)
