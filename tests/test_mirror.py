"""``d2lmini.torch`` and ``d2lmini.tensorflow`` mirror each other: the same public names,
and for each the same signature, except the differences listed (and explained) here."""
import inspect

import pytest

d2lpt = pytest.importorskip("d2lmini.torch")
d2ltf = pytest.importorskip("d2lmini.tensorflow")

# Names whose signatures differ on purpose, and why.
DIFFERENT_SIGNATURES = {
    # TensorFlow only: `jit_compile`, the former name of `compile` (XLA). Both backends take
    # `compile`, with defaults chosen from measurements: torch.compile off; XLA on unless
    # TensorFlow runs oneDNN kernels on the CPU.
    "train_ch6": "jit_compile",
    # Keras layers take Keras' own keyword arguments (name, dtype, trainable).
    "DenseBlock": "**kwargs", "Inception": "**kwargs", "Residual": "**kwargs",
    "ResNeXtBlock": "**kwargs", "DepthwiseSeparable": "**kwargs",
    "SqueezeExcitation": "**kwargs", "SEResidual": "**kwargs",
}


def public(module):
    return {n for n in dir(module) if not n.startswith("_")
            and not inspect.ismodule(getattr(module, n))}


def aliases():
    from d2lmini.backend_tf import compat as tf_compat
    from d2lmini.backend_torch import compat as pt_compat
    return set(pt_compat.__all__) | set(tf_compat.__all__)


def test_the_same_public_names():
    assert public(d2lpt) == public(d2ltf), (
        f"only in d2lmini.torch: {sorted(public(d2lpt) - public(d2ltf))}; "
        f"only in d2lmini.tensorflow: {sorted(public(d2ltf) - public(d2lpt))}")


def test_no_module_leaks_into_the_public_names():
    for backend in (d2lpt, d2ltf):
        leaked = [n for n in dir(backend) if not n.startswith("_")
                  and inspect.ismodule(getattr(backend, n))]
        assert leaked == [], f"{backend.__name__} exposes modules {leaked}: import them as _name"


def signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):  # builtins without a signature
        return None


def _runs(a, b, length=8):
    """Runs of ``length`` identical (stripped, non-blank) lines that texts a and b share."""
    la = [x.strip() for x in (a or "").splitlines() if x.strip()]
    kept = tuple(x.strip() for x in (b or "").splitlines() if x.strip())
    lb = {kept[i:i + length] for i in range(len(kept) - length + 1)}
    return [la[i:i + length] for i in range(len(la) - length + 1) if tuple(la[i:i + length]) in lb]


def test_mirrored_docstrings_are_written_once():
    """Where the two backends' docstrings of one name share a run of 8 lines, the docstring is
    one template of d2lmini.mirrordocs, filled in per backend."""
    from d2lmini import mirrordocs
    from d2lmini.backend_tf import book_networks as ntf
    generated = set(ntf.__all__)  # copied from the chapters, which write both tabs
    twice = []
    for name in sorted(public(d2lpt) & public(d2ltf) - generated - aliases()):
        a, b = getattr(d2lpt, name), getattr(d2ltf, name)
        if a is b or not _runs(a.__doc__, b.__doc__):
            continue
        if getattr(a, "__shared_doc__", None) and getattr(a, "__shared_doc__", None) == \
                getattr(b, "__shared_doc__", None):
            continue
        twice.append(name)
    assert not twice, (f"docstrings written in both backends: {twice}; write each once in "
                       "d2lmini/mirrordocs.py")
    for name in mirrordocs.TEMPLATES:  # every template is used by both backends
        assert getattr(d2lpt, name).__shared_doc__ == getattr(d2ltf, name).__shared_doc__ == name


def test_a_shared_docstring_needs_every_field_and_no_docstring_of_its_own():
    from d2lmini import mirrordocs
    values = {f: f"<{f}>" for f in mirrordocs.fields("train_ch6")}
    doc = mirrordocs.fill("train_ch6", **values)
    assert "<net>" in doc and "${" not in doc
    with pytest.raises(TypeError, match="missing: seed"):
        mirrordocs.fill("train_ch6", **{k: v for k, v in values.items() if k != "seed"})
    with pytest.raises(TypeError, match="unknown: colour"):
        mirrordocs.fill("train_ch6", colour="red", **values)

    def documented():
        """Its own."""
    with pytest.raises(TypeError, match="has a docstring of its own"):
        mirrordocs.shared("train_ch6", "pytorch", **values)(documented)


def test_the_same_signatures_except_the_listed_ones():
    skip = aliases()
    differ = []
    for name in sorted(public(d2lpt) & public(d2ltf)):
        a, b = getattr(d2lpt, name), getattr(d2ltf, name)
        if name in skip or not (callable(a) and callable(b)):
            continue
        sa, sb = signature(a), signature(b)
        if sa is not None and sb is not None and str(sa) != str(sb):
            differ.append(name)
            if name in DIFFERENT_SIGNATURES:
                extra = DIFFERENT_SIGNATURES[name]
                assert extra in str(sb) and extra not in str(sa), (name, sa, sb)
                # Apart from the listed extra, the parameters are the same, in order.
                common = [p for p in sb.parameters if p in sa.parameters]
                assert common == list(sa.parameters), (name, sa, sb)
    unexplained = sorted(set(differ) - set(DIFFERENT_SIGNATURES))
    assert unexplained == [], "signatures differ between the backends: " + "; ".join(
        f"{n}{signature(getattr(d2lpt, n))} vs {n}{signature(getattr(d2ltf, n))}"
        for n in unexplained)
    stale = sorted(set(DIFFERENT_SIGNATURES) - set(differ))
    assert stale == [], f"listed as different but now the same: {stale}"


# --- The same contracts, checked in both frameworks -------------------------------------

def tiny_loaders(backend, n=64):
    rng = __import__("numpy").random.default_rng(0)
    images = rng.integers(0, 255, (n, 8, 8), dtype="uint8")
    labels = rng.integers(0, 3, n)
    return (backend.ArrayLoader(images, labels, 16, shuffle=True),
            backend.ArrayLoader(images, labels, 32))


def tiny_net(backend):
    if backend is d2lpt:
        from torch import nn
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    import keras
    return keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(3)])


@pytest.mark.parametrize("backend", [d2lpt, d2ltf], ids=["pytorch", "tensorflow"])
def test_loader_epochs_count_complete_passes_and_copies_share_them(backend):
    train_iter, _ = tiny_loaders(backend)
    next(iter(train_iter))                       # a peek is not a pass
    assert train_iter.epoch == 0
    copy = train_iter.on("cpu" if backend is d2lpt else "/CPU:0")
    first = [y.tolist() if backend is d2lpt else y.numpy().tolist() for _, y in copy]
    assert train_iter.epoch == copy.epoch == 1   # the copy's pass moved the original on
    second = [y.tolist() if backend is d2lpt else y.numpy().tolist() for _, y in train_iter]
    assert first != second                       # the next pass has the next order
    train_iter.epoch = 0                         # and setting it replays an order
    again = [y.tolist() if backend is d2lpt else y.numpy().tolist() for _, y in train_iter]
    assert again == first


@pytest.mark.parametrize("backend", [d2lpt, d2ltf], ids=["pytorch", "tensorflow"])
def test_train_ch6_moves_the_callers_loader_on_and_keeps_the_net(backend, no_budget):
    train_iter, test_iter = tiny_loaders(backend)
    device = "cpu" if backend is d2lpt else "/CPU:0"
    net = tiny_net(backend)
    result = backend.train_ch6(net, train_iter, test_iter, 3, 0.1, device, verbose=False)
    assert train_iter.epoch == 3                 # three passes, counted on the caller's loader
    assert result.net is net                     # the trained network, in both frameworks
    assert result.history["epoch"] == [1, 2, 3]
    assert result.image_size == (8, 8) and result.batch_size == 16


@pytest.mark.parametrize("backend", [d2lpt, d2ltf], ids=["pytorch", "tensorflow"])
def test_init_xavier_takes_the_whole_net_and_returns_it(backend):
    net = tiny_net(backend)
    if backend is d2ltf:
        net.build((None, 8, 8))
    assert backend.init_xavier(net) is net


def test_init_xavier_draws_what_d2ls_apply_drew():
    """init_xavier(net) draws each layer once, in the order net.apply(f) visits the layers,
    so from the same seed it gives the weights d2l's ``net.apply(init_weights)`` gives."""
    import torch
    from torch import nn

    def make():
        return nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU()), nn.Flatten(),
                             nn.Linear(4 * 6 * 6, 5), nn.Linear(5, 3))

    def d2l_style(m):  # what a d2l chapter writes
        if type(m) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)

    torch.manual_seed(0)
    ours = d2lpt.init_xavier(make()).state_dict()
    torch.manual_seed(0)
    theirs = make().apply(d2l_style).state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_evaluate_accuracy_defaults_to_where_the_weights_are():
    import keras
    from d2lmini.backend_tf.train import _weights_device
    net = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(3)])
    assert _weights_device(net) == "/CPU:0"
    _, test_iter = tiny_loaders(d2ltf)
    acc = d2ltf.evaluate_accuracy(net, test_iter)
    assert 0.0 <= acc <= 1.0


@pytest.mark.parametrize("backend", [d2lpt, d2ltf], ids=["pytorch", "tensorflow"])
def test_the_same_seed_gives_the_same_run_and_another_seed_another(backend, no_budget):
    device = "cpu" if backend is d2lpt else "/CPU:0"

    def run(seed):
        train_iter, test_iter = tiny_loaders(backend)
        net = (lambda: tiny_net(backend)) if backend is d2ltf else tiny_net(backend)
        result = backend.train_ch6(net, train_iter, test_iter, 2, 0.1, device, verbose=False,
                                   seed=seed)
        assert result.extra["seed"] == seed
        return result.history["train_loss"]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_the_seed_leaves_the_callers_pytorch_generator_alone(no_budget):
    import torch
    train_iter, test_iter = tiny_loaders(d2lpt)
    net = tiny_net(d2lpt)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    d2lpt.train_ch6(net, train_iter, test_iter, 1, 0.1, "cpu", verbose=False)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("seed", ["0", 1.5, True])
def test_a_seed_that_is_not_an_int_says_so(seed, no_budget):
    train_iter, test_iter = tiny_loaders(d2lpt)
    with pytest.raises(ValueError, match="seed must be an int"):
        d2lpt.train_ch6(tiny_net(d2lpt), train_iter, test_iter, 1, 0.1, "cpu", verbose=False,
                        seed=seed)


@pytest.mark.parametrize("backend", [d2lpt, d2ltf], ids=["pytorch", "tensorflow"])
def test_train_ch6_takes_d2ls_six_positional_parameters_and_no_more(backend):
    params = list(inspect.signature(backend.train_ch6).parameters.values())
    positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == ["net", "train_iter", "test_iter", "num_epochs", "lr", "device"]
    assert all(p.kind == p.KEYWORD_ONLY for p in params[6:])
    with pytest.raises(TypeError, match="positional"):
        backend.train_ch6(None, [], [], 1, 0.1, None, False)  # verbose passed by position
