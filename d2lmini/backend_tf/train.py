"""Training and evaluation of a classifier in TensorFlow: ``train_ch6`` and friends."""
import contextlib
import json
import os
import random
import sys
import warnings

import keras
import numpy as np
import tensorflow as tf

from .. import checkpoint as checkpoints
from .. import loop, mirrordocs, precision, training
from ..training import NonFiniteLossError, TrainResult  # re-exported
from .devices import resolve_device

__all__ = ["accuracy", "evaluate_accuracy", "init_xavier", "train_ch6", "TrainResult",
           "NonFiniteLossError"]

# The internal API that distributed.py (and d2lmini.book.twins) use; not exported (not in __all__):
# build_net, keras_of, layers_in_order, ends_in_softmax, checkpoint_settings,
# load_checkpoint, save_checkpoint.


def accuracy(y_hat, y):
    """Number of correct predictions, as a 0-d tensor (no synchronisation).

    ``y_hat`` holds scores of shape (batch, classes); ``y`` labels of shape (batch,).
    """
    pred = tf.argmax(y_hat, axis=1, output_type=tf.int32)
    return tf.reduce_sum(tf.cast(pred == tf.cast(y, tf.int32), tf.int32))


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of ``net`` on ``data_iter`` (a float in [0, 1]), in inference mode.

    ``device`` defaults to the device holding the network's weights (for a model not yet
    built, :func:`try_gpu`).
    """
    device = resolve_device(device) if device is not None else _weights_device(net)
    with tf.device(device):
        return _evaluate(_correct_fn(net), data_iter)


def _weights_device(net):
    """Where the first weight of ``net`` lives, e.g. '/CPU:0'; try_gpu() when it has none."""
    variables = getattr(net, "variables", None)
    v = variables[0] if variables else None
    v = getattr(v, "value", v)  # a Keras 3 Variable holds a tf.Variable
    spec = tf.DeviceSpec.from_string(getattr(v, "device", None) or "")
    return f"/{spec.device_type}:{spec.device_index or 0}" if spec.device_type else resolve_device(None)


def _correct_fn(net, jit_compile=False):
    """A compiled function counting the correct predictions of ``net`` on one batch.

    Traced for the first batch's shape, then once more with an unknown batch size when a
    smaller last batch arrives (see :func:`train_ch6` for why not unknown from the start).
    """
    def correct_in(X, y):
        return accuracy(net(X, training=False), y)

    return _compile(correct_in, jit_compile)


# The CPU features for which TensorFlow's Linux builds turn their oneDNN kernels on by
# default (DefaultOneDnnPolicy in tensorflow/core/util/port.cc); TF_ENABLE_ONEDNN_OPTS
# overrides it either way.
ONEDNN_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")


def onednn_enabled(flags=None, env=None):
    """Whether TensorFlow computes on this CPU with its oneDNN kernels.

    TensorFlow says so itself where it can; otherwise its policy is applied to ``flags``
    (default: this CPU's) and ``env`` (default: ``os.environ``).

    >>> onednn_enabled({"avx2", "fma"}, env={})
    False
    >>> onednn_enabled({"avx2", "avx512_vnni"}, env={})
    True
    >>> onednn_enabled({"avx2", "avx512_vnni"}, env={"TF_ENABLE_ONEDNN_OPTS": "0"})
    False
    """
    if flags is None and env is None:
        try:
            from tensorflow.python.util import _pywrap_util_port
            return bool(_pywrap_util_port.IsMklEnabled())
        except (ImportError, AttributeError):  # a TensorFlow that no longer offers it
            pass
    flags = precision.cpu_flags() if flags is None else flags
    setting = (os.environ if env is None else env).get("TF_ENABLE_ONEDNN_OPTS", "").lower()
    if setting in ("0", "false", "1", "true"):
        return setting in ("1", "true")
    return any(f in flags for f in ONEDNN_FLAGS)


def xla_by_default(on_gpu):
    """What ``train_ch6(compile=None)`` chooses: XLA, unless on a CPU with oneDNN kernels.

    On a CPU whose TensorFlow runs oneDNN's kernels (those with AVX-512 VNNI, bfloat16 or
    AMX instructions), the uncompiled step was faster for LeNet, AlexNet and ResNet-18, by
    1.1 to 2.1 times end to end; where TensorFlow uses its own kernels, XLA made every one
    of them faster, by 1.18 to 1.53 times (``benchmarks/results/latest.json`` and
    ``cpu-avx2.json``, read by the Performance chapter). On a GPU XLA stays on.
    """
    return True if on_gpu else not onednn_enabled()


def _compile(fn, jit_compile):
    """``tf.function(fn)``, through XLA if ``jit_compile``; plain graphs if XLA refuses.

    XLA fuses the many small operations of a training step into a few kernels. It cannot
    compile every operation on every device; then a warning names the reason and the
    function runs as an ordinary graph, which computes the same thing more slowly.
    """
    plain = tf.function(fn, reduce_retracing=True)
    if not jit_compile:
        plain.uses_xla = lambda: False
        return plain
    xla = tf.function(fn, reduce_retracing=True, jit_compile=True)
    chosen = [xla]

    def call(*args):
        if chosen[0] is xla:
            try:
                return xla(*args)
            except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError,
                    tf.errors.NotFoundError) as e:
                reason = str(e).strip().splitlines()[0][:200]
                warnings.warn(f"XLA could not compile {fn.__name__} ({reason}); running it "
                              "without XLA (pass compile=False to skip the attempt)",
                              RuntimeWarning, stacklevel=2)
                chosen[0] = plain
        return chosen[0](*args)

    call.uses_xla = lambda: chosen[0] is xla
    return call


def _evaluate(correct_in, data_iter):
    correct, total = tf.zeros((), tf.int32), 0
    for X, y in data_iter:
        correct += correct_in(X, y)   # summed on the device: one read at the end
        total += int(y.shape[0])
    return int(correct) / max(total, 1)


def keras_of(net):
    """The Keras that built ``net``: Keras 3 (``keras``), Keras 2 (``tf_keras``, which
    ``tf.keras`` is under ``TF_USE_LEGACY_KERAS=1``), or None for anything else."""
    if isinstance(net, keras.Model):
        return keras
    legacy = sys.modules.get("tf_keras")  # loaded only when tf.keras is Keras 2
    if legacy is not None and isinstance(net, legacy.Model):
        return legacy
    return None


def init_xavier(net):
    """Draw Xavier-uniform weights for every dense and convolutional layer (1-D, 2-D or
    3-D) of a built model; return ``net``.

    Keras already initializes new ``Dense`` and ``Conv*D`` kernels this way
    (``glorot_uniform``); this re-draws them, so that a model trained once starts afresh.
    Biases are left as they are.

    >>> net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> net = init_xavier(net)
    >>> bound = (6 / (4 + 3)) ** 0.5   # Xavier's limit for a 4-in, 3-out layer
    >>> bool(np.abs(net.layers[0].kernel.numpy()).max() <= bound)
    True
    """
    init = keras.initializers.GlorotUniform()
    K = keras_of(net) or keras
    for layer in _walk(net):
        kernel = getattr(layer, "kernel", None)
        convolutions = (K.layers.Conv1D, K.layers.Conv2D, K.layers.Conv3D,
                        K.layers.DepthwiseConv2D)
        if isinstance(layer, (K.layers.Dense, *convolutions)) and kernel is not None:
            kernel.assign(init(kernel.shape))
    return net


def _walk(layer):
    """Every layer inside ``layer``, also those a custom layer (e.g. ``Residual``) holds as
    attributes, which ``.layers`` does not list."""
    if hasattr(layer, "_flatten_layers"):  # Keras' own recursive walk
        yield from layer._flatten_layers(include_self=False, recursive=True)
        return
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _walk(sub)


def checkpoint_settings(net, precision, optimizer_name):
    """What a checkpoint of ``net`` must match to be resumed (:func:`d2lmini.loop.fit`):
    the variables' shapes, the precision, fingerprints of the layers and of the code of the
    model's own classes (an edited ``call``), the optimizer."""
    return {"shapes": {str(i): list(v.shape) for i, v in enumerate(net.variables)},
            "precision": precision, "architecture": checkpoints.fingerprint(_architecture(net)),
            "code": checkpoints.code_fingerprints([net, *_walk(net)], _FRAMEWORK_MODULES),
            "optimizer": optimizer_name}


# Modules whose classes are the frameworks' own: a checkpoint fingerprints the code of the
# other classes of a model (the reader's Residual, Inception, ...).
_FRAMEWORK_MODULES = ("keras.", "tf_keras.", "tensorflow.", "tensorflow_core.")


def _architecture(net):
    """The model's layers and their settings as text (layer names left out: Keras numbers
    them per session), for the checkpoint's fingerprint."""
    def unnamed(config):
        if isinstance(config, dict):
            return {k: unnamed(v) for k, v in config.items() if k != "name"}
        if isinstance(config, (list, tuple)):
            return [unnamed(v) for v in config]
        return config

    rows = []
    for layer in _walk(net):
        try:
            config = layer.get_config()
        except NotImplementedError:
            config = {}
        rows.append([type(layer).__name__, unnamed(config)])
    return json.dumps(rows, sort_keys=True, default=str)


def layers_in_order(layer):
    """Every layer inside ``layer``, depth first in the order they were created: the order
    of a PyTorch twin's ``modules()``, by which :mod:`d2lmini.book.twins` pairs layers. (Keras'
    own walk, :func:`_walk`, visits each layer's children in reverse; ``init_xavier`` keeps
    it, since its random draws follow it.)"""
    for sub in getattr(layer, "_layers", None) or getattr(layer, "layers", None) or []:
        yield sub
        yield from layers_in_order(sub)


def ends_in_softmax(net):
    """Whether the last layer ``net`` computes (inside blocks too) is a softmax: then its
    outputs are probabilities, not logits."""
    K = keras_of(net) or keras
    inner = list(layers_in_order(net))
    last = inner[-1] if inner else None
    return getattr(last, "activation", None) is K.activations.softmax or \
        isinstance(last, K.layers.Softmax)


@mirrordocs.shared("train_ch6", "tensorflow", dense="dense", example_device="/GPU:0", extra="",
    net="""
    net : keras.Model, or a function returning one
        Maps a batch ``X`` of shape (batch, H, W, C) to scores of shape (batch, classes)
        (logits; a final softmax is detected and handled). A function is called on
        ``device``, as in ``def net(): return keras.Sequential([...])``.""", device="""
    device : str, optional
        Where to train, e.g. '/GPU:0'; default :func:`try_gpu`.""", amp="""
    amp : False, True, "bfloat16" or "float16"
        Mixed precision: the layers compute in a 16-bit format (Keras' ``mixed_bfloat16``
        or ``mixed_float16`` dtype policy, the latter with loss scaling), weights stay in
        float32. ``True`` picks what the device runs fast: bfloat16 on GPUs that support
        it (else float16), bfloat16 on CPUs with bfloat16 instructions
        (``avx512_bf16``/``amx_bf16``), and float32 on other CPUs, where bfloat16 would be
        emulated and slower (a line says so). A string forces that format. The model's
        layers get their own dtype policies back when training ends.""", seed="""
    seed : int, optional
        Seeds Python's, NumPy's and TensorFlow's generators (``keras.utils.set_random_seed``)
        for the run: the initial weights, and dropout's masks in a model that ``net()``
        builds here (a model built before the call drew its dropout seeds when its layers
        were made: seed before building it), so that the same call on the same machine
        gives the same numbers. Default: ``D2LMINI_SEED``, else 0. The order of the
        mini-batches is the loader's (its own ``seed``). The caller's random state is given
        back afterwards: Python's and NumPy's exactly, Keras' and TensorFlow's global seeds
        as they were.""", compile="""
    compile : bool, optional
        Compile the training and evaluation steps with XLA: it fuses the many small
        operations of a step into a few kernels; the first step takes a few seconds longer
        to compile. Default (``None``): measured per kind of device
        (:func:`xla_by_default`): on a GPU, and on a CPU where TensorFlow uses its own
        kernels, XLA is on; on a CPU where TensorFlow runs oneDNN's kernels (AVX-512 VNNI,
        bfloat16 or AMX instructions), off, since there the uncompiled step was faster.
        ``result.extra["xla"]`` says what ran. If XLA cannot compile the model, a warning
        says so and training goes on without it.
        PyTorch's ``train_ch6`` takes the same argument for ``torch.compile``, off by
        default there (its compiling costs more than it saves on a chapter's run).
    jit_compile : bool, optional
        The former name of ``compile``; where given, it is used.""")
def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, *, verbose=True,
              amp=False, checkpoint=None, seed=None, optimizer="sgd", compile=None,
              jit_compile=None):
    device = resolve_device(device)
    num_epochs, lr = training.check_training_args(num_epochs, lr, optimizer)
    training.check_loaders(train_iter, test_iter)
    on_gpu = device.startswith("/GPU")
    chosen = compile if jit_compile is None else jit_compile
    jit_compile = xla_by_default(on_gpu) if chosen is None else bool(chosen)
    dtype_name, precision_note = precision.resolve(
        "gpu" if on_gpu else "cpu", amp, gpu_bf16=on_gpu and _gpu_has_bf16(device))
    seed = training.resolve_seed(seed)
    with _own_random_state(), tf.device(device):
        keras.utils.set_random_seed(seed)  # Python's, NumPy's and TensorFlow's generators
        net = build_net(net, dtype_name)
        K = keras_of(net)
        X0 = tf.convert_to_tensor(next(iter(train_iter))[0])  # a first batch, to build the weights
        num_outputs = _probe(net, X0)  # builds the weights if needed
        labels = getattr(train_iter, "labels", None)  # all of them, in d2lmini's loaders
        training.check_all_labels(None if labels is None else np.asarray(labels),
                                  np.asarray(next(iter(test_iter))[1]), num_outputs)
        init_xavier(net)
        # The optimizer and loss come from the model's own Keras: Keras 3's optimizer cannot
        # update the plain tf.Variables of a Keras 2 model.
        optimizer_name, optimizer = optimizer, make_optimizer(optimizer, lr, K)
        if dtype_name == "float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(net.trainable_variables)
        loss_fn = K.losses.SparseCategoricalCrossentropy(from_logits=not ends_in_softmax(net))
        policies = _set_policy(net, f"mixed_{dtype_name}") if dtype_name else None
        step = _compile(_sgd_step(net, optimizer, loss_fn), jit_compile)
        evaluate = _Evaluation(net, test_iter, jit_compile, step)
        steps = loop.Steps(
            train_epoch=lambda watch: _train_epoch(train_iter, step, watch),
            evaluate=evaluate,
            save=lambda path, record: save_checkpoint(path, record, net, optimizer),
            load=lambda path: load_checkpoint(path, net, optimizer),
            read_losses=lambda window: tf.stack(window).numpy().tolist())
        settings = checkpoint_settings(net, dtype_name or "float32", optimizer_name)
        try:
            result = loop.fit(steps, net, train_iter, test_iter, num_epochs, lr,
                              framework="tensorflow", device=device, settings=settings,
                              precision_note=precision_note, checkpoint=checkpoint,
                              verbose=verbose, show_precision=amp is not False,
                              extra={"seed": seed, "optimizer": optimizer_name},
                              batch_shape=lambda: (tuple(X0.shape[1:3]), int(X0.shape[0])))
        finally:
            if policies:
                _restore_policy(policies)
    result.extra["xla"] = jit_compile and step.uses_xla()  # known once it has run
    result.extra["compiled"] = result.extra["xla"]
    return result


@contextlib.contextmanager
def _own_random_state():
    """Give the caller's random state back after training, as PyTorch's ``fork_rng`` does.

    ``keras.utils.set_random_seed`` seeds Python's and NumPy's global generators, Keras'
    global seed and TensorFlow's global seed. Python's and NumPy's states come back exactly;
    Keras' and TensorFlow's global seeds are set back to what they were (TensorFlow restarts
    its sequence of op seeds from that seed: it has no way to read the position reached)."""
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        from keras.src.backend.common import global_state
        from tensorflow.python.eager import context
        keras_seed = global_state.get_global_attribute("global_random_seed")
        tf_seed = context.global_seed()
    except (ImportError, AttributeError):  # Keras 2 or a layout these versions do not have
        global_state = None
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if global_state is not None:
            global_state.set_global_attribute("global_random_seed", keras_seed)
            tf.random.set_seed(tf_seed)


def make_optimizer(name, lr, K=keras):
    """The Keras optimizer ``name`` ("sgd", "adam" or "adadelta") with the settings both
    frameworks share (:data:`d2lmini.training.OPTIMIZERS`); ``K`` is the model's Keras.

    >>> make_optimizer("adadelta", 1.0).rho
    0.95
    """
    s = training.optimizer_settings(name)
    if name == "adam":
        return K.optimizers.Adam(learning_rate=lr, beta_1=s["beta_1"], beta_2=s["beta_2"],
                                 epsilon=s["epsilon"])
    if name == "adadelta":
        return K.optimizers.Adadelta(learning_rate=lr, rho=s["rho"], epsilon=s["epsilon"])
    return K.optimizers.SGD(learning_rate=lr)


def _probe(net, X):
    """Check a first batch ``X`` (batch, H, W, C) and ``net``'s output on its first example
    (which builds the weights of a model not built yet); return the number of outputs."""
    dtype = tf.as_dtype(X.dtype)
    K = keras_of(net) or keras
    if not any(isinstance(layer, K.layers.Embedding) for layer in _walk(net)):
        # a network of token ids takes integers; one of images, floats
        training.check_images(dtype.name, "f" if dtype.is_floating else "u",
                              "train_iter's batches")
    out = net(X[:1], training=False)
    if not net.trainable_variables:
        raise ValueError(f"the network {type(net).__name__} has no trainable weights, so "
                         "there is nothing to train: layers kept outside it are not part of it")
    return training.check_outputs(out)


def build_net(net, dtype_name):
    """``net`` itself if it is a Keras model, else the model the function ``net`` returns."""
    if keras_of(net) is None:
        if isinstance(net, type):
            raise ValueError(f"net is the class {net.__name__}, not a network: make one "
                             f"first, e.g. net = {net.__name__}(...), or pass a function "
                             "that returns one")
        if not callable(net):
            raise ValueError(f"net must be a keras.Model or a function that returns one, "
                             f"got a {type(net).__name__}")
        net = net()
    K = keras_of(net)
    if K is None:
        raise ValueError(f"net() returned a {type(net).__name__}, not a keras.Model; "
                         "return e.g. keras.Sequential([...])")
    if K is not keras and dtype_name:
        raise ValueError("mixed precision (amp) needs a Keras 3 model; this one is Keras 2 "
                         "(TF_USE_LEGACY_KERAS=1): train it with amp=False")
    return net


def _sgd_step(net, optimizer, loss_fn):
    """One SGD step on a batch: returns (loss in float32, number correct).

    Traced first for the full batch shape: with every dimension known, TensorFlow picks
    faster kernels; the smaller last batch traces it once more. No Python control flow
    depends on tensors here, so AutoGraph has nothing to convert.
    """
    scale_loss = getattr(optimizer, "scale_loss", lambda loss: loss)  # Keras 2 has none

    @tf.autograph.experimental.do_not_convert
    def train_step(X, y):
        with tf.GradientTape() as tape:
            y_hat = tf.cast(net(X, training=True), tf.float32)
            loss = loss_fn(y, y_hat)
            scaled = scale_loss(loss)  # float16: scaled so small gradients stay nonzero
        grads = tape.gradient(scaled, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return loss, accuracy(y_hat, y)

    return train_step


def _train_epoch(train_iter, step, watch):
    """One pass over ``train_iter``; returns (mean loss, accuracy, examples)."""
    # Sums stay on the device; the watch reads them only every few steps.
    loss_sum, correct, n = tf.zeros(()), tf.zeros((), tf.int32), 0
    for i, (X, y) in enumerate(train_iter):
        loss, right = step(X, y)
        batch = int(y.shape[0])
        loss_sum += loss * batch
        correct += right
        n += batch
        watch.after_step(i, loss, loss_sum, correct, n)
    return float(loss_sum) / max(n, 1), int(correct) / max(n, 1), n


class _Evaluation:
    """Test accuracy after each epoch, compiled at the first call: through XLA when the
    training step compiled with it (known only once it has run)."""

    def __init__(self, net, test_iter, jit_compile, train_step):
        self.net, self.test_iter = net, test_iter
        self.jit_compile, self.train_step, self.correct_in = jit_compile, train_step, None

    def __call__(self):
        if self.correct_in is None:
            self.correct_in = _correct_fn(self.net,
                                          self.jit_compile and self.train_step.uses_xla())
        return _evaluate(self.correct_in, self.test_iter)


def _gpu_has_bf16(device):
    try:
        gpu = tf.config.list_physical_devices("GPU")[int(device.rsplit(":", 1)[1])]
        return tf.config.experimental.get_device_details(gpu).get(
            "compute_capability", (0, 0)) >= (8, 0)
    except (IndexError, ValueError):
        return False


def _set_policy(net, policy):
    """Give ``net`` and all its layers the dtype policy ``policy``; return the old ones."""
    old = [(layer, layer.dtype_policy) for layer in [net, *_walk(net)]]
    for layer, _ in old:
        layer.dtype_policy = policy
    return old


def _restore_policy(old):
    for layer, policy in old:
        layer.dtype_policy = policy


def _state_arrays(net, optimizer):
    return ([v.numpy() for v in net.variables], [v.numpy() for v in optimizer.variables])


def save_checkpoint(path, record, net, optimizer):
    weights, opt = _state_arrays(net, optimizer)
    arrays = {f"w{i}": a for i, a in enumerate(weights)}
    arrays.update({f"o{i}": a for i, a in enumerate(opt)})
    arrays["record"] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    checkpoints.atomic_write(path, lambda f: np.savez(f, **arrays))


def load_checkpoint(path, net, optimizer):
    """Read a checkpoint: its record, and a function that restores the weights and the
    optimizer state from it (called once the record is found compatible)."""
    with np.load(path) as data:
        record = json.loads(data["record"].tobytes().decode())

    def restore():
        # Read only now: a checkpoint of another optimizer holds other state arrays, and
        # must be refused for that (check_compatible) before anything is looked up here.
        with np.load(path) as data:
            weights = [data[f"w{i}"] for i in range(len(net.variables))]
            opt = [data[f"o{i}"] for i in range(len(optimizer.variables))]
        for v, a in zip(net.variables, weights):
            v.assign(a)
        for v, a in zip(optimizer.variables, opt):
            v.assign(a)

    return record, restore
