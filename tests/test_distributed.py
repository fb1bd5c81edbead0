"""Data-parallel training (d2lmini.distributed and the backends' distributed modules).

Without a GPU: PyTorch runs two worker processes on 127.0.0.1 with gloo (started by
torchrun through ``launch``), TensorFlow a MirroredStrategy over two logical CPU devices
(in a subprocess, since splitting the CPU must happen before TensorFlow sets up its
devices). Each is checked against single-process training on the same global batches:
the same mean loss at every step and the same weights after several steps, within
``TOLERANCE`` (float32; the two orders of adding up a gradient differ only by rounding).
The data are 193 random 8x8 images in global batches of 64: three full batches and a last
one of a single example, which leaves the second worker an empty part.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from d2lmini import distributed

TOLERANCE = 1e-5  # measured: about 2e-7 for the losses and 1e-7 for the weights
N, BATCH, LR, EPOCHS = 193, 64, 0.5, 2


def arrays():
    """The data every process builds for itself: (images uint8 (N, 8, 8), labels (N,))."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (N, 8, 8), dtype=np.uint8), rng.integers(0, 10, N)


# ---------------------------------------------------------------- framework-free checks

def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="at least 1"):
        distributed.check_nproc(0)
    with pytest.raises(ValueError, match="does not split evenly among 3 workers"):
        distributed.per_worker_batch(64, 3)
    with pytest.raises(ValueError, match="from 0 to world_size - 1 = 1"):
        distributed.check_rank(-1, 2)
    with pytest.raises(ValueError, match="host:port"):
        distributed.tf_config(["127.0.0.1"], 0)
    with pytest.raises(RuntimeError, match="start this script with torchrun"):
        distributed.torchrun_env({"RANK": "0"})


@pytest.mark.parametrize("n,world", [(10, 2), (193, 2), (7, 3), (64, 4)])
def test_the_shards_cover_every_example_once(n, world):
    order = np.random.default_rng(1).permutation(n)
    batch = 4 * world
    shards = [distributed.shard_batches(order, batch, r, world) for r in range(world)]
    assert len({len(s) for s in shards}) == 1  # every worker takes the same number of steps
    seen = np.concatenate([b for s in shards for b in s])
    assert sorted(seen.tolist()) == list(range(n))
    for step, n_global in enumerate(distributed.global_batch_sizes(n, batch)):
        parts = [s[step] for s in shards]  # in rank order, they make up the global batch
        assert np.concatenate(parts).tolist() == order[step * batch:step * batch + n_global].tolist()
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


# ------------------------------------------------------------------- the shard loaders

def _check_sharded_loader(make_loader, sharded, as_list):
    """``sharded(loader, rank, world)`` over ``make_loader()``: every example once per
    epoch, the same order from the same seed, another order in the next epoch, and one
    worker's shard follows the loader's own batches."""
    def epoch_indices(loader, world):
        shards = [sharded(loader, r, world) for r in range(world)]
        return [[as_list(b) for b in s.indices()] for s in shards]

    a, b = make_loader(), make_loader()
    first = epoch_indices(a, 2)
    assert first == epoch_indices(b, 2)  # same seed, same order
    flat = sorted(i for shard in first for batch in shard for i in batch)
    assert flat == list(range(N))
    shard = sharded(a, 1, 2)
    assert len(shard) == len(a) and sum(len(y) for _, y in shard) == shard.num_examples
    assert a.epoch == 1  # a complete pass of a shard counts for the loader it shards
    second = epoch_indices(a, 2)
    assert second != first and sorted(i for s in second for bt in s for i in bt) == flat
    # One worker of one: the loader's own order and batches.
    c, d = make_loader(), make_loader()
    mine = [as_list(y) for _, y in sharded(c, 0, 1)]
    theirs = [as_list(y) for _, y in d]
    assert mine == theirs


def test_torch_sharded_loader():
    torch = pytest.importorskip("torch")
    from d2lmini.backend_torch.data import ArrayLoader
    from d2lmini.backend_torch.distributed import ShardedLoader
    X, y = arrays()
    y = np.arange(N)  # labels that name their example
    _check_sharded_loader(lambda: ArrayLoader(X, y, BATCH, shuffle=True, seed=3),
                          ShardedLoader, lambda t: torch.as_tensor(t).tolist())
    with pytest.raises(ValueError, match="does not split evenly among 3 workers"):
        ShardedLoader(ArrayLoader(X, y, BATCH), 0, 3)


def test_tf_sharded_loader():
    pytest.importorskip("tensorflow")
    from d2lmini.backend_tf.data import ArrayLoader
    from d2lmini.backend_tf.distributed import ShardedLoader
    X, y = arrays()
    y = np.arange(N)
    _check_sharded_loader(lambda: ArrayLoader(X, y, BATCH, shuffle=True, seed=3),
                          ShardedLoader, lambda t: np.asarray(t).tolist())


# ------------------------------------------------- PyTorch: two processes, gloo, torchrun

WORKER = """
import os, sys
import numpy as np
import torch
from torch import nn
from d2lmini import torch as d2l

def arrays():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, ({N}, 8, 8), dtype=np.uint8), rng.integers(0, 10, {N})

def tiny_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))

if sys.argv[2] == "die" and os.environ["RANK"] == "1":
    raise SystemExit("rank 1 gives up")
if sys.argv[2] == "hang" and os.environ["RANK"] == "1":
    open(str(sys.argv[1]) + ".hanging", "w").close()  # the test knows the workers run
    import time; time.sleep(600)
X, y = arrays()
loaders = lambda: (d2l.ArrayLoader(X, y, {BATCH}, shuffle=True, seed=0),
                   d2l.ArrayLoader(X[:100], y[:100], {BATCH}))
if sys.argv[2] == "fail":  # rank 1's network fails at its second step, rank 0's does not
    net = tiny_cnn()
    def fail(module, inputs, calls=[]):
        calls.append(1)
        if os.environ["RANK"] == "1" and len(calls) == 2:
            raise ValueError("rank 1 trips over example 4711")
    net[0].register_forward_pre_hook(fail)
    d2l.train_parallel(net, *loaders(), 1, {LR}, seed=0)
    raise SystemExit
if sys.argv[2] == "resume":  # argv[3]: a checkpoint of train_ch6 after one epoch
    import torch.distributed as dist
    dist.init_process_group("gloo")  # one group for the three runs
    mine = os.path.join(os.path.dirname(sys.argv[1]), "ddp.ckpt")
    d2l.train_parallel(tiny_cnn(), *loaders(), 1, {LR}, seed=0, checkpoint=mine)
    nets = tiny_cnn(), tiny_cnn()
    resumed = d2l.train_parallel(nets[0], *loaders(), {EPOCHS}, {LR}, seed=0, checkpoint=mine)
    d2l.train_parallel(nets[1], *loaders(), {EPOCHS}, {LR}, seed=0, checkpoint=sys.argv[3])
    if os.environ["RANK"] == "0":
        torch.save({{"ddp": nets[0].state_dict(), "ch6": nets[1].state_dict(),
                    "history": resumed.history, "steps_run": len(resumed.extra["step_losses"])}},
                   sys.argv[1])
    raise SystemExit
net = tiny_cnn()
result = d2l.train_parallel(net, *loaders(), {EPOCHS}, {LR}, seed=0)
if os.environ["RANK"] == "0":
    torch.save({{"losses": result.extra["step_losses"], "initial": result.extra["initial_state"],
                "final": net.state_dict(), "history": result.history}}, sys.argv[1])
"""


@pytest.fixture
def worker(tmp_path):
    path = tmp_path / "ddp_worker.py"
    path.write_text(WORKER.format(N=N, BATCH=BATCH, EPOCHS=EPOCHS, LR=LR))
    return path


def tiny_cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))


def test_ddp_on_two_processes_matches_one(worker, tmp_path, no_budget):
    torch = pytest.importorskip("torch")
    from torch import nn
    from d2lmini import torch as d2l
    out = tmp_path / "ddp.pt"
    run = d2l.launch(worker, nproc=2, args=[out, "train"], timeout=120)
    assert "2 x cpu (gloo)" in run.stdout  # process 0 printed the summary line
    ddp = torch.load(out, weights_only=False)

    # The reference: one process, no DDP, the same initial weights and global batches.
    X, y = arrays()
    net = tiny_cnn(nn)
    net.load_state_dict(ddp["initial"])
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    losses = []
    loader = d2l.ArrayLoader(X, y, BATCH, shuffle=True, seed=0)
    for _ in range(EPOCHS):
        for Xb, yb in loader:
            loss = nn.functional.cross_entropy(net(Xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert len(ddp["losses"]) == len(losses) == EPOCHS * 4
    np.testing.assert_allclose(ddp["losses"], losses, rtol=TOLERANCE)
    for name, w in net.state_dict().items():
        np.testing.assert_allclose(ddp["final"][name], w.detach(), atol=TOLERANCE, err_msg=name)

    # train_ch6 with the same seed draws the same initial weights and ends at the same place.
    net = tiny_cnn(nn)
    result = d2l.train_ch6(net, loader.__class__(X, y, BATCH, shuffle=True, seed=0),
                           d2l.ArrayLoader(X[:100], y[:100], BATCH), EPOCHS, LR,
                           device="cpu", seed=0, verbose=False)
    np.testing.assert_allclose(ddp["history"]["train_loss"], result.history["train_loss"],
                               rtol=TOLERANCE)
    assert ddp["history"]["test_acc"] == result.history["test_acc"]
    for name, w in net.state_dict().items():
        np.testing.assert_allclose(ddp["final"][name], w.detach(), atol=TOLERANCE, err_msg=name)

    # Checkpoints: a DDP run stopped after one epoch and resumed, and a train_ch6 run of
    # one epoch resumed by DDP, both end where the uninterrupted run ended.
    ckpt = tmp_path / "ch6.ckpt"
    d2l.train_ch6(tiny_cnn(nn), loader.__class__(X, y, BATCH, shuffle=True, seed=0),
                  d2l.ArrayLoader(X[:100], y[:100], BATCH), 1, LR, device="cpu", seed=0,
                  verbose=False, checkpoint=ckpt)
    d2l.launch(worker, nproc=2, args=[out, "resume", ckpt], timeout=120)
    resumed = torch.load(out, weights_only=False)
    assert resumed["steps_run"] == 4  # only the second epoch's four steps were trained
    assert len(resumed["history"]["train_loss"]) == EPOCHS
    np.testing.assert_allclose(resumed["history"]["train_loss"], ddp["history"]["train_loss"],
                               rtol=TOLERANCE)
    for name, w in ddp["final"].items():
        for run in ("ddp", "ch6"):
            np.testing.assert_allclose(resumed[run][name], w, atol=TOLERANCE,
                                       err_msg=f"{run}: {name}")


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_a_dying_worker_fails_the_launch_with_its_rank(framework, worker, tf_worker, tmp_path):
    pytest.importorskip(framework)
    d2l = __import__(f"d2lmini.{framework}", fromlist=["launch"])
    script = worker if framework == "torch" else tf_worker
    tic = time.monotonic()
    with pytest.raises(d2l.LaunchError, match="worker rank 1 of 2 failed first with exit "
                                              "code 1") as err:
        d2l.launch(script, nproc=2, args=[tmp_path / "x.npz", "die"], timeout=60)
    assert "rank 1 gives up" in str(err.value)
    assert (err.value.rank, err.value.exit_code) == (1, 1)
    assert time.monotonic() - tic < 60


def test_the_failing_workers_traceback_is_shown_not_rank_0s(worker, tmp_path):
    """Rank 0 fails too, as a consequence (its all-reduce loses rank 1), and prints the
    longer traceback, last: the message shows rank 1's error all the same."""
    pytest.importorskip("torch")
    from d2lmini import torch as d2l
    with pytest.raises(d2l.LaunchError, match="worker rank 1 of 2 failed first") as err:
        d2l.launch(worker, nproc=2, args=[tmp_path / "x.pt", "fail"], timeout=60)
    assert "ValueError: rank 1 trips over example 4711" in str(err.value)
    assert "Connection closed" not in str(err.value)  # rank 0's error, not the cause
    assert "rank 1 trips over example 4711" in err.value.output  # everything is kept


def _launched(script):
    """The live processes of a launch of ``script``: the launcher's and the workers'
    command lines name it (a zombie's is empty)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(script).encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_an_interrupted_launch_leaves_no_process(framework, worker, tf_worker, tmp_path):
    """Jupyter's Interrupt: SIGINT to the kernel, a KeyboardInterrupt in ``launch``."""
    pytest.importorskip(framework)
    if not os.path.isdir("/proc"):
        pytest.skip("reads the processes from /proc")
    d2l = __import__(f"d2lmini.{framework}", fromlist=["launch"])
    script = worker if framework == "torch" else tf_worker
    marker = tmp_path / "x.hanging"  # rank 1 writes it, then sleeps

    def interrupt():
        # Wait for the workers to start (importing a framework on busy cores can take a
        # minute), but interrupt before launch's own timeout.
        deadline = time.monotonic() + 100
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    # A kernel turns SIGINT into KeyboardInterrupt; a test runner's worker process may not
    # (an earlier test or the runner can leave another handler), so install Python's own.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=interrupt, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            d2l.launch(script, nproc=2, args=[tmp_path / "x", "hang"], timeout=120)
        assert marker.exists()  # the workers ran when the interrupt came
        assert not _launched(script), "processes of the launch still run"
    finally:  # whatever the outcome, nothing of this test outlives it
        signal.signal(signal.SIGINT, previous)
        for pid in _launched(script):
            os.kill(pid, signal.SIGKILL)


def test_a_stuck_worker_is_stopped_at_the_timeout(worker, tmp_path):
    pytest.importorskip("torch")
    from d2lmini import torch as d2l
    tic = time.monotonic()
    with pytest.raises(d2l.LaunchError, match="did not finish within 12 s"):
        d2l.launch(worker, nproc=2, args=[tmp_path / "x.pt", "hang"], timeout=12)
    assert time.monotonic() - tic < 12 + 15  # the timeout, then at most two grace periods
    time.sleep(1)
    left = _launched(worker)
    assert not left, f"processes of the launch still run: {left}"


def test_launch_and_train_ddp_refuse_bad_input(worker):
    pytest.importorskip("torch")
    from d2lmini import torch as d2l
    with pytest.raises(ValueError, match="at least 1"):
        d2l.launch(worker, nproc=0)
    with pytest.raises(ValueError, match="no script at"):
        d2l.launch(worker.with_name("missing.py"), nproc=2)
    with pytest.raises(ValueError, match="timeout"):
        d2l.launch(worker, nproc=2, timeout=0)
    X, y = arrays()
    loader = d2l.ArrayLoader(X, y, BATCH)
    with pytest.raises(RuntimeError, match="start this script with torchrun"):
        d2l.train_parallel(None, loader, loader, 1, 0.1)


# --------------------------------------- TensorFlow: MirroredStrategy on two logical CPUs

# The data and the network of both TensorFlow scripts below (after their imports).
TF_DATA_AND_NET = """
def arrays():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, ({N}, 8, 8), dtype=np.uint8), rng.integers(0, 10, {N})

def tiny_cnn():
    return keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.Flatten(), keras.layers.Dense(10)])
"""

TF_RUN = """
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
from d2lmini import tensorflow as d2l
devices = d2l.split_cpu(2)  # before TensorFlow runs anything
import keras, tensorflow as tf

{DATA_AND_NET}
X, y = arrays()
loaders = lambda: (d2l.ArrayLoader(X, y, {BATCH}, shuffle=True, seed=0),
                   d2l.ArrayLoader(X[:100], y[:100], {BATCH}))
mirrored = d2l.train_parallel(tiny_cnn, *loaders(), {EPOCHS}, {LR}, seed=0, verbose=False)

# The reference: one device, a plain loop, the same initial weights and global batches.
net = tiny_cnn()
net.build((None, 8, 8, 1))
for w, a in zip(net.weights, mirrored.extra["initial_weights"]):
    w.assign(a)
optimizer = keras.optimizers.SGD(learning_rate={LR})
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_iter, _ = loaders()
losses = []
for _ in range({EPOCHS}):
    for Xb, yb in train_iter:
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, net(Xb, training=True))
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        losses.append(float(loss))

# train_ch6 on one device, same seed: same initial weights, same end.
ch6 = d2l.train_ch6(tiny_cnn, *loaders(), {EPOCHS}, {LR}, device="/CPU:0", seed=0,
                    compile=False, verbose=False)

# Checkpoints: a mirrored run stopped after one epoch and resumed, and a train_ch6 run of
# one epoch resumed by the mirrored one.
folder = os.environ["CKPT_DIR"]
d2l.train_parallel(tiny_cnn, *loaders(), 1, {LR}, seed=0, verbose=False,
                   checkpoint=os.path.join(folder, "mirrored.ckpt"))
resumed = d2l.train_parallel(tiny_cnn, *loaders(), {EPOCHS}, {LR}, seed=0, verbose=False,
                             checkpoint=os.path.join(folder, "mirrored.ckpt"))
d2l.train_ch6(tiny_cnn, *loaders(), 1, {LR}, device="/CPU:0", seed=0, verbose=False,
              checkpoint=os.path.join(folder, "ch6.ckpt"))
from_ch6 = d2l.train_parallel(tiny_cnn, *loaders(), {EPOCHS}, {LR}, seed=0, verbose=False,
                              checkpoint=os.path.join(folder, "ch6.ckpt"))
try:
    d2l.split_cpu(3)
    late = None
except RuntimeError as e:
    late = str(e)
weights = lambda m: [w.numpy() for w in m.weights]
gap = lambda m1, m2: max(float(np.abs(a - b).max()) for a, b in zip(weights(m1), weights(m2)))
print(json.dumps({{
    "devices": devices, "device": mirrored.device,
    "losses": mirrored.extra["step_losses"], "reference": losses,
    "weights": gap(mirrored.net, net), "ch6_weights": gap(mirrored.net, ch6.net),
    "ch6_loss": [mirrored.history["train_loss"], ch6.history["train_loss"]],
    "ch6_test": [mirrored.history["test_acc"], ch6.history["test_acc"]],
    "resumed": [len(r.extra["step_losses"]) for r in (resumed, from_ch6)],
    "resumed_loss": [r.history["train_loss"] for r in (resumed, from_ch6)],
    "resumed_weights": [gap(mirrored.net, r.net) for r in (resumed, from_ch6)],
    "late": late}}))
"""


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(no_budget, tmp_path):
    pytest.importorskip("tensorflow")
    code = TF_RUN.format(DATA_AND_NET=TF_DATA_AND_NET.format(N=N), BATCH=BATCH,
                         EPOCHS=EPOCHS, LR=LR)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "CKPT_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    r = json.loads(run.stdout.strip().splitlines()[-1])
    assert r["devices"] == ["/device:CPU:0", "/device:CPU:1"]
    assert r["device"] == "2 x CPU (MirroredStrategy)"
    assert len(r["losses"]) == len(r["reference"]) == EPOCHS * 4
    np.testing.assert_allclose(r["losses"], r["reference"], rtol=TOLERANCE)
    assert r["weights"] < TOLERANCE and r["ch6_weights"] < TOLERANCE
    np.testing.assert_allclose(*r["ch6_loss"], rtol=TOLERANCE)
    assert r["ch6_test"][0] == r["ch6_test"][1]
    # Checkpoints: both resumed runs trained only the second epoch (four steps) and ended
    # where the uninterrupted run ended.
    assert r["resumed"] == [4, 4]
    for loss in r["resumed_loss"]:
        np.testing.assert_allclose(loss, r["ch6_loss"][0], rtol=TOLERANCE)
    assert max(r["resumed_weights"]) < TOLERANCE
    assert "set up its 2 already" in r["late"] and "fresh process" in r["late"]


def test_tf_train_parallel_refuses_a_built_model():
    pytest.importorskip("tensorflow")
    import keras
    from d2lmini import tensorflow as d2l
    X, y = arrays()
    loader = d2l.ArrayLoader(X, y, BATCH)
    net = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="built already"):
        d2l.train_parallel(net, loader, loader, 1, 0.1)


# ------------------- TensorFlow: MultiWorkerMirroredStrategy, two processes on 127.0.0.1

TF_WORKER = """
import json, os, sys
if sys.argv[2] == "die" and json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:
    raise SystemExit("rank 1 gives up")
if sys.argv[2] == "hang" and json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:
    open(str(sys.argv[1]) + ".hanging", "w").close()
    import time; time.sleep(600)
import tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()  # first: it sets up the collectives
import keras
import numpy as np
from d2lmini import tensorflow as d2l

{DATA_AND_NET}
X, y = arrays()
result = d2l.train_parallel(tiny_cnn, d2l.ArrayLoader(X, y, {BATCH}, shuffle=True, seed=0),
                            d2l.ArrayLoader(X[:100], y[:100], {BATCH}), {EPOCHS}, {LR},
                            devices=strategy, seed=0)
if strategy.cluster_resolver.task_id == 0:
    np.savez(sys.argv[1], losses=result.extra["step_losses"],
             *[w.numpy() for w in result.net.weights])
"""


@pytest.fixture
def tf_worker(tmp_path):
    path = tmp_path / "mwms_worker.py"
    path.write_text(TF_WORKER.format(DATA_AND_NET=TF_DATA_AND_NET.format(N=N), BATCH=BATCH,
                                     EPOCHS=EPOCHS, LR=LR))
    return path


def test_multi_worker_mirrored_strategy_on_two_processes_matches_one_device(tf_worker,
                                                                            tmp_path, no_budget):
    pytest.importorskip("tensorflow")
    import keras
    from d2lmini import tensorflow as d2l
    out = tmp_path / "mwms.npz"
    run = d2l.launch(tf_worker, nproc=2, args=[out, "train"], timeout=180)
    assert "2 x CPU (MultiWorkerMirroredStrategy)" in run.stdout
    assert len(re.findall("examples/sec", run.stdout)) == 1  # the chief alone prints
    saved = np.load(out)
    weights = [saved[f"arr_{i}"] for i in range(len(saved.files) - 1)]
    # The reference: train_ch6 on one device, the same seed, the same global batches.
    X, y = arrays()
    ch6 = d2l.train_ch6(lambda: keras.Sequential([
        keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
        keras.layers.Dense(10)]), d2l.ArrayLoader(X, y, BATCH, shuffle=True, seed=0),
        d2l.ArrayLoader(X[:100], y[:100], BATCH), EPOCHS, LR, device="/CPU:0", seed=0,
        compile=False, verbose=False)
    assert len(saved["losses"]) == EPOCHS * 4
    epoch_means = [np.dot(saved["losses"][e * 4:(e + 1) * 4], [64, 64, 64, 1]) / N
                   for e in range(EPOCHS)]
    np.testing.assert_allclose(epoch_means, ch6.history["train_loss"], rtol=TOLERANCE)
    for a, b in zip(weights, ch6.net.weights):
        np.testing.assert_allclose(a, b.numpy(), atol=TOLERANCE)
