"""Data-parallel training in TensorFlow: ``tf.distribute.MirroredStrategy``.

One process drives several devices ("replicas"). Each replica holds a copy of every
weight (a *mirrored* variable), computes the gradient of its part of every global batch,
and the optimizer adds the replicas' gradients (an all-reduce) before the same update is
applied to every copy. Communication is TensorFlow's own; nothing here sends a tensor.

On a machine without GPUs, :func:`split_cpu` makes the CPU look like several devices, so
that the same code runs, with two replicas, on a laptop::

    from d2lmini import tensorflow as d2l
    d2l.split_cpu(2)                    # first, before TensorFlow runs anything
    result = d2l.train_parallel(net, train_iter, test_iter, num_epochs=2, lr=0.1)

Several machines: ``tf.distribute.MultiWorkerMirroredStrategy`` runs one process per
machine (a *worker*), each started with the same script and its own ``TF_CONFIG``, a JSON
string that lists every worker's ``host:port`` and says which one this is
(:func:`d2lmini.distributed.tf_config` writes it; :func:`launch` starts such workers on
this machine). TensorFlow sets up the workers' collective operations when the strategy is
made, so make it first thing in the script, then pass it:
``train_parallel(..., devices=strategy)``. Every worker keeps the whole data set in memory
and gathers only its replicas' parts of each global batch.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from .. import distributed, loop, mirrordocs, training
from ..distributed import LaunchError
from .train import (build_net, checkpoint_settings, ends_in_softmax, init_xavier, keras_of,
                    load_checkpoint, make_optimizer, save_checkpoint)

__all__ = ["split_cpu", "ShardedLoader", "train_parallel", "launch", "LaunchError"]


def split_cpu(n=2):
    """Make TensorFlow see the CPU as ``n`` logical devices; return their names.

    Logical devices share the same cores and memory: a :class:`MirroredStrategy` over them
    shows that data-parallel training computes the right thing, not that it is faster.
    TensorFlow fixes its devices when it first runs an operation, so call this before
    anything else in TensorFlow (a ``RuntimeError`` says so otherwise); calling it again
    with the same ``n`` returns the same names.

    Returns
    -------
    list of str
        E.g. ``['/device:CPU:0', '/device:CPU:1']``.
    """
    n = distributed.check_nproc(n)
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != n:
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
        except RuntimeError as e:
            have = len(current) if current else 1
            raise RuntimeError(
                f"cannot split the CPU into {n} devices: TensorFlow has set up its {have} "
                "already (it does so when it first runs an operation or builds a model). "
                "Call split_cpu first thing after importing, in a fresh process or a "
                "restarted kernel") from e
    return [d.name for d in tf.config.list_logical_devices("CPU")]


class ShardedLoader(distributed.Shard):
    """One worker's part of every global batch of an :class:`ArrayLoader`.

    The same contract as PyTorch's ``ShardedLoader``: the epoch's order is ``loader``'s
    own (seeded by ``seed + epoch``), cut into its global batches of ``loader.batch_size``
    examples; worker ``rank`` of ``world_size`` gets part ``rank`` of each
    (:func:`d2lmini.distributed.shard_batches`). Across the workers every example is seen
    once per epoch; every worker takes ``len(loader)`` steps. The epoch count is shared
    with ``loader``. Use it where each process trains on its own shard (e.g. one
    process of a hand-written multi-process loop); :func:`train_parallel` gathers each
    replica's part itself.

    Yields
    ------
    X : float32 tensor, (batch_size / world_size, H, W, C) (fewer in a last batch)
    y : int32 tensor, (batch_size / world_size,)
    """

    def epoch_order(self):
        """The coming epoch's order, drawn as ArrayLoader draws it."""
        return distributed.epoch_order(self.loader.num_examples, self.loader.seed,
                                       self.epoch, self.loader.shuffles)

    def __iter__(self):
        for idx in self.indices():
            yield _gather(self.loader, idx, self.loader.device)
        self.finish_pass(self.loader.shuffles)


def _gather(loader, idx, device):
    """The batch of examples ``idx`` of ``loader``, converted on ``device`` (None: the
    current device)."""
    with tf.device("/CPU:0"):  # where the arrays are: no copy of the whole set
        idx = tf.constant(np.asarray(idx, dtype=np.int64))
        X, y = tf.gather(loader._images, idx), tf.gather(loader._labels, idx)
    with tf.device(device or ""):
        # Eager, not the loader's compiled transform: a tf.function is traced again for
        # every device it is called on.
        return loader.transform(X, y)


def _strategy(devices):
    """The strategy of ``devices`` (see :func:`train_parallel`)."""
    if isinstance(devices, tf.distribute.Strategy):
        return devices
    if devices is None:  # all GPUs, else all logical CPUs (see split_cpu)
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
    if isinstance(devices, str) or not devices:
        raise ValueError(f"devices must be a list of device names such as ['/GPU:0', "
                         f"'/GPU:1'], or a tf.distribute.Strategy; got {devices!r}")
    return tf.distribute.MirroredStrategy([str(d) for d in devices])


def train_parallel(net, train_iter, test_iter, num_epochs, lr, devices=None, seed=None,
                   optimizer="sgd", verbose=True, checkpoint=None):
    """Train ``net`` data-parallel with a ``tf.distribute`` strategy; return the run.

    Each replica (a device of ``strategy``) gets its part of every global batch of
    ``train_iter`` (:func:`d2lmini.distributed.shard_batches`) and computes the gradient
    of its summed loss divided by the global batch size; the optimizer adds the replicas'
    gradients (an all-reduce), which gives the gradient of the mean loss over the global
    batch, and applies the same step to every copy of the weights. So each step is the
    step single-device training takes on the whole global batch, up to rounding. The
    initial weights are drawn from ``seed`` as :func:`train_ch6` draws them.

    Parameters
    ----------
    net : keras.Model, or a function returning one
        A model not yet built (or a function): its weights must be made inside
        ``strategy.scope()``, which this function enters. Batch normalization normalizes
        with each replica's part of the batch.
    train_iter, test_iter : ArrayLoader
        Single-process loaders, e.g. from :func:`load_data_fashion_mnist`; ``batch_size``
        is the global batch, a multiple of the number of replicas.
    num_epochs, lr : int, float
        As for :func:`train_ch6` (quick mode caps the epochs the same way).
    devices : list of device names, or a tf.distribute.Strategy, optional
        The replicas: a ``MirroredStrategy`` over these devices (e.g. ``try_all_gpus()``
        or ``split_cpu(2)``), or this strategy (e.g. a ``MultiWorkerMirroredStrategy``
        made at the start of the script). Default: all GPUs, else all logical CPUs.
    seed : int, optional
        Seeds Python's, NumPy's and TensorFlow's generators before the model is built
        (default ``D2LMINI_SEED``, else 0).
    optimizer : "sgd", "adam" or "adadelta"
    verbose : bool
        Print the summary line (on the chief, worker 0, only with several workers).
    checkpoint : str or path, optional
        A file written after every epoch (atomically, by the chief) and read by every
        worker when it exists: the run resumes after its last epoch and ends where an
        uninterrupted run ends, as with :func:`train_ch6`, whose checkpoints it shares (a
        run started by ``train_ch6`` can go on here with the same settings).
        With several machines, give a path on storage they all see. Quick mode ignores
        checkpoints.

    Returns
    -------
    TrainResult
        ``device`` says how many replicas ran where, e.g. ``2 x CPU (MirroredStrategy)``;
        ``extra["step_losses"]`` holds the mean loss over each global batch trained in
        this call, ``extra["initial_weights"]`` the initial weights (numpy arrays,
        ``net.weights`` order), and the trained model is ``result.net``.
    """
    training.check_training_args(num_epochs, lr, optimizer)
    if isinstance(net, keras.Model) and net.built:
        raise ValueError("net is built already, so its weights live outside the strategy: "
                         "pass an unbuilt model or a function that returns one, e.g. "
                         "lambda: keras.Sequential([...])")
    with _quiet():  # TensorFlow logs every strategy it makes and every all-reduce it plans
        return _train(net, train_iter, test_iter, num_epochs, lr, devices, seed, optimizer,
                      verbose, checkpoint)


def _train(net, train_iter, test_iter, num_epochs, lr, devices, seed, optimizer, verbose,
           checkpoint=None):
    strategy = _strategy(devices)
    world_size = strategy.num_replicas_in_sync
    distributed.per_worker_batch(train_iter.batch_size, world_size)
    seed = training.resolve_seed(seed)
    keras.utils.set_random_seed(seed)
    with strategy.scope():  # the weights and the optimizer's state are made mirrored
        net = build_net(net, None)
        X0 = _gather(test_iter, [0], "/CPU:0")[0]
        net(X0, training=False)  # builds the weights
        init_xavier(net)
        initial = [w.numpy() for w in net.weights]
        opt = make_optimizer(optimizer, lr, keras_of(net))
        opt.build(net.trainable_variables)
    run = _Replicated(strategy, net, opt)
    chief = _is_chief(strategy)
    step_losses = []
    steps = loop.Steps(
        train_epoch=lambda watch: _train_epoch(run, train_iter, watch, step_losses),
        evaluate=lambda: _evaluate(run, test_iter),
        # Every copy of the weights is the same: the chief writes them, all read them.
        save=lambda path, record: save_checkpoint(path, record, net, opt) if chief else None,
        load=lambda path: load_checkpoint(path, net, opt),
        read_losses=lambda window: [float(v) for v in window])
    kind = strategy.extended.worker_devices[0].rsplit("/", 1)[-1].split(":")[-2]
    name = ("MultiWorkerMirroredStrategy"
            if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            else type(strategy).__name__)
    result = loop.fit(steps, net, train_iter, test_iter, num_epochs, lr,
                      framework="tensorflow",
                      device=f"{world_size} x {kind} ({name})",
                      settings=checkpoint_settings(net, "float32", optimizer),
                      precision_note="float32", checkpoint=checkpoint,
                      verbose=verbose and chief, writer=chief,
                      extra={"seed": seed, "optimizer": optimizer, "world_size": world_size,
                             "strategy": name,
                             "step_losses": step_losses})
    result.extra["initial_weights"] = initial
    return result


class _quiet:
    """TensorFlow's Python logger at WARNING within the block, as it was afterwards."""

    def __enter__(self):
        self.level = tf.get_logger().level
        tf.get_logger().setLevel("WARNING")

    def __exit__(self, *exc):
        tf.get_logger().setLevel(self.level)


def _is_chief(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return resolver is None or resolver.task_type in (None, "chief") or \
        (resolver.task_type == "worker" and resolver.task_id == 0)


class _Replicated:
    """The compiled training and evaluation steps of ``net`` over the replicas of
    ``strategy``, fed one global batch's indices at a time."""

    def __init__(self, strategy, net, optimizer):
        self.strategy, self.net, self.optimizer = strategy, net, optimizer
        self.devices = strategy.extended.worker_devices  # this process's replicas
        self.world_size = strategy.num_replicas_in_sync
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(
            from_logits=not ends_in_softmax(net), reduction="sum")
        self._train = tf.function(self._train_global, reduce_retracing=True)
        self._count = tf.function(self._count_global, reduce_retracing=True)

    def _parts(self, loader, order, start, n):
        """Each replica's part of the global batch ``order[start:start + n]``, made on its
        device, as distributed values ``(X, y, weight)``.

        A replica whose part is empty (a last batch with fewer examples than replicas)
        gets the batch's first example with weight 0 instead: TensorFlow's gradients of
        some layers fail on an empty batch.
        """
        def part(context):
            replica = context.replica_id_in_sync_group
            lo, hi = distributed.part_bounds(n, replica, self.world_size)
            local = replica % len(self.devices)  # this process's replicas, in order
            idx = order[start + lo:start + hi] if hi > lo else order[start:start + 1]
            X, y = _gather(loader, idx, self.devices[local])
            with tf.device(self.devices[local]):
                return X, y, tf.fill([len(idx)], 1.0 if hi > lo else 0.0)

        return self.strategy.experimental_distribute_values_from_function(part)

    def train(self, loader, order, start, n):
        """One step on a global batch of ``n``; returns (summed loss, correct) over it."""
        X, y, weight = self._parts(loader, order, start, n)
        return self._train(X, y, weight, tf.constant(n, tf.float32))

    def _train_global(self, X, y, weight, n):
        loss_sum, correct = self.strategy.run(self._train_replica, args=(X, y, weight, n))
        add = tf.distribute.ReduceOp.SUM
        return (self.strategy.reduce(add, loss_sum, axis=None),
                self.strategy.reduce(add, correct, axis=None))

    def _train_replica(self, X, y, weight, n):
        with tf.GradientTape() as tape:
            y_hat = self.net(X, training=True)
            loss_sum = self.loss_fn(y, y_hat, sample_weight=weight)
            # Keras' optimizer adds the replicas' gradients; divided by the global batch
            # size n, that sum is the gradient of the mean loss over the whole batch.
            loss = loss_sum / n
        grads = tape.gradient(loss, self.net.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.net.trainable_variables))
        return loss_sum, _weighted_correct(y_hat, y, weight)

    def count(self, loader, order, start, n):
        """Correct predictions over a global batch of ``n`` test examples."""
        X, y, weight = self._parts(loader, order, start, n)
        return self._count(X, y, weight)

    def _count_global(self, X, y, weight):
        correct = self.strategy.run(
            lambda X, y, w: _weighted_correct(self.net(X, training=False), y, w),
            args=(X, y, weight))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, correct, axis=None)


def _weighted_correct(y_hat, y, weight):
    """Correct predictions, each counted with its weight (0 or 1), as an int32 0-d tensor."""
    right = tf.cast(tf.argmax(y_hat, axis=1, output_type=tf.int32) == tf.cast(y, tf.int32),
                    tf.float32)
    return tf.cast(tf.reduce_sum(right * weight), tf.int32)


def _epoch_batches(loader):
    """The epoch's order of ``loader`` and its global batches as (start, size)."""
    order = distributed.epoch_order(loader.num_examples, loader.seed, loader.epoch,
                                    loader.shuffles)
    sizes = distributed.global_batch_sizes(loader.num_examples, loader.batch_size)
    starts = np.cumsum([0] + sizes[:-1])
    return order, list(zip(starts.tolist(), sizes))


def _train_epoch(run, train_iter, watch, step_losses):
    """One pass over the training data; returns (mean loss, accuracy, examples)."""
    order, batches = _epoch_batches(train_iter)
    # The sums stay tensors: the watch reads them every few steps, the epoch's end once.
    sums, loss_total, correct, n = [], tf.zeros(()), tf.zeros((), tf.int32), 0
    for i, (start, size) in enumerate(batches):
        loss_sum, right = run.train(train_iter, order, start, size)  # added over replicas
        sums.append(loss_sum)
        loss_total, correct, n = loss_total + loss_sum, correct + right, n + size
        watch.after_step(i, loss_sum / size, loss_total, correct, n)
    step_losses.extend((tf.stack(sums).numpy() / np.array([s for _, s in batches])).tolist())
    if train_iter.shuffles:  # as the loader counts its own complete passes
        train_iter.epoch += 1
    return float(loss_total) / max(n, 1), int(correct) / max(n, 1), n


def _evaluate(run, test_iter):
    order, batches = _epoch_batches(test_iter)
    correct = sum(int(run.count(test_iter, order, start, size)) for start, size in batches)
    return correct / max(test_iter.num_examples, 1)


@mirrordocs.shared("launch", "tensorflow", what="""
    Run ``script`` as ``nproc`` workers of a ``MultiWorkerMirroredStrategy`` on this
    machine; return the finished run (``subprocess.CompletedProcess``: ``.stdout`` and
    ``.stderr`` hold the workers' output, worker 0's first).

    Each worker is ``python script *args`` with its own ``TF_CONFIG``
    (:func:`d2lmini.distributed.tf_config`): all of them listed at 127.0.0.1 on free
    ports, and its own index. On several machines, start the same script on each with a
    ``TF_CONFIG`` that lists the machines' addresses instead. When a worker fails, the
    others are stopped (they would wait for it forever) and :class:`LaunchError` names
    the worker that failed first and its exit code, and shows the end of that worker's
    error output; a launch still running after ``timeout`` seconds is stopped and raises""",
    script="""
    A Python script that makes ``tf.distribute.MultiWorkerMirroredStrategy()`` first
    and passes it to :func:`train_parallel` as ``devices``.""", compete="")
def launch(script, nproc=2, args=(), timeout=600, threads=None):
    nproc = distributed.check_launch(script, nproc, timeout)
    workers = [f"127.0.0.1:{port}" for port in _free_ports(nproc)]
    command = [sys.executable, str(script), *map(str, args)]
    processes, logs = [], []
    try:
        for rank in range(nproc):
            env = distributed.worker_env(nproc, threads)
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ start-up lines
            env["TF_CONFIG"] = distributed.tf_config(workers, rank)
            # Files, not pipes: a worker that writes a lot never blocks on a full pipe.
            logs.append((tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")))
            processes.append(subprocess.Popen(command, stdout=logs[-1][0], stderr=logs[-1][1],
                                              text=True, env=env, start_new_session=True))
        failure = _watch(processes, timeout, [err for _, err in logs])
    finally:
        for process in processes:  # the others, once one failed or the time is up
            if process.poll() is None:
                distributed.stop_session(process)
        outputs = [_read(out) for out, _ in logs], [_read(err) for _, err in logs]
    out, err = ("".join(o) for o in outputs)
    name = os.path.basename(script)
    if failure == "timeout":
        raise LaunchError(f"{name} did not finish within {timeout} s with {nproc} workers; "
                          f"they were stopped. Last output:\n{distributed.tail(out + err)}",
                          output=out + err)
    if failure is not None:
        rank, code = failure
        raise LaunchError(f"{name}: worker rank {rank} of {nproc} failed first with exit "
                          f"code {code}; the others were stopped. Its error output ends:\n"
                          f"{distributed.tail(outputs[1][rank])}", rank=rank,
                          exit_code=code, output=out + err)
    return subprocess.CompletedProcess(command, 0, out, err)


def _free_ports(n):
    """``n`` TCP ports on 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:  # all open at once, so that the ports differ
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _watch(processes, timeout, errors):
    """Wait for ``processes``: None when all ended well, ``(rank, exit code)`` of the first
    that failed, or "timeout". Of several found failed at once, the first is the one whose
    error output (the files ``errors``) was last written earliest
    (:func:`d2lmini.distributed.first_failure`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        codes = [p.poll() for p in processes]
        failed = {rank: code for rank, code in enumerate(codes) if code not in (None, 0)}
        if failed:
            written = {rank: os.fstat(errors[rank].fileno()).st_mtime_ns for rank in failed}
            rank = distributed.first_failure(failed, written)
            return rank, failed[rank]
        if all(code == 0 for code in codes):
            return None
        time.sleep(0.05)
    return "timeout"


def _read(file):
    file.seek(0)
    text = file.read()
    file.close()
    return text
