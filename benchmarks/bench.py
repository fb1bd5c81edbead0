"""Training throughput of d2lmini's train_ch6 against the raw step loop and the d2l package.

For LeNet (28x28), AlexNet (224x224) and ResNet-18 (96x96), in PyTorch and TensorFlow, on a
real subset of Fashion-MNIST, it measures in examples per second:

``raw``          forward, loss, backward and SGD step on batches already in memory (floats,
                 already resized), with the kernels ``train_ch6`` picks (channels-last
                 layout for PyTorch conv nets on a CPU; for TensorFlow, XLA or not as
                 ``train_ch6(compile=None)`` chooses on this device): the limit of that
                 model on this device, so that d2lmini / raw measures the loop alone;
``d2lmini``      ``d2lmini``'s ``train_ch6`` end to end: its own loader (uint8 arrays,
                 per-batch conversion and resize), its bookkeeping and its evaluation;
``d2l``          the reference, ``train_ch6`` of the d2l package 1.0.3 (installed with
                 ``--no-deps`` in ``benchmarks/.d2l-env``; ``d2l.torch`` is imported through
                 ``benchmarks/torchvision_stub``), fed the same iterators and the same model;
``d2lmini_amp``  ``train_ch6(..., amp=True)``.

``d2lmini``, ``d2l`` and ``d2lmini_amp`` count the training examples of one epoch over the
wall time of that epoch *including its evaluation on the test subset* (about one test example
for every six training examples, as in Fashion-MNIST), and take the median of the epochs
after the first (the first one traces/compiles and warms caches). ``raw`` times blocks of
steps after two warm-up steps and takes the median block (``repeats`` in the sizes). The
record keeps every block and every steady epoch as well (``raw_runs``, ``d2lmini_runs``, ...),
so that ``targets.py`` can say how far repeats of one measurement landed apart.
Extra probes in full and GPU mode: ``raw_plain`` (the raw loop in each framework's
default layout, without XLA), TensorFlow's ``raw_xla`` and ``d2lmini_xla`` /
``d2lmini_no_xla`` (the raw loop and ``train_ch6`` with and without XLA, whichever is the
default), ``raw_bf16`` (``raw_plain`` in bfloat16: emulated on CPUs
without bfloat16 instructions), and the input pipeline alone at 224x224 with its peak
memory.

Each (model, framework) runs in its own process (``--worker``), so that PyTorch's and
TensorFlow's thread pools do not compete and peak memory is per run.

Usage::

    python benchmarks/bench.py            # full: writes benchmarks/results/latest.json
    python benchmarks/bench.py --quick    # < 5 min on 2 cores: writes results/quick.json
    python benchmarks/bench.py --gpu --frameworks pytorch   # larger sizes for a GPU:
                                          # writes results/gpu.json
"""
import argparse
import contextlib
import importlib
import io
import itertools
import json
import os
import platform
import resource
from statistics import median
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
D2L_ENV = HERE / ".d2l-env"
STUB = HERE / "torchvision_stub"
if str(ROOT) not in sys.path:  # d2lmini from this checkout, installed or not
    sys.path.insert(0, str(ROOT))

from d2lmini import networks  # noqa: E402 (framework-free; after the path is set)

# The networks benchmarked, by builder name (their names in results/*.json). Each trains at
# its chapter's image size and learning rate, from the book's registry (d2lmini/networks.py).
MODELS = ("lenet", "alexnet", "resnet18")
FRAMEWORKS = ("pytorch", "tensorflow")
CHAPTER_BATCH = {model: networks.by_builder(model).batch_size for model in MODELS}

# Per model: batch size, training / test examples, timed raw steps, epochs. d2l's train_ch6
# needs at least 5 batches per epoch (it plots every num_batches // 5 batches).
SIZES = {
    # Full: every measurement twice over. 7 epochs (the median of the 6 after the first) and
    # 6 timed blocks of raw steps (their median): targets.py computes each ratio once from
    # the first three repeats and once from the last three, which says how far a repeat of
    # the whole measurement lands from the first, and one slow moment on a shared machine
    # does not decide a ratio. LeNet's steps take milliseconds: blocks of 200 steps and
    # epochs of 30,720 images last seconds.
    "full": {"lenet": dict(batch=256, train=30720, test=5120, raw_steps=200, epochs=7,
                           repeats=6),
             # AlexNet and ResNet-18 run tens of examples a second: at 384 images an epoch
             # and 8-step blocks their repeats differed by up to 9.7%; twice as long, each
             # timed window lasts 10 to 40 seconds.
             "alexnet": dict(batch=32, train=768, test=128, raw_steps=16, epochs=7,
                             repeats=6),
             "resnet18": dict(batch=32, train=768, test=128, raw_steps=16, epochs=7,
                              repeats=6)},
    "quick": {"lenet": dict(batch=256, train=2560, test=512, raw_steps=8, epochs=2),
              "alexnet": dict(batch=8, train=40, test=8, raw_steps=2, epochs=2),
              "resnet18": dict(batch=8, train=40, test=8, raw_steps=2, epochs=2)},
    # A GPU takes the chapters' batch sizes and needs more steps for a steady clock (a few seconds
    # per measurement there).
    "gpu": {"lenet": dict(batch=CHAPTER_BATCH["lenet"], train=30720, test=5120,
                          raw_steps=100, epochs=3),
            "alexnet": dict(batch=CHAPTER_BATCH["alexnet"], train=12800, test=2560,
                            raw_steps=50, epochs=3),
            "resnet18": dict(batch=CHAPTER_BATCH["resnet18"], train=12800, test=2560,
                             raw_steps=50, epochs=3)},
}


# ----------------------------------------------------------------------------- helpers
def steady_runs(epoch_seconds, examples):
    """Examples/sec of each epoch after the first (of the only one if there is one)."""
    return [examples / s for s in (epoch_seconds[1:] or epoch_seconds)]


def steady(epoch_seconds, examples):
    """Examples/sec of the median epoch after the first (the only one if there is one)."""
    return examples / median(epoch_seconds[1:] or epoch_seconds)


def measure(out, key, epoch_seconds, examples):
    """Store a measured run: ``out[key]`` (the steady median) and ``out[key + "_runs"]``.

    The runs are the throughputs of the steady epochs one by one, so that a record shows how
    far two repeats of the same measurement landed apart (``targets.py`` prints the spread).
    """
    out[key] = steady(epoch_seconds, examples)
    out[key + "_runs"] = steady_runs(epoch_seconds, examples)


class EpochClock:
    """Wraps a loader and notes the time at which each pass over it starts."""

    def __init__(self, loader):
        self.loader, self.starts = loader, []

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        self.starts.append(time.perf_counter())
        return iter(self.loader)

    def epoch_seconds(self, end):
        marks = self.starts + [end]
        return [b - a for a, b in zip(marks, marks[1:])]


def import_d2l(framework):
    """The d2l package (1.0.3) from benchmarks/.d2l-env; d2l.torch via the stand-ins."""
    if not (D2L_ENV / "d2l").is_dir():
        raise SystemExit("d2l is not installed: run `make bench` (it installs d2l==1.0.3 with "
                         "--no-deps into benchmarks/.d2l-env)")
    sys.path.insert(0, str(D2L_ENV))
    sys.path.append(str(STUB))  # last: a real torchvision / SciPy wins where installed
    with contextlib.redirect_stdout(io.StringIO()):
        if framework == "pytorch":
            from d2l import torch as d2l
        else:
            from d2l import tensorflow as d2l
    return d2l


def subset_env(size):
    os.environ["D2LMINI_MAX_EXAMPLES"] = str(size["train"])
    os.environ["D2LMINI_MAX_TEST_EXAMPLES"] = str(size["test"])
    os.environ.pop("D2LMINI_QUICK", None)
    os.environ.pop("D2LMINI_MAX_EPOCHS", None)


def backend(framework):
    """d2lmini's backend for ``framework`` (``"pytorch"`` or ``"tensorflow"``)."""
    return importlib.import_module({"pytorch": "d2lmini.torch",
                                    "tensorflow": "d2lmini.tensorflow"}[framework])


def worker_setup(framework, model, size):
    """What both workers start from: the backend, its device, the network's registry entry,
    a builder of fresh networks, and the chapter's loaders at the network's image size.

    Returns ``(mini, device, spec, make, train_iter, test_iter)``.
    """
    mini = backend(framework)
    spec = networks.by_builder(model)
    train_iter, test_iter = mini.load_data_fashion_mnist(size["batch"], resize=spec.size)
    return (mini, mini.try_gpu(), spec, lambda: networks.build(spec.key, framework),
            train_iter, test_iter)


def first_batches(batches, n=4):
    """The first ``n`` batches, kept in memory: the raw loop's input (no loader in its time)."""
    return list(itertools.islice(batches, n))


def timed_blocks(step, batches, steps, warmup=2, sync=lambda: None, repeats=1):
    """Seconds of each of ``repeats`` blocks of ``steps`` steps, after ``warmup`` steps."""
    for i in range(warmup):
        step(*batches[i % len(batches)])
    sync()
    blocks = []
    for _ in range(repeats):
        tic = time.perf_counter()
        for i in range(steps):
            step(*batches[i % len(batches)])
        sync()
        blocks.append(time.perf_counter() - tic)
    return blocks


# ----------------------------------------------------------------------------- PyTorch
def worker_pytorch(model, size, full):
    import torch
    from torch import nn

    mini, device, spec, make, train_iter, test_iter = worker_setup("pytorch", model, size)
    lr, out = spec.lr, {}
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    # 1. raw step loop on batches already in memory
    batches = first_batches(train_iter.on(device))

    def raw(dtype=None, channels_last=False, steps=size["raw_steps"], warmup=2,
            repeats=size.get("repeats", 1)):
        torch.manual_seed(0)
        net = mini.init_xavier(make()).to(device)  # the same start as train_ch6's
        data = batches
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
            data = [(X.contiguous(memory_format=torch.channels_last), y) for X, y in batches]
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()

        def step(X, y):
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                loss = loss_fn(net(X), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        blocks = timed_blocks(step, data, steps, warmup, sync, repeats)
        return [steps * size["batch"] / seconds for seconds in blocks]

    # train_ch6 trains conv nets in channels-last on a CPU; so does the raw loop.
    out["raw_runs"] = raw(channels_last=device.type == "cpu")
    out["raw"] = median(out["raw_runs"])
    if full:
        out["raw_plain_runs"] = raw()
        out["raw_plain"] = median(out["raw_plain_runs"])
        if device.type == "cuda":
            out["raw_bf16"] = median(raw(torch.bfloat16))
        else:  # emulated on most CPUs, and slow: a few steps only
            out["raw_bf16"] = median(raw(torch.bfloat16, steps=4 if model == "lenet" else 1,
                                         warmup=1, repeats=1))

    # 2. d2lmini's train_ch6, end to end
    n = train_iter.num_examples
    for key, amp in (("d2lmini", False), ("d2lmini_amp", True)):
        torch.manual_seed(0)
        r = mini.train_ch6(make(), train_iter, test_iter, size["epochs"], lr, device,
                           verbose=False, amp=amp)
        measure(out, key, r.extra["epoch_seconds"], n)
        out[key + "_reported"] = r.examples_per_sec
        out[key + "_test_acc"] = r.history["test_acc"][-1]
        if amp:
            out["amp_precision"] = r.extra["precision"]
    if full:  # train_ch6(..., compile=True): steady epochs, and what compiling added
        torch.manual_seed(0)
        r = mini.train_ch6(make(), train_iter, test_iter, size["epochs"], lr, device,
                           verbose=False, compile=True)
        out["d2lmini_compile"] = steady(r.extra["epoch_seconds"], n)
        out["compiled"] = r.extra["compiled"]
        first, rest = r.extra["epoch_seconds"][0], r.extra["epoch_seconds"][1:]
        out["compile_first_epoch_extra_s"] = first - sorted(rest)[len(rest) // 2]

    # 3. the reference: d2l.train_ch6 on the same iterators and model
    d2l = import_d2l("pytorch")
    torch.manual_seed(0)
    clock = EpochClock(train_iter)
    with contextlib.redirect_stdout(io.StringIO()) as text:
        d2l.train_ch6(make(), clock, test_iter, size["epochs"], lr, device)
    measure(out, "d2l", clock.epoch_seconds(time.perf_counter()), n)
    out["d2l_printed"] = [line for line in text.getvalue().splitlines()
                          if "examples/sec" in line or line.startswith("loss")]
    return out


# ----------------------------------------------------------------------------- TensorFlow
def worker_tensorflow(model, size, full):
    from d2lmini.backend_tf.train import xla_by_default
    import keras
    import tensorflow as tf

    mini, device, spec, make, train_iter, test_iter = worker_setup("tensorflow", model, size)
    lr, out = spec.lr, {}
    n = train_iter.num_examples

    with tf.device(device):
        batches = first_batches(train_iter)

        def raw(policy=None, jit=False, steps=size["raw_steps"], warmup=2,
                repeats=size.get("repeats", 1)):
            keras.utils.set_random_seed(0)
            net = make()
            if policy:
                for layer in net._flatten_layers(include_self=True, recursive=True):
                    layer.dtype_policy = policy
            opt = keras.optimizers.SGD(learning_rate=lr)
            loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

            @tf.function(jit_compile=jit, reduce_retracing=True)
            def step(X, y):
                with tf.GradientTape() as tape:
                    loss = loss_fn(y, tf.cast(net(X, training=True), tf.float32))
                grads = tape.gradient(loss, net.trainable_variables)
                opt.apply_gradients(zip(grads, net.trainable_variables))
                return loss

            def run(X, y):
                step(X, y)

            blocks = timed_blocks(run, batches, steps, warmup,
                                  lambda: float(net.trainable_variables[0][0, 0, 0, 0]),
                                  repeats)
            return [steps * size["batch"] / seconds for seconds in blocks]

        xla = out["xla"] = xla_by_default(device.startswith("/GPU"))  # as train_ch6 picks
        out["raw_runs"] = raw(jit=xla)
        out["raw"] = median(out["raw_runs"])
        if full:  # the raw loop both ways: the default's, and the other one measured now
            runs = {xla: out["raw_runs"], not xla: raw(jit=not xla)}
            out["raw_xla_runs"], out["raw_plain_runs"] = runs[True], runs[False]
            out["raw_xla"], out["raw_plain"] = median(runs[True]), median(runs[False])
            out["raw_bf16"] = median(raw("mixed_bfloat16", steps=1 if model != "lenet" else 4,
                                         warmup=1, repeats=1))  # emulated on most CPUs: slow

    for key, amp in (("d2lmini", False), ("d2lmini_amp", True)):
        keras.utils.set_random_seed(0)
        r = mini.train_ch6(make, train_iter, test_iter, size["epochs"], lr, device,
                           verbose=False, amp=amp)
        measure(out, key, r.extra["epoch_seconds"], n)
        out[key + "_reported"] = r.examples_per_sec
        out[key + "_test_acc"] = r.history["test_acc"][-1]
        if amp:
            out["amp_precision"] = r.extra["precision"]
    if full:  # train_ch6 with XLA and without: the default's run, and the other one
        keras.utils.set_random_seed(0)
        r = mini.train_ch6(make, train_iter, test_iter, size["epochs"], lr, device,
                           verbose=False, compile=not xla)
        other, default = ("d2lmini_no_xla", "d2lmini_xla") if xla else \
            ("d2lmini_xla", "d2lmini_no_xla")
        measure(out, other, r.extra["epoch_seconds"], n)
        out[default], out[default + "_runs"] = out["d2lmini"], out["d2lmini_runs"]

    d2l = import_d2l("tensorflow")
    starts = []

    class ClockedCallback(d2l.TrainCallback):
        def on_epoch_begin(self, epoch, logs=None):
            starts.append(time.perf_counter())
            super().on_epoch_begin(epoch, logs)

    d2l.TrainCallback = ClockedCallback
    keras.utils.set_random_seed(0)
    with contextlib.redirect_stdout(io.StringIO()) as text:
        d2l.train_ch6(make, train_iter.dataset, test_iter.dataset, size["epochs"], lr,
                      d2l.try_gpu())
    end = time.perf_counter()
    marks = starts + [end]
    measure(out, "d2l", [b - a for a, b in zip(marks, marks[1:])], n)
    out["d2l_printed"] = [line for line in text.getvalue().splitlines()
                          if "examples/sec" in line or line.startswith("loss")]
    return out


def worker_pipeline(framework, batch, epochs=1):
    """The input pipeline alone at 224x224 on the full training set, and peak memory.

    PyTorch batches are made on the training device (``train_iter.on``), as ``train_ch6``
    makes them: on a GPU the resize runs there.
    """
    os.environ.pop("D2LMINI_QUICK", None)
    for name in ("D2LMINI_MAX_EXAMPLES", "D2LMINI_MAX_TEST_EXAMPLES"):
        os.environ.pop(name, None)
    mini = backend(framework)
    with contextlib.redirect_stdout(io.StringIO()):
        train_iter, _ = mini.load_data_fashion_mnist(batch, resize=224)
    sync, device = (lambda: None), "cpu"
    if framework == "pytorch":
        import torch
        device = str(mini.try_gpu())
        train_iter = train_iter.on(device)
        if device.startswith("cuda"):
            sync = torch.cuda.synchronize
    tic, n = time.perf_counter(), 0
    for _ in range(epochs):
        for X, y in train_iter:
            n += int(y.shape[0])
    sync()
    seconds = time.perf_counter() - tic
    return {"pipeline_224": n / seconds, "pipeline_examples": n, "pipeline_device": device}


# ----------------------------------------------------------------------------- driver
def run_worker(args):
    os.environ.setdefault("MPLBACKEND", "Agg")
    mode = "quick" if args.quick else ("gpu" if args.gpu else "full")
    tic = time.perf_counter()
    if args.worker[0] == "pipeline":
        out = worker_pipeline(args.worker[1], 128)
    else:
        model, framework = args.worker
        size = SIZES[mode][model]
        subset_env(size)
        fn = worker_pytorch if framework == "pytorch" else worker_tensorflow
        with contextlib.redirect_stdout(sys.stderr):
            out = fn(model, size, full=mode != "quick")
        out["sizes"] = size
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["seconds"] = time.perf_counter() - tic
    print("RESULT " + json.dumps(out))


def device_info(gpu=None):
    """The CPU the benchmark ran on, plus ``gpu`` (from :func:`versions`) where there is one."""
    from d2lmini import precision
    info = {"cpu": precision.cpu_name(), "cores": os.cpu_count(), "machine": platform.machine(),
            "bf16_instructions": precision.cpu_has_bf16(),
            "simd": sorted(f for f in precision.cpu_flags()
                           if f.startswith(("avx", "amx", "fma")))}
    info.update(gpu or {})
    return info


def versions():
    """Versions of Python and the frameworks (one not installed is left out), and the GPU.

    One subprocess imports the frameworks (the benchmark's own process stays free of them);
    PyTorch's view of the GPU comes back under ``"gpu_info"`` for :func:`device_info`.
    """
    code = ("import json, sys, numpy, importlib.util as u\n"
            "v = {'python': sys.version.split()[0], 'numpy': numpy.__version__}\n"
            "if u.find_spec('torch'):\n"
            "    import torch; c = torch.cuda; v.update(torch=torch.__version__,"
            " gpu_torch=c.device_count())\n"
            "    if c.is_available(): v['gpu_info'] = {'gpu': c.get_device_name(0),"
            " 'gpu_memory_gb': round(c.get_device_properties(0).total_memory / 2**30, 1),"
            " 'cuda': torch.version.cuda}\n"
            "if u.find_spec('tensorflow'):\n"
            "    import tensorflow as tf, keras; v.update(tensorflow=tf.__version__,"
            " keras=keras.__version__, gpu_tf=len(tf.config.list_physical_devices('GPU')))\n"
            "print(json.dumps(v))")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    v = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                  text=True, env=env, check=True).stdout.strip().splitlines()[-1])
    meta = D2L_ENV / "d2l-1.0.3.dist-info"
    v["d2l"] = "1.0.3" if meta.is_dir() else "missing"
    return v


def spawn(worker, mode, timeout):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *worker]
    if mode != "full":
        cmd.append("--" + mode)
    # The repository first, then whatever the caller's PYTHONPATH holds.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=path)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}


def fmt(x):
    return f"{x:9.1f}" if isinstance(x, (int, float)) else f"{'-':>9}"


def ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


def table(results):
    head = (f"{'model':9} {'framework':10} {'raw':>9} {'d2lmini':>9} {'d2l':>9} {'amp':>9} "
            f"{'mini/raw':>9} {'mini/d2l':>9} {'amp/d2l':>9}")
    lines = [head, "-" * len(head)]
    for model in MODELS:
        for fw in FRAMEWORKS:
            r = results.get(model, {}).get(fw)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"{model:9} {fw:10} error: {r['error']}")
                continue
            rs = [ratio(r.get("d2lmini"), r.get("raw")), ratio(r.get("d2lmini"), r.get("d2l")),
                  ratio(r.get("d2lmini_amp"), r.get("d2l"))]
            lines.append(f"{model:9} {fw:10} " + " ".join(
                fmt(r.get(k)) for k in ("raw", "d2lmini", "d2l", "d2lmini_amp")) + " " +
                " ".join(f"{x:9.2f}" if x is not None else f"{'-':>9}" for x in rs))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: under 5 minutes")
    p.add_argument("--gpu", action="store_true", help="larger sizes for a GPU")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    p.add_argument("--out", help="JSON file (default results/latest.json, or quick.json)")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return run_worker(args)
    if args.quick and args.gpu:
        raise SystemExit("--quick and --gpu are two different sizes: choose one")
    mode = "quick" if args.quick else ("gpu" if args.gpu else "full")
    out = Path(args.out) if args.out else HERE / "results" / (
        {"quick": "quick.json", "gpu": "gpu.json", "full": "latest.json"}[mode])
    started = time.time()
    found = versions()
    report = {"mode": mode, "device": device_info(found.pop("gpu_info", None)),
              "versions": found,
              "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)),
              "load_average_before": os.getloadavg(), "sizes": SIZES[mode],
              "definitions": {
                  "raw": "examples/s of forward+loss+backward+SGD on in-memory batches, "
                         "with train_ch6's kernels (PyTorch CPU: channels-last; TF: XLA "
                         "where train_ch6 compiles with it, see `xla`); the median of "
                         "`repeats` timed blocks",
                  "raw_plain": "raw in the framework's default layout, without XLA",
                  "raw_xla": "TensorFlow's raw loop with XLA (full and GPU runs)",
                  "xla": "whether TensorFlow's train_ch6 compiles with XLA by default here "
                         "(records without it: it always did)",
                  "d2lmini": "train_ch6 end to end: examples/s of the median epoch after "
                             "the first, its evaluation included",
                  "d2l": "d2l 1.0.3 train_ch6 on the same iterators, measured like d2lmini",
                  "d2lmini_amp": "train_ch6(..., amp=True), measured like d2lmini",
                  "<key>_runs": "the repeats behind <key>, one by one (examples/s): raw's "
                                "timed blocks, the steady epochs of the others; "
                                "benchmarks/targets.py computes each ratio from the first "
                                "and from the second half of them (its repeat spread)",
                  "d2lmini_compile": "PyTorch train_ch6(..., compile=True), measured like "
                                     "d2lmini; compile_first_epoch_extra_s: its first epoch "
                                     "minus a steady one (full and GPU runs)",
                  "d2lmini_no_xla": "TensorFlow train_ch6(..., compile=False): the step "
                                    "traced by tf.function without XLA, measured like "
                                    "d2lmini (full and GPU runs)",
                  "d2lmini_xla": "TensorFlow train_ch6(..., compile=True), likewise"}}
    results = {}
    timeout = 400 if args.quick else 2400  # seconds per (model, framework) process
    for model in args.models.split(","):
        for fw in args.frameworks.split(","):
            t = time.perf_counter()
            results.setdefault(model, {})[fw] = spawn((model, fw), mode, timeout)
            print(f"{model} {fw}: {time.perf_counter() - t:.0f} s", file=sys.stderr,
                  flush=True)
    if not args.quick:
        for fw in args.frameworks.split(","):
            results.setdefault("pipeline", {})[fw] = spawn(("pipeline", fw), "full", 600)
    report.update(results)
    report["load_average_after"] = os.getloadavg()
    report["seconds"] = time.time() - started
    text = table(results)
    report["table"] = text
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(text)
    print(f"load average before/after: {report['load_average_before'][0]:.1f} / "
          f"{report['load_average_after'][0]:.1f}; {report['seconds']:.0f} s; wrote "
          f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
