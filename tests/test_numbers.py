"""Prose and outputs stay together: every measured number in a chapter is printed, cited,
derived by a checked formula, or marked with a reason (scripts/check_numbers.py)."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_numbers  # noqa: E402


def test_every_chapter_passes(capsys):
    assert check_numbers.main([]) == 0, capsys.readouterr().out


def chapter(tmp_path, prose, printed, name="99-test"):
    nb = {"cells": [{"cell_type": "markdown", "source": prose, "metadata": {}},
                    {"cell_type": "code", "source": "print(result.summary())", "metadata": {},
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]}]}
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def problems(path, marks=None):
    return check_numbers.check_notebook(path, marks or {})


def test_a_stale_number_is_reported_with_its_sentence(tmp_path):
    path = chapter(tmp_path, "LeNet reaches a test accuracy of 0.812 here. It learns.",
                   "loss 0.475, train acc 0.821, test acc 0.805")
    found = problems(path)
    assert [(p.chapter, p.number) for p in found] == [("99-test", "0.812")]
    assert found[0].sentence == "LeNet reaches a test accuracy of 0.812 here."
    assert "0.812" in str(found[0]) and "99-test" in str(found[0])


def test_printed_percent_scaled_and_rounded_numbers_pass(tmp_path):
    path = chapter(tmp_path, "Accuracy 0.805, that is 80.5%; 46.8 million parameters; "
                             "about 11,700 examples per second; 5,977,530 weights.",
                   "test acc 0.805, 46764746 params, 11683.3 examples/sec, total 5977530")
    assert problems(path) == []


def test_math_code_years_versions_and_cited_sentences_are_not_checked(tmp_path):
    path = chapter(tmp_path, "In 2012, $0.123$ and `lr=0.456` with torch 2.13.0 mattered. "
                             "The paper reports 15.3% {cite}`krizhevsky2012imagenet`.", "")
    assert problems(path) == []


def test_marks_are_checked_not_trusted(tmp_path):
    path = chapter(tmp_path, "Of 2,159,114 parameters, 97% sit in one layer; the target is 83.3%.",
                   "total 2,159,114; dense 2,097,664")
    good = {"99-test": [{"number": "97%", "formula": "2,097,664 / 2,159,114", "reason": "share"},
                        {"number": "83.3%", "reason": "a target of this chapter"}]}
    assert problems(path, good) == []
    wrong = {"99-test": [{"number": "97%", "formula": "2,159,114 / 2,097,664", "reason": "share"},
                         {"number": "83.3%", "reason": "a target"}]}
    found = problems(path, wrong)
    assert len(found) == 1 and "gives 1.02929, not 97" in found[0].sentence
    unprinted = {"99-test": [{"number": "97%", "formula": "2,097,000 / 2,159,114", "reason": "x"},
                             {"number": "83.3%", "reason": "a target"}]}
    assert "2,097,000 not printed" in problems(path, unprinted)[0].sentence


def test_a_mark_the_prose_no_longer_needs_is_reported(tmp_path):
    path = chapter(tmp_path, "Nothing measured here.", "")
    found = problems(path, {"99-test": [{"number": "0.5", "reason": "old"}]})
    assert [p.number for p in found] == ["0.5"] and "remove it" in found[0].sentence


def test_a_mark_needs_a_reason(tmp_path):
    marks = tmp_path / "numbers.toml"
    marks.write_text('[["08-lenet"]]\nnumber = "0.1"\n')
    with pytest.raises(ValueError, match="without a reason"):
        check_numbers.load_marks(marks)
