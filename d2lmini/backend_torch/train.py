"""Training and evaluation of a classifier in PyTorch: ``train_ch6`` and friends."""
import warnings

import torch
from torch import nn

from .. import checkpoint as checkpoints
from .. import loop, mirrordocs, precision, training
from ..training import NonFiniteLossError, TrainResult  # re-exported
from .devices import resolve_device

__all__ = ["accuracy", "evaluate_accuracy", "init_xavier", "train_ch6", "TrainResult",
           "NonFiniteLossError"]

# The internal API that distributed.py trains with (not exported: not in __all__):
# checkpoint_settings, load_checkpoint, save_checkpoint, reset_parameters,
# materialize_lazy.


def accuracy(y_hat, y):
    """Number of correct predictions, as a 0-d tensor (no synchronisation).

    ``y_hat`` holds scores of shape (batch, classes); ``y`` labels of shape (batch,).
    """
    return (y_hat.argmax(dim=1) == y).sum()


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (a float in [0, 1]), in evaluation mode.

    ``device`` defaults to the device holding the network's weights.
    """
    device = resolve_device(device) if device is not None else next(net.parameters()).device
    return _evaluate(net, data_iter, device)


def _evaluate(net, data_iter, device, autocast_dtype=None, channels_last=False, forward=None):
    """Accuracy of ``net`` on ``data_iter``; ``forward`` (default ``net``) computes the scores."""
    forward = forward or net
    batches = data_iter.on(device) if hasattr(data_iter, "on") else data_iter
    was_training = net.training
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    total = 0
    with torch.no_grad(), _autocast(device, autocast_dtype):
        for X, y in batches:
            X, y = _to(X, device, channels_last), y.to(device, non_blocking=True)
            correct += accuracy(forward(X), y)
            total += y.numel()
    net.train(was_training)
    return correct.item() / max(total, 1)


class CompiledForward:
    """``net``'s forward pass through ``torch.compile``, or eager where compiling fails.

    The compiled function is made once and reused, so each input shape and each mode
    (training, evaluation) compiles once: the first call of each takes seconds, later ones
    run the generated code. If a call fails and the same call succeeds eagerly, the error
    came from the compiler (e.g. no C++ compiler on the machine): a warning says so and
    every later call runs eagerly. An error the eager call raises too is the network's own
    and is raised.
    """

    def __init__(self, net):
        self.net, self.compiled, self.failed = net, torch.compile(net), None

    def __call__(self, X):
        if self.failed is not None:
            return self.net(X)
        try:
            return self.compiled(X)
        except Exception as e:  # noqa: BLE001 - the eager retry below tells the two kinds apart
            out = self.net(X)  # raises the network's own error, if it is one
            self.failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0][:200]}"
            warnings.warn(f"torch.compile could not compile the network ({self.failed}); "
                          f"training goes on without it (pass compile=False to skip the "
                          f"attempt)", RuntimeWarning, stacklevel=2)
            return out


def _autocast(device, dtype):
    """Autocast to ``dtype`` (a torch dtype) on ``device``, or a no-op when ``dtype`` is None."""
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


def _to(X, device, channels_last):
    X = X.to(device, non_blocking=True)
    if channels_last and X.dim() == 4:
        X = X.contiguous(memory_format=torch.channels_last)
    return X


def _tf32(device):
    """On a GPU with TF32 tensor cores (compute capability 8.0 and later), which float32
    operations PyTorch lets run in TF32: ``{"convolutions": bool, "matmul": bool}``;
    ``None`` elsewhere (a CPU, an older GPU)."""
    if device.type != "cuda" or torch.cuda.get_device_capability(device)[0] < 8:
        return None
    return {"convolutions": bool(torch.backends.cudnn.allow_tf32),
            "matmul": bool(torch.backends.cuda.matmul.allow_tf32)}


def init_xavier(net):
    """Draw Xavier-uniform weights for every linear and convolutional layer (1-D, 2-D or
    3-D) of ``net``; return ``net``.

    The layers are drawn in the order of ``net.modules()``, the order in which d2l's
    ``net.apply(init_weights)`` draws them, so both give the same weights from the same
    seed. Biases are left as they are. Lazy layers (``nn.LazyLinear``, ``nn.LazyConv2d``)
    must have their shapes first: run the network once on a batch (``net(X)``), as
    :func:`train_ch6` does.

    >>> _ = torch.manual_seed(0)
    >>> net = init_xavier(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
    >>> bound = (6 / (4 + 3)) ** 0.5   # Xavier's limit for a 4-in, 3-out layer
    >>> bool(net[0].weight.abs().max() <= bound)
    True
    """
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            if nn.parameter.is_lazy(module.weight):
                raise ValueError(f"{type(module).__name__} has no weights yet (a lazy layer "
                                 "learns its input size from its first input): run the "
                                 "network once on a batch, net(X), before initializing it")
            nn.init.xavier_uniform_(module.weight)
    return net


def reset_parameters(net):
    """Draw every layer's parameters afresh with its own initialization (biases, batch-norm
    scales and statistics), so that the seed decides all of them, however ``net`` was made."""
    for module in net.modules():
        if hasattr(module, "reset_parameters"):  # a lazy layer without shapes skips it
            module.reset_parameters()


def _has_lazy(net):
    return any(nn.parameter.is_lazy(p) for p in net.parameters())


def _check_module(net):
    """Raise ``ValueError`` unless ``net`` is a network with parameters to train."""
    if isinstance(net, type):
        raise ValueError(f"net is the class {net.__name__}, not a network: make one first, "
                         f"e.g. net = {net.__name__}(...), and pass that")
    if not isinstance(net, nn.Module):
        hint = (f": call it first (net = {net.__name__}()) and pass the network it returns"
                if callable(net) and hasattr(net, "__name__") else "")
        raise ValueError(f"net must be a torch.nn.Module, got a {type(net).__name__}{hint}")
    if not any(True for _ in net.parameters()):
        raise ValueError(f"the network {type(net).__name__} has no parameters, so there is "
                         "nothing to train: layers made outside it (or kept in a plain Python "
                         "list instead of nn.Sequential / nn.ModuleList) are not part of it")


def _probe(net, data_iter, autocast_dtype=None):
    """Check the first batch of ``data_iter`` and ``net``'s output on its first example;
    return ``(number of outputs, that batch's labels)``.

    The same pass gives lazy layers (``nn.LazyLinear``) their shapes. It runs in evaluation
    mode without gradients, and PyTorch's random state is restored afterwards, so it
    changes no running statistics and no random draw of what follows. ``data_iter`` yields
    ``(X, y)`` batches, X of shape (batch, C, H, W); pass an unshuffled iterator, e.g.
    ``test_iter`` (peeking at d2lmini's shuffled loader would move its epoch on). With
    ``autocast_dtype`` the pass computes as training will (e.g. in bfloat16).
    """
    X, y = next(iter(data_iter))
    for name, value in (("images", X), ("labels", y)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"the loaders yield {name} as {type(value).__module__}."
                             f"{type(value).__name__}; PyTorch's train_ch6 needs torch "
                             "tensors: make the loader with d2l.ArrayLoader(images, labels, "
                             "batch_size), or convert with torch.from_numpy(...)")
    embeds = any(isinstance(m, (nn.Embedding, nn.EmbeddingBag)) for m in net.modules())
    if not embeds:  # a network of token ids takes integers; one of images, floats
        training.check_images(str(X.dtype).replace("torch.", ""),
                              "f" if X.is_floating_point() else "u", "test_iter's batches")
    weights = next(net.parameters())
    if X.is_floating_point() and not nn.parameter.is_lazy(weights) and X.dtype != weights.dtype:
        raise ValueError(f"the images are {X.dtype} but the network's weights "
                         f"{weights.dtype}: convert the images to {weights.dtype} in the "
                         "loader (X.float() for float32)")
    device = weights.device
    was_training = net.training
    cuda = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda), torch.no_grad(), \
            _autocast(device, autocast_dtype):
        net.eval()
        try:
            out = net(X[:1].to(device))
        finally:
            net.train(was_training)
    return training.check_outputs(out), y


def materialize_lazy(net, data_iter):
    """Give the lazy layers of ``net`` their shapes with one forward pass of one example of
    ``data_iter`` (:func:`_probe`); nothing happens for a network without lazy layers."""
    if _has_lazy(net):
        _probe(net, data_iter)
    return net


@mirrordocs.shared("train_ch6", "pytorch", dense="linear", example_device="cuda:0", extra=(
    '``extra["compiled"]`` says whether the forward pass ran compiled.'), net="""
    net : torch.nn.Module
        Maps a batch ``X`` of shape (batch, C, H, W) to scores of shape (batch, classes).""",
    device="""
    device : torch.device or str, optional
        Where to train; default :func:`try_gpu`.""", amp="""
    amp : False, True, "bfloat16" or "float16"
        Mixed precision: forward and backward passes in a 16-bit format under
        ``torch.autocast``, weights kept in float32. ``True`` picks what the device runs
        fast: bfloat16 on GPUs that support it (else float16 with loss scaling), bfloat16
        on CPUs with bfloat16 instructions (``avx512_bf16``/``amx_bf16``), and float32 on
        other CPUs, where bfloat16 would be emulated and slower (a line says so). A string
        forces that format. Convolutional networks run in channels-last memory format on
        CPUs (oneDNN's preferred layout; the Performance chapter measures the gain) and,
        with a 16-bit format, on GPUs.""", seed="""
    seed : int, optional
        Seeds PyTorch's random generator for the run: the initial weights and dropout's
        masks, so that the same call on the same machine gives the same numbers (the
        caller's generator is restored afterwards). Default: ``D2LMINI_SEED``, else 0.
        The order of the mini-batches is the loader's (its own ``seed``).""", compile="""
    compile : bool
        Run the forward pass through ``torch.compile`` (:class:`CompiledForward`), which
        fuses operations into generated kernels. It costs seconds to tens of seconds of
        compiling at the first step, the first evaluation and the last (smaller) batch, and
        pays back on long runs of large models; on a CPU LeNet's compiled step saves a few
        milliseconds, so the default is eager (the Performance chapter measures both).
        TensorFlow's ``train_ch6`` takes the same argument for XLA, on by default there.""")
def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, *, verbose=True,
              amp=False, checkpoint=None, seed=None, optimizer="sgd", compile=False):
    device = resolve_device(device)
    num_epochs, lr = training.check_training_args(num_epochs, lr, optimizer)
    _check_module(net)
    training.check_loaders(train_iter, test_iter)
    dtype_name, precision_note = precision.resolve(
        "gpu" if device.type == "cuda" else "cpu", amp,
        gpu_bf16=device.type == "cuda" and torch.cuda.is_bf16_supported())
    autocast_dtype = getattr(torch, dtype_name) if dtype_name else None
    tf32 = _tf32(device) if dtype_name is None else None
    if tf32:  # say what "float32" computed in, as the run record will
        precision_note = precision.float32_on_gpu(True, tf32["convolutions"], tf32["matmul"])
    # Channels-last (NHWC) is the layout CPU convolution kernels and GPU tensor cores work
    # in; in float32 on a GPU the default layout is as fast, so it stays there.
    channels_last = _has_conv(net) and (device.type == "cpu" or dtype_name is not None)
    seed = training.resolve_seed(seed)
    # Training draws from its own seeded copy of the generator; the caller's comes back after.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        steps, settings, forward = _setup(net, train_iter, test_iter, lr, device, dtype_name,
                                          autocast_dtype, channels_last, optimizer,
                                          compile_forward=compile)
        try:
            result = loop.fit(steps, net, train_iter, test_iter, num_epochs, lr,
                              framework="pytorch", device=device, settings=settings,
                              precision_note=precision_note, checkpoint=checkpoint,
                              verbose=verbose, show_precision=amp is not False,
                              extra={"seed": seed, "optimizer": optimizer,
                                     "channels_last": channels_last,
                                     **({"tf32": tf32} if tf32 else {})},
                              batch_shape=lambda: _batch_shape(train_iter))
        finally:
            if channels_last:
                net.to(memory_format=torch.contiguous_format)
    # Known once it has run: a compiler that failed fell back to eager.
    result.extra["compiled"] = compile and forward.failed is None
    return result


def _setup(net, train_iter, test_iter, lr, device, dtype_name, autocast_dtype, channels_last,
           optimizer_name="sgd", compile_forward=False):
    """Fresh parameters for ``net`` on ``device`` (Xavier weights for linear and
    convolutional layers, each layer's own initialization for the rest), an optimizer,
    and the :class:`~d2lmini.loop.Steps` that train and evaluate it; also the settings a
    checkpoint must match, and the forward pass (``net``, or a :class:`CompiledForward`).
    Checkpoints hold ``net``'s own weights: a compiled run resumes an eager one."""
    # Lazy layers (d2l 1.0's nn.LazyLinear, nn.LazyConv2d) get their shapes from a test
    # example first; the same look checks the data and the network's output against them.
    num_outputs, test_labels = _probe(net, test_iter, autocast_dtype)
    labels = getattr(train_iter, "labels", None)  # all of them, in d2lmini's loaders
    training.check_all_labels(labels.cpu().numpy() if isinstance(labels, torch.Tensor)
                              else None, test_labels.cpu().numpy(), num_outputs)
    reset_parameters(net)
    init_xavier(net)
    net.to(device)
    if channels_last:
        net.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(optimizer_name, net.parameters(), lr)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype_name == "float16")
    batches = train_iter.on(device) if hasattr(train_iter, "on") else train_iter
    forward = CompiledForward(net) if compile_forward else net
    step = _sgd_step(forward, optimizer, scaler, nn.CrossEntropyLoss(), device, autocast_dtype)
    steps = loop.Steps(
        train_epoch=lambda watch: _train_epoch(net, batches, step, watch, device, channels_last),
        evaluate=lambda: _evaluate(net, test_iter, device, autocast_dtype, channels_last,
                                   forward),
        save=lambda path, record: save_checkpoint(path, record, net, optimizer, scaler, device),
        load=lambda path: load_checkpoint(path, net, optimizer, scaler, device),
        read_losses=lambda window: torch.stack(window).tolist())
    return steps, checkpoint_settings(net, dtype_name or "float32", optimizer_name), forward


def checkpoint_settings(net, precision, optimizer_name):
    """What a checkpoint of ``net`` must match to be resumed (:func:`d2lmini.loop.fit`):
    the weight shapes, the precision, fingerprints of the layers and of the code of the
    model's own classes (an edited ``forward``), the optimizer."""
    return {"shapes": {k: list(v.shape) for k, v in net.state_dict().items()},
            "precision": precision, "architecture": checkpoints.fingerprint(repr(net)),
            "code": checkpoints.code_fingerprints(net.modules(), ("torch.",)),
            "optimizer": optimizer_name}


def make_optimizer(name, params, lr):
    """The ``torch.optim`` optimizer ``name`` ("sgd", "adam" or "adadelta") over ``params``,
    with the settings both frameworks share (:data:`d2lmini.training.OPTIMIZERS`).

    >>> make_optimizer("adam", nn.Linear(2, 1).parameters(), 0.001).defaults["eps"]
    1e-08
    """
    s = training.optimizer_settings(name)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(s["beta_1"], s["beta_2"]),
                                eps=s["epsilon"])
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, rho=s["rho"], eps=s["epsilon"])
    return torch.optim.SGD(params, lr=lr)


def _sgd_step(net, optimizer, scaler, loss_fn, device, autocast_dtype):
    """One SGD step on a batch: returns (loss, scores), the loss detached in float32.
    ``net`` is any callable from a batch to scores (a module, or its compiled forward)."""
    def step(X, y):
        with _autocast(device, autocast_dtype):
            y_hat = net(X)
            loss = loss_fn(y_hat, y)
        optimizer.zero_grad(set_to_none=True)
        if scaler.is_enabled():  # float16: scale the loss so small gradients stay nonzero
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        return loss.detach().float(), y_hat

    return step


def _train_epoch(net, batches, step, watch, device, channels_last):
    """One pass over ``batches``; returns (mean loss, accuracy, examples)."""
    net.train()
    # Sums stay on the device; the watch reads them only every few steps.
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    n = 0
    for i, (X, y) in enumerate(batches):
        X, y = _to(X, device, channels_last), y.to(device, non_blocking=True)
        try:
            loss, y_hat = step(X, y)
        except ValueError as e:
            if X.shape[0] == 1 and "more than 1 value per channel" in str(e):
                raise ValueError(
                    f"batch {i + 1} holds a single example, and batch normalization cannot "
                    "compute a mean and variance over one: choose a batch size that leaves "
                    "no lone example at the end of the epoch (the number of training "
                    "examples modulo the batch size must not be 1), or drop the last batch "
                    "(drop_last=True in a DataLoader)") from e
            raise
        with torch.no_grad():
            loss_sum += loss * y.shape[0]
            correct += accuracy(y_hat, y)
        n += y.shape[0]
        watch.after_step(i, loss, loss_sum, correct, n)
    return loss_sum.item() / max(n, 1), correct.item() / max(n, 1), n


def _batch_shape(train_iter):
    """(image size, batch size) of the first training batch: X of shape (B, C, H, W)."""
    X = next(iter(train_iter))[0]
    return tuple(X.shape[2:]), int(X.shape[0])


def _has_conv(net):
    return any(isinstance(m, nn.Conv2d) for m in net.modules())


def save_checkpoint(path, record, net, optimizer, scaler, device):
    state = {"record": record, "model": net.state_dict(), "optimizer": optimizer.state_dict(),
             "scaler": scaler.state_dict(), "cpu_rng": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    checkpoints.atomic_write(path, lambda f: torch.save(state, f))


def load_checkpoint(path, net, optimizer, scaler, device):
    """Read a checkpoint: its record, and a function that restores the model, optimizer,
    loss scaler and random state from it (called once the record is found compatible)."""
    state = torch.load(path, map_location=device, weights_only=True)

    def restore():
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["cpu_rng"].cpu())
        if "cuda_rng" in state and device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)

    return state["record"], restore
