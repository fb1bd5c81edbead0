"""scripts/full_runs.py and the full-size runs it committed; showing a saved run."""
import ast
import importlib.util
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from d2lmini import plotting, precision
from d2lmini.networks import NETWORKS
from d2lmini.training import TrainResult

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def load_script():
    spec = importlib.util.spec_from_file_location("full_runs", ROOT / "scripts" / "full_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


full_runs = load_script()


def framework_cells(chapter, framework="pytorch"):
    """The source of the chapter's cells of one framework, joined."""
    text = (NOTEBOOKS / f"{chapter}.md").read_text()
    cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)```", text, flags=re.S)
    return "\n".join(c for c in cells if f"tags: [{framework}]" in c)


def pytorch_cells(chapter):
    return framework_cells(chapter, "pytorch")


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_full_run_settings_are_the_chapters(name, framework):
    """The registry (d2lmini/networks.py), which the script trains with, holds the batch size,
    lr, epochs and image size of the chapter's training cell, in each framework (a TensorFlow
    run checkpoints for the chapter's TensorFlow cell)."""
    spec = NETWORKS[name]
    chapter_run = spec.base
    code = framework_cells(spec.chapter, framework)
    prefix = "d2l" if framework == "pytorch" else "d2ltf"
    assert code.count(f"{prefix}.train_ch6(") == 1, f"{name}: one training call expected"
    batch_size, lr, num_epochs, resize = spec.batch_size, spec.lr, spec.epochs, spec.image_size
    batch = re.findall(r"^batch_size(?:, lr, num_epochs)? = (\d+)", code, flags=re.M)
    rate = re.findall(r"lr, num_epochs = (?:\d+, )?([\d.]+), (\d+)$", code, flags=re.M)
    loads = re.findall(r"load_data_fashion_mnist\(batch_size(?:=batch_size)?(?:, resize=(\d+))?\)",
                       code)
    assert batch == [str(batch_size)], batch
    assert [(float(a), int(b)) for a, b in rate] == [(lr, num_epochs)], rate
    if spec.variant_of is None:
        assert [int(r) if r else None for r in loads] == [resize], loads
    else:  # a design the chapter compares with may use another image size: its runs say
        saved = sorted((NOTEBOOKS / "results").glob(f"{name}-{framework}*.json"))
        assert all(tuple(TrainResult.load(f).image_size) == (resize, resize) for f in saved)
    # A chapter that keeps a checkpoint uses the file the script writes, so that it can
    # show a run the script made.
    for path in re.findall(r'checkpoint="([^"]+)"', code):
        assert Path("notebooks", path) == full_runs.checkpoint_path(
            "notebooks/checkpoints", chapter_run, framework)


def test_full_run_vgg_is_the_chapters_small_vgg():
    text = (NOTEBOOKS / "10-vgg.md").read_text()
    arch = ast.literal_eval(re.search(r"conv_arch = (\(\(.*?\)\))\n", text)[1])
    ratio = int(re.search(r"ratio = (\d+)", text)[1])
    expected = tuple((n, c // ratio) for n, c in arch)
    assert tuple(NETWORKS["vgg"].kwargs["conv_arch"]) == expected


def test_full_runs_refuse_a_budget(monkeypatch, capsys):
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "100")
    with pytest.raises(SystemExit) as err:
        full_runs.main(["lenet"])
    assert err.value.code == 2
    assert "D2LMINI_MAX_EXAMPLES" in capsys.readouterr().err


def test_full_runs_name_unknown_networks(capsys):
    with pytest.raises(SystemExit):
        full_runs.main(["lenet", "transformer"])
    assert "unknown network(s) transformer" in capsys.readouterr().err


def test_per_class_accuracy_counts_each_class():
    import torch
    from d2lmini.backend_torch.data import ArrayLoader

    labels = np.array([0, 1, 2, 3, 3, 3, 9, 9])
    images = np.zeros((8, 4, 4), dtype=np.uint8)
    images[:, 0, 0] = labels * 20  # the class, readable from one pixel

    class Guess(torch.nn.Module):  # right for classes 3 and 9, "3" for everything else
        def forward(self, X):
            cls = torch.round(X[:, 0, 0, 0] * 255 / 20).long()
            guess = torch.where((cls == 3) | (cls == 9), cls, torch.full_like(cls, 3))
            return torch.nn.functional.one_hot(guess, 10).float()

    loader = ArrayLoader(images, labels, batch_size=3)
    acc = full_runs.per_class_accuracy(Guess(), loader, torch.device("cpu"))
    assert acc == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]


def committed_full_runs():
    return sorted((NOTEBOOKS / "results").glob("*-pytorch-full*.json"))


def test_every_network_has_a_committed_full_run():
    """Each registry entry's ``full_run`` says where its GPU run stands; the files agree."""
    def stands(state):
        return {key for key, n in NETWORKS.items() if n.full_run == state}
    names = {p.name.split("-pytorch-full")[0] for p in committed_full_runs()}
    assert names == stands("committed")
    assert not names & stands("awaiting"), "a full run landed: set its full_run='committed'"
    for name in stands("none"):
        for framework in ("pytorch", "tensorflow"):
            assert (NOTEBOOKS / "results" / f"{name}-{framework}.json").exists(), name


@pytest.mark.parametrize("path", committed_full_runs(), ids=lambda p: p.stem)
def test_committed_full_runs_are_full(path):
    """A file named -full holds a run on all the data, with the chapter's settings."""
    run = TrainResult.load(path)
    name = path.name.split("-pytorch-full")[0]
    spec = NETWORKS[name]
    title, batch_size, lr, num_epochs, resize = (spec.title, spec.batch_size, spec.lr,
                                                 spec.epochs, spec.image_size)
    assert not run.budgeted and not run.quick
    assert (run.train_examples, run.test_examples) == (60000, 10000)
    assert run.epochs == run.requested_epochs == num_epochs
    assert len(run.history["test_acc"]) == num_epochs
    assert (run.batch_size, run.lr) == (batch_size, lr)
    assert tuple(run.image_size) == ((resize, resize) if resize else (28, 28))
    assert run.extra["model"] == title and run.extra["made_by"] == "scripts/full_runs.py"
    assert run.extra["gpu"], "a full run records the GPU it ran on"
    if "-amp" in path.name:
        assert run.extra["precision"] == "mixed bfloat16 (float32 weights)"
    else:  # float32, with what a TF32-capable GPU did to it said in words (and in "tf32")
        tf32 = run.extra.get("tf32", {})
        assert run.extra["precision"] == precision.float32_on_gpu(
            bool(tf32), tf32.get("convolutions", False), tf32.get("matmul", False))
    text = path.read_text()
    assert "/work" not in text and "/home" not in text and "/root" not in text


def test_describe_says_where_and_what():
    run = TrainResult.load(NOTEBOOKS / "results" / "nin-relu-scores-pytorch-full-seed1.json")
    lines = run.describe().splitlines()
    assert lines[0].startswith("NiN, ReLU on the scores, PyTorch ") and run.extra["gpu"] in lines[0]
    assert lines[0].endswith("seed 1")
    assert "60,000 train / 10,000 test examples" in lines[1] and "lr 0.1" in lines[1]
    assert lines[1].endswith(f"; {run.extra['wall_seconds']:,.0f} s of wall time")
    assert lines[2] == run.summary()


def test_plot_history_draws_one_curve_per_run():
    runs = [TrainResult.load(NOTEBOOKS / "results" / f"nin-relu-scores-pytorch-full{s}.json")
            for s in ("", "-seed1")]
    ax_loss, ax_acc = plotting.plot_history(runs, labels=["seed 0", "seed 1"], title="NiN")
    assert len(ax_loss.lines) == len(ax_acc.lines) == 2
    assert ax_acc.get_xlabel() == "epoch" and ax_acc.get_ylabel() == "test accuracy"
    assert ax_loss.get_title() and ax_acc.get_title()
    x, y = ax_acc.lines[1].get_data()
    assert list(x) == list(range(1, 11)) and list(y) == runs[1].history["test_acc"]
    assert [t.get_text() for t in ax_acc.get_legend().get_texts()] == ["seed 0", "seed 1"]
    with pytest.raises(ValueError, match="2 runs but 1 labels"):
        plotting.plot_history(runs, labels=["one"])
    with pytest.raises(ValueError, match="at least one run"):
        plotting.plot_history([])


def test_gpu_benchmark_record():
    """The committed GPU benchmark names its GPU and holds every measurement."""
    report = json.loads((ROOT / "benchmarks" / "results" / "gpu.json").read_text())
    assert report["mode"] == "gpu" and report["device"]["gpu"]
    for model in ("lenet", "alexnet", "resnet18"):
        r = report[model]["pytorch"]
        for key in ("raw", "d2lmini", "d2l", "d2lmini_amp"):
            assert r[key] > 0, (model, key)
        assert r["amp_precision"].startswith("mixed")


def test_bf16_cpu_benchmark_record():
    """The committed run on a CPU with bfloat16 instructions trained amp in bfloat16."""
    report = json.loads((ROOT / "benchmarks" / "results" / "cpu-bf16.json").read_text())
    assert report["mode"] == "full" and report["device"]["bf16_instructions"]
    assert report["versions"]["gpu_torch"] == 0  # the GPU was hidden: a CPU measurement
    r = report["alexnet"]["pytorch"]
    assert r["amp_precision"].startswith("mixed bfloat16")
    for key in ("raw", "d2lmini", "d2l", "d2lmini_amp"):
        assert r[key] > 0, key


def test_tensorflow_run_hands_its_checkpoint_to_the_chapter(monkeypatch, tmp_path, no_budget,
                                                             capsys):
    """A TensorFlow run of the script (here on a small budget) leaves a checkpoint that the
    chapter's cell, given the same path, shows without training again."""
    from d2lmini import tensorflow as d2ltf

    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "256")
    monkeypatch.setenv("D2LMINI_MAX_TEST_EXAMPLES", "128")
    full_runs.main(["lenet", "--framework", "tensorflow", "--epochs", "1", "--allow-budget",
                    "--out-dir", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ck")])
    saved = TrainResult.load(tmp_path / "lenet-tensorflow-1-of-10-epochs.json")
    assert saved.framework == "tensorflow" and saved.epochs == 1 and saved.requested_epochs == 10
    assert len(saved.extra["per_class_test_acc"]) == 10
    ckpt = full_runs.checkpoint_path(tmp_path / "ck", "lenet", "tensorflow")
    assert ckpt.exists()

    # The chapter's cell: same network, data and settings, same checkpoint path.
    lenet = NETWORKS["lenet"]
    batch_size, lr, num_epochs = lenet.batch_size, lenet.lr, lenet.epochs
    monkeypatch.setenv("D2LMINI_MAX_EPOCHS", "1")
    train_iter, test_iter = d2ltf.load_data_fashion_mnist(batch_size)
    capsys.readouterr()
    shown = d2ltf.train_ch6(d2ltf.lenet(), train_iter, test_iter, num_epochs, lr,
                            checkpoint=ckpt)
    assert "resuming from lenet-tensorflow.ckpt: 1 of 1 epochs done" in capsys.readouterr().out
    assert shown.extra["epoch_seconds"] == []  # nothing trained
    assert shown.history == saved.history
