"""Self-checks: every stored answer is computed, not typed; check() says right or wrong and
why; every question a chapter shows exists, and its committed output is the current one."""
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from d2lmini import tensorflow as d2ltf  # noqa: F401 (before TensorFlow)
import keras
import tensorflow as tf
import torch
from torch import nn

from d2lmini import arithmetic
from d2lmini.book import selfcheck

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ALL = selfcheck.questions()
SHOW = re.compile(r"""selfcheck\.show\(["']([\w-]+)["']\)""")


def namespace():
    names = {k: v for k, v in vars(arithmetic).items() if not k.startswith("_")}
    names.update(torch=torch, nn=nn, tf=tf, keras=keras, np=np, math=math)
    return names


def test_there_are_questions():
    assert len(ALL) >= 1


@pytest.mark.parametrize("qid", [q for q in ALL if ALL[q]["kind"] != "choice"])
def test_a_stored_answer_is_what_its_expression_computes(qid):
    q = ALL[qid]
    value = eval(q["compute"], namespace())  # noqa: S307 (the package's own question bank)
    if q["kind"] == "shape":
        assert [int(v) for v in value] == q["answer"], f"{qid}: compute gives {tuple(value)}"
    else:
        assert math.isclose(float(value), q["answer"], rel_tol=1e-9), \
            f"{qid}: compute gives {value}, the bank says {q['answer']}"


@pytest.mark.parametrize("qid", list(ALL))
def test_the_right_answer_is_right_and_a_wrong_one_gets_its_reason(qid, capsys):
    q = ALL[qid]
    if q["kind"] == "choice":
        assert selfcheck.check(qid, "abcdefghij"[q["answer"]])
        for i, option in enumerate(q["options"]):
            if i != q["answer"]:
                assert not selfcheck.check(qid, i)
                assert option["why"] in capsys.readouterr().out
    else:
        assert selfcheck.check(qid, q["answer"])
        assert q["explain"] in capsys.readouterr().out
        wrong = [v + 1 for v in q["answer"]] if q["kind"] == "shape" else q["answer"] * 2 + 1
        assert not selfcheck.check(qid, wrong)
        assert q["hint"] in capsys.readouterr().out


def test_answers_of_the_wrong_form_say_what_form_to_use():
    qid = "02-alexnet-conv1"
    with pytest.raises(ValueError, match="answer '02-alexnet-conv1' with a number; got 'many'"):
        selfcheck.check(qid, "many")
    with pytest.raises(KeyError, match="no self-check '02-nope'; this chapter's are: "
                                       "02-valid-size, 02-same-size"):
        selfcheck.check("02-nope", 1)
    assert not selfcheck.check(qid, 55.01)  # a count is exact
    assert selfcheck.check(qid, 55.0)


def test_a_malformed_question_is_refused_with_its_file(tmp_path, monkeypatch):
    (tmp_path / "07.json").write_text(json.dumps([{"id": "07-x", "question": "?",
                                                    "kind": "number", "answer": 1,
                                                    "explain": "."}]))
    monkeypatch.setattr(selfcheck, "FOLDER", tmp_path)
    selfcheck.questions.cache_clear()
    try:
        with pytest.raises(ValueError, match="07.json: 07-x: a number question needs 'compute'"):
            selfcheck.questions()
    finally:
        monkeypatch.undo()
        selfcheck.questions.cache_clear()


def notebooks():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def shown(nb):
    """(question id, cell) for every self-check cell of a notebook."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            for qid in SHOW.findall(source):
                yield qid, cell


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_shown_questions_exist_and_their_outputs_are_current(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    chapter = path.stem.split("-")[0]
    for qid, cell in shown(nb):
        assert qid in ALL, f"{path.name} shows {qid!r}, which no selfchecks/*.json defines"
        assert qid.startswith(chapter + "-"), f"{path.name} shows another chapter's {qid}"
        tags = cell["metadata"].get("tags", [])
        assert "selfcheck" in tags and "remove-input" in tags, \
            f"{path.name}: the cell showing {qid} needs the tags selfcheck and remove-input"
        html = [o for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
        assert html, f"{path.name}: the cell showing {qid} has no committed output"
        committed = "".join(html[0]["data"]["text/html"])
        assert committed == selfcheck.show(qid)._repr_html_(), (
            f"{path.name}: the committed output of {qid} is not the question bank's current "
            "text: re-execute the chapter")


def test_every_question_of_a_chapter_is_shown_in_it():
    shown_ids = set()
    for path in notebooks():
        shown_ids |= {qid for qid, _ in shown(json.loads(path.read_text(encoding="utf-8")))}
    assert set(ALL) <= shown_ids, f"questions no chapter shows: {sorted(set(ALL) - shown_ids)}"


def test_render_writes_the_outputs_running_the_cells_gives(tmp_path, capsys):
    chapter = NOTEBOOKS / "02-padding-stride.ipynb"
    nb = json.loads(chapter.read_text(encoding="utf-8"))
    for _, cell in shown(nb):
        cell["outputs"] = []
    copy = tmp_path / chapter.name
    unrun = copy.with_name("unrun.ipynb")  # a cell just added: no count, no output
    first = next(cell for _, cell in shown(nb))
    count, first["execution_count"] = first["execution_count"], None
    unrun.write_text(json.dumps(nb), encoding="utf-8")
    first["execution_count"] = count
    selfcheck.render(unrun)
    rendered = next(c for _, c in shown(json.loads(unrun.read_text(encoding="utf-8"))))
    assert rendered["execution_count"] is not None and rendered["outputs"]
    copy.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert selfcheck.main([str(copy)]) == 0
    assert "6 self-check output(s) written" in capsys.readouterr().out.splitlines()[-1]
    assert copy.read_text(encoding="utf-8") == chapter.read_text(encoding="utf-8")
    assert selfcheck.render(copy) == 0  # nothing to do the second time
