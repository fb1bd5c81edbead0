"""The framework-free half of ``train_ch6(..., checkpoint=path)``: atomic writes and the
bookkeeping that lets an interrupted run resume where it stopped.

A checkpoint is one file, written after every epoch. Each backend stores its weights,
optimizer state and random-number state in it, together with a small *record*
(a dict of plain Python values, see :func:`new_record`): how many epochs are done, the
history so far, and the settings that must not change between the run and its resumption
that identify the run (:func:`check_compatible`): what decides its numbers.

What identifies a run
---------------------
A checkpoint is resumed only by the run that wrote it. Everything that decides the numbers
is recorded and compared:

* the model: its parameter shapes, its layers and their settings (a fingerprint of
  ``repr(net)``, or of the Keras layers' configurations), and the source code of every
  method of each model class that is not the framework's own (``forward``/``call`` and
  the rest, :func:`code_fingerprints`), so that an edited ``forward`` is a new run;
* the training: learning rate, optimizer, batch size, precision, and the seed of the
  initial weights (``seed=`` or ``D2LMINI_SEED``);
* the data: the number of training examples and, for d2lmini's loaders, a fingerprint of
  the examples themselves, their order's seed and the image size
  (:func:`data_fingerprint`).

A mismatch raises ``ValueError`` naming what differs and the two ways out: delete the file
to train afresh, or pass another checkpoint path. A checkpoint holding more epochs than
asked for is refused too (its weights are those after its last epoch). While a run writes
a checkpoint it holds a lock on it (:class:`RunLock`), so that a second run on the same
path stops with the first one's process number instead of overwriting its epochs.

Writes are atomic: the file is first written under a temporary name in the same folder,
flushed to disk, then renamed over the old checkpoint (:func:`atomic_write`). A run killed
while saving leaves the previous checkpoint intact, never half a file.

>>> rec = new_record(lr=0.1, batch_size=256, train_examples=60000,
...                  shapes={"w": [6, 1, 5, 5]}, precision="float32")
>>> rec["epochs_done"], check_compatible(rec, dict(rec["settings"]), "ck.pt")
(0, None)
"""
import os
import tempfile
from pathlib import Path

from .files import atomic_write, atomic_write_text  # the backends save checkpoints with these

__all__ = ["atomic_write", "atomic_write_text", "new_record", "fingerprint", "code_fingerprints",
           "data_fingerprint", "skip_in_quick_mode", "check_compatible", "check_epochs",
           "check_writable", "record_epoch", "resolve_path", "RunLock", "CheckpointInUseError"]

FORMAT = 1


def resolve_path(path):
    """``path`` as a :class:`~pathlib.Path`; its folder is created. ``ValueError`` if it is a folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"checkpoint must be a file path such as 'runs/lenet.ckpt', got {path!r}")
    text = os.fspath(path)
    if text.endswith(("/", os.sep)):  # Path() would drop the slash and write a file there
        raise ValueError(f"checkpoint={text!r} ends in '/', so it names a folder; give a file "
                         f"path inside it, e.g. {text.rstrip('/' + os.sep) + '/run.ckpt'!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"checkpoint={str(path)!r} is a folder; give a file path inside it, "
                         f"e.g. {str(path / 'run.ckpt')!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def new_record(lr, batch_size, train_examples, shapes, precision, architecture=None,
               optimizer="sgd", *, seed=None, code=None, data=None):
    """The bookkeeping of a fresh run: no epoch done yet, and the settings it must keep.

    ``architecture`` is a fingerprint of the model's layers and their settings (a short
    hash): it tells apart two models whose parameters have the same shapes, such as a
    network with ReLU and the same network with sigmoid activations. ``code`` maps each
    model class to a fingerprint of its methods' source (:func:`code_fingerprints`): it
    tells apart two models whose layers are the same and whose ``forward`` differs.
    ``seed`` is the seed of the initial weights; ``data`` describes the training examples
    (:func:`data_fingerprint`).
    """
    return {
        "format": FORMAT,
        "epochs_done": 0,
        "history": {"epoch": [], "train_loss": [], "train_acc": [], "test_acc": []},
        "points": [],  # the live plot's training points, [epoch, batch, loss, acc]
        "train_seconds": 0.0,
        "seen": 0,
        "step": 0,
        "loader_epoch": None,
        "settings": {"lr": float(lr), "batch_size": batch_size,
                     "train_examples": train_examples,
                     "shapes": {k: list(v) for k, v in shapes.items()},
                     "precision": precision, "architecture": architecture,
                     "optimizer": optimizer, "seed": seed, "code": code, "data": data},
    }


def fingerprint(text):
    """A short, stable hash of ``text`` (a model's description), for :func:`new_record`.

    >>> fingerprint("Sequential(Conv2d)") == fingerprint("Sequential(Conv2d)")
    True
    """
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _source(function):
    """The source text of ``function``, or, where Python cannot find it (a class typed at
    an interactive prompt), its compiled code, which changes with the code too."""
    import inspect
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        code = getattr(function, "__code__", None)
        return "" if code is None else repr((code.co_code, code.co_consts, code.co_names))


def code_fingerprints(modules, framework_prefixes):
    """A fingerprint of the code of each model class in ``modules`` that is not the
    framework's own: ``{qualified class name: short hash}``.

    ``modules`` are a network's layers (``net.modules()``, or Keras' layer walk);
    ``framework_prefixes`` the module names whose classes are left out, e.g.
    ``("torch.",)``: their code changes only with the framework's version. For each other
    class, and the classes it inherits from that are not the framework's, the source of
    every method defined in the class body is hashed: an edited ``forward`` (or
    ``__init__``, or a helper method) gives another fingerprint.

    >>> class Block:
    ...     def forward(self, X):
    ...         return X + 1
    >>> fp = code_fingerprints([Block()], ("torch.",))
    >>> list(fp), len(fp["Block"])
    (['Block'], 16)
    """
    found = {}
    for module in modules:
        for cls in type(module).__mro__:
            if cls is object or cls.__module__.startswith(tuple(framework_prefixes)):
                continue
            name = cls.__qualname__.replace(".<locals>", "")
            if name in found:
                continue
            parts = []
            for attr, value in sorted(vars(cls).items()):
                function = getattr(value, "__func__", value)  # staticmethod, classmethod
                if isinstance(value, property):
                    function = value.fget
                if callable(function) and hasattr(function, "__code__"):
                    parts.append(f"{attr}:{_source(function)}")
            found[name] = fingerprint("\n".join(parts))
    return dict(sorted(found.items()))


def data_fingerprint(loader):
    """What identifies the training data of a run, for :func:`new_record`: the loader's own
    ``fingerprint()`` (d2lmini's loaders: a hash of the examples and labels, the seed of
    their order, the image size), or None for a loader that has none.

    >>> data_fingerprint([(1, 2)]) is None
    True
    """
    method = getattr(loader, "fingerprint", None)
    return method() if callable(method) else None


def skip_in_quick_mode(checkpoint, verbose):
    """``None`` in quick mode (a smoke test neither resumes a real run's checkpoint nor
    overwrites it), else ``checkpoint`` unchanged."""
    from . import config
    if checkpoint is None or not config.quick_mode():
        return checkpoint
    if verbose:
        print(f"quick mode: not using the checkpoint {Path(checkpoint).name}")
    return None


def _differences(old, new):
    """The keys of two dicts whose values differ, sorted."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _what_differs(key, old, new):
    """Words for one setting that differs between a checkpoint (``old``) and this run."""
    if key == "shapes":
        return "the model's parameter shapes"
    if key == "architecture":
        return "the model's layers (types or settings)"
    if key == "code":
        changed = _differences(old, new)
        return (f"the code of the model's class{'es' if len(changed) > 1 else ''} "
                f"{', '.join(changed)} (forward/call or another method was edited)")
    if key == "seed":
        return (f"the seed (the checkpoint's run used seed {old}, this one seed {new}, from "
                "seed= or D2LMINI_SEED)")
    if key == "data":
        which = ", ".join({"examples": "the examples", "seed": "the seed of their order",
                           "image_size": "the image size", "shuffle": "shuffling",
                           "loader": "the kind of loader"}.get(k, k)
                          for k in _differences(old, new))
        return f"the training data ({which})"
    return f"{key}={old!r} (now {new!r})"


def check_compatible(record, settings, path):
    """Raise ``ValueError`` if a checkpoint was written by a different run than this one.

    ``settings`` is this run's ``new_record(...)["settings"]``. A run may ask for more
    epochs than the checkpointed one (that continues training), but not change the model
    (its shapes, layers or code), the learning rate, the optimizer, the seed, the batch
    size, the data or the precision. A setting a checkpoint from an older d2lmini did not
    record is not compared.

    >>> rec = new_record(0.1, 256, 60000, {"w": [6, 1, 5, 5]}, "float32", seed=0)
    >>> check_compatible(rec, {**rec["settings"], "seed": 1}, "ck.pt")
    Traceback (most recent call last):
    ...
    ValueError: the checkpoint ck.pt was written by a different run: the seed (the \
checkpoint's run used seed 0, this one seed 1, from seed= or D2LMINI_SEED) differs. To train \
afresh, delete the file or pass another checkpoint path; to resume it, run with the same \
settings
    """
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path} is not a d2lmini checkpoint of format {FORMAT}; delete it "
                         "or pass another checkpoint path")
    old = record["settings"]
    defaults = {"optimizer": "sgd"}  # checkpoints from before the choice trained with SGD
    optional = {"architecture", "seed", "code", "data"}  # recorded by later versions only
    differ = []
    for key in ("lr", "optimizer", "batch_size", "train_examples", "precision", "shapes",
                "architecture", "code", "seed", "data"):
        a, b = old.get(key, defaults.get(key)), settings.get(key, defaults.get(key))
        if key in optional and None in (a, b):
            continue  # a checkpoint from before this was recorded, or nothing to compare
        if a != b:
            differ.append(_what_differs(key, a, b))
    if differ:
        raise ValueError(f"the checkpoint {path} was written by a different run: "
                         f"{'; '.join(differ)} differ{'s' if len(differ) == 1 else ''}. "
                         "To train afresh, delete the file or pass another checkpoint path; "
                         "to resume it, run with the same settings")
    return None


def check_epochs(record, epochs, num_epochs, path):
    """Raise ``ValueError`` if the checkpoint holds more epochs than this call trains.

    Its weights are those after its last epoch: shown as a run of ``epochs`` epochs, they
    and its last numbers would be labelled with the wrong epoch count. ``num_epochs`` is the
    number asked for, ``epochs`` the number the budget allows (``D2LMINI_MAX_EPOCHS``).

    >>> check_epochs({"epochs_done": 3}, 2, 2, "run.ckpt")
    Traceback (most recent call last):
    ...
    ValueError: run.ckpt holds 3 epochs, more than the 2 this call trains: its weights are \
those after epoch 3. Ask for num_epochs=3 to show it, or delete the file or pass another \
checkpoint path to train 2 epochs afresh
    """
    done = record["epochs_done"]
    if done <= epochs:
        return None
    capped = (f" (num_epochs={num_epochs}, capped to {epochs} by D2LMINI_MAX_EPOCHS)"
              if epochs < num_epochs else "")
    raise ValueError(f"{path} holds {done} epochs, more than the {epochs} this call "
                     f"trains{capped}: its weights are those after epoch {done}. Ask for "
                     f"num_epochs={done}{' and unset D2LMINI_MAX_EPOCHS' if capped else ''} "
                     f"to show it, or delete the file or pass another checkpoint path to "
                     f"train {epochs} epoch{'s' if epochs != 1 else ''} afresh")


def check_writable(path):
    """Raise ``PermissionError`` now, before any training, if no file can be written in
    ``path``'s folder (a read-only folder would otherwise fail after the first epoch)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
    except OSError as e:
        raise PermissionError(f"cannot write the checkpoint {path}: its folder {path.parent} "
                              f"is not writable ({e.strerror or e}); pass a checkpoint path in "
                              "a folder you can write to") from e
    os.close(fd)
    os.unlink(tmp)


class CheckpointInUseError(RuntimeError):
    """Another run is writing the same checkpoint."""


class RunLock:
    """Hold ``path + ".lock"`` while a run reads and writes the checkpoint ``path``.

    The lock is an operating-system lock on that file (``fcntl.flock``): it is released
    when the run ends, and also when its process dies, so a crashed run never leaves a
    stale lock. A second run on the same checkpoint, in another process or the same one,
    gets :class:`CheckpointInUseError` naming the first one's process. Where ``fcntl`` is
    missing (Windows) no lock is taken.

    >>> import tempfile, pathlib
    >>> ck = pathlib.Path(tempfile.mkdtemp()) / "run.ckpt"
    >>> with RunLock(ck):
    ...     RunLock(ck).__enter__()
    Traceback (most recent call last):
    ...
    d2lmini.checkpoint.CheckpointInUseError: another run is writing ...
    """

    def __init__(self, path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.file = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks of this kind
            return self
        import socket
        import time
        f = open(self.lock_path, "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise CheckpointInUseError(
                f"another run is writing the checkpoint {self.path} ({holder}): wait for it "
                "to finish or stop it, or pass another checkpoint path") from e
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()} on {socket.gethostname()}, since "
                f"{time.strftime('%H:%M:%S')}")
        f.flush()
        self.file = f
        return self

    def __exit__(self, *exc):
        if self.file is not None:
            try:
                os.unlink(self.lock_path)  # while still locked: no one else holds it
            except FileNotFoundError:
                pass
            self.file.close()  # releases the lock
            self.file = None
        return False


def record_epoch(record, epoch_stats, train_seconds, seen, step, loader_epoch, points=()):
    """Add one finished epoch to ``record`` (in place) and return it.

    ``epoch_stats`` maps ``"train_loss"``, ``"train_acc"``, ``"test_acc"`` to floats;
    ``points`` are the live plot's training points so far (``Progress.points``).
    """
    record["epochs_done"] += 1
    record["history"]["epoch"].append(record["epochs_done"])
    for key in ("train_loss", "train_acc", "test_acc"):
        record["history"][key].append(float(epoch_stats[key]))
    record["train_seconds"] = float(train_seconds)
    record["seen"], record["step"] = int(seen), int(step)
    record["loader_epoch"] = loader_epoch
    record["points"] = [[int(e), int(i), float(loss), float(acc)] for e, i, loss, acc in points]
    return record
