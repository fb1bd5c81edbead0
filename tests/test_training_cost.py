"""training_cost: what a chapter's full training takes, computed from recorded runs."""
import json
import re
from pathlib import Path

import pytest

from d2lmini.training import training_cost

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"


def record(folder, name, *, device="cpu", train=60000, epoch_seconds=(100.0,), gpu=None):
    d = json.loads((RESULTS / "alexnet-pytorch.json").read_text())
    d.update(device=device, train_examples=train, epochs=len(epoch_seconds))
    d["extra"]["epoch_seconds"] = list(epoch_seconds)
    if gpu:
        d["extra"]["gpu"] = gpu
    (folder / name).write_text(json.dumps(d))


def test_scales_the_measured_epoch_to_the_full_run(tmp_path):
    # 6,000 of 60,000 images in 30 s and 50 s: a full epoch is 10 x 40 s, ten of them 66.7 min.
    record(tmp_path, "alexnet-pytorch.json", train=6000, epoch_seconds=(30.0, 50.0))
    record(tmp_path, "alexnet-pytorch-full.json", device="cuda:0", epoch_seconds=(4.0,) * 10,
           gpu="Some GPU")
    text = training_cost("alexnet", results=tmp_path)
    lines = text.splitlines()
    assert lines[0].startswith("AlexNet in full: 10 epochs of 60,000 training images at 224x224")
    assert re.search(r"PyTorch on the CPU.*: 6\.7 min per epoch \(scaled from 6,000 images\)"
                     r" -> about 66\.7 min for 10 epochs", lines[1])
    assert re.search(r"PyTorch on a GPU \(Some GPU, the full run\): 4\.0 s per epoch -> "
                     r"about 40 s for 10 epochs", lines[2])
    assert "TensorFlow" not in text  # no record, no line
    assert "D2LMINI_MAX_EPOCHS" in lines[-1]


def test_an_unknown_network_is_refused():
    with pytest.raises(ValueError, match="no network 'alexnett'; choose one of lenet, alexnet"):
        training_cost("alexnett")
