"""The framework-free half of ``train_ch6``: the run's record, its progress display, its
summary line, and the check that stops training on a NaN or infinite loss.
"""
import dataclasses
import json
import math
import platform
from pathlib import Path

from . import files, precision
from .frameworks import FRAMEWORK_NAMES
from .plotting import Animator, in_notebook


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


@dataclasses.dataclass
class TrainResult:
    """What one call of ``train_ch6`` did and measured.

    ``history`` maps ``"epoch"``, ``"train_loss"``, ``"train_acc"`` and ``"test_acc"`` to one
    value per epoch. ``examples_per_sec`` counts training examples over the wall time of the
    training passes (data loading included, evaluation excluded).
    """

    framework: str
    device: str
    history: dict
    examples_per_sec: float
    train_examples: int
    total_train_examples: int
    test_examples: int
    total_test_examples: int
    epochs: int
    requested_epochs: int
    image_size: tuple
    batch_size: int
    lr: float
    train_seconds: float
    quick: bool = False
    extra: dict = dataclasses.field(default_factory=dict)

    def __getattr__(self, name):
        """Attributes the result lacks come from the trained network, when the run kept it.

        d2l's TensorFlow ``train_ch6`` returns the trained model, so its readers write
        ``net = d2l.train_ch6(...)`` and then ``net.layers[1].gamma``; that code runs here too.
        """
        # Only called when normal lookup fails; dunder names (copy, pickle) are not forwarded.
        net = self.__dict__.get("net")
        if net is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(net, name)

    @property
    def final(self):
        """(train loss, train accuracy, test accuracy) after the last epoch."""
        h = self.history
        return h["train_loss"][-1], h["train_acc"][-1], h["test_acc"][-1]

    @property
    def budgeted(self):
        """True when the run used less data or fewer epochs than asked for."""
        return (self.quick or self.train_examples < self.total_train_examples
                or self.test_examples < self.total_test_examples
                or self.epochs < self.requested_epochs)

    def conditions(self):
        """What ran, in words: examples, epochs, image size (or sequence length), batch size.

        >>> r = TrainResult("pytorch", "cpu", {}, 0.0, 9514, 9514, 1054, 1054, 10, 10,
        ...                 (1, 64), 50, 0.001, 40.0, extra={"sequence_length": 64})
        >>> r.conditions()
        '9,514 train / 1,054 test examples, 10 epochs, 64-token sequences, batch 50'
        """
        h, w = self.image_size
        length = self.extra.get("sequence_length")  # token-id rows (text), not images
        shape = f"{length}-token sequences" if length else f"{h}x{w} images"
        train = _part(self.train_examples, self.total_train_examples)
        test = _part(self.test_examples, self.total_test_examples)
        epochs = _part(self.epochs, self.requested_epochs)
        mode = "quick mode: " if self.quick else ("budget: " if self.budgeted else "")
        return (f"{mode}{train} train / {test} test examples, {epochs} epochs, "
                f"{shape}, batch {self.batch_size}")

    def summary(self):
        """The line ``train_ch6`` prints at the end."""
        loss, train_acc, test_acc = self.final
        line = (f"loss {loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}, "
                f"{self.examples_per_sec:.1f} examples/sec on {self.device}")
        return f"{line} ({self.conditions()})" if self.budgeted else line

    def describe(self):
        """Where and how the run was made, then its summary line: for showing a saved run.

        >>> print(TrainResult.load("results/alexnet-pytorch-full.json").describe())  # doctest: +SKIP
        AlexNet, PyTorch 2.11.0+cu130 on NVIDIA H200 (cuda:0), seed 0
        60,000 train / 10,000 test examples, 10 epochs, 224x224 images, batch 128, lr 0.01; 44 s of wall time
        loss 0.327, train acc 0.880, test acc 0.878, 15667.7 examples/sec on cuda:0
        """
        e = self.extra
        framework = FRAMEWORK_NAMES.get(self.framework, self.framework)
        if e.get("torch"):
            framework += " " + e["torch"]
        where = f"{e['gpu']} ({self.device})" if e.get("gpu") else self.device
        head = f"{e.get('model', 'model')}, {framework} on {where}"
        if "seed" in e:
            head += f", seed {e['seed']}"
        precision = e.get("precision", "float32")
        what = f"{self.conditions()}, lr {self.lr:g}"
        if e.get("optimizer", "sgd") != "sgd":
            what += f" ({OPTIMIZER_NAMES[e['optimizer']]})"
        if precision != "float32":
            what += f", {precision}"
        if e.get("wall_seconds"):
            what += f"; {e['wall_seconds']:,.0f} s of wall time"
        return "\n".join([head, what, self.summary()])

    def compare_with(self, reference, label="reference run"):
        """A table of test accuracy after each epoch, this run beside ``reference`` (e.g. a
        longer run of the same network saved by ``scripts/full_runs.py``), then each run's
        training time and the time all the requested epochs on all the data would take at
        this run's speed.

        >>> a = TrainResult("pytorch", "cpu", {"epoch": [1], "train_loss": [0.6],
        ...     "train_acc": [0.7], "test_acc": [0.75]}, 40.0, 60000, 60000, 10000, 10000,
        ...     1, 10, (224, 224), 128, 0.01, 1500.0)
        >>> b = TrainResult("pytorch", "cuda:0", {"epoch": [1, 2], "train_loss": [0.6, 0.4],
        ...     "train_acc": [0.7, 0.8], "test_acc": [0.73, 0.8]}, 15000.0, 60000, 60000,
        ...     10000, 10000, 2, 2, (224, 224), 128, 0.01, 8.0)
        >>> print(a.compare_with(b, "GPU run"))
        epoch   this run    GPU run
            1      0.750      0.730
            2          -      0.800
        this run: 1 of 10 epochs in 25.0 min of training (40.0 examples/sec on cpu); 10 epochs at this speed: 4.2 h
        GPU run: 2 epochs in 8 s of training (15000.0 examples/sec on cuda:0)
        """
        mine, theirs = self.history["test_acc"], reference.history["test_acc"]
        rows = [f"{'epoch':>5}   {'this run':>8}   {label:>{max(8, len(label))}}"]
        for e in range(max(len(mine), len(theirs))):
            a = f"{mine[e]:.3f}" if e < len(mine) else "-"
            b = f"{theirs[e]:.3f}" if e < len(theirs) else "-"
            rows.append(f"{e + 1:>5}   {a:>8}   {b:>{max(8, len(label))}}")
        # The time all requested epochs on all the data would take at this run's speed.
        scale = (self.requested_epochs / self.epochs
                 * self.total_train_examples / max(self.train_examples, 1))
        what = (f"{self.requested_epochs} epochs" if self.train_examples == self.total_train_examples
                else f"{self.requested_epochs} epochs of all {self.total_train_examples:,} examples")
        rows.append(f"this run: {_duration_line(self)}; {what} at this speed: "
                    f"{_human(self.train_seconds * scale)}")
        rows.append(f"{label}: {_duration_line(reference)}")
        return "\n".join(rows)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["image_size"] = list(self.image_size)
        d["summary"] = self.summary()
        d["conditions"] = self.conditions()
        return d

    def save(self, path, **extra):
        """Write the run as a small JSON file (for comparison chapters); return the path.

        Keyword arguments are stored under ``extra`` (e.g. ``model="AlexNet"``): numbers,
        strings, lists and dicts of them; numpy numbers and arrays are written as numbers
        and lists. A quick-mode run is a smoke test, not a result: it is not written
        (``None`` is returned), so the test suite never overwrites the results of real runs.

        A save that fails changes nothing: neither the file (it is written atomically) nor
        the result's ``extra``.

        Raises
        ------
        TypeError
            A value JSON cannot hold; the message names its key and type.
        IsADirectoryError
            ``path`` is a folder (or ends in ``/``) rather than a file path.
        """
        if self.quick:
            print(f"quick mode: not writing {path}")
            return None
        import os
        text = os.fspath(path)
        if text.endswith(("/", os.sep)):  # Path() would drop the slash and write a file there
            raise IsADirectoryError(f"cannot save the run to {text!r}: it ends in '/', so it "
                                    f"names a folder; give a file path such as "
                                    f"'results/run.json'")
        path = Path(path)
        # Everything is built and serialized before anything changes, so that a bad value
        # leaves the result as it was (an update of self.extra first made every later save
        # fail on the same value).
        merged = {**self.extra, **extra}
        try:
            d = dataclasses.replace(self, extra=merged).to_dict()  # copies every value
            d["platform"] = platform.machine()
            d["cpu"] = precision.cpu_name()  # speeds, and the last digits, depend on it
            body = json.dumps(d, indent=1, default=_json_number) + "\n"
        except (TypeError, ValueError) as e:
            where = _unserializable(dataclasses.asdict(self) | {"extra": {}}, merged)
            raise TypeError(f"cannot save the run to {path}: {where}; "
                            "pass a number, a string, or a list or dict of them "
                            "(e.g. float(x) or str(x))") from e
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Atomic: a run stopped while saving leaves the previous result, not half a file.
            files.atomic_write_text(path, body)
        except IsADirectoryError as e:
            raise IsADirectoryError(f"cannot save the run to {str(path)!r}: it is a folder; "
                                    f"give a file path such as 'results/run.json' (e.g. "
                                    f"{str(path / 'run.json')!r})") from e
        self.extra.update(extra)
        return path

    @classmethod
    def load(cls, path):
        """Read a run written by :meth:`save`.

        A chapter-relative path to one of the book's committed runs that is not on disk (a
        chapter opened in Colab, or downloaded alone) is fetched from the book and verified:
        see :func:`d2lmini.data.bookfiles.book_file`.

        Raises
        ------
        ValueError
            The file is not JSON (truncated, or another kind of file), or lacks fields that
            :meth:`save` writes; the message names the file and what is wrong.
        """
        from .data.bookfiles import book_file
        file = book_file(path)
        again = "save the run again, or give the path of a file that result.save() wrote"
        try:
            d = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            what = e.msg.removesuffix(" at")  # "Unterminated string starting at"
            raise ValueError(f"{file} is not a JSON file written by TrainResult.save "
                             f"({what} at line {e.lineno}): it is truncated or another "
                             f"kind of file; {again}") from e
        except UnicodeDecodeError as e:
            raise ValueError(f"{file} is not a JSON file written by TrainResult.save (byte "
                             f"{e.start} is not UTF-8 text): it is another kind of file; "
                             f"{again}") from e
        if not isinstance(d, dict):
            raise ValueError(f"{file} holds a {type(d).__name__}, not the record of a run "
                             f"that TrainResult.save writes; {again}")
        fields = dataclasses.fields(cls)
        d = {k: v for k, v in d.items() if k in {f.name for f in fields}}
        try:
            d["image_size"] = tuple(d["image_size"])
            return cls(**d)
        except (KeyError, TypeError) as e:
            missing = [f.name for f in fields if f.name not in d
                       and f.default is dataclasses.MISSING
                       and f.default_factory is dataclasses.MISSING]
            if not missing:
                raise ValueError(f"{file} is not a run written by TrainResult.save ({e}); "
                                 f"{again}") from e
            s = "s" if len(missing) > 1 else ""
            raise ValueError(f"{file} lacks the field{s} {', '.join(missing)} that "
                             f"TrainResult.save writes: it is incomplete or another kind of "
                             f"JSON file; {again}") from e


def _json_number(value):
    """numpy numbers and arrays (0-d too) as Python numbers and lists: ``json``'s
    ``default``. Anything else raises ``TypeError``, as ``json`` does."""
    import numpy as np
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _unserializable(record, extra):
    """Which value of ``record`` (``extra``'s first) JSON cannot hold, in words."""
    places = [(f"extra {k!r}", v) for k, v in extra.items()]
    places += [(f"field {k!r}", v) for k, v in record.items() if k != "extra"]
    for where, value in places:
        try:
            json.dumps(value, default=_json_number)
        except (TypeError, ValueError):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            return f"{where} is {shown}, a {type(value).__name__}, which JSON cannot hold"
    return "a value JSON cannot hold"


def _human(seconds):
    """12 s, 25.0 min, 4.2 h: a duration in the unit a reader would use."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _seconds(seconds):
    """Like :func:`_human`, with a decimal below 10 s (a GPU epoch of LeNet takes 0.5 s)."""
    return f"{seconds:.1f} s" if seconds < 10 else _human(seconds)


def _duration_line(run):
    epochs = _part(run.epochs, run.requested_epochs)
    plural = "" if run.epochs == 1 and epochs == "1" else "s"
    return (f"{epochs} epoch{plural} in {_human(run.train_seconds)} of training "
            f"({run.examples_per_sec:.1f} examples/sec on {run.device})")


def _part(n, total):
    return f"{n:,}" if n == total else f"{n:,} of {total:,}"


def training_cost(key, *, results="results", frameworks=FRAMEWORK_NAMES):
    """What training a chapter's network in full takes, from the runs the book recorded.

    For each recorded run of the network (``<results>/<key>-<framework>.json``, the
    chapter's own run, and ``<key>-pytorch-full.json``, the full run on a GPU), the seconds
    one full epoch took (training on all images, then the test pass), scaled to every image
    where the run trained on fewer, and times the chapter's number of epochs.

    Parameters
    ----------
    key : str
        The network's key in :data:`d2lmini.networks.NETWORKS`, e.g. ``"alexnet"``.
    results : str or Path, keyword-only
        The folder of recorded runs (a chapter's ``results/``; fetched from the book where
        the chapter was opened alone).
    frameworks : sequence of str, keyword-only

    Returns
    -------
    str
        A few lines: the full run's size, then one line per recorded run (device,
        framework, measured seconds per epoch, the full run's estimated time), then how to
        run less.

    Example
    -------
    >>> print(training_cost("alexnet"))  # doctest: +SKIP
    AlexNet in full: 10 epochs of 60,000 training images at 224x224, each followed by ...
    """
    from .networks import NETWORKS
    if key not in NETWORKS:
        raise ValueError(f"no network {key!r}; choose one of {', '.join(NETWORKS)}")
    spec = NETWORKS[key]
    size = f"{spec.size}x{spec.size}"
    lines = [f"{spec.title} in full: {spec.epochs} epochs of 60,000 training images at {size}, "
             f"each followed by a test pass over 10,000."]
    runs = [(f"{key}-{fw}.json", fw) for fw in frameworks] + [(f"{key}-pytorch-full.json",
                                                               "pytorch")]
    for name, fw in runs:
        try:
            run = TrainResult.load(str(Path(results) / name))
        except FileNotFoundError:
            continue
        epoch_s = run.extra.get("epoch_seconds") or [run.train_seconds / max(run.epochs, 1)]
        per_epoch = sum(epoch_s) / len(epoch_s) * run.total_train_examples / run.train_examples
        gpu = run.device.startswith("cuda")
        where = (f"a GPU ({run.extra.get('gpu', run.device)}, the full run)" if gpu
                 else "the CPU of the chapter's run")
        scaled = "" if run.train_examples == run.total_train_examples else (
            f" (scaled from {run.train_examples:,} images)")
        lines.append(f"  {FRAMEWORK_NAMES[fw]} on {where}: {_seconds(per_epoch)} per epoch"
                     f"{scaled} -> about {_human(per_epoch * spec.epochs)} for {spec.epochs} "
                     f"epochs ({run.examples_per_sec:,.0f} examples/s)")
    lines.append("To run less, set before the chapter's first cell: %env D2LMINI_MAX_EPOCHS=1 "
                 "(one epoch), or %env D2LMINI_MAX_EXAMPLES=6000 (a tenth of the images).")
    return "\n".join(lines)


class Progress:
    """Shows training as it goes: a live plot in Jupyter, a tqdm bar in a terminal.

    The plot gets a point a few times per epoch for the training curves and once per
    epoch for test accuracy, like the d2l book's.
    """

    def __init__(self, num_epochs, num_batches, title=None, enabled=True):
        self.num_epochs, self.num_batches = num_epochs, num_batches
        # Every point of the training curves, as [epoch, batch, loss, acc]: a checkpoint
        # keeps them, so that a resumed run redraws the curves it drew live.
        self.points = []
        self.animator = self.bar = None
        if not enabled:
            return
        if in_notebook():
            # From 0: the training curves get their first points within the first epoch,
            # which would be out of view on an axis starting at 1 (a one-epoch run's plot
            # was empty that way).
            self.animator = Animator(xlabel="epoch", xlim=[0, num_epochs],
                                     legend=["train loss", "train acc", "test acc"],
                                     title=title or "Training progress")
        else:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=num_epochs * num_batches, unit="batch", leave=False,
                            desc="train_ch6")

    def batches_per_point(self):
        """How many batches apart the training curves get a new point (five per epoch)."""
        return max(1, self.num_batches // 5)

    def batch(self, epoch, i, loss, acc, plot=True):
        """Report batch ``i`` (0-based) of ``epoch`` (0-based) with running averages; with
        ``plot=False`` only the progress bar moves (the plot keeps its points per epoch)."""
        if self.bar is not None:
            self.bar.update(epoch * self.num_batches + i + 1 - self.bar.n)
            self.bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.3f}", acc=f"{acc:.3f}")
        if plot:
            self.points.append([epoch, i, loss, acc])
            if self.animator is not None:
                self.animator.add(epoch + (i + 1) / self.num_batches, (loss, acc, None))

    def epoch(self, epoch, test_acc):
        if self.animator is not None:
            self.animator.add(epoch + 1, (None, None, test_acc))
        if self.bar is not None:
            self.bar.update((epoch + 1) * self.num_batches - self.bar.n)
            self.bar.set_postfix(epoch=epoch + 1, test_acc=f"{test_acc:.3f}")

    def close(self):
        if self.bar is not None:
            self.bar.close()


def first_nonfinite(losses, first_step):
    """The first NaN or infinite value in a window of per-step losses (floats), as
    ``(step, value)``, or None when all are finite.

    ``first_step`` is the global (1-based) step number of ``losses[0]``.

    >>> first_nonfinite([2.3, 2.2], first_step=1) is None
    True
    >>> first_nonfinite([2.0, float("inf"), float("nan")], first_step=10)
    (11, inf)
    """
    for offset, value in enumerate(losses):
        if not math.isfinite(value):
            return first_step + offset, value
    return None


def plain_number(value):
    """``value`` as a Python number when it is a NumPy number, a 0-d array or a 0-d tensor
    (of any framework); anything else is returned unchanged.

    >>> import numpy as np
    >>> plain_number(np.float32(0.5)), plain_number(np.array(3)), plain_number("3")
    (0.5, 3, '3')
    """
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    shape = getattr(value, "shape", None)
    if shape is None or tuple(shape) != ():
        return value
    for method in ("item", "numpy"):  # NumPy and PyTorch: item(); TensorFlow: numpy()
        convert = getattr(value, method, None)
        if callable(convert):
            value = convert()
            return value.item() if hasattr(value, "item") else value
    return value


def resolve_seed(seed):
    """The seed ``train_ch6`` draws its initial weights with: ``seed``, or ``D2LMINI_SEED``
    (default 0) when it is None. NumPy integers and 0-d integer tensors are accepted; the
    range is the one every framework accepts, 0 to 2**32 - 1.

    >>> resolve_seed(3)
    3
    >>> resolve_seed("3")
    Traceback (most recent call last):
    ...
    ValueError: seed must be an int such as 0, or None for D2LMINI_SEED; got '3'
    >>> resolve_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed=-1 is outside 0 to 4294967295 (2**32 - 1), the seeds both frameworks accept
    """
    from . import config
    if seed is None:
        return config.seed()
    seed = plain_number(seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int such as 0, or None for D2LMINI_SEED; got {seed!r}")
    if seed not in config.SEED_RANGE:
        raise ValueError(f"seed={seed} is outside 0 to {config.SEED_RANGE.stop - 1} (2**32 - 1), "
                         "the seeds both frameworks accept")
    return seed


def check_training_args(num_epochs, lr, optimizer="sgd"):
    """Raise ``ValueError`` unless ``num_epochs`` is a positive int, ``lr`` positive and
    ``optimizer`` one of :data:`OPTIMIZERS`; return ``(num_epochs, lr)`` as Python numbers
    (NumPy numbers and 0-d tensors are accepted, as a notebook's ``np.float32(0.1)`` or
    ``torch.tensor(0.1)`` would give them).

    >>> import numpy as np
    >>> check_training_args(np.int64(10), np.float32(0.5))
    (10, 0.5)
    """
    num_epochs, lr = plain_number(num_epochs), plain_number(lr)
    if isinstance(num_epochs, float) and num_epochs.is_integer() and num_epochs > 0:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}: write "
                         f"{int(num_epochs)}")
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs <= 0:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 \
            or not math.isfinite(lr):
        raise ValueError(f"lr must be a positive number such as 0.1, got {lr!r}")
    optimizer_settings(optimizer)
    return num_epochs, float(lr)


def check_loaders(train_iter, test_iter):
    """Raise ``ValueError`` before any training when a loader is missing or empty.

    An empty training loader would report loss 0 and accuracy 0 as if it had trained, an
    empty test loader a test accuracy of 0 as if it had measured one.

    >>> check_loaders([(1, 2)], [])
    Traceback (most recent call last):
    ...
    ValueError: test_iter is empty (0 batches): nothing to evaluate the network on. Check \
the data it was made from (a budget such as D2LMINI_MAX_TEST_EXAMPLES=0, an empty folder, a \
filter that kept nothing)
    """
    for name, loader in (("train_iter", train_iter), ("test_iter", test_iter)):
        if loader is None:
            raise ValueError(f"{name} is None: train_ch6 trains on train_iter and measures "
                             "test accuracy on test_iter after every epoch; pass both, e.g. "
                             "train_iter, test_iter = load_data_fashion_mnist(256)")
        try:
            n = len(loader)
        except TypeError:
            raise ValueError(f"{name} is a {type(loader).__name__}, which has no length: "
                             "train_ch6 goes over it once per epoch and needs to know how "
                             "many batches it holds; pass a loader or a list of (X, y) "
                             "batches, not a generator") from None
        if n == 0:
            what = ("nothing to train the network on" if name == "train_iter"
                    else "nothing to evaluate the network on")
            raise ValueError(f"{name} is empty (0 batches): {what}. Check the data it was "
                             f"made from (a budget such as D2LMINI_MAX_"
                             f"{'TEST_' if name == 'test_iter' else ''}EXAMPLES=0, an empty "
                             "folder, a filter that kept nothing)")


def check_outputs(out):
    """Raise ``ValueError`` unless a network's output ``out`` is one array of scores of
    shape (batch, classes), of any framework; return the number of classes.

    >>> import numpy as np
    >>> check_outputs(np.zeros((2, 10)))
    10
    >>> check_outputs(np.zeros((2, 10, 1, 1)))
    Traceback (most recent call last):
    ...
    ValueError: the network returns scores of shape (2, 10, 1, 1); train_ch6 needs one row \
of class scores per example, (batch, classes): end the network with a Flatten layer (or \
global pooling and Flatten)
    """
    shape = getattr(out, "shape", None)
    if shape is None or isinstance(out, (tuple, list, dict)):
        size = f" of {len(out)}" if isinstance(out, (tuple, list, dict)) else ""
        raise ValueError(f"the network returns a {type(out).__name__}{size}, not one array "
                         "of scores: train_ch6 "
                         "needs the class scores alone, of shape (batch, classes); return "
                         "only those (e.g. GoogLeNet's auxiliary outputs belong in another "
                         "training loop)")
    shape = tuple(int(d) for d in shape)
    if len(shape) != 2:
        raise ValueError(f"the network returns scores of shape {shape}; train_ch6 needs one "
                         "row of class scores per example, (batch, classes): end the network "
                         "with a Flatten layer (or global pooling and Flatten)")
    return shape[1]


def check_labels(labels, num_outputs, where="labels", complete=False):
    """Raise ``ValueError`` unless ``labels`` are class indices the network can score.

    ``labels`` is an array of shape (N,) (a batch, or all of a loader's labels when
    ``complete``); ``num_outputs`` the number of class scores the network returns. Float
    or one-hot labels, negative ones and ones beyond the last output are refused. With
    ``complete``, a network with more outputs than classes gets a warning (its extra
    outputs are never the right answer).

    >>> import numpy as np
    >>> check_labels(np.array([0, 3, 12]), 10)
    Traceback (most recent call last):
    ...
    ValueError: labels go up to 12 but the network has 10 outputs (one per class, labels 0 \
to 9): give its last layer 13 outputs, or check the labels
    """
    import numpy as np
    y = np.asarray(labels)
    float_kind = y.dtype.kind == "f"
    if y.ndim == 2 and y.shape[1] > 1:
        looks = "one-hot (one row per example)" if float_kind or y.max(initial=0) <= 1 else \
            "a matrix"
        raise ValueError(f"{where} have shape {y.shape}, {looks}; train_ch6 wants one class "
                         "index per example, shape (batch,): convert them with y.argmax(1) "
                         "(PyTorch) or tf.argmax(y, axis=1) (TensorFlow)")
    if y.ndim != 1:
        raise ValueError(f"{where} have shape {y.shape}; train_ch6 wants one class index per "
                         "example, shape (batch,): flatten them, e.g. y.reshape(-1)")
    if y.dtype.kind not in "iu":
        raise ValueError(f"{where} are {y.dtype} numbers; train_ch6 wants integer class "
                         "indices: convert them, e.g. y.long() (PyTorch) or tf.cast(y, "
                         "tf.int32) (TensorFlow)")
    if y.size == 0:
        return
    low, high = int(y.min()), int(y.max())
    if low < 0:
        raise ValueError(f"{where} include {low}; class indices start at 0: shift them so "
                         f"that they run from 0 to {num_outputs - 1}")
    if high >= num_outputs:
        raise ValueError(f"{where} go up to {high} but the network has {num_outputs} output"
                         f"{'s' if num_outputs != 1 else ''} (one per class, labels 0 to "
                         f"{num_outputs - 1}): give its last layer {high + 1} outputs, or "
                         "check the labels")
    if complete and num_outputs > high + 1:
        import warnings
        warnings.warn(f"the network has {num_outputs} outputs but {where} go up to "
                      f"{high} only ({high + 1} classes): its last {num_outputs - high - 1} "
                      "outputs are never the right answer; give its last layer "
                      f"{high + 1} outputs", UserWarning, stacklevel=caller_stacklevel())


def caller_stacklevel():
    """The ``stacklevel`` of :func:`warnings.warn` that points at the first frame outside
    d2lmini: the reader's own line (``train_ch6(...)``), not the package's."""
    import sys
    package = str(Path(__file__).parent)
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def check_all_labels(train_labels, test_labels, num_outputs):
    """Check a run's labels against the network's ``num_outputs`` (:func:`check_labels`):
    all the training labels where the loader holds them (``train_labels``, an array of
    shape (N,), or None), and a first test batch's (``test_labels``)."""
    if train_labels is not None:
        check_labels(train_labels, num_outputs, "the training labels", complete=True)
    check_labels(test_labels, num_outputs, "the test labels")


def check_images(dtype_name, kind, where="the batches"):
    """Raise ``ValueError`` unless images of dtype ``dtype_name`` (e.g. ``"uint8"``) and
    NumPy kind ``kind`` ("f" float, "u"/"i" integer, ...) can go into a network.

    >>> check_images("uint8", "u")
    Traceback (most recent call last):
    ...
    ValueError: the images of the batches are uint8; a network computes with floats: \
convert them, e.g. X.float() / 255 (PyTorch) or tf.cast(X, tf.float32) / 255 (TensorFlow), \
as d2lmini's loaders do
    """
    if kind != "f":
        raise ValueError(f"the images of {where} are {dtype_name}; a network computes with "
                         "floats: convert them, e.g. X.float() / 255 (PyTorch) or "
                         "tf.cast(X, tf.float32) / 255 (TensorFlow), as d2lmini's loaders do")


# The optimizers train_ch6 offers, with the settings both frameworks are given explicitly,
# because their defaults differ (Keras: Adam's epsilon 1e-7, Adadelta's rho 0.95 and
# epsilon 1e-7; PyTorch: 1e-8, and 0.9 and 1e-6). Adadelta's are Zeiler's and Kim's
# (rho 0.95, epsilon 1e-6); Adam's are Kingma and Ba's.
OPTIMIZERS = {
    "sgd": {},
    "adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
    "adadelta": {"rho": 0.95, "epsilon": 1e-6},
}
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adadelta": "Adadelta"}


def optimizer_settings(optimizer):
    """The settings of the optimizer named ``optimizer`` (a key of :data:`OPTIMIZERS`).

    >>> optimizer_settings("adadelta")
    {'rho': 0.95, 'epsilon': 1e-06}
    >>> optimizer_settings("Adam")
    Traceback (most recent call last):
    ...
    ValueError: optimizer must be one of 'sgd', 'adam', 'adadelta' (lower case); got 'Adam'
    """
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        names = ", ".join(repr(n) for n in OPTIMIZERS)
        raise ValueError(f"optimizer must be one of {names} (lower case); got {optimizer!r}")
    return dict(OPTIMIZERS[optimizer])
