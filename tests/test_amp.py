"""train_ch6(..., amp=...): the choice of number format, what runs on a CPU without bfloat16
instructions, and that forced bfloat16 really computes in bfloat16 and still learns."""
import pytest

from d2lmini import tensorflow as d2ltf  # before TensorFlow
import keras
import tensorflow as tf
import torch
from torch import nn

from d2lmini import precision
from d2lmini import torch as d2l


@pytest.fixture
def small(monkeypatch, no_budget):
    """A real subset of Fashion-MNIST: 1,024 training and 512 test images."""
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "1024")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "512")


def net_torch():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 14 * 14, 10))


def net_tf():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPool2D(2), keras.layers.Flatten(), keras.layers.Dense(10)])


@pytest.mark.parametrize("kind, amp, cpu_bf16, gpu_bf16, want", [
    ("cpu", False, True, False, None),
    ("cpu", True, False, False, None),            # emulated bf16 would be slower
    ("cpu", True, True, False, "bfloat16"),       # avx512_bf16 / AMX
    ("cpu", "bfloat16", False, False, "bfloat16"),  # forced
    ("gpu", True, False, False, "float16"),       # e.g. a T4 or V100
    ("gpu", True, False, True, "bfloat16"),       # A100, H100
    ("gpu", "float16", False, True, "float16"),
])
def test_amp_picks_the_format_the_hardware_runs_fast(kind, amp, cpu_bf16, gpu_bf16, want):
    dtype, words = precision.resolve(kind, amp, cpu_bf16=cpu_bf16, gpu_bf16=gpu_bf16)
    assert dtype == want
    assert words.startswith("float32" if want is None else f"mixed {want}")


@pytest.mark.parametrize("amp", [1, "fp8", "bf16", None, 0.5])
def test_bad_amp_values_are_value_errors(amp):
    with pytest.raises(ValueError, match="amp must be"):
        precision.resolve("cpu", amp)


def test_float16_on_a_cpu_is_refused():
    with pytest.raises(ValueError, match="needs a GPU"):
        precision.resolve("cpu", "float16")


def test_cpu_flags_decide_bf16_support():
    assert precision.cpu_has_bf16({"avx2", "avx512_bf16"})
    assert precision.cpu_has_bf16({"amx_bf16", "amx_tile"})
    assert not precision.cpu_has_bf16({"fma", "avx", "avx2"})


@pytest.mark.parametrize("backend, make_net", [(d2l, net_torch), (d2ltf, lambda: net_tf)],
                         ids=["pytorch", "tensorflow"])
def test_amp_true_says_what_it_does_on_this_cpu(small, backend, make_net, capsys):
    train_iter, test_iter = backend.load_data_fashion_mnist(128)
    result = backend.train_ch6(make_net(), train_iter, test_iter, 1, 0.1, "cpu", verbose=True,
                               amp=True)
    out = capsys.readouterr().out
    expected = "mixed bfloat16" if precision.cpu_has_bf16() else "float32 (amp=True, but"
    assert f"precision: {expected}" in out
    assert result.extra["precision"].startswith(expected)


@pytest.mark.slow
def test_forced_bfloat16_computes_in_bfloat16_and_learns_pytorch(small):
    net = net_torch()
    seen = []
    net[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    train_iter, test_iter = d2l.load_data_fashion_mnist(64)
    result = d2l.train_ch6(net, train_iter, test_iter, 2, 0.1, "cpu", verbose=False,
                           amp="bfloat16")
    assert set(seen) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in net.parameters())  # float32 master weights
    assert result.history["test_acc"][-1] > 0.5, result.history
    assert result.extra["precision"] == "mixed bfloat16 (float32 weights)"


@pytest.mark.slow
def test_forced_bfloat16_computes_in_bfloat16_and_learns_tensorflow(small):
    train_iter, test_iter = d2ltf.load_data_fashion_mnist(64)
    net = net_tf()
    result = d2ltf.train_ch6(net, train_iter, test_iter, 2, 0.1, "/CPU:0", verbose=False,
                             amp="bfloat16")
    assert result.history["test_acc"][-1] > 0.5, result.history
    assert all(v.dtype == "float32" for v in net.trainable_variables)
    # The model gets its own dtype policy back: afterwards it computes in float32 again.
    assert net(tf.zeros((1, 28, 28, 1))).dtype == tf.float32
    assert all(layer.dtype_policy.name == "float32" for layer in net.layers)


# ----------------------------------------------------------------- layout and compilation
def test_conv_nets_train_channels_last_on_a_cpu(small):
    layouts = []
    net = net_torch()
    net[0].register_forward_pre_hook(
        lambda m, args: layouts.append(args[0].is_contiguous(memory_format=torch.channels_last)))
    train_iter, test_iter = d2l.load_data_fashion_mnist(128)
    result = d2l.train_ch6(net, train_iter, test_iter, 1, 0.1, "cpu", verbose=False)
    assert result.extra["channels_last"] and layouts and all(layouts)
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)

    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))  # nothing to gain: left alone
    result = d2l.train_ch6(mlp, train_iter, test_iter, 1, 0.1, "cpu", verbose=False)
    assert not result.extra["channels_last"]


def test_tensorflow_trains_through_xla_when_asked_and_learns_the_same(small):
    train_iter, test_iter = d2ltf.load_data_fashion_mnist(128)
    runs = {}
    for jit in (True, False):
        keras.utils.set_random_seed(0)
        runs[jit] = d2ltf.train_ch6(net_tf, train_iter, test_iter, 1, 0.1, "/CPU:0",
                                    verbose=False, compile=jit)
    assert runs[True].extra["xla"] and not runs[False].extra["xla"]
    # Same data order, same initial weights: XLA changes only the rounding (which eight
    # SGD steps amplify to a few thousandths of the loss).
    assert abs(runs[True].final[0] - runs[False].final[0]) < 0.02, (runs[True].final,
                                                                    runs[False].final)
    assert all(r.history["test_acc"][-1] > 0.4 for r in runs.values())


def test_tensorflow_falls_back_when_xla_cannot_compile(small):
    def net():  # tf.numpy_function runs Python: XLA cannot compile it
        keras.utils.set_random_seed(0)
        through_python = keras.layers.Lambda(
            lambda x: tf.reshape(tf.numpy_function(lambda a: a, [x], tf.float32), tf.shape(x)),
            output_shape=lambda s: s)
        return keras.Sequential([keras.Input((28, 28, 1)), through_python,
                                 keras.layers.Flatten(), keras.layers.Dense(10)])

    train_iter, test_iter = d2ltf.load_data_fashion_mnist(128)
    with pytest.warns(RuntimeWarning, match="XLA could not compile train_step") as caught:
        result = d2ltf.train_ch6(net, train_iter, test_iter, 1, 0.1, "/CPU:0", verbose=False,
                                 compile=True)
    assert len(caught) == 1, "one warning: evaluation does not try XLA again"
    assert not result.extra["xla"]
    assert result.history["test_acc"][-1] > 0.3, result.history


def test_tensorflow_default_compiles_unless_the_cpu_runs_onednn_kernels(small, monkeypatch):
    from d2lmini.backend_tf import train as tf_train
    train_iter, test_iter = d2ltf.load_data_fashion_mnist(128)
    for onednn in (True, False):
        monkeypatch.setattr(tf_train, "onednn_enabled", lambda on=onednn: on)
        keras.utils.set_random_seed(0)
        result = d2ltf.train_ch6(net_tf, train_iter, test_iter, 1, 0.1, "/CPU:0",
                                 verbose=False)
        assert result.extra["xla"] is (not onednn)


def test_onednn_policy_agrees_with_what_tensorflow_reports():
    import os
    from d2lmini import precision
    from d2lmini.backend_tf.train import onednn_enabled
    # TensorFlow's own answer against the policy applied to this CPU's flags: a TensorFlow
    # that changed its policy would make the fallback (and the default) wrong.
    assert onednn_enabled() == onednn_enabled(precision.cpu_flags(), dict(os.environ))


def test_pytorch_compiles_when_asked_and_learns_the_same(small):
    runs = {}
    for compiled in (True, False):
        train_iter, test_iter = d2l.load_data_fashion_mnist(128)
        runs[compiled] = d2l.train_ch6(net_torch(), train_iter, test_iter, 2, 0.3, "cpu",
                                       verbose=False, compile=compiled)
    assert runs[True].extra["compiled"] and not runs[False].extra["compiled"]
    # Same data order, same initial weights: the generated kernels change only the rounding.
    assert abs(runs[True].final[0] - runs[False].final[0]) < 0.02, (runs[True].final,
                                                                    runs[False].final)
    assert all(r.history["test_acc"][-1] > 0.5 for r in runs.values()), runs[True].history


def broken_compile(net, **kwargs):
    """A stand-in for torch.compile on a machine where compiling fails at the first call."""
    def call(X):
        raise RuntimeError("InductorError: no working C++ compiler found")
    return call


def test_pytorch_falls_back_when_torch_compile_fails(small, monkeypatch):
    monkeypatch.setattr(torch, "compile", broken_compile)
    train_iter, test_iter = d2l.load_data_fashion_mnist(128)
    with pytest.warns(RuntimeWarning, match="torch.compile could not compile") as caught:
        result = d2l.train_ch6(net_torch(), train_iter, test_iter, 1, 0.1, "cpu",
                               verbose=False, compile=True)
    assert len(caught) == 1, "one warning: later steps and the evaluation run eagerly"
    assert not result.extra["compiled"]
    train_iter, test_iter = d2l.load_data_fashion_mnist(128)
    eager = d2l.train_ch6(net_torch(), train_iter, test_iter, 1, 0.1, "cpu", verbose=False)
    assert result.history == eager.history  # exactly: both ran eagerly, from the same seed


def test_a_compiled_forward_raises_the_networks_own_errors(monkeypatch):
    from d2lmini.backend_torch.train import CompiledForward
    monkeypatch.setattr(torch, "compile", broken_compile)
    forward = CompiledForward(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="mat1 and mat2"):  # eager's error, not the compiler's
        forward(torch.zeros(1, 5))
    assert forward.failed is None
    with pytest.warns(RuntimeWarning, match="training goes on without it"):
        assert forward(torch.zeros(4, 3)).shape == (4, 2)  # the compiler's failure: eager
    assert forward.failed.startswith("RuntimeError: InductorError")


def test_float32_on_a_tf32_gpu_says_so(monkeypatch):
    """A float32 run on a GPU with TF32 tensor cores records what PyTorch let run in TF32."""
    torch = pytest.importorskip("torch")
    from d2lmini.backend_torch import train as torch_train
    cpu = torch.device("cpu")
    assert torch_train._tf32(cpu) is None
    gpu = torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    conv, matmul = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    try:  # PyTorch's defaults; the flags are module properties, set and put back by hand
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = True, False
        assert torch_train._tf32(gpu) == {"convolutions": True, "matmul": False}
        torch.backends.cuda.matmul.allow_tf32 = True
        assert torch_train._tf32(gpu) == {"convolutions": True, "matmul": True}
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = conv, matmul
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    assert torch_train._tf32(gpu) is None  # a V100/T4: no TF32 tensor cores
