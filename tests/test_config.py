"""Settings from the environment: a wrong value stops with a message that says what to do."""
import pytest

from d2lmini import config
from d2lmini.data import datadir


@pytest.mark.parametrize("name", ["D2LMINI_MAX_EXAMPLES", "D2LMINI_MAX_EPOCHS"])
def test_a_budget_that_is_not_a_number(name, monkeypatch):
    monkeypatch.setenv(name, "lots")
    with pytest.raises(ValueError, match=f"{name}='lots' is not an integer; unset it"):
        config.budget()


def test_a_seed_that_is_not_a_number(monkeypatch):
    monkeypatch.setenv("D2LMINI_SEED", "abc")
    with pytest.raises(ValueError, match=r"D2LMINI_SEED='abc' is not an integer; unset it \(seed 0\)"):
        config.seed()
    monkeypatch.setenv("D2LMINI_SEED", " 7 ")
    assert config.seed() == 7
    monkeypatch.delenv("D2LMINI_SEED")
    assert config.seed() == 0


@pytest.mark.parametrize("value", ["-1", str(2**32), str(2**70)])
def test_a_seed_the_frameworks_refuse_names_the_range(value, monkeypatch):
    """NumPy and Keras refuse seeds outside 0 .. 2**32 - 1 (PyTorch one past 2**64 - 1)."""
    monkeypatch.setenv("D2LMINI_SEED", value)
    with pytest.raises(ValueError, match=rf"D2LMINI_SEED={value} is outside .* 0 to 2\*\*32 - 1"):
        config.seed()
    monkeypatch.setenv("D2LMINI_SEED", str(2**32 - 1))
    assert config.seed() == 2**32 - 1


@pytest.mark.parametrize("value", ["2", "quick", "Ture"])
def test_an_unrecognised_quick_value_warns_and_runs_in_full(value, monkeypatch):
    monkeypatch.setenv("D2LMINI_QUICK", value)
    with pytest.warns(UserWarning, match=rf"D2LMINI_QUICK='{value}' is not understood; assuming "
                                         r"a full run .* D2LMINI_QUICK=1 \(or true, yes, on\)"):
        assert config.quick_mode() is False


@pytest.mark.parametrize("value, quick", [("1", True), (" Yes ", True), ("0", False),
                                          ("off", False), ("", False)])
def test_the_quick_values_understood_say_nothing(value, quick, monkeypatch, recwarn):
    monkeypatch.setenv("D2LMINI_QUICK", value)
    assert config.quick_mode() is quick
    assert not recwarn.list


def test_a_data_dir_that_does_not_exist_is_an_error(tmp_path, monkeypatch):
    """A user who sets D2LMINI_DATA_DIR means it: no silent fall-back to other data."""
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(tmp_path / "no-such-folder"))
    with pytest.raises(FileNotFoundError, match="D2LMINI_DATA_DIR=.*no-such-folder.* is not a folder"):
        datadir.candidate_dirs("fashion-mnist")
    (tmp_path / "no-such-folder").mkdir()
    assert datadir.candidate_dirs("fashion-mnist")[:2] == [tmp_path / "no-such-folder" / "fashion-mnist",
                                                           tmp_path / "no-such-folder"]
