"""The framework-free half of data-parallel training: who gets which examples, and checks.

In data parallelism every worker (a process, or a device within one) holds a copy of the
network. A *global* mini-batch of ``batch_size`` examples is cut into one part per worker;
each worker computes the gradient of its part, the gradients are combined by an
all-reduce, and every copy takes the same step. Both backends
(:mod:`d2lmini.backend_torch.distributed`, :mod:`d2lmini.backend_tf.distributed`) cut the
batches with the functions here, so that "worker 1 of 2 sees examples 128 to 255 of
step 7" means the same in PyTorch and TensorFlow:

* the epoch's order is the order the single-process loader would use (the same seed);
* that order is cut into global batches exactly as the single-process loader cuts it
  (:func:`global_batch_sizes`);
* each global batch is cut into ``world_size`` contiguous parts of (nearly) equal size
  (:func:`part_bounds`); a last, smaller global batch may give some workers one example
  fewer than others, or none.

So each example is seen once per epoch across the workers, and every worker takes the
same number of steps (a worker that ran out of batches early would leave the others
waiting in the all-reduce).
"""
import json
import numbers
import os
import re

import numpy as np

from .data.loading import PassCounter


def check_nproc(nproc):
    """``nproc`` (worker processes or devices) as an int of at least 1; ``ValueError``
    otherwise.

    >>> check_nproc(2)
    2
    >>> check_nproc(0)
    Traceback (most recent call last):
    ...
    ValueError: nproc must be a whole number of at least 1 (workers), got 0
    """
    if isinstance(nproc, bool) or not isinstance(nproc, numbers.Integral) or nproc < 1:
        raise ValueError(f"nproc must be a whole number of at least 1 (workers), got {nproc!r}")
    return int(nproc)


def check_rank(rank, world_size):
    """``(rank, world_size)`` as ints if ``0 <= rank < world_size``; ``ValueError`` otherwise.

    >>> check_rank(1, 2)
    (1, 2)
    >>> check_rank(2, 2)
    Traceback (most recent call last):
    ...
    ValueError: rank must be a whole number from 0 to world_size - 1 = 1, got 2
    """
    world_size = check_nproc(world_size)
    if isinstance(rank, bool) or not isinstance(rank, numbers.Integral) \
            or not 0 <= rank < world_size:
        raise ValueError(f"rank must be a whole number from 0 to world_size - 1 = "
                         f"{world_size - 1}, got {rank!r}")
    return int(rank), world_size


def per_worker_batch(batch_size, world_size):
    """How many examples of a global batch of ``batch_size`` each of ``world_size``
    workers gets; ``ValueError`` unless it divides evenly.

    An even split keeps the workers in step (each waits for the slowest in every
    all-reduce) and keeps the global batch, and with it the learning rate's meaning, the
    same as in single-process training.

    >>> per_worker_batch(256, 2)
    128
    >>> per_worker_batch(100, 3)
    Traceback (most recent call last):
    ...
    ValueError: the global batch of 100 examples does not split evenly among 3 workers; use a multiple of 3, e.g. 99 or 102
    """
    world_size = check_nproc(world_size)
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive whole number such as 256, "
                         f"got {batch_size!r}")
    if batch_size % world_size:
        lower = batch_size - batch_size % world_size
        raise ValueError(f"the global batch of {batch_size} examples does not split evenly "
                         f"among {world_size} workers; use a multiple of {world_size}, e.g. "
                         f"{lower or world_size} or {lower + world_size}")
    return batch_size // world_size


def global_batch_sizes(num_examples, batch_size):
    """The size of each global batch of an epoch: full batches, then the rest.

    >>> global_batch_sizes(10, 4)
    [4, 4, 2]
    """
    full, rest = divmod(int(num_examples), int(batch_size))
    return [int(batch_size)] * full + ([rest] if rest else [])


def part_bounds(n, rank, world_size):
    """``(start, stop)`` of worker ``rank``'s part of a global batch of ``n`` examples.

    The parts are contiguous and their sizes differ by at most one (the first ``n %
    world_size`` workers get one more), as ``numpy.array_split`` cuts.

    >>> [part_bounds(5, r, 2) for r in range(2)]
    [(0, 3), (3, 5)]
    >>> [part_bounds(1, r, 2) for r in range(2)]   # a last batch of one example
    [(0, 1), (1, 1)]
    """
    rank, world_size = check_rank(rank, world_size)
    base, extra = divmod(int(n), world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


def shard_batches(order, batch_size, rank, world_size):
    """Worker ``rank``'s index arrays, one per step, for an epoch in ``order``.

    ``order`` (an int array of shape (N,)) is the epoch's order of the examples, the one a
    single-process loader with global batches of ``batch_size`` would follow. The order is
    cut into those global batches, and each global batch into ``world_size`` parts
    (:func:`part_bounds`); the worker gets part ``rank`` of every one.

    >>> order = np.array([7, 3, 0, 9, 1, 8, 2, 6, 5, 4])
    >>> [b.tolist() for b in shard_batches(order, 4, 0, 2)]
    [[7, 3], [1, 8], [5]]
    >>> [b.tolist() for b in shard_batches(order, 4, 1, 2)]
    [[0, 9], [2, 6], [4]]
    """
    per_worker_batch(batch_size, world_size)
    order = np.asarray(order)
    batches, start = [], 0
    for n in global_batch_sizes(len(order), batch_size):
        lo, hi = part_bounds(n, rank, world_size)
        batches.append(order[start + lo:start + hi])
        start += n
    return batches


def epoch_order(num_examples, seed, epoch, shuffle=True):
    """The order of the examples in epoch ``epoch`` (0-based): a permutation seeded by
    ``seed + epoch`` when ``shuffle``, else ``0, 1, ..., N - 1``.

    The TensorFlow loader's order; PyTorch's loader draws it with ``torch.randperm``
    from the same seed.

    >>> epoch_order(5, seed=0, epoch=0).tolist(), epoch_order(5, 0, 0, shuffle=False).tolist()
    ([2, 4, 3, 0, 1], [0, 1, 2, 3, 4])
    """
    if not shuffle:
        return np.arange(num_examples)
    return np.random.default_rng(seed + epoch).permutation(num_examples)


class Shard(PassCounter):
    """One worker's part of every global batch of a loader: the framework-free half of
    the backends' ``ShardedLoader``.

    The epoch's order is the one ``loader`` itself follows (the backend's
    :meth:`epoch_order`), cut into ``loader``'s global batches of ``loader.batch_size``
    examples; worker ``rank`` of ``world_size`` gets part ``rank`` of each
    (:func:`shard_batches`). Across the workers every example is seen once per epoch, and
    every worker takes ``len(loader)`` steps. The epoch count is shared with ``loader``.
    A backend adds :meth:`epoch_order` and ``__iter__``, which ends a pass with
    :meth:`finish_pass`.
    """

    def __init__(self, loader, rank, world_size):
        self.rank, self.world_size = check_rank(rank, world_size)
        self.batch_size = per_worker_batch(loader.batch_size, world_size)
        self.loader = loader
        self.global_batch_size = loader.batch_size
        self._passes = loader._passes  # one epoch count with the loader it shards
        self.global_sizes = global_batch_sizes(loader.num_examples, loader.batch_size)
        self.num_examples = sum(len(b) for b in self.indices())

    def __len__(self):
        return len(self.global_sizes)

    def epoch_order(self):
        """The order of all the examples in the coming epoch, as ``loader`` draws it."""
        raise NotImplementedError

    def indices(self):
        """This worker's example indices for the coming epoch: one int array per step."""
        return shard_batches(self.epoch_order(), self.global_batch_size, self.rank,
                             self.world_size)

    def finish_pass(self, shuffled):
        """Count a complete pass, as the loader does (only shuffled loaders count)."""
        if shuffled:
            self.epoch += 1


def step_loss_scale(local_examples, global_examples, world_size):
    """The factor for a worker's *summed* loss that makes an all-reduce that averages the
    gradients (PyTorch's DDP) give the gradient of the mean loss over the global batch.

    The average over ``W`` workers of ``W / n`` times each worker's gradient of its summed
    loss is the sum over all ``n`` examples divided by ``n``: the full-batch mean, also
    when the parts differ in size. ``local_examples`` is not needed for the factor; it is
    checked, so that a worker with more examples than the global batch fails loudly.

    >>> step_loss_scale(2, 5, 2)
    0.4
    """
    if not 0 <= local_examples <= global_examples or global_examples <= 0:
        raise ValueError(f"a worker's part ({local_examples} examples) must lie within the "
                         f"global batch ({global_examples} examples)")
    return world_size / global_examples


def torchrun_env(environ=None):
    """``(rank, world_size, local_rank)`` from the variables ``torchrun`` sets (``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``, with ``MASTER_ADDR`` and ``MASTER_PORT``);
    ``RuntimeError`` saying how to start the script when they are missing.

    >>> torchrun_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1",
    ...               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"})
    (1, 2, 1)
    >>> torchrun_env({})
    Traceback (most recent call last):
    ...
    RuntimeError: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT are not set: start this script with torchrun, e.g. `torchrun --nproc_per_node=2 script.py` (or d2l.launch('script.py', nproc=2))
    """
    environ = os.environ if environ is None else environ
    names = ["RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"]
    missing = [n for n in names if not environ.get(n)]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
                           "set: start this script with torchrun, e.g. `torchrun "
                           "--nproc_per_node=2 script.py` (or d2l.launch('script.py', nproc=2))")
    try:
        rank, world, local = (int(environ[n]) for n in names[:3])
    except ValueError:
        raise RuntimeError(f"RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers, got "
                           f"{[environ[n] for n in names[:3]]}") from None
    check_rank(rank, world)
    return rank, world, local


def tf_config(workers, index):
    """The ``TF_CONFIG`` value (a JSON string) for worker ``index`` of a
    ``MultiWorkerMirroredStrategy`` cluster of ``workers`` (``"host:port"`` strings).

    Every worker gets the same list and its own index; worker 0 is the *chief*, which
    also writes checkpoints and logs.

    >>> tf_config(["10.0.0.1:12345", "10.0.0.2:12345"], 1)
    '{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, "task": {"type": "worker", "index": 1}}'
    """
    workers = list(workers)
    check_rank(index, len(workers) if workers else 0)
    for w in workers:
        host, _, port = str(w).rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"each worker must be 'host:port', e.g. '127.0.0.1:12345', got {w!r}")
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def failed_rank(report):
    """``(rank, exit code)`` of the first failure in a ``torchrun`` error report (the
    block it prints when a worker fails), or ``(None, None)`` when there is none.

    >>> failed_rank('''Root Cause (first observed failure):
    ... [0]:
    ...   rank      : 1 (local_rank: 1)
    ...   exitcode  : 3 (pid: 4242)''')
    (1, 3)
    """
    root = report.split("Root Cause", 1)[-1]
    rank = re.search(r"^\s*rank\s*:\s*(\d+)", root, re.M)
    code = re.search(r"^\s*exitcode\s*:\s*(-?\d+)", root, re.M)
    return (int(rank.group(1)) if rank else None, int(code.group(1)) if code else None)


def failures(report):
    """``{rank: exit code}`` of every failed worker in a ``torchrun`` error report: the
    root cause and the others it lists (empty when there is no report).

    >>> failures('''Failures:
    ... [1]:
    ...   rank      : 0 (local_rank: 0)
    ...   exitcode  : -15 (pid: 4241)
    ... Root Cause (first observed failure):
    ... [0]:
    ...   rank      : 1 (local_rank: 1)
    ...   exitcode  : 1 (pid: 4242)''')
    {0: -15, 1: 1}
    """
    start = report.rfind("Failures:")  # the report comes last; workers' lines before it
    block = report[start:] if start >= 0 else report[report.rfind("Root Cause"):]
    pairs = re.finditer(r"^\s*rank\s*:\s*(\d+).*?^\s*exitcode\s*:\s*(-?\d+)", block,
                        re.M | re.S)
    return {int(m.group(1)): int(m.group(2)) for m in pairs}


def first_failure(codes, written=None, reported=None):
    """The rank of the worker that failed first, of ``codes`` (``{rank: exit code}`` of
    the workers that failed); None when there is none.

    One failure brings down the others: a worker waiting in an all-reduce for the failed
    one gets a "connection closed" error a moment later, and the launcher stops the rest
    with SIGTERM (exit code -15). So a worker stopped by SIGTERM counts only when no other
    failed, and among the others the one whose error output was last written earliest
    (``written``: ``{rank: time}``) failed first: the others wrote theirs after it. Equal
    or unknown times go to ``reported`` (``torchrun``'s root cause: the first failure it
    saw, to the second), then to the lowest rank.

    >>> first_failure({0: 1, 1: 1}, written={0: 12.5, 1: 12.1}, reported=0)
    1
    >>> first_failure({0: -15, 1: 1})  # stopped after rank 1 failed
    1
    """
    if not codes:
        return None
    stopped = -15  # -SIGTERM, as exit codes give a signal (a constant: no signal on Windows)
    candidates = [r for r, code in codes.items() if code != stopped] or list(codes)
    written = written or {}
    return min(candidates, key=lambda r: (written.get(r, float("inf")), r != reported, r))


class LaunchError(RuntimeError):
    """A launch of worker processes that failed or ran out of time.

    :attr:`rank` and :attr:`exit_code` say which worker failed first and how (None when
    unknown, e.g. after a timeout); :attr:`output` holds what the processes printed.
    """

    def __init__(self, message, rank=None, exit_code=None, output=""):
        super().__init__(message)
        self.rank, self.exit_code, self.output = rank, exit_code, output


def check_launch(script, nproc, timeout):
    """The checks both backends' ``launch`` make: ``nproc`` as an int of at least 1."""
    nproc = check_nproc(nproc)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not os.path.isfile(script):
        raise ValueError(f"no script at {script}")
    return nproc


def worker_env(nproc, threads=None, environ=None):
    """The environment of ``nproc`` workers on this machine: ``environ`` (default: this
    process's) with ``OMP_NUM_THREADS`` set to ``threads``, by default the cores divided
    among the workers (at least 1), so that they do not compete for cores, and Python's
    output unbuffered, so that a worker's last lines arrive even if it dies."""
    env = dict(os.environ if environ is None else environ)
    env["OMP_NUM_THREADS"] = str(threads or max(1, (os.cpu_count() or 1) // nproc))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def stop_session(process, grace=5.0):
    """Stop ``process`` (started with ``start_new_session=True``) and every process it
    started: SIGTERM, then SIGKILL after ``grace`` seconds. Returns what
    ``process.communicate()`` returns, or None when its output is not piped.

    The processes it started may have sessions of their own (``torchrun`` starts each
    worker in one): every process group below ``process`` is signalled, and this returns
    once all of them are gone, or after the SIGKILL.
    """
    import signal
    import subprocess
    import time
    groups, result = {process.pid}, None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is None:  # its children, found while it still is their parent
            groups |= descendant_groups(process.pid)
        groups.discard(os.getpgrp())  # never this process's own group
        for group in groups:
            try:
                os.killpg(group, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace
        if result is None:
            try:
                result = process.communicate(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
        while time.monotonic() < deadline and any(_exists(g) for g in groups):
            time.sleep(0.05)
        if not any(_exists(g) for g in groups):
            break
    return result if result is not None else process.communicate()


def _exists(group):
    """Whether process group ``group`` still has a process (a zombie counts)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but is not ours
        return True
    return True


def descendant_groups(pid):
    """The process groups of every process below ``pid`` (its children, theirs, ...), as
    ``/proc`` (Linux) or ``ps`` lists them; empty where neither is available."""
    children = {}
    for child, parent, group in _process_table():
        children.setdefault(parent, []).append((child, group))
    groups, todo, seen = set(), [pid], {pid}
    while todo:
        for child, group in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                groups.add(group)
                todo.append(child)
    return groups


def _process_table():
    """``[(pid, parent pid, process group)]`` of this machine's processes."""
    import subprocess
    if os.path.isdir("/proc"):
        rows = []
        for name in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{name}/stat") as f:  # "pid (name) state ppid pgrp ..."
                    fields = f.read().rsplit(")", 1)[1].split()
                rows.append((int(name), int(fields[1]), int(fields[2])))
            except (OSError, IndexError, ValueError):
                pass  # ended meanwhile
        return rows
    try:
        listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "pgid="],
                                 capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [tuple(map(int, line.split())) for line in listing.splitlines()
            if len(line.split()) == 3 and line.replace(" ", "").isdigit()]


def tail(text, lines=15):
    """The last ``lines`` non-blank lines of ``text``.

    >>> tail("a\\n\\nb\\nc\\n", 2)
    'b\\nc'
    """
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
