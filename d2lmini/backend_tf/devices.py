"""Devices: pick a GPU when there is one, the CPU otherwise.

Importing this module turns on GPU memory growth, so TensorFlow takes GPU memory as it
needs it instead of all of it at start-up (which would starve a PyTorch cell next to it).
"""
import tensorflow as tf

__all__ = ["num_gpus", "try_gpu", "try_all_gpus", "resolve_device"]

for _gpu in tf.config.list_physical_devices("GPU"):
    try:
        tf.config.experimental.set_memory_growth(_gpu, True)
    except RuntimeError:  # already initialised: growth can no longer change
        pass


def num_gpus():
    """Number of GPUs visible to TensorFlow."""
    return len(tf.config.list_physical_devices("GPU"))


class DeviceName(str):
    """A device name such as ``'/GPU:0'`` that also works as ``tf.device(name)`` does.

    It is a ``str``, so it prints, compares and serializes as the name. Code written for the
    book d2l, whose ``try_gpu`` returns ``tf.device(...)``, also runs: it reads the name from
    ``_device_name`` (e.g. ``tf.distribute.OneDeviceStrategy(device._device_name)``) and
    places operations with ``with device: ...``.
    """

    __slots__ = ("_contexts",)

    @property
    def _device_name(self):
        return str(self)

    def __enter__(self):
        # A fresh tf.device context per ``with``: a device name can be entered repeatedly
        # (and nested), a single context manager cannot.
        if not hasattr(self, "_contexts"):
            self._contexts = []
        context = tf.device(str(self))
        context.__enter__()
        self._contexts.append(context)
        return self

    def __exit__(self, *exc):
        return self._contexts.pop().__exit__(*exc)

    def __reduce__(self):  # pickles (and copies) as the plain name it stands for
        return (DeviceName, (str(self),))


def try_gpu(i=0):
    """GPU ``i`` if it exists, else the CPU, as a device name (a :class:`DeviceName`).

    >>> try_gpu(99)  # on a machine with fewer GPUs
    '/CPU:0'
    """
    if not isinstance(i, int) or i < 0:
        raise ValueError(f"GPU index must be a non-negative int, got {i!r}")
    return DeviceName(f"/GPU:{i}" if num_gpus() > i else "/CPU:0")


def try_all_gpus():
    """All GPUs, or ``['/CPU:0']`` if there are none (as :class:`DeviceName` objects)."""
    return [DeviceName(f"/GPU:{i}") for i in range(num_gpus())] or [DeviceName("/CPU:0")]


def resolve_device(device):
    """Turn ``device`` (None, a name like '/GPU:0' or 'cpu', or a ``tf.device`` context)
    into an available device name.

    Raises ``ValueError`` naming the devices that exist when it is unknown or absent.
    """
    if device is None:
        return try_gpu()
    name = getattr(device, "_device_name", device)
    if not isinstance(name, str):
        raise ValueError(f"unknown device {device!r}; use '/CPU:0', '/GPU:0' or d2l.try_gpu()")
    kind, _, index = name.strip("/").upper().replace("DEVICE:", "").partition(":")
    if kind not in ("CPU", "GPU"):
        raise ValueError(f"unknown device {name!r}; use '/CPU:0', '/GPU:0' or d2l.try_gpu()")
    index = int(index) if index.isdigit() else 0
    if kind == "GPU" and index >= num_gpus():
        raise ValueError(f"device {name!r} is not available on this machine; available: "
                         f"{', '.join(try_all_gpus() + ['/CPU:0'])}. "
                         "Use d2l.try_gpu() to fall back to the CPU.")
    return f"/{kind}:{index}"
