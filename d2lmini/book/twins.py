"""One network, two frameworks: copy a PyTorch model's weights into its Keras twin, and
measure how closely the two then agree.

A chapter writes each network twice, once per framework. :func:`copy_weights` makes the
two hold the same numbers, so that a test (or a reader) can check that they compute the
same function: the same logits for the same images (:func:`compare_outputs`), and the same
loss and updated weights after one step of SGD (:func:`compare_sgd_step`). :func:`relu_inputs`
records the input of every ReLU in both, to count those that rounding moves across zero.

The layers are paired in the order the two models create them (convolution with
``Conv2D``, ``Linear`` with ``Dense``, ``BatchNorm2d`` with ``BatchNormalization``); a pair
of the wrong kind or shape is an error that names both layers. Three layouts differ:

* convolution kernels: PyTorch ``(out, in, kh, kw)`` (OIHW), Keras ``(kh, kw, in, out)`` (HWIO);
  a depthwise convolution (PyTorch ``groups = in = out``) may pair with Keras'
  ``DepthwiseConv2D``, whose kernel is ``(kh, kw, channels, 1)``;
* dense weights: PyTorch ``(out, in)``, Keras ``(in, out)``;
* the first dense layer after flattening: PyTorch flattens a (C, H, W) feature map channel
  by channel, Keras an (H, W, C) one pixel by pixel, so the inputs of that layer's weight
  matrix are permuted accordingly (found by running the PyTorch model once).

Once the weights are copied, :func:`copy_weights` compares the two models' outputs on a
small random batch and warns when they differ by more than float32 rounding explains
(``TOLERANCE``): the twins then compute different functions, e.g. with another activation.
Swapped arguments and a channels-last ``input_shape`` are refused with the fix.

Batch normalization's learned scale and shift and its running statistics are copied;
its hyperparameters are compared and their differences listed (``Transfer.differences``):
PyTorch's ``eps=1e-5, momentum=0.1`` is Keras' ``epsilon=1e-5, momentum=0.9`` (Keras'
defaults are 1e-3 and 0.99).

In the example, Keras may number its layer names (``conv2d_1``) when other models exist.

>>> import torch, keras
>>> from torch import nn
>>> pt = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
>>> k = keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu"),
...                       keras.layers.Flatten(), keras.layers.Dense(10)])
>>> copy_weights(pt, k, (2, 1, 8, 8)).pairs  # doctest: +ELLIPSIS
[('0', 'conv2d...', (4, 1, 3, 3)), ('3', 'dense...', (10, 144))]
>>> compare_outputs(pt, k, torch.rand(2, 1, 8, 8)) < 1e-5
True
"""
import dataclasses
import numbers
import warnings

import numpy as np

__all__ = ["Transfer", "copy_weights", "keras_arrays", "match_batch_norm", "compare_outputs",
           "compare_sgd_step", "running_stats_difference", "relative_difference", "nchw_to_nhwc",
           "relu_inputs"]


@dataclasses.dataclass
class Transfer:
    """What :func:`copy_weights` did.

    ``pairs``: ``(PyTorch module name, Keras layer name, PyTorch weight shape)`` for each
    pair of layers with weights. ``differences``: hyperparameters that differ between the
    twins (e.g. batch-norm epsilon), in words; empty when the two compute the same function.
    """

    pairs: list
    differences: list


def nchw_to_nhwc(X):
    """A batch of images (numpy or torch), (N, C, H, W) -> (N, H, W, C) numpy array."""
    X = X.detach().cpu().numpy() if hasattr(X, "detach") else np.asarray(X)
    return np.ascontiguousarray(X.transpose(0, 2, 3, 1))


def relative_difference(a, b):
    """max |a - b| / max |a|: 0 when equal; about 1e-7 is float32 rounding."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30))


# --------------------------------------------------------------------------- arguments
# Identical twins' outputs differ by float32 rounding: at most 4.5e-7 (relative) over the
# Part II networks and chapter 24's (AlexNet the largest). Another activation in one of
# them gave 0.7 to 1.4 on the tests' small network. The tests of identical twins fail
# above 1e-4, and so does copy_weights' check.
TOLERANCE = 1e-4


def _what(obj):
    """``obj`` in a few words for an error message, e.g. "a Sequential from keras"."""
    if isinstance(obj, type):
        return f"the class {obj.__name__}"
    if callable(obj) and hasattr(obj, "__name__") and not hasattr(obj, "forward"):
        return f"the function {obj.__name__}"
    return f"a {type(obj).__name__} from {type(obj).__module__.split('.')[0]}"


def _check_nets(torch_net, keras_net, caller):
    """``TypeError`` with the fix for the usual mix-ups: the two networks swapped, a
    builder (class or function) in place of the network it makes, another kind of object."""
    import keras
    from torch import nn
    call = f"{caller}(torch_net, keras_net, input_shape)"
    if isinstance(torch_net, keras.layers.Layer) and isinstance(keras_net, nn.Module):
        raise TypeError(f"{call}: got a Keras model as torch_net; swap the first two arguments")
    for arg, kind, name in ((torch_net, nn.Module, "torch_net must be a torch.nn.Module"),
                            (keras_net, keras.layers.Layer, "keras_net must be a Keras model")):
        if not isinstance(arg, kind):
            made = (f"; pass the network it makes: {arg.__name__}()"
                    if callable(arg) and hasattr(arg, "__name__") else "")
            raise TypeError(f"{call}: {name}, got {_what(arg)}{made}")


def _shape(input_shape):
    """``input_shape`` as a tuple of 3 or 4 ints, (C, H, W) or (N, C, H, W)."""
    try:
        shape = tuple(input_shape)
        ok = all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1
                 for d in shape)
    except TypeError:
        ok = False
    if not ok or len(shape) not in (3, 4):
        raise ValueError(f"input_shape must be PyTorch's (N, C, H, W), e.g. (1, 1, 28, 28), "
                         f"or (C, H, W); got {input_shape!r}")
    return tuple(int(d) for d in shape)


def _shape_error(shape, first_conv):
    """The ``ValueError`` for an input ``shape`` (as given) that ``torch_net`` cannot take,
    when its first convolution applied, ``first_conv`` (``(name, module)`` or None),
    explains it: channels-last, or another number of channels. None otherwise."""
    if first_conv is None:
        return None
    c, w = shape[-3], shape[-1]
    name, conv = first_conv
    if w == conv.in_channels != c:
        return _channels_last(shape)
    if conv.in_channels != c:
        return ValueError(f"input_shape={shape} has {c} channels, but torch_net's first "
                          f"convolution ({name}) takes {conv.in_channels}; give the shape of "
                          f"its input, (N, C, H, W)")
    return None


def _channels_last(shape):
    """The ``ValueError`` for a channels-last ``shape`` (as given: 3 or 4 entries)."""
    c, h, w = shape[-3:]
    order, example = (("(C, H, W)", (w, c, h)) if len(shape) == 3 else
                      ("(N, C, H, W)", (shape[0], w, c, h)))
    return ValueError(f"input_shape={shape} looks channels-last; give PyTorch's {order} "
                      f"order, e.g. {example}")


def _looks_channels_last(torch_net, shape):
    """For a network without convolutions, which runs on either order: a square image
    whose last entry is 1 or 3 channels, e.g. (28, 28, 1)."""
    from torch import nn
    if any(isinstance(m, nn.Conv2d) for m in torch_net.modules()):
        return False  # running it decides (see _flatten_inputs)
    c, h, w = shape[-3:]
    return w in (1, 3) and c == h > 4


# --------------------------------------------------------------------------- pairing
def _torch_layers(net):
    from torch import nn
    kinds = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)
    return [(name, m) for name, m in net.named_modules() if isinstance(m, kinds)]


def _keras_walk(layer):
    """Every layer inside ``layer``, in the order they were created (the TF backend's walk)."""
    from ..backend_tf.train import layers_in_order
    return layers_in_order(layer)


def _keras_layers(net):
    from keras import layers
    kinds = (layers.Conv2D, layers.DepthwiseConv2D, layers.Dense, layers.BatchNormalization)
    return [m for m in _keras_walk(net) if isinstance(m, kinds)]


_KINDS = {"Conv2d": "Conv2D", "Linear": "Dense", "BatchNorm2d": "BatchNormalization"}


def _flatten_inputs(net, input_shape, given=None):
    """{name of a Linear: (C, H, W)} for each Linear that reads a flattened feature map of
    more than one pixel, found by running ``net`` once on zeros.

    A Linear reads a flattened map when its input is 2-D and the last 4-D output produced
    before it (by ``nn.Flatten``'s input layer, or inside a ``forward`` that calls
    ``torch.flatten``) has exactly ``in_features = C * H * W`` values per example.
    """
    import torch
    from torch import nn

    last_map, found, hooks = [tuple(input_shape[1:])], {}, []  # the input is a map too
    first_conv = []  # (name, module) of the first convolution applied

    def before_conv(name):
        def hook(module, inputs):
            if not first_conv:
                first_conv.append((name, module))
        return hook

    def on_output(module, inputs, output):
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            last_map[0] = tuple(output.shape[1:])

    def before_linear(name):
        def hook(module, inputs):
            x, chw = inputs[0], last_map[0]
            if x.dim() == 2 and chw is not None and chw[1] * chw[2] > 1 \
                    and chw[0] * chw[1] * chw[2] == module.in_features:
                found[name] = chw
            last_map[0] = None
        return hook

    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_pre_hook(before_conv(name)))
        if isinstance(m, nn.Linear):
            hooks.append(m.register_forward_pre_hook(before_linear(name)))
        elif not list(m.children()):
            hooks.append(m.register_forward_hook(on_output))
    was_training = net.training
    try:
        net.eval()
        with torch.no_grad():
            net(torch.zeros(input_shape, **_placement(net)))
    except Exception as e:  # a shape it cannot take: say which entry is wrong
        given = tuple(given or input_shape)
        raise (_shape_error(given, first_conv[0] if first_conv else None)
               or ValueError(f"torch_net fails on an input of shape {given}: "
                             f"{str(e).splitlines()[0] if str(e) else type(e).__name__}; "
                             f"give the shape of its input, (N, C, H, W)")) from e
    finally:
        for h in hooks:
            h.remove()
        net.train(was_training)
    return found


def _placement(net):
    """``{"device": ..., "dtype": ...}`` of ``net``'s first floating-point weight: where
    an input for it belongs (empty when it has none)."""
    for t in list(net.parameters()) + list(net.buffers()):
        if t.is_floating_point():
            return {"device": t.device, "dtype": t.dtype}
    return {}


def _is_depthwise(module):
    """A PyTorch convolution with one filter per channel: groups = in = out channels."""
    return module.groups > 1 and module.groups == module.in_channels == module.out_channels


def _converted(module, flat_chw, layer=None):
    """The Keras arrays for one PyTorch module, in the order of the weights of ``layer``,
    its Keras twin."""
    from torch import nn

    def arr(t):
        return t.detach().cpu().numpy()

    if isinstance(module, nn.Conv2d) and type(layer).__name__ == "DepthwiseConv2D":
        out = [arr(module.weight).transpose(2, 3, 0, 1)]            # (C, 1, kh, kw) -> (kh, kw, C, 1)
    elif isinstance(module, nn.Conv2d):
        out = [arr(module.weight).transpose(2, 3, 1, 0)]            # OIHW -> HWIO
    elif isinstance(module, nn.Linear):
        w = arr(module.weight)                                       # (out, in)
        if flat_chw is not None:                                     # in = C*H*W -> H*W*C
            c, h, wd = flat_chw
            w = w.reshape(-1, c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
        out = [w.T]
    else:
        return {"gamma": arr(module.weight), "beta": arr(module.bias),
                "moving_mean": arr(module.running_mean),
                "moving_variance": arr(module.running_var)}
    if module.bias is not None:
        out.append(arr(module.bias))
    return out


def _keras_variables(layer):
    from keras import layers
    if isinstance(layer, layers.BatchNormalization):
        return {key: getattr(layer, key) for key in
                ("gamma", "beta", "moving_mean", "moving_variance")
                if getattr(layer, key, None) is not None}
    return [layer.kernel] + ([layer.bias] if layer.use_bias else [])


def _pair(torch_net, keras_net, input_shape, caller="copy_weights"):
    """[(torch name, torch module, keras layer, flat (C, H, W) or None)], checked.

    The arguments are checked, and the PyTorch model run, before the Keras model is built:
    a Keras model built for a wrong shape keeps it.
    """
    import tensorflow as tf

    _check_nets(torch_net, keras_net, caller)
    given = _shape(input_shape)
    input_shape = given if len(given) == 4 else (1, *given)
    if _looks_channels_last(torch_net, input_shape):
        raise _channels_last(given)
    flats = _flatten_inputs(torch_net, input_shape, given)  # also checks the shape
    n, c, h, w = input_shape
    keras_net(tf.zeros((n, h, w, c)), training=False)  # builds the Keras weights
    pt, kr = _torch_layers(torch_net), _keras_layers(keras_net)
    if len(pt) != len(kr):
        raise ValueError(
            f"the PyTorch model has {len(pt)} layers with weights, the Keras model "
            f"{len(kr)}: {[type(m).__name__ for _, m in pt]} vs "
            f"{[type(m).__name__ for m in kr]}. Are they the same network?")
    pairs = []
    for i, ((name, m), layer) in enumerate(zip(pt, kr)):
        kinds = {_KINDS[type(m).__name__]}
        if type(m).__name__ == "Conv2d" and _is_depthwise(m):
            kinds.add("DepthwiseConv2D")
        if type(layer).__name__ not in kinds:
            raise ValueError(f"layer {i} with weights: PyTorch {name} is a "
                             f"{type(m).__name__}, Keras {layer.name} a "
                             f"{type(layer).__name__}")
        pairs.append((name, m, layer, flats.get(name)))
    return pairs


def _differences(name, module, layer):
    from torch import nn
    out = []
    if isinstance(module, nn.BatchNorm2d):
        if not np.isclose(module.eps, layer.epsilon, rtol=1e-6):
            out.append(f"{name}: batch-norm epsilon {module.eps:g} (PyTorch) vs "
                       f"{layer.epsilon:g} (Keras)")
        if module.momentum is not None and not np.isclose(module.momentum, 1 - layer.momentum):
            out.append(f"{name}: running-average momentum {module.momentum:g} (PyTorch) "
                       f"vs {layer.momentum:g} (Keras), i.e. {1 - layer.momentum:g} in "
                       "PyTorch's convention")
    return out


def keras_arrays(torch_net, keras_net, input_shape):
    """[(Keras variable, numpy array it would get)] for every weight of ``keras_net``.

    ``input_shape`` is the PyTorch input, (N, C, H, W) (e.g. ``(1, 1, 224, 224)``) or
    (C, H, W).
    """
    return _arrays(_pair(torch_net, keras_net, input_shape, "keras_arrays"))


def _arrays(pairs):
    """:func:`keras_arrays` for layers already paired by :func:`_pair`."""
    out = []
    for name, m, layer, flat in pairs:
        arrays, variables = _converted(m, flat, layer), _keras_variables(layer)
        if isinstance(arrays, dict):
            items = [(variables[k], arrays[k]) for k in variables]
        else:
            if len(arrays) != len(variables):
                raise ValueError(f"PyTorch {name} has {len(arrays)} weight tensors (bias "
                                 f"{'on' if len(arrays) == 2 else 'off'}), Keras "
                                 f"{layer.name} {len(variables)}")
            items = list(zip(variables, arrays))
        for var, a in items:
            if tuple(var.shape) != a.shape:
                raise ValueError(f"PyTorch {name} gives a weight of shape {a.shape} after "
                                 f"conversion; Keras {layer.name} holds {tuple(var.shape)}")
            out.append((var, a))
    return out


def copy_weights(torch_net, keras_net, input_shape, check=True):
    """Copy every weight of ``torch_net`` into ``keras_net``; return a :class:`Transfer`.

    Parameters
    ----------
    torch_net : torch.nn.Module
    keras_net : keras.Model
        The same network in Keras (layers with weights created in the same order).
    input_shape : tuple
        A PyTorch input shape, (N, C, H, W), e.g. ``(1, 1, 224, 224)``, or (C, H, W) for a
        batch of one: the Keras model is built for the matching (N, H, W, C) shape, and
        the PyTorch model is run once on zeros of it. A channels-last shape, e.g. ``(28,
        28, 1)``, is refused before the Keras model is built.
    check : bool
        Compare the two models' outputs on a small random batch of ``input_shape`` once
        the weights are copied (:func:`compare_outputs`, evaluation mode, off PyTorch's
        random stream), and warn when they differ by more than ``TOLERANCE`` (relative):
        the twins then compute different functions (e.g. another activation, a softmax at
        the end of one).
    """
    paired = _pair(torch_net, keras_net, input_shape)  # runs the PyTorch model once
    differences = [d for name, m, layer, _ in paired for d in _differences(name, m, layer)]
    for var, a in _arrays(paired):
        var.assign(a)
    if check:
        _check_outputs(torch_net, keras_net, _shape(input_shape), differences)
    return Transfer([(name, layer.name, tuple(m.weight.shape)) for name, m, layer, _ in paired],
                    differences)


def _check_outputs(torch_net, keras_net, shape, differences):
    """Warn when the twins' outputs differ by more than ``TOLERANCE``, with the likely cause."""
    import torch
    n, c, h, w = shape if len(shape) == 4 else (1, *shape)
    place = _placement(torch_net)
    with torch.random.fork_rng(devices=[]):  # nothing drawn here moves the user's stream
        X = torch.rand(min(n, 2), c, h, w, generator=torch.Generator().manual_seed(0),
                       dtype=place.get("dtype")).to(**place)
        try:
            difference = compare_outputs(torch_net, keras_net, X)
        except Exception as e:  # noqa: BLE001 (other output shapes...: a check never stops the copy)
            warnings.warn(f"copy_weights: could not compare the two networks' outputs after "
                          f"copying ({e}); check them with twins.compare_outputs", stacklevel=3)
            return
    if not difference <= TOLERANCE:  # NaN included
        if differences:
            cause = ("the differences listed in the result's .differences: "
                     + "; ".join(differences))
        elif _torch_ends_in_softmax(torch_net) and not _ends_in_softmax(keras_net):
            cause = "torch_net ends in a softmax, keras_net does not"
        else:
            cause = ("different activations, padding or layer order (only layers with "
                     "weights are paired), or a softmax at the end of one")
        warnings.warn(f"copy_weights: the two networks' outputs differ by {difference:.1e} "
                      f"(relative) after copying, where identical twins differ by about 1e-7 "
                      f"(float32 rounding): they compute different functions. Likely cause: "
                      f"{cause}", stacklevel=3)


def match_batch_norm(torch_net, keras_net, input_shape):
    """Give every Keras batch-norm layer the epsilon and momentum of its PyTorch twin.

    For measuring: it removes the difference that the two frameworks' defaults make (Keras
    1e-3 and 0.99, PyTorch 1e-5 and 0.1), so that what remains is in the network itself.
    Returns the number of layers changed.
    """
    from torch import nn
    changed = 0
    for _, m, layer, _ in _pair(torch_net, keras_net, input_shape, "match_batch_norm"):
        if isinstance(m, nn.BatchNorm2d):
            layer.epsilon, layer.momentum = m.eps, 1 - m.momentum
            changed += 1
    return changed


# --------------------------------------------------------------------------- checks
def _ends_in_softmax(keras_net):
    from ..backend_tf.train import ends_in_softmax  # train_ch6's own rule
    return ends_in_softmax(keras_net)


def _torch_ends_in_softmax(torch_net):
    from torch import nn
    leaves = [m for m in torch_net.modules() if not list(m.children())]
    return bool(leaves) and isinstance(leaves[-1], nn.Softmax)


def compare_outputs(torch_net, keras_net, X):
    """Relative difference of the two models' outputs on ``X`` (NCHW), in evaluation mode.

    Logits are compared; when the Keras model ends in a softmax (as the Keras course's
    models do) and the PyTorch model does not, the PyTorch logits go through a softmax
    first. Models that output feature maps are compared in Keras' layout (NHWC).
    """
    import torch
    was_training = torch_net.training
    torch_net.eval()
    try:
        with torch.no_grad():
            out_pt = torch_net(X)
            if _ends_in_softmax(keras_net) and not _torch_ends_in_softmax(torch_net):
                out_pt = torch.softmax(out_pt, dim=1)
    finally:
        torch_net.train(was_training)
    out_tf = keras_net(nchw_to_nhwc(X), training=False)
    out_pt = nchw_to_nhwc(out_pt) if out_pt.dim() == 4 else out_pt.cpu().numpy()  # feature maps
    return relative_difference(out_pt, np.asarray(out_tf))


class _NoDropout:
    """Within the block, every dropout layer of both models keeps all its inputs."""

    def __init__(self, torch_net, keras_net):
        import keras
        from torch import nn
        self.pt = [m for m in torch_net.modules() if isinstance(m, nn.Dropout)]
        self.tf = [m for m in _keras_walk(keras_net) if isinstance(m, keras.layers.Dropout)]

    def __enter__(self):
        self.saved = [m.p for m in self.pt], [m.rate for m in self.tf]
        for m in self.pt:
            m.p = 0.0
        for m in self.tf:
            m.rate = 0.0

    def __exit__(self, *exc):
        for m, p in zip(self.pt, self.saved[0]):
            m.p = p
        for m, r in zip(self.tf, self.saved[1]):
            m.rate = r


def compare_sgd_step(torch_net, keras_net, X, y, lr):
    """One SGD step on the batch ``(X, y)`` in each framework, from the same weights.

    Both models train in training mode (batch norm uses the batch's statistics and updates
    its running averages) with dropout switched off, on the mean cross-entropy. Returns
    ``(loss_pytorch, loss_keras, weight_difference)``: the two losses, and the largest
    relative difference between the updated weights, compared tensor by tensor in Keras'
    layout. Batch norm's running statistics are left out of that number and reported by
    :func:`running_stats_difference`: PyTorch updates its running variance with the
    unbiased batch variance (divided by n - 1), Keras with the biased one (divided by n),
    a real difference between the frameworks that matters only for small batches of small
    feature maps.
    """
    import keras
    import tensorflow as tf
    import torch

    input_shape = tuple(X.shape)
    from_logits = not _ends_in_softmax(keras_net)
    with _NoDropout(torch_net, keras_net):
        torch_net.train()
        opt = torch.optim.SGD(torch_net.parameters(), lr=lr)
        opt.zero_grad()
        loss_pt = torch.nn.functional.cross_entropy(torch_net(X), y)
        loss_pt.backward()
        opt.step()

        X_tf, y_tf = tf.constant(nchw_to_nhwc(X)), tf.constant(y.numpy())
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        opt_tf = keras.optimizers.SGD(learning_rate=lr)
        with tf.GradientTape() as tape:
            loss_tf = loss_fn(y_tf, keras_net(X_tf, training=True))
        grads = tape.gradient(loss_tf, keras_net.trainable_variables)
        opt_tf.apply_gradients(zip(grads, keras_net.trainable_variables))
    diff = max(relative_difference(a, var.numpy())
               for var, a in keras_arrays(torch_net, keras_net, input_shape) if var.trainable)
    return loss_pt.item(), float(loss_tf), diff


def running_stats_difference(torch_net, keras_net, input_shape):
    """Largest relative difference between the two models' batch-norm running statistics
    (0.0 when there is no batch norm)."""
    diffs = [relative_difference(a, var.numpy())
             for var, a in keras_arrays(torch_net, keras_net, input_shape) if not var.trainable]
    return max(diffs, default=0.0)


def relu_inputs(torch_net, keras_net, X):
    """The input of every ReLU that the two models apply to ``X``, in the order applied.

    Both models run once in training mode (batch norm on the batch's statistics, dropout
    off), as :func:`compare_sgd_step`'s forward pass does; their batch-norm running
    statistics are restored afterwards. ReLUs are found by calling them: PyTorch's
    ``torch.relu``, ``F.relu`` and ``nn.ReLU``, Keras' ``tf.nn.relu`` (which ``"relu"``
    activations and ``layers.ReLU`` call).

    Parameters
    ----------
    torch_net : torch.nn.Module
    keras_net : keras.Model
        Its twin, holding the same weights (:func:`copy_weights`).
    X : torch.Tensor
        A batch of images, (N, C, H, W).

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        For each ReLU, its input in PyTorch and in Keras, both in Keras' layout (feature
        maps NHWC). A ``ValueError`` when the two apply different numbers of ReLUs or of
        other shapes.

    Examples
    --------
    >>> import torch, keras
    >>> from torch import nn
    >>> pt = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    >>> k = keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu"),
    ...                       keras.layers.Flatten(), keras.layers.Dense(10)])
    >>> _ = copy_weights(pt, k, (2, 1, 8, 8))
    >>> [(a.shape, b.shape) for a, b in relu_inputs(pt, k, torch.rand(2, 1, 8, 8))]
    [((2, 6, 6, 4), (2, 6, 6, 4))]
    """
    import tensorflow as tf
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    got_pt, got_tf = [], []
    relus = {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}

    class Record(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in relus:
                got_pt.append(args[0].detach().clone())
            return func(*args, **(kwargs or {}))

    def record_tf(x, *args, **kwargs):
        got_tf.append(np.asarray(x))
        return relu_tf(x, *args, **kwargs)

    state = {k: v.clone() for k, v in torch_net.state_dict().items()}
    moving = [v.numpy() for v in keras_net.non_trainable_variables]
    was_training, relu_tf = torch_net.training, tf.nn.relu
    try:
        with _NoDropout(torch_net, keras_net), torch.no_grad(), Record():
            torch_net.train()(X)
        tf.nn.relu = record_tf
        with _NoDropout(torch_net, keras_net):
            keras_net(nchw_to_nhwc(X), training=True)
    finally:
        tf.nn.relu = relu_tf
        torch_net.load_state_dict(state)
        torch_net.train(was_training)
        for v, a in zip(keras_net.non_trainable_variables, moving):
            v.assign(a)
    pairs = [(nchw_to_nhwc(a) if a.dim() == 4 else a.cpu().numpy(), b)
             for a, b in zip(got_pt, got_tf)]
    if len(got_pt) != len(got_tf) or any(a.shape != b.shape for a, b in pairs):
        raise ValueError(f"the two models apply different ReLUs: PyTorch "
                         f"{[tuple(a.shape) for a in got_pt]}, Keras {[b.shape for b in got_tf]}")
    return pairs
