"""TrainResult's JSON files: a failed save changes nothing, numpy numbers are saved as
numbers, and a bad path, a bad value or a bad file gets an error naming it and the fix."""
import json

import numpy as np
import pytest

from d2lmini.training import TrainResult


def run(**extra):
    """A small, complete result (no framework needed)."""
    history = {"epoch": [1, 2], "train_loss": [0.9, 0.5], "train_acc": [0.6, 0.8],
               "test_acc": [0.65, 0.78]}
    return TrainResult("pytorch", "cpu", history, 1000.0, 600, 60000, 300, 10000, 2, 2,
                       (28, 28), 64, 0.1, 1.5, extra=dict(extra))


# ---------------------------------------------------------------- saving
def test_numpy_numbers_and_arrays_are_saved_as_numbers(tmp_path):
    r = run(model="LeNet")
    path = r.save(tmp_path / "run.json", best=np.float32(0.5), epochs_seen=np.int64(3),
                  zero_d=np.array(0.25), curve=np.array([1, 2]), flag=np.bool_(True))
    extra = json.loads(path.read_text())["extra"]
    assert extra == {"model": "LeNet", "best": 0.5, "epochs_seen": 3, "zero_d": 0.25,
                     "curve": [1, 2], "flag": True}
    loaded = TrainResult.load(path)
    assert loaded.extra["best"] == 0.5 and isinstance(loaded.extra["best"], float)
    assert loaded.history == r.history and loaded.image_size == (28, 28)


def test_a_failed_save_changes_nothing_and_later_saves_work(tmp_path):
    r = run(model="LeNet")
    with pytest.raises(TypeError, match=r"'bad'.*object.*float\(x\) or str\(x\)") as info:
        r.save(tmp_path / "out" / "run.json", bad=object())
    assert info.value.__cause__ is not None  # json's own error, kept
    assert "\n" not in str(info.value)
    assert r.extra == {"model": "LeNet"}  # the bad value was not kept
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder
    path = r.save(tmp_path / "run.json", seed=0)  # the next save works
    assert json.loads(path.read_text())["extra"] == {"model": "LeNet", "seed": 0}
    assert r.extra == {"model": "LeNet", "seed": 0}


def test_a_value_json_cannot_hold_is_named_with_its_type(tmp_path):
    r = run()
    with pytest.raises(TypeError, match=r"extra 'when'.*\bset\b.*JSON") as info:
        r.save(tmp_path / "run.json", when={1, 2})
    assert isinstance(info.value.__cause__, TypeError)
    assert not list(tmp_path.iterdir())  # no file, no temporary file


def test_saving_to_a_folder_says_to_give_a_file_path(tmp_path):
    r = run()
    with pytest.raises(IsADirectoryError,
                       match=r"folder.*file path such as 'results/run.json'") as info:
        r.save(tmp_path)
    assert isinstance(info.value.__cause__, OSError)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary file left
    with pytest.raises(IsADirectoryError, match=r"ends in '/'.*'results/run.json'"):
        r.save(f"{tmp_path}/results/")
    assert not (tmp_path / "results").exists()


def test_quick_results_are_still_not_written(tmp_path, capsys):
    r = run()
    r.quick = True
    assert r.save(tmp_path / "run.json", best=object()) is None
    assert "quick mode: not writing" in capsys.readouterr().out
    assert not (tmp_path / "run.json").exists()


# ---------------------------------------------------------------- loading
def test_truncated_file_is_named_with_the_place_of_the_break(tmp_path):
    path = run().save(tmp_path / "run.json")
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"run.json is not a JSON file written by "
                                         r"TrainResult.save \(.* at line \d+\)") as info:
        TrainResult.load(path)
    assert isinstance(info.value.__cause__, json.JSONDecodeError)
    assert "\n" not in str(info.value)


def test_foreign_file_is_named(tmp_path):
    notebook = tmp_path / "lenet.ipynb"
    notebook.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(ValueError, match=r"lenet.ipynb is not a JSON file written by "
                                         r"TrainResult.save"):
        TrainResult.load(notebook)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"list.json holds a list, not .*TrainResult.save"):
        TrainResult.load(listing)


def test_incomplete_file_names_the_missing_fields(tmp_path):
    path = run().save(tmp_path / "run.json")
    d = json.loads(path.read_text())
    del d["history"], d["image_size"]
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"run.json lacks the fields history, image_size") as info:
        TrainResult.load(path)
    assert info.value.__cause__ is not None
    d = json.loads(run().save(tmp_path / "other.json").read_text())
    del d["lr"]
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"run.json lacks the field lr\b"):
        TrainResult.load(path)
