"""A look inside a trained Keras classifier (:mod:`d2lmini.inside` draws the figures)."""
import sys

import keras
import numpy as np
import tensorflow as tf

from ..data import fashion_mnist
from .. import inside, mirrordocs
from .models import _all_layers

__all__ = ["conv_kernels", "feature_maps", "predict_all", "look_inside"]

_ACTIVATIONS = (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU)
def _check(net):
    if not isinstance(net, keras.Sequential):
        raise TypeError(f"expected the trained network, a keras.Sequential; got "
                        f"{type(net).__name__}. Pass the model train_ch6 trained (result.net "
                        f"when you gave it a function that builds the model).")


def _children(layer):
    """Direct sublayers in the order they were made (for a Sequential, its order)."""
    if isinstance(layer, keras.Sequential):
        return layer.layers
    if hasattr(layer, "_flatten_layers"):
        return list(layer._flatten_layers(include_self=False, recursive=False))
    return getattr(layer, "layers", [])


def _first_conv(layer):
    """The first Conv2D met depth first (Keras' recursive walk goes breadth first)."""
    for sub in _children(layer):
        if isinstance(sub, keras.layers.Conv2D) and not isinstance(
                sub, keras.layers.DepthwiseConv2D):
            return sub
        found = _first_conv(sub)
        if found is not None:
            return found
    return None


@mirrordocs.shared("conv_kernels", "tensorflow",
    net=" (``result.net`` when train_ch6 built it)",
    kernel_note="Keras' (kh, kw, in, out) kernel transposed")
def conv_kernels(net):
    _check(net)
    conv = _first_conv(net)
    if conv is None:
        raise ValueError("the network has no Conv2D layer, so it has no kernels to show")
    return np.asarray(conv.kernel, dtype=np.float32).transpose(3, 2, 0, 1)


def _kind(layer):
    if isinstance(layer, keras.layers.Conv2D):
        linear = getattr(layer, "activation", None) in (None, keras.activations.linear)
        return "conv" if linear else "conv+act"
    if isinstance(layer, _ACTIVATIONS):
        return "act"
    if any(isinstance(m, keras.layers.Conv2D) for m in _all_layers(layer)[1:]):
        return "block"
    return "other"


@mirrordocs.shared("feature_maps", "tensorflow",
    net=" (``result.net`` when train_ch6 built it)")
def feature_maps(net, X):
    _check(net)
    if X.ndim != 4 or X.shape[0] != 1:
        raise ValueError(f"X must be one image of shape (1, H, W, C); got {tuple(X.shape)}")
    outputs, kinds = [], []
    for layer in net.layers:
        X = layer(X, training=False)
        if X.ndim != 4 or X.shape[1] == 1 == X.shape[2]:
            break  # no longer an image: flattened, or pooled to 1x1
        outputs.append(np.asarray(X[0], dtype=np.float32).transpose(2, 0, 1))
        kinds.append(_kind(layer))
    names = [type(m).__name__ for m in net.layers]
    return [(f"{i}: {names[i]}", outputs[i]) for i in inside.choose_stages(kinds)]


def _images(X):
    """(B, H, W, C) tensor -> (B, H, W) or (B, H, W, 3) numpy."""
    X = np.asarray(X, dtype=np.float32)
    return X[..., 0] if X.shape[-1] == 1 else X


@mirrordocs.shared("predict_all", "tensorflow", net=" (``result.net`` when train_ch6 built it)")
def predict_all(net, data_iter, *, n_mistakes=8, classes=None):
    _check(net)
    classes = classes or getattr(data_iter, "classes", fashion_mnist.CLASSES)
    predict = tf.function(lambda X: tf.argmax(net(X, training=False), axis=1))
    found = inside.Collector(n_mistakes)
    for X, y in data_iter:
        found.add(np.asarray(y), predict(X).numpy(), lambda idx: _images(tf.gather(X, idx)))
    return found.predictions(classes)


@mirrordocs.shared("look_inside", "tensorflow", net=" (``result.net`` when train_ch6 built it)")
def look_inside(net, data_iter, *, title="The trained network", image_index=0, n_mistakes=8,
                classes=None):
    return inside.look_with(sys.modules[__name__], net, data_iter, title=title,
                            image_index=image_index, n_mistakes=n_mistakes, classes=classes)
