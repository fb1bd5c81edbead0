"""Docstrings written once for what both backends define.

``d2lmini.torch`` and ``d2lmini.tensorflow`` define the same functions, with the same
contracts; their docstrings differ only where the frameworks do (types, NCHW vs NHWC
shapes, how mixed precision or compiling works). Such a docstring is written here once, as
a template whose ``${field}`` places each backend fills in with :func:`shared`::

    @mirrordocs.shared("train_ch6", net=\"\"\"
        net : torch.nn.Module
            Maps a batch ...\"\"\", device=...)
    def train_ch6(net, train_iter, ...):

A field alone on its line is a block (a parameter's entry, or nothing): its text is
dedented and indented like the placeholder. Elsewhere a field is a word or a phrase. ``tests/
test_mirror.py`` checks that every template is used by both backends, with every field.

Framework-free: imports neither PyTorch nor TensorFlow.

>>> doc = fill("train_ch6", dense="linear", net="net : Net", device="device : str",
...            amp="amp : bool", seed="seed : int", compile="compile : bool",
...            example_device="cpu", extra="")
>>> doc.splitlines()[0]
'Train a classifier with SGD (or another optimizer) and cross-entropy; evaluate after'
>>> fill("train_ch6", dense="linear")
Traceback (most recent call last):
...
TypeError: the docstring of train_ch6 needs the fields amp, compile, dense, ...; missing: amp, ...
"""
import re
import textwrap

__all__ = ["TEMPLATES", "fields", "fill", "shared"]

_FIELD = re.compile(r"\$\{(\w+)\}")

TEMPLATES = {
    "train_ch6": """\
Train a classifier with SGD (or another optimizer) and cross-entropy; evaluate after
every epoch.

Weights of ${dense} and convolutional layers are Xavier-initialized
:cite:`glorot2010understanding`. In Jupyter a live plot shows train loss, train
accuracy and test accuracy; in a terminal a progress bar. Training stops with
:class:`NonFiniteLossError`, naming the step, if the loss becomes NaN or infinite.

Parameters
----------
${net}
train_iter, test_iter : iterables of ``(X, y)``
    E.g. from :func:`load_data_fashion_mnist`.
num_epochs : int
    Passes over the training data (capped by quick mode or ``D2LMINI_MAX_EPOCHS``).
lr : float
    Learning rate.
${device}
verbose : bool, keyword-only
    Show progress and print the summary line. This option and all after it are
    keyword-only: d2l's six positional parameters come first, unchanged.
${amp}
checkpoint : str or path, optional
    A file to save the run to after every epoch (atomically: a crash while saving
    leaves the previous checkpoint). If it exists, training resumes after its last
    epoch; with the same seed, the result is the same as an uninterrupted run. When it
    holds all the epochs asked for, the run is shown (curves and summary) without
    training. A checkpoint of another model or other settings is refused with a
    ``ValueError``; quick mode ignores checkpoints.
${seed}
optimizer : "sgd", "adam" or "adadelta"
    How the weights are updated: plain mini-batch SGD (the book's default), Adam
    :cite:`kingma2014adam` or Adadelta :cite:`zeiler2012adadelta`, with the settings of
    :data:`d2lmini.training.OPTIMIZERS`, the same in both frameworks. ``lr`` is the
    step size each of them takes (Adam: e.g. 0.001; Adadelta: 1.0, as in its paper).
${compile}

Returns
-------
TrainResult
    Per-epoch history, throughput and what ran. Its summary line is printed, e.g.
    ``loss 0.325, train acc 0.881, test acc 0.871, 4700.9 examples/sec on ${example_device}``.
    ``extra["precision"]`` says how it computed, ``extra["epoch_seconds"]`` the wall
    time of each epoch run in this call (training and evaluation).
    ${extra}

Example
-------
>>> train_iter, test_iter = load_data_fashion_mnist(256)             # doctest: +SKIP
>>> result = train_ch6(net, train_iter, test_iter, 10, 0.9, try_gpu())  # doctest: +SKIP
""",
}


def fields(name):
    """The sorted field names of template ``name``."""
    return sorted(set(_FIELD.findall(TEMPLATES[name])))


def fill(name, **values):
    """Template ``name`` with its fields filled in (every field, and no other)."""
    if name not in TEMPLATES:
        raise KeyError(f"no shared docstring {name!r}; there are: {', '.join(TEMPLATES)}")
    needed = fields(name)
    missing = [f for f in needed if f not in values]
    unknown = sorted(set(values) - set(needed))
    if missing or unknown:
        raise TypeError(f"the docstring of {name} needs the fields {', '.join(needed)}"
                        + (f"; missing: {', '.join(missing)}" if missing else "")
                        + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    lines = []
    for line in TEMPLATES[name].splitlines():
        block = re.fullmatch(r"(\s*)\$\{(\w+)\}", line)
        if block:
            indent, key = block.groups()
            text = textwrap.dedent(values[key]).strip("\n")
            lines.extend(indent + part if part else part for part in text.splitlines())
        else:
            lines.append(_FIELD.sub(lambda m: values[m.group(1)], line))
    return "\n".join(lines) + "\n"


def shared(name, **values):
    """Decorator: give the function the docstring ``name``, filled in with ``values``.

    The function must have no docstring of its own (one source for each)."""
    doc = fill(name, **values)

    def decorate(fn):
        if fn.__doc__:
            raise TypeError(f"{fn.__module__}.{fn.__qualname__} has a docstring of its own; "
                            f"its docstring is d2lmini.mirrordocs' {name!r}")
        fn.__doc__ = doc
        fn.__shared_doc__ = name
        return fn
    return decorate
