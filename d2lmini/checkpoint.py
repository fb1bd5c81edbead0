"""The framework-free half of ``train_ch6(..., checkpoint=path)``: atomic writes and the
bookkeeping that lets an interrupted run resume where it stopped.

A checkpoint is one file, written after every epoch. Each backend stores its weights,
optimizer state and random-number state in it, together with a small *record*
(a dict of plain Python values, see :func:`new_record`): how many epochs are done, the
history so far, and the settings that must not change between the run and its resumption
(learning rate, batch size, number of training examples, parameter shapes, precision).

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

__all__ = ["atomic_write", "atomic_write_text", "new_record", "fingerprint", "skip_in_quick_mode", "check_compatible",
           "record_epoch", "resolve_path"]

FORMAT = 1


def resolve_path(path):
    """``path`` as a :class:`~pathlib.Path`; its folder is created. ``ValueError`` if it is a folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"checkpoint must be a file path such as 'runs/lenet.ckpt', got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"checkpoint={str(path)!r} is a folder; give a file path inside it, "
                         f"e.g. {str(path / 'run.ckpt')!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path, write):
    """Call ``write(f)`` on a binary file object, then move the result to ``path`` atomically.

    The data go to a temporary file in ``path``'s folder, are flushed and fsync'ed, and the
    file is renamed over ``path`` with :func:`os.replace` (atomic on POSIX and Windows). If
    ``write`` raises, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`); return the path."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def new_record(lr, batch_size, train_examples, shapes, precision, architecture=None,
               optimizer="sgd"):
    """The bookkeeping of a fresh run: no epoch done yet, and the settings it must keep.

    ``architecture`` is a fingerprint of the model's layers and their settings (a short
    hash): it tells apart two models whose parameters have the same shapes, such as a
    network with ReLU and the same network with sigmoid activations.
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
                     "optimizer": optimizer},
    }


def fingerprint(text):
    """A short, stable hash of ``text`` (a model's description), for :func:`new_record`.

    >>> fingerprint("Sequential(Conv2d)") == fingerprint("Sequential(Conv2d)")
    True
    """
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def skip_in_quick_mode(checkpoint, verbose):
    """``None`` in quick mode (a smoke test neither resumes a real run's checkpoint nor
    overwrites it), else ``checkpoint`` unchanged."""
    from . import config
    if checkpoint is None or not config.quick_mode():
        return checkpoint
    if verbose:
        print(f"quick mode: not using the checkpoint {Path(checkpoint).name}")
    return None


def check_compatible(record, settings, path):
    """Raise ``ValueError`` if a checkpoint was written by a different run than this one.

    ``settings`` is this run's ``new_record(...)["settings"]``. A run may ask for more
    epochs than the checkpointed one (that continues training), but not change the model,
    the learning rate, the optimizer, the batch size, the data or the precision.
    """
    if record.get("format") != FORMAT:
        raise ValueError(f"{path} is not a d2lmini checkpoint of format {FORMAT}; delete it "
                         "or pass another checkpoint path")
    old = record["settings"]
    defaults = {"optimizer": "sgd"}  # checkpoints from before the choice trained with SGD
    for key in ("lr", "optimizer", "batch_size", "train_examples", "precision", "shapes",
                "architecture"):
        if key == "architecture" and None in (old.get(key), settings.get(key)):
            continue  # a checkpoint from before fingerprints, or a model without one
        if old.get(key, defaults.get(key)) != settings.get(key, defaults.get(key)):
            what = {"shapes": "the model's parameter shapes",
                    "architecture": "the model's layers (types or settings)"}.get(
                key, f"{key}={old.get(key)!r} (now {settings.get(key)!r})")
            raise ValueError(f"the checkpoint {path} was written by a different run: "
                             f"{what} differ. Resume with the same settings, or delete the "
                             "file / pass another checkpoint path to start afresh")
    return None


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
