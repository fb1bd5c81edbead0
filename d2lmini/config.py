"""Run-size settings read from the environment: quick mode and the CPU budget.

``D2LMINI_QUICK=1``
    Quick mode, for the test suite: about 2,000 training and 1,000 test examples and
    at most :data:`QUICK_EPOCHS` epochs, so a chapter runs in well under a minute.
``D2LMINI_MAX_EXAMPLES=N`` / ``D2LMINI_MAX_TEST_EXAMPLES=N``
    Use only the first ``N`` examples of a (shuffled-once, seeded) split: lets a CPU run a
    large model on part of the data. The summary line of a run says exactly what ran.
``D2LMINI_MAX_EPOCHS=N``
    Cap the number of epochs ``train_ch6`` runs.
``D2LMINI_SEED=N``
    Seed for shuffling and subsampling (default 0), from 0 to 2**32 - 1.
"""
import os
import warnings
from dataclasses import dataclass

QUICK_TRAIN_EXAMPLES = 2000
QUICK_TEST_EXAMPLES = 1000
QUICK_EPOCHS = 2
# The values D2LMINI_QUICK understands; any other is warned about and means a full run.
QUICK_ON = ("1", "true", "yes", "on")
QUICK_OFF = ("", "0", "false", "no", "off")
# The seeds every framework accepts: NumPy's and Keras's set_random_seed take 0 .. 2**32 - 1
# (PyTorch takes more, and would run a seed the TensorFlow chapters refuse).
SEED_RANGE = range(2**32)


def _int_env(name):
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not an integer; unset it or give a positive "
                         f"whole number, e.g. {name}=5000") from None
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number}")
    return number


def quick_mode():
    """True when ``D2LMINI_QUICK`` is set to a true value (1, true, yes, on).

    Another value than those and the false ones (0, false, no, off, empty) is warned about
    and means a full run, as before.
    """
    raw = os.environ.get("D2LMINI_QUICK", "")
    value = raw.strip().lower()
    if value not in QUICK_ON + QUICK_OFF:
        warnings.warn(f"D2LMINI_QUICK={raw!r} is not understood; assuming a full run (not "
                      f"quick mode). Set D2LMINI_QUICK=1 (or true, yes, on) for quick mode, "
                      f"0 (or false, no, off) or unset for a full run", stacklevel=2)
    return value in QUICK_ON


def seed():
    """The seed for subsampling and ``train_ch6``'s initial weights (``D2LMINI_SEED``, default 0).

    Raises
    ------
    ValueError
        The value is not a whole number, or lies outside 0 .. 2**32 - 1 (the seeds both
        frameworks accept).
    """
    value = os.environ.get("D2LMINI_SEED", "").strip()
    if not value:
        return 0
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"D2LMINI_SEED={value!r} is not an integer; unset it (seed 0) or give "
                         f"a whole number, e.g. D2LMINI_SEED=1") from None
    if number not in SEED_RANGE:
        raise ValueError(f"D2LMINI_SEED={number} is outside the seeds PyTorch and TensorFlow "
                         f"both accept, 0 to 2**32 - 1 ({SEED_RANGE.stop - 1}); unset it "
                         f"(seed 0) or give one in that range, e.g. D2LMINI_SEED=1")
    return number


@dataclass(frozen=True)
class Budget:
    """Limits on a run. ``None`` means no limit."""

    train_examples: int = None
    test_examples: int = None
    epochs: int = None
    quick: bool = False

    @property
    def limited(self):
        return self.quick or any(v is not None for v in
                                 (self.train_examples, self.test_examples, self.epochs))

    def cap_epochs(self, num_epochs):
        return num_epochs if self.epochs is None else min(num_epochs, self.epochs)


def budget():
    """The :class:`Budget` in force, from quick mode and the ``D2LMINI_MAX_*`` variables.

    Explicit ``D2LMINI_MAX_*`` values win over quick mode's defaults.

    >>> import os; os.environ.pop("D2LMINI_QUICK", None); budget().limited
    False
    """
    quick = quick_mode()
    train = _int_env("D2LMINI_MAX_EXAMPLES")
    test = _int_env("D2LMINI_MAX_TEST_EXAMPLES")
    epochs = _int_env("D2LMINI_MAX_EPOCHS")
    if quick:
        train = train or QUICK_TRAIN_EXAMPLES
        test = test or QUICK_TEST_EXAMPLES
        epochs = epochs or QUICK_EPOCHS
    return Budget(train, test, epochs, quick)
