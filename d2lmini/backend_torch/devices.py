"""Devices: pick a GPU when there is one, the CPU otherwise."""
import torch

__all__ = ["num_gpus", "try_gpu", "try_all_gpus", "resolve_device"]


def num_gpus():
    """Number of CUDA GPUs visible to PyTorch."""
    return torch.cuda.device_count()


def _mps_available():
    """True on a Mac whose PyTorch can use the Apple GPU (the ``mps`` device)."""
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def try_gpu(i=0):
    """CUDA GPU ``i`` if it exists, else Apple's GPU (``mps``, for ``i=0``), else the CPU.

    >>> try_gpu(99)  # on a machine with fewer GPUs
    device(type='cpu')
    """
    if not isinstance(i, int) or i < 0:
        raise ValueError(f"GPU index must be a non-negative int, got {i!r}")
    if num_gpus() > i:
        return torch.device(f"cuda:{i}")
    if i == 0 and num_gpus() == 0 and _mps_available():  # a Mac has one GPU, mps
        return torch.device("mps")
    return torch.device("cpu")


def try_all_gpus():
    """All CUDA GPUs, else ``[mps]`` on an Apple GPU, else ``[cpu]``."""
    gpus = [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    if not gpus and _mps_available():
        gpus = [torch.device("mps")]
    return gpus or [torch.device("cpu")]


def resolve_device(device):
    """Turn ``device`` (None, a string or a ``torch.device``) into an available device.

    Raises ``ValueError`` naming the devices that exist when it is unknown or absent.
    """
    if device is None:
        return try_gpu()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:0' or "
                         "d2l.try_gpu()") from e
    available = [str(d) for d in try_all_gpus()] + ["cpu"]
    if device.type == "cuda":
        index = device.index or 0
        if index >= num_gpus():
            raise ValueError(f"device {str(device)!r} is not available on this machine; "
                             f"available: {', '.join(dict.fromkeys(available))}. "
                             "Use d2l.try_gpu() to fall back to the CPU.")
        return torch.device(f"cuda:{index}")
    if device.type == "mps" and not _mps_available():
        raise ValueError("device 'mps' (Apple's GPU) is not available on this machine; "
                         f"available: {', '.join(dict.fromkeys(available))}. "
                         "Use d2l.try_gpu() to fall back to the CPU.")
    if device.type not in ("cpu", "mps"):
        raise ValueError(f"device {str(device)!r} is not supported; available: "
                         f"{', '.join(dict.fromkeys(available))}")
    return device
