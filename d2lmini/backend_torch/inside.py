"""A look inside a trained PyTorch classifier (:mod:`d2lmini.inside` draws the figures)."""
import sys

import torch
from torch import nn

from ..data import fashion_mnist
from .. import inside, mirrordocs

__all__ = ["conv_kernels", "feature_maps", "predict_all", "look_inside"]

_ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ReLU6,
                nn.Hardswish)
def _check(net):
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"expected the trained network, an nn.Sequential; got "
                        f"{type(net).__name__}. Pass the model you gave train_ch6.")


@mirrordocs.shared("conv_kernels", "pytorch", net="", kernel_note="PyTorch's own weight layout")
def conv_kernels(net):
    _check(net)
    conv = next((m for m in net.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        raise ValueError("the network has no nn.Conv2d, so it has no kernels to show")
    return conv.weight.detach().float().cpu().numpy()


def _kind(layer):
    if isinstance(layer, nn.Conv2d):
        return "conv"
    if isinstance(layer, _ACTIVATIONS):
        return "act"
    if any(isinstance(m, nn.Conv2d) for m in layer.modules()):
        return "block"
    return "other"


def _device(net):
    return next(net.parameters()).device


@mirrordocs.shared("feature_maps", "pytorch", net="")
def feature_maps(net, X):
    _check(net)
    if X.ndim != 4 or X.shape[0] != 1:
        raise ValueError(f"X must be one image of shape (1, C, H, W); got {tuple(X.shape)}")
    was_training = net.training
    net.eval()
    outputs, kinds = [], []
    try:
        with torch.no_grad():
            X = X.to(_device(net))
            for layer in net.children():
                X = layer(X)
                if X.ndim != 4 or X.shape[-1] == 1 == X.shape[-2]:
                    break  # no longer an image: flattened, or pooled to 1x1
                outputs.append(X[0].float().cpu().numpy())
                kinds.append(_kind(layer))
    finally:
        net.train(was_training)
    names = [type(m).__name__ for m in net.children()]
    return [(f"{i}: {names[i]}", outputs[i]) for i in inside.choose_stages(kinds)]


def _images(X):
    """(B, C, H, W) tensor -> (B, H, W) or (B, H, W, 3) numpy."""
    X = X.float().cpu().numpy().transpose(0, 2, 3, 1)
    return X[..., 0] if X.shape[-1] == 1 else X


@mirrordocs.shared("predict_all", "pytorch", net="")
def predict_all(net, data_iter, *, n_mistakes=8, classes=None):
    _check(net)
    classes = classes or getattr(data_iter, "classes", fashion_mnist.CLASSES)
    device, was_training = _device(net), net.training
    net.eval()
    found = inside.Collector(n_mistakes)
    try:
        with torch.no_grad():
            for X, y in data_iter:
                p = net(X.to(device)).argmax(dim=1).cpu()
                found.add(y.cpu().numpy(), p.numpy(), lambda idx: _images(X[idx]))
    finally:
        net.train(was_training)
    return found.predictions(classes)


@mirrordocs.shared("look_inside", "pytorch", net="")
def look_inside(net, data_iter, *, title="The trained network", image_index=0, n_mistakes=8,
                classes=None):
    return inside.look_with(sys.modules[__name__], net, data_iter, title=title,
                            image_index=image_index, n_mistakes=n_mistakes, classes=classes)
