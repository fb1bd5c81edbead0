"""Full-size training runs of the Part II chapters: every image, the chapter's settings.

Each chapter of Part II trains its network on a budget on a CPU (a few thousand images);
this script runs the same PyTorch code at full size: every one of the 60,000 training and
10,000 test images, every epoch the chapter asks for, with the chapter's batch size, learning
rate and image size (from the book's registry of networks, ``d2lmini/networks.py``;
``tests/test_full_runs.py`` checks that they match the notebooks). Each run is written to
``notebooks/results/<name>-pytorch-full.json`` with the GPU's name and the versions it ran
with, and the chapter shows it from there.

Usage::

    python scripts/full_runs.py                       # all networks, into notebooks/results
    python scripts/full_runs.py alexnet vgg --out-dir /tmp/runs
    python scripts/full_runs.py lenet --amp           # 16-bit autocast: *-full-amp.json
    python scripts/full_runs.py alexnet --framework tensorflow --epochs 1

``--framework tensorflow`` trains the Keras twin the same way and writes
``<name>-tensorflow-full.json``. ``--epochs N`` stops after the first ``N`` of the chapter's
epochs, still on all the data, and writes ``<name>-tensorflow-N-of-10-epochs.json``: one
epoch of a 224x224 network takes about half an hour on a two-core CPU. Every run saves a
checkpoint after each epoch into ``--checkpoint-dir`` (default ``notebooks/checkpoints``), so a run that is stopped
resumes where it stopped; a chapter's training cell given the same checkpoint shows the run
without training again.

A budget (``D2LMINI_MAX_*``) or quick mode in the environment is refused unless
``--allow-budget`` is given (for trying the script out on a CPU): a file named ``-full``
must hold a full run.
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout, without installing
    sys.path.insert(0, str(ROOT))

from d2lmini.networks import NETWORKS, build  # noqa: E402 (after the path is set)


def backend(framework):
    """``d2lmini.torch`` or ``d2lmini.tensorflow``."""
    if framework == "pytorch":
        from d2lmini import torch as d2l
    else:
        from d2lmini import tensorflow as d2l
    return d2l


def per_class_accuracy(net, test_iter, device):
    """Test accuracy of each of the ten classes (a class the network never predicts gets 0)."""
    import torch
    from d2lmini.data.fashion_mnist import CLASSES

    k = len(CLASSES)
    correct = torch.zeros(k, dtype=torch.int64, device=device)
    total = torch.zeros(k, dtype=torch.int64, device=device)
    net.eval()
    with torch.no_grad():
        for X, y in test_iter.on(device):  # batches made on the device
            pred = net(X).argmax(dim=1)
            correct += torch.bincount(y[pred == y], minlength=k)
            total += torch.bincount(y, minlength=k)
    return (correct.float() / total.clamp(min=1).float()).tolist()


def per_class_accuracy_tf(net, test_iter):
    """:func:`per_class_accuracy` for a Keras model."""
    import numpy as np
    from d2lmini.data.fashion_mnist import CLASSES

    k = len(CLASSES)
    correct, total = np.zeros(k, np.int64), np.zeros(k, np.int64)
    for X, y in test_iter:
        pred = np.argmax(net(X, training=False).numpy(), axis=1)
        y = np.asarray(y)
        correct += np.bincount(y[pred == y], minlength=k)
        total += np.bincount(y, minlength=k)
    return (correct / np.maximum(total, 1)).tolist()


def checkpoint_path(checkpoint_dir, name, framework):
    """Where a run keeps its checkpoint: the path the chapter's training cell passes."""
    return Path(checkpoint_dir) / f"{name}-{framework}.ckpt"


def run_tf(name, out_dir, epochs=None, seed=0, checkpoint_dir=None):
    """Train the Keras twin of one network as its chapter does, on all the data.

    ``epochs`` stops after that many of the chapter's epochs; ``checkpoint_dir`` holds the
    checkpoint that makes a stopped run resume (and that the chapter's cell can show).
    """
    import os

    d2l = backend("tensorflow")
    before = os.environ.get("D2LMINI_MAX_EPOCHS")
    if epochs is not None:
        os.environ["D2LMINI_MAX_EPOCHS"] = str(epochs)
    try:
        return _run_tf(d2l, NETWORKS[name], out_dir, seed, checkpoint_dir)
    finally:  # the cap is for this run only, not for what the caller does next
        if before is None:
            os.environ.pop("D2LMINI_MAX_EPOCHS", None)
        else:
            os.environ["D2LMINI_MAX_EPOCHS"] = before


def _run_tf(d2l, spec, out_dir, seed, checkpoint_dir):
    import keras
    import tensorflow as tf

    name, title, num_epochs = spec.key, spec.title, spec.epochs
    keras.utils.set_random_seed(seed)
    net = build(name, "tensorflow")
    summary = d2l.layer_summary(net, (1, spec.size, spec.size, 1), show=False)
    train_iter, test_iter = d2l.load_data_fashion_mnist(spec.batch_size,
                                                        resize=spec.image_size)
    ckpt = checkpoint_path(checkpoint_dir, name, "tensorflow") if checkpoint_dir else None
    tic = time.perf_counter()
    result = d2l.train_ch6(net, train_iter, test_iter, num_epochs, spec.lr, d2l.try_gpu(),
                           verbose=True, checkpoint=ckpt, seed=seed)
    wall = time.perf_counter() - tic
    per_class = per_class_accuracy_tf(result.net, test_iter)
    # "-full" names a run of every epoch on all the data; a shorter one says how short.
    stem = "full" if result.epochs == num_epochs else f"{result.epochs}-of-{num_epochs}-epochs"
    path = result.save(Path(out_dir) / f"{name}-tensorflow-{stem}.json", model=title,
                       params=d2l.count_parameters(net), macs=summary.macs,
                       tensorflow=tf.__version__, wall_seconds=wall, seed=seed,
                       per_class_test_acc=per_class, made_by="scripts/full_runs.py")
    print(f"{title:10} seed {seed}: {result.summary()} [{wall:.0f} s wall]", flush=True)
    print(f"{'':10} per class: {' '.join(f'{a:.2f}' for a in per_class)}", flush=True)
    return path


def run(name, out_dir, amp=False, seed=0):
    """Train one network as its chapter does, at full size; write and return the result.

    With ``amp=True`` it trains with ``train_ch6(..., amp=True)`` (16-bit autocast on a GPU)
    and writes ``<name>-pytorch-full-amp.json``, for comparing accuracy with float32. A seed
    other than 0 (the chapters' seed) changes the initial weights and adds ``-seed<N>``.
    """
    import torch
    from d2lmini import torch as d2l

    spec = NETWORKS[name]
    title = spec.title
    torch.manual_seed(seed)
    net = build(name)
    macs = d2l.layer_summary(net, (1, 1, spec.size, spec.size), show=False).macs
    params = d2l.count_parameters(net)
    train_iter, test_iter = d2l.load_data_fashion_mnist(spec.batch_size,
                                                        resize=spec.image_size)
    device = d2l.try_gpu()
    tic = time.perf_counter()
    result = d2l.train_ch6(net, train_iter, test_iter, spec.epochs, spec.lr, device,
                           verbose=False, amp=amp, seed=seed)
    wall = time.perf_counter() - tic
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    per_class = per_class_accuracy(net, test_iter, device)
    suffix = ("-amp" if amp else "") + (f"-seed{seed}" if seed else "")
    path = result.save(Path(out_dir) / f"{name}-pytorch-full{suffix}.json", model=title,
                       params=params, macs=macs, gpu=gpu, torch=torch.__version__,
                       wall_seconds=wall, seed=seed, per_class_test_acc=per_class,
                       made_by="scripts/full_runs.py")
    print(f"{title:10} seed {seed}: {result.summary()} [{result.extra['precision']}; "
          f"{wall:.0f} s wall; GPU: {gpu}]", flush=True)
    print(f"{'':10} per class: {' '.join(f'{a:.2f}' for a in per_class)}", flush=True)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", default=list(NETWORKS),
                   help=f"from {', '.join(NETWORKS)}")
    p.add_argument("--out-dir", default=str(ROOT / "notebooks" / "results"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="initial-weight seeds (0 is the chapters'); one run per seed")
    p.add_argument("--amp", action="store_true", help="train with amp=True (16-bit autocast)")
    p.add_argument("--framework", choices=["pytorch", "tensorflow"], default="pytorch")
    p.add_argument("--epochs", type=int, default=None,
                   help="stop after this many of the chapter's epochs (TensorFlow only)")
    p.add_argument("--checkpoint-dir", default=str(ROOT / "notebooks" / "checkpoints"),
                   help="where TensorFlow runs keep the checkpoint they resume from")
    p.add_argument("--allow-budget", action="store_true",
                   help="let D2LMINI_MAX_* / D2LMINI_QUICK shrink the runs (for a trial)")
    args = p.parse_args(argv)
    from d2lmini import config
    unknown = [n for n in args.names if n not in NETWORKS]
    if unknown:
        p.error(f"unknown network(s) {', '.join(unknown)}; choose from {', '.join(NETWORKS)}")
    if config.budget().limited and not args.allow_budget:
        p.error(f"a budget is set ({config.budget()}): a full run uses all the data; unset "
                "D2LMINI_QUICK and D2LMINI_MAX_EXAMPLES / _TEST_EXAMPLES / _EPOCHS, or pass "
                "--allow-budget for a trial")
    failed = []
    for name, seed in [(n, s) for n in args.names for s in args.seeds]:
        try:
            if args.framework == "tensorflow":
                run_tf(name, args.out_dir, epochs=args.epochs, seed=seed,
                       checkpoint_dir=args.checkpoint_dir)
            else:
                run(name, args.out_dir, amp=args.amp, seed=seed)
        except Exception as exc:  # noqa: BLE001 (one network's failure must not cost the others')
            failed.append(name)
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
