"""The Keras course's networks of Part III and their PyTorch twins, taken from the chapters.

Part III follows a Keras course, so its PyTorch cells are the twins. The networks are read
from the chapters' own cells (definitions only), so a chapter edit is what gets tested.
Each pair, with the same weights (d2lmini.book.twins.copy_weights) and the same batch-norm
constants (the twins keep each framework's defaults: measured below), gives the same
outputs in float32 and the same SGD step in float64, except where the course's Keras code
pads differently from its PyTorch twin, which is measured and named.
"""
import ast
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from d2lmini.book import twins  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def definitions(chapter, framework):
    """A namespace holding the imports, definitions and constants of one framework's (and
    the shared) cells of a chapter, executed in order; nothing else runs."""
    nb = json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    namespace = {}
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or any(t in tags for t in ("pytorch", "tensorflow")
                                              if t != framework):
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        src = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln
                        for ln in src.splitlines())
        for node in ast.parse(src).body:
            constant = isinstance(node, ast.Assign) and _is_literal(node.value)
            if isinstance(node, keep) or constant:
                exec(compile(ast.Module([node], []), chapter, "exec"), namespace)
    return namespace


def _is_literal(value):
    try:
        ast.literal_eval(value)
        return True
    except ValueError:
        return False


# (chapter, PyTorch builder, Keras builder, Keras arguments, input NCHW)
COURSE = [
    ("16-keras-six-steps", "small_sequential", "small_sequential_tf", (), (3, 32, 32)),
    ("16-keras-six-steps", "SmallNet", "SmallNetTF", (), (3, 32, 32)),
    ("17-cbapd", "baseline", "Baseline", (), (3, 32, 32)),
    ("18-classic-nets-cifar10", "lenet5", "LeNet5", (), (3, 32, 32)),
    ("18-classic-nets-cifar10", "alexnet8", "AlexNet8", (), (3, 32, 32)),
    ("18-classic-nets-cifar10", "vgg16", "VGG16", (), (3, 32, 32)),
    ("18-classic-nets-cifar10", "inception10", "Inception10", (), (3, 32, 32)),
    ("19-alexnet-in-practice", "alexnet_imagenet", "alexnet_imagenet_tf", (), (3, 227, 227)),
    ("19-alexnet-in-practice", "small_cnn", "small_cnn_tf", (), (3, 28, 28)),
]
# The course's ResNet18 pads its stride-2 3x3 convolutions with Keras' "same" (one pixel,
# bottom and right only); the PyTorch twin pads one pixel on every side.
DIFFERENT = [("18-classic-nets-cifar10", "resnet18", "ResNet18", ([2, 2, 2, 2],), (3, 32, 32))]
IDS = [f"{c[1]}" for c in COURSE]


def twin(chapter, pt_name, tf_name, tf_args, shape, seed=0):
    pt_ns, tf_ns = definitions(chapter, "pytorch"), definitions(chapter, "tensorflow")
    torch.manual_seed(seed)
    net, model = pt_ns[pt_name](), tf_ns[tf_name](*tf_args)
    transfer = twins.copy_weights(net, model, (1, *shape))
    return net, model, transfer


@pytest.mark.parametrize("chapter,pt_name,tf_name,tf_args,shape", COURSE, ids=IDS)
def test_course_twins_give_the_same_outputs(chapter, pt_name, tf_name, tf_args, shape):
    net, model, transfer = twin(chapter, pt_name, tf_name, tf_args, shape)
    X = torch.rand(2, *shape)
    if transfer.differences:  # Keras' batch-norm defaults: a measurable difference...
        assert all("batch-norm epsilon" in d or "momentum" in d for d in transfer.differences)
        twins.match_batch_norm(net, model, (1, *shape))  # ...and the only one
    assert twins.compare_outputs(net, model, X) < 1e-4


SMALL = [c for c in COURSE if c[4] != (3, 227, 227)]  # float64 at 227x227 is slow


@pytest.mark.parametrize("chapter,pt_name,tf_name,tf_args,shape", SMALL,
                         ids=[c[1] for c in SMALL])
def test_course_twins_take_the_same_sgd_step(chapter, pt_name, tf_name, tf_args, shape,
                                             float64):
    net, model, _ = twin(chapter, pt_name, tf_name, tf_args, shape)
    twins.match_batch_norm(net, model, (1, *shape))
    X, y = torch.rand(4, *shape), torch.tensor([0, 3, 5, 9])
    loss, loss_tf, weights = twins.compare_sgd_step(net, model, X, y, lr=0.05)
    assert abs(loss - loss_tf) <= 1e-9 * loss
    assert weights < 1e-8


@pytest.mark.parametrize("chapter,pt_name,tf_name,tf_args,shape", DIFFERENT,
                         ids=[c[1] for c in DIFFERENT])
def test_course_resnet18_twins_differ_by_their_padding(chapter, pt_name, tf_name, tf_args,
                                                       shape):
    net, model, _ = twin(chapter, pt_name, tf_name, tf_args, shape)
    twins.match_batch_norm(net, model, (1, *shape))
    assert twins.compare_outputs(net, model, torch.rand(2, *shape)) > 1e-3
