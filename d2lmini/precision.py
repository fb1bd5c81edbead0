"""The framework-free half of ``train_ch6(..., amp=...)``: which number format to train in.

Mixed precision runs the forward and backward passes in a 16-bit float format while the
weights stay in float32. It pays off only where the hardware has fast 16-bit arithmetic:

* NVIDIA GPUs: float16 everywhere (with loss scaling), bfloat16 from compute capability 8.0
  (A100, H100, RTX 30xx and later);
* x86 CPUs with the ``avx512_bf16`` or ``amx_bf16`` instructions (Intel Cooper Lake,
  Sapphire Rapids and later; AMD Zen 4 and later).

On other CPUs bfloat16 is *emulated* (converted back and forth around float32 arithmetic)
and much slower than float32, so ``amp=True`` keeps float32 there and says so.
``amp="bfloat16"`` or ``amp="float16"`` forces a format, e.g. to measure that slowdown.

>>> resolve("gpu", False, gpu_bf16=True)
(None, 'float32')
>>> resolve("gpu", True, gpu_bf16=False)
('float16', 'mixed float16 (float32 weights)')
>>> resolve("cpu", True, cpu_bf16=False)[0] is None
True
"""
import functools
from pathlib import Path

__all__ = ["cpu_flags", "cpu_has_bf16", "resolve", "float32_on_gpu", "AMP_CHOICES"]

AMP_CHOICES = (False, True, "bfloat16", "float16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.lru_cache(maxsize=1)
def _cpuinfo():
    """The lines of ``/proc/cpuinfo`` (none where there is no such file, e.g. on a Mac)."""
    try:
        return tuple(Path("/proc/cpuinfo").read_text().splitlines())
    except OSError:
        return ()


def _cpuinfo_value(*keys):
    """The value of the first ``/proc/cpuinfo`` line that starts with one of ``keys``."""
    return next((line.split(":", 1)[1].strip() for line in _cpuinfo()
                 if line.startswith(keys)), None)


def cpu_flags():
    """The CPU feature flags listed in ``/proc/cpuinfo`` (an empty set where there is none)."""
    return frozenset((_cpuinfo_value("flags", "Features") or "").split())


def cpu_name():
    """The CPU's model name from ``/proc/cpuinfo`` (``platform.processor()`` where there is
    none, e.g. ``"arm"`` on a Mac): a run record names the machine it was measured on."""
    import platform
    return _cpuinfo_value("model name") or platform.processor()


def cpu_has_bf16(flags=None):
    """True if the CPU has bfloat16 instructions (``avx512_bf16`` or ``amx_bf16``)."""
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in BF16_FLAGS)


def resolve(device_kind, amp, cpu_bf16=None, gpu_bf16=False):
    """Decide the compute format for ``train_ch6``: ``(dtype or None, description)``.

    Parameters
    ----------
    device_kind : "cpu" or "gpu"
    amp : False, True, "bfloat16" or "float16"
        ``True`` picks the best format the device runs fast: bfloat16 on GPUs that support
        it, else float16 on GPUs; bfloat16 on CPUs with bfloat16 instructions; float32
        otherwise.
    cpu_bf16 : bool, optional
        Whether the CPU has bfloat16 instructions (default: read ``/proc/cpuinfo``).
    gpu_bf16 : bool
        Whether the GPU supports bfloat16.

    Returns
    -------
    dtype : None, "bfloat16" or "float16"
        ``None`` means plain float32 training.
    description : str
        In words, for the summary line, e.g. ``"float32 (amp=True: this CPU has no
        bfloat16 instructions)"``.
    """
    if not (amp is True or amp is False or (isinstance(amp, str) and amp in AMP_CHOICES)):
        raise ValueError(f"amp must be False, True, 'bfloat16' or 'float16', got {amp!r}")
    if amp is False:
        return None, "float32"
    if isinstance(amp, str):
        dtype = amp
    elif device_kind == "gpu":
        dtype = "bfloat16" if gpu_bf16 else "float16"
    else:
        has = cpu_has_bf16() if cpu_bf16 is None else cpu_bf16
        if not has:
            return None, ("float32 (amp=True, but this CPU has no bfloat16 instructions "
                          "(avx512_bf16/amx_bf16), where bfloat16 is emulated and slower; "
                          "amp='bfloat16' forces it)")
        dtype = "bfloat16"
    if device_kind == "cpu" and dtype == "float16":
        raise ValueError("amp='float16' needs a GPU; on a CPU use amp='bfloat16' or amp=True")
    return dtype, f"mixed {dtype} (float32 weights)"


def float32_on_gpu(tensor_cores, convolutions, matmul):
    """How "float32" computes on an NVIDIA GPU, in words for a run's record.

    GPUs with tensor cores for TF32 (compute capability 8.0 and later: A100, H100, RTX 30xx
    and later) may run float32 convolutions and matrix products in TF32, which rounds each
    input of a multiplication to 10 bits of mantissa (float32 keeps 23) and accumulates in
    float32. PyTorch allows it by default for convolutions (``torch.backends.cudnn.
    allow_tf32``) but not for matrix products (``torch.backends.cuda.matmul.allow_tf32``).

    >>> float32_on_gpu(True, True, False)
    'float32 (TF32 convolutions)'
    >>> float32_on_gpu(True, True, True)
    'float32 (TF32 convolutions and matrix products)'
    >>> float32_on_gpu(False, True, True)
    'float32'
    """
    if not tensor_cores or not (convolutions or matmul):
        return "float32"
    parts = [name for name, on in (("convolutions", convolutions),
                                   ("matrix products", matmul)) if on]
    return f"float32 (TF32 {' and '.join(parts)})"
