"""Data-parallel training in PyTorch: ``torch.distributed`` with ``DistributedDataParallel``.

A training script calls :func:`train_parallel` and is started with ``torchrun``, which runs
one copy of it per worker and tells each copy its rank through environment variables::

    torchrun --nproc_per_node=2 train.py              # two processes on this machine
    python -c "from d2lmini import torch as d2l; d2l.launch('train.py', nproc=2)"

Every process builds the same network from the same seed, reads its own part of every
global batch (:class:`ShardedLoader`), and ``DistributedDataParallel`` averages the
gradients over the processes during the backward pass (an all-reduce, by gloo on CPUs and
NCCL on GPUs). Communication is PyTorch's own; nothing here sends a tensor.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .. import distributed, loop, mirrordocs, training
from ..distributed import LaunchError
from .devices import num_gpus
from .train import (accuracy, checkpoint_settings, init_xavier, load_checkpoint, make_optimizer,
                    materialize_lazy, reset_parameters, save_checkpoint)

__all__ = ["split_cpu", "ShardedLoader", "train_parallel", "launch", "LaunchError"]


def split_cpu(n=2):
    """The devices of ``n`` workers that share this machine's CPU: ``n`` times ``cpu``.

    PyTorch needs no set-up for this: each of ``torchrun``'s processes computes on the
    CPU, and :func:`launch` gives each a share of the cores. (TensorFlow's ``split_cpu``
    makes one process see the CPU as ``n`` devices.) Pass the result as ``devices`` to
    :func:`train_parallel`, or leave ``devices`` out on a machine without GPUs.

    >>> split_cpu(2)
    [device(type='cpu'), device(type='cpu')]
    """
    return [torch.device("cpu")] * distributed.check_nproc(n)


class ShardedLoader(distributed.Shard):
    """One worker's part of every global batch of an :class:`ArrayLoader`.

    The epoch's order is the one ``loader`` itself follows (a permutation seeded by
    ``seed + epoch``), cut into ``loader``'s global batches of ``loader.batch_size``
    examples; the worker ``rank`` of ``world_size`` gets part ``rank`` of each
    (:func:`d2lmini.distributed.shard_batches`). Across the workers every example is seen
    once per epoch, and every worker takes ``len(loader)`` steps. The epoch count is
    shared with ``loader``.

    Parameters
    ----------
    loader : ArrayLoader
        The single-process loader, with the *global* batch size (a multiple of
        ``world_size``).
    rank, world_size : int

    Yields
    ------
    X : float32 tensor, (batch_size / world_size, C, H, W) (fewer in a last batch)
    y : int64 tensor, (batch_size / world_size,)
    """

    def on(self, device):
        """The same shard, its batches made on ``device``."""
        return ShardedLoader(self.loader.on(device), self.rank, self.world_size)

    def epoch_order(self):
        """The coming epoch's order, drawn as ArrayLoader draws it (``torch.randperm``)."""
        n = self.loader.num_examples
        if not self.loader.shuffle:
            return np.arange(n)
        g = torch.Generator().manual_seed(self.loader.seed + self.epoch)
        return torch.randperm(n, generator=g).numpy()

    def __iter__(self):
        loader = self.loader
        for idx in self.indices():
            idx = torch.as_tensor(idx).to(loader.device)
            yield loader.transform(loader.images[idx]), loader.labels[idx]
        self.finish_pass(loader.shuffle)


def train_parallel(net, train_iter, test_iter, num_epochs, lr, devices=None, seed=None,
                   optimizer="sgd", verbose=True, checkpoint=None):
    """Train ``net`` data-parallel in a script started by ``torchrun``; return the run.

    Every process calls this with the same arguments. It joins the process group that
    ``torchrun`` describes (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
    ``MASTER_PORT``), draws the initial weights from ``seed`` exactly as
    :func:`train_ch6` does, wraps the network in ``DistributedDataParallel``, and trains
    with cross-entropy on its part of every global batch (:class:`ShardedLoader`). The
    gradients are averaged over the processes in the backward pass, so each step is the
    step single-process training takes on the whole global batch (up to rounding). After
    each epoch the test accuracy is computed on all of ``test_iter``, each process
    evaluating its part. The process group is destroyed at the end (if this call made it).

    Parameters
    ----------
    net : torch.nn.Module
        Maps (batch, C, H, W) to scores (batch, classes). Batch normalization normalizes
        with each process's part of the batch, not the global batch.
    train_iter, test_iter : ArrayLoader
        The single-process loaders, e.g. from :func:`load_data_fashion_mnist`; their
        ``batch_size`` is the global batch and must be a multiple of the number of
        processes.
    num_epochs, lr : int, float
        As for :func:`train_ch6` (quick mode caps the epochs the same way).
    devices : list of devices, optional
        The devices of this machine's processes: process ``LOCAL_RANK`` computes on
        ``devices[LOCAL_RANK]``, e.g. ``try_all_gpus()``. Default: GPU ``LOCAL_RANK`` when
        PyTorch sees GPUs, else the CPU (:func:`split_cpu`). The processes talk through
        NCCL on GPUs and gloo on CPUs.
    seed : int, optional
        The initial weights (default ``D2LMINI_SEED``, else 0): the same on every process
        and the same as :func:`train_ch6`'s with this seed.
    optimizer : "sgd", "adam" or "adadelta"
    verbose : bool
        Process 0 prints the summary line (and shows a progress bar in a terminal).
    checkpoint : str or path, optional
        A file written after every epoch (atomically, by the first process of each
        machine) and read by every process when it exists: the run resumes after its last
        epoch and ends where an uninterrupted run ends, as with :func:`train_ch6`, whose
        checkpoints it shares (a run started by ``train_ch6`` can go on here with the same
        settings). On several machines, give a path on storage they all see.
        Quick mode ignores checkpoints.

    Returns
    -------
    TrainResult
        The same on every process. ``device`` says how many processes ran where, e.g.
        ``2 x cpu (gloo)``; ``examples_per_sec`` counts all processes' examples;
        ``extra["step_losses"]`` holds the mean loss over each global batch trained in
        this call, and ``extra["initial_state"]`` the initial weights (a ``state_dict`` on
        the CPU).
    """
    rank, world_size, local_rank = distributed.torchrun_env()
    training.check_training_args(num_epochs, lr, optimizer)
    shards = ShardedLoader(train_iter, rank, world_size), ShardedLoader(test_iter, rank,
                                                                      world_size)
    device = _device(devices, local_rank)
    created = not dist.is_initialized()
    if created:  # reads MASTER_ADDR and MASTER_PORT; waits until all processes have joined
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank,
                                world_size=world_size,
                                device_id=device if device.type == "cuda" else None)
    try:
        return _train(net, train_iter, test_iter, shards, num_epochs, lr, device,
                      dist.get_backend(), training.resolve_seed(seed), optimizer,
                      verbose and rank == 0, checkpoint, writer=local_rank == 0)
    finally:
        if created:
            dist.destroy_process_group()


def _device(devices, local_rank):
    """The device of process ``local_rank`` on this machine (see :func:`train_parallel`)."""
    if devices is None:
        devices = [torch.device(f"cuda:{i}") for i in range(num_gpus())]
        if not devices:  # every process on the CPU
            return torch.device("cpu")
    devices = [torch.device(d) for d in devices]
    if not 0 <= local_rank < len(devices):
        raise ValueError(f"process {local_rank} on this machine has no device: devices "
                         f"lists {len(devices)}; start at most {len(devices)} processes per "
                         "machine (--nproc_per_node) or list more devices")
    if devices[local_rank].type not in ("cpu", "cuda"):
        raise ValueError(f"data-parallel training runs on 'cpu' or 'cuda' devices, got "
                         f"{devices[local_rank]}")
    return devices[local_rank]


def _train(net, train_iter, test_iter, shards, num_epochs, lr, device, backend, seed,
           optimizer_name, verbose, checkpoint=None, writer=True):
    world_size = shards[0].world_size
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)  # the same draws as train_ch6's, on every process
        materialize_lazy(net, test_iter)
        reset_parameters(net)
        init_xavier(net)
        initial = {k: v.detach().clone() for k, v in net.state_dict().items()}
        net.to(device)
        # DDP also copies process 0's weights to the others when it wraps the network.
        ddp = DistributedDataParallel(net, device_ids=[device] if device.type == "cuda" else None)
        optimizer = make_optimizer(optimizer_name, ddp.parameters(), lr)
        # Never enabled (float32), but kept so that checkpoints read as train_ch6's do.
        scaler = torch.amp.GradScaler(device.type, enabled=False)
        step_losses = []
        train_batches, test_batches = (s.on(device) for s in shards)
        steps = loop.Steps(
            train_epoch=lambda watch: _train_epoch(ddp, optimizer, train_batches, watch,
                                                   device, step_losses),
            evaluate=lambda: _evaluate(net, test_batches, device),
            save=lambda path, record: _save(path, record, net, optimizer, scaler, device,
                                            writer),
            load=lambda path: _load(path, net, optimizer, scaler, device),
            read_losses=lambda window: torch.stack(window).tolist())
        # A progress bar only where someone watches: captured output keeps the summary line.
        show = verbose and sys.stderr.isatty()
        result = loop.fit(steps, net, train_iter, test_iter, num_epochs, lr,
                          framework="pytorch", device=f"{world_size} x {device.type} ({backend})",
                          settings=checkpoint_settings(net, "float32", optimizer_name),
                          precision_note="float32", checkpoint=checkpoint, verbose=show,
                          writer=writer,
                          extra={"seed": seed, "optimizer": optimizer_name,
                                 "world_size": world_size, "backend": backend,
                                 "step_losses": step_losses})
    if verbose and not show:
        print(result.summary(), flush=True)
    result.extra["initial_state"] = initial
    return result


def _train_epoch(ddp, optimizer, batches, watch, device, step_losses):
    """One pass over this process's shard; returns the global (mean loss, accuracy,
    examples) and appends each global batch's mean loss to ``step_losses``."""
    ddp.train()
    sizes, world_size = batches.global_sizes, batches.world_size
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    sums = torch.zeros(len(sizes) + 2, device=device)  # each step's loss sum, correct, n
    seen = 0  # this process's examples so far, counted on the host: no sync per step
    for i, (X, y) in enumerate(batches):
        X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        y_hat = ddp(X)
        loss_sum = loss_fn(y_hat, y)
        # DDP averages the processes' gradients. Scaled by W / n, the average of the W
        # summed-loss gradients is the gradient of the mean loss over the n examples of
        # the global batch, also when its parts differ in size (a last, smaller batch).
        scale = distributed.step_loss_scale(len(y), sizes[i], world_size)
        optimizer.zero_grad(set_to_none=True)
        (loss_sum * scale).backward()  # the all-reduce runs here, layer by layer
        optimizer.step()
        with torch.no_grad():
            sums[i] = loss_sum
            sums[-2] += accuracy(y_hat, y)
            sums[-1] += len(y)
        seen += len(y)
        watch.after_step(i, loss_sum.detach() / max(len(y), 1), sums[:i + 1].sum(),
                         sums[-2], max(seen, 1))
    # One all-reduce per epoch gives every process the global batches' losses and counts.
    dist.all_reduce(sums)
    sums = sums.cpu()
    step_losses.extend((sums[:len(sizes)] / torch.tensor(sizes)).tolist())
    n = int(sums[-1])
    return float(sums[:len(sizes)].sum()) / n, float(sums[-2]) / n, n


def _evaluate(net, batches, device):
    """Accuracy on the whole test set: each process counts its part, an all-reduce adds."""
    was_training = net.training
    net.eval()
    counts = torch.zeros(2, dtype=torch.int64, device=device)  # correct, examples
    with torch.no_grad():
        for X, y in batches:
            X, y = X.to(device), y.to(device)
            counts[0] += accuracy(net(X), y)
            counts[1] += len(y)
    net.train(was_training)
    dist.all_reduce(counts)
    return counts[0].item() / max(counts[1].item(), 1)


def _save(path, record, net, optimizer, scaler, device, writer):
    """Write the checkpoint of an epoch: the weights and optimizer state (the same on every
    process) and each process's random state (dropout draws on each; a last, smaller part
    of a batch can move one process's state on further than another's)."""
    rng = {"rank_rng": _gather(torch.get_rng_state(), device)}
    if device.type == "cuda":
        rng["rank_cuda_rng"] = _gather(torch.cuda.get_rng_state(device), device)
    if writer:
        save_checkpoint(path, {**record, **rng}, net, optimizer, scaler, torch.device("cpu"))
    dist.barrier()  # no process goes on (or stops) before the epoch is saved


def _load(path, net, optimizer, scaler, device):
    """Read a checkpoint as train_ch6 does; each process then takes its own random state
    back (that of process 0 when another number of processes wrote it)."""
    record, restore = load_checkpoint(path, net, optimizer, scaler, torch.device("cpu"))

    def restore_here():
        restore()
        for key, setter in (("rank_rng", torch.set_rng_state),
                            ("rank_cuda_rng", lambda s: torch.cuda.set_rng_state(s, device))):
            states = record.get(key)
            if states is not None and (key == "rank_rng" or device.type == "cuda"):
                same = len(states) == dist.get_world_size()
                setter(states[dist.get_rank() if same else 0].clone())

    return record, restore_here


def _gather(state, device):
    """``state`` (a uint8 tensor) of every process, stacked in rank order on the CPU."""
    here = state.to(device) if device.type == "cuda" else state  # NCCL sends GPU tensors
    states = [torch.empty_like(here) for _ in range(dist.get_world_size())]
    dist.all_gather(states, here)
    return torch.stack(states).cpu()


@mirrordocs.shared("launch", "pytorch", what="""
    Run ``script`` in ``nproc`` processes on this machine with ``torchrun``; return the
    finished run (``subprocess.CompletedProcess``: ``.stdout`` and ``.stderr`` hold the
    workers' output, worker 0's first, then ``torchrun``'s own).

    The command is ``python -m torch.distributed.run --standalone --nproc_per_node=nproc
    script *args``: ``--standalone`` starts the rendezvous on a free local port, so
    several launches can run side by side. When a worker fails, ``torchrun`` stops the
    others; :class:`LaunchError` then names the worker that failed first and its exit
    code, and shows the end of that worker's error output (not that of the others, which
    fail in turn when it is gone). A launch still running after ``timeout`` seconds (a
    worker stuck, say) is stopped, all its processes with it, and raises""", script=(
    "A Python script that calls :func:`train_parallel` (or other ``torch.distributed`` "
    "code)."), compete=", so that workers do not compete for cores")
def launch(script, nproc=2, args=(), timeout=600, threads=None):
    nproc = distributed.check_launch(script, nproc, timeout)
    env = distributed.worker_env(nproc, threads)
    with tempfile.TemporaryDirectory(prefix="d2lmini-torchrun-") as logs:
        # Each worker's output in files of its own (--redirects 3): a failure can show the
        # failing worker's traceback, not the one another worker printed after it.
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={nproc}", f"--log-dir={logs}", "--redirects=3",
                   str(script), *map(str, args)]
        # A session of its own: on a timeout or an interrupt, torchrun and all its workers
        # are stopped together.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=env, start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            out, err = distributed.stop_session(process)
            timed_out = True
        except BaseException:  # KeyboardInterrupt and the like: no worker outlives the call
            distributed.stop_session(process)
            raise
        workers = _worker_logs(logs, nproc)
    output = "".join(o for o, _, _ in workers) + out, "".join(e for _, e, _ in workers) + err
    name = os.path.basename(script)
    if timed_out:
        raise LaunchError(f"{name} did not finish within {timeout} s with {nproc} processes; "
                          f"they were stopped. Last output:\n{distributed.tail(''.join(output))}",
                          output="".join(output))
    if process.returncode != 0:
        codes = distributed.failures(err)
        rank = distributed.first_failure(
            codes, {r: w for r, (_, _, w) in enumerate(workers) if w is not None},
            distributed.failed_rank(err)[0])
        if rank is None:
            raise LaunchError(f"{name}: torchrun exited with code {process.returncode}. Its "
                              f"error output ends:\n{distributed.tail(_worker_lines(output[1]))}",
                              exit_code=process.returncode, output="".join(output))
        own = workers[rank][1] if rank < len(workers) else ""
        shown = (f"Its error output ends:\n{distributed.tail(own)}" if own.strip() else
                 f"The workers' error output ends:\n{distributed.tail(_worker_lines(output[1]))}")
        raise LaunchError(f"{name}: worker rank {rank} of {nproc} failed first with exit code "
                          f"{codes[rank]}; torchrun stopped the others. {shown}", rank=rank,
                          exit_code=codes[rank], output="".join(output))
    return subprocess.CompletedProcess(command, 0, *output)


def _worker_logs(folder, nproc):
    """``[(stdout, stderr, time stderr was last written)]`` of each local rank, read from
    ``torchrun``'s log folder (``.../attempt_0/<local rank>/stderr.log``); empty texts and
    None where a worker has no files (it did not start, or this platform's ``torchrun``
    does not redirect)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "stderr.log"), recursive=True)):
        rank = os.path.basename(os.path.dirname(path))
        if rank.isdigit():  # the last attempt wins (sorted: attempt_0, attempt_1, ...)
            found[int(rank)] = os.path.dirname(path)
    workers = []
    for rank in range(nproc):
        texts, written = ["", ""], None
        if rank in found:
            for i, stream in enumerate(("stdout", "stderr")):
                path = os.path.join(found[rank], f"{stream}.log")
                try:
                    with open(path, errors="replace") as f:
                        texts[i] = f.read()
                    if stream == "stderr":
                        written = os.stat(path).st_mtime_ns
                except OSError:
                    pass
        workers.append((*texts, written))
    return workers


def _worker_lines(err):
    """The workers' part of ``torchrun``'s stderr: its own log lines (``W1202 12:00:00.1
    ...``) and its closing traceback and report removed."""
    report = err.find("ChildFailedError")
    if report >= 0:  # the agent's traceback, which ends in that report, starts here
        err = err[:err.rfind("Traceback (most recent call last):", 0, report)]
    return "\n".join(line for line in err.splitlines()
                     if not re.match(r"[IWEF]\d{4} \d\d:\d\d:\d\d", line))
