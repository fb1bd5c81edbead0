"""The single-framework exporter."""
import json
from pathlib import Path

import pytest

from d2lmini.book import export
from d2lmini.book.cellnames import cell_names

ROOT = Path(__file__).resolve().parent.parent


def cell(kind, src, tags=()):
    c = {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": src}
    if kind == "code":
        c.update(outputs=[], execution_count=None)
    return c


NB = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    cell("markdown", "# Title"),
    cell("code", "import numpy as np"),
    cell("code", "from d2lmini import torch as d2l\nd2l.try_gpu()", ["pytorch"]),
    cell("code", "from d2lmini import tensorflow as d2ltf\nd2ltf.try_gpu()", ["tensorflow"]),
    cell("markdown", "Both."),
]}


def test_pytorch_copy_drops_tensorflow_cells():
    out = export.single_framework(NB, "pytorch")
    sources = [export_src(c) for c in out["cells"]]
    assert not any("tensorflow" in s for s in sources)
    assert any("d2l.try_gpu()" in s for s in sources)
    assert "PyTorch-only copy" in sources[1]
    assert len(NB["cells"]) == 5   # the input is not modified


def test_tensorflow_copy_renames_d2ltf_to_d2l():
    out = export.single_framework(NB, "tensorflow")
    code = [export_src(c) for c in out["cells"] if c["cell_type"] == "code"]
    assert code == ["import numpy as np",
                    "from d2lmini import tensorflow as d2l\nd2l.try_gpu()"]


def test_cell_with_both_tags_is_an_error():
    bad = {"cells": [cell("code", "x", ["pytorch", "tensorflow"])]}
    with pytest.raises(ValueError, match="both frameworks"):
        export.single_framework(bad, "pytorch")


def test_command_line_writes_both_copies(tmp_path, capsys):
    src = tmp_path / "ch.ipynb"
    src.write_text(json.dumps(NB))
    assert export.main([str(src), "--out", str(tmp_path / "out")]) == 0
    for fw in ("pytorch", "tensorflow"):
        nb = json.loads((tmp_path / "out" / fw / "ch.ipynb").read_text())
        assert nb["metadata"]["d2lmini_framework"] == fw
    with pytest.raises(SystemExit):
        export.main([str(tmp_path / "ch.md"), "--out", str(tmp_path / "x")])
    assert "not a .ipynb" in capsys.readouterr().err


def export_src(c):
    return "".join(c["source"]) if isinstance(c["source"], list) else c["source"]


def test_a_cell_needing_both_frameworks_becomes_a_note():
    nb = {"cells": [cell("markdown", "# Title"),
                    cell("code", "plot(result, result_tf)", ["both-frameworks"])]}
    for fw, other in (("pytorch", "TensorFlow"), ("tensorflow", "PyTorch")):
        out = export.single_framework(nb, fw)
        assert [c["cell_type"] for c in out["cells"]] == ["markdown"] * 3
        assert f"compares this run with the {other} one" in export_src(out["cells"][-1])
    assert export.single_framework(nb, "pytorch") != nb and nb["cells"][1]["cell_type"] == "code"


def test_shared_cells_keep_both_names():
    """A shared cell naming d2l and d2ltf compares the frameworks (chapter 21): renaming
    d2ltf there would make it call PyTorch twice."""
    nb = {"cells": [cell("code", "from d2lmini import torch as d2l\nfrom d2lmini import "
                                 "tensorflow as d2ltf\nnet, net_tf = d2l.lenet(), d2ltf.lenet()")]}
    out = export.single_framework(nb, "tensorflow")
    assert "d2ltf.lenet()" in export_src(out["cells"][-1])


def test_the_exporter_imports_neither_a_framework_nor_matplotlib():
    """The site's build runs the exporter, and execute imports it: both stay light."""
    import subprocess
    import sys
    code = ("import sys, d2lmini.book.export, d2lmini.book.execute; "
            "print(sorted({'torch', 'tensorflow', 'keras', 'matplotlib'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_export_and_execute_use_the_one_table_of_frameworks():
    from d2lmini import frameworks
    from d2lmini.book import execute
    assert export.FRAMEWORKS is frameworks.FRAMEWORKS
    assert execute.FRAMEWORKS is frameworks.FRAMEWORKS


def test_the_site_tabs_name_the_frameworks_of_the_table():
    """framework-tabs.js (tab labels) and framework-tabs.css (labels without JavaScript)
    repeat d2lmini/frameworks.py; the site's extension (book/_ext/cnnbook.py) imports it."""
    import re
    from pathlib import Path

    from d2lmini.frameworks import FRAMEWORK_NAMES, FRAMEWORKS
    static = Path(__file__).resolve().parent.parent / "book" / "_static"
    js = (static / "framework-tabs.js").read_text(encoding="utf-8")
    table = re.search(r"var FRAMEWORKS = \[(.*?)\];", js, re.S)
    assert table, "framework-tabs.js: no `var FRAMEWORKS = [...]`"
    tabs = re.findall(r'\{\s*id:\s*"([^"]+)",\s*label:\s*"([^"]+)"\s*\}', table.group(1))
    assert tabs == [(f, FRAMEWORK_NAMES[f]) for f in FRAMEWORKS]
    default = re.search(r'var DEFAULT = "([^"]+)"', js)
    assert default and default.group(1) in FRAMEWORKS
    css = (static / "framework-tabs.css").read_text(encoding="utf-8")
    labels = dict(re.findall(r'\.cell\.tag_(\w+)::before\s*\{\s*content:\s*"([^"]+)"', css))
    assert labels == FRAMEWORK_NAMES
    ext = (static.parent / "_ext" / "cnnbook.py").read_text(encoding="utf-8")
    assert "from d2lmini import frameworks" in ext and '"PyTorch"' not in ext


def test_a_chapter_needing_both_frameworks_gets_no_copies(tmp_path, capsys):
    both = dict(NB, metadata={"d2lmini": {"frameworks": "both"}})
    assert export.needs_both(both) and not export.needs_both(NB)
    with pytest.raises(ValueError, match="needs both frameworks"):
        export.single_framework(both, "pytorch")
    (tmp_path / "both.ipynb").write_text(json.dumps(both))
    (tmp_path / "one.ipynb").write_text(json.dumps(NB))
    assert export.main([str(tmp_path / "both.ipynb"), str(tmp_path / "one.ipynb"),
                        "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.relative_to(tmp_path / "out").as_posix()
                  for p in (tmp_path / "out").rglob("*.ipynb")) == [
        "pytorch/one.ipynb", "student/both.ipynb", "student/one.ipynb",
        "student/pytorch/one.ipynb", "student/tensorflow/one.ipynb", "tensorflow/one.ipynb"]
    assert "both.ipynb: no single-framework copies" in capsys.readouterr().err


def test_chapter_21_is_the_chapter_needing_both_frameworks():
    """The marker lives in the MyST twin (the source) and reaches the notebook."""
    from pathlib import Path
    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    marked = [p.name for p in sorted(notebooks.glob("*.ipynb"))
              if export.needs_both(json.loads(p.read_text(encoding="utf-8")))]
    assert marked == ["21-two-frameworks.ipynb"]
    head = (notebooks / "21-two-frameworks.md").read_text(encoding="utf-8").split("---")[1]
    assert "frameworks: both" in head and "notebook_metadata_filter: d2lmini" in head


# ------------------------------------------------ a copy's names, read from its code

def test_a_shared_cell_reading_one_frameworks_result_is_found_for_the_other():
    nb = {"cells": [
        cell("code", "%matplotlib inline\nimport numpy as np"),
        cell("code", "result = train()", ["pytorch"]),
        cell("code", "result_tf = train()", ["tensorflow"]),
        cell("code", "print(np.mean(result.history))"),
    ]}
    assert export.unresolved_names(nb, "pytorch") == []
    assert export.unresolved_names(nb, "tensorflow") == [(4, "result", "cell 2 (pytorch)")]


def test_names_read_inside_functions_and_defined_later_are_found():
    nb = {"cells": [
        cell("code", "def show(run):\n    return plot(run, scale)"),
        cell("code", "scale = 2\ndef plot(run, s):\n    return run * s"),
        cell("code", "both = compare(result, result_tf)", [export.BOTH]),
        cell("code", "print(both)"),
    ]}
    found = export.unresolved_names(nb, "pytorch")
    assert found == [(1, "plot", "cell 2 (runs later)"), (1, "scale", "cell 2 (runs later)"),
                     (4, "both", "cell 3 (needs both frameworks)")]


def test_the_tensorflow_copy_is_read_after_renaming_d2ltf():
    nb = {"cells": [
        cell("code", "from d2lmini import tensorflow as d2ltf", ["tensorflow"]),
        cell("code", "d2ltf.try_gpu()", ["tensorflow"]),
    ]}
    assert export.unresolved_names(nb, "tensorflow") == []
    # Had only the importing cell been renamed, the second would read a name no cell defines.
    nb["cells"][1]["metadata"]["tags"] = []
    assert export.unresolved_names(nb, "tensorflow") == [
        (2, "d2ltf", "cell 1 (tensorflow)")]


def test_a_cell_magic_is_not_read_as_python():
    nb = {"cells": [cell("code", "%%writefile run.py\nprint(undefined_here)"),
                    cell("code", "x = 1", ["pytorch"]), cell("code", "!ls\nprint(len([x]))")]}
    assert export.unresolved_names(nb, "pytorch") == []
    assert export.unresolved_names(nb, "tensorflow") == [(3, "x", "cell 2 (pytorch)")]


def test_a_real_chapter_with_a_pytorch_cell_left_untagged_is_refused(tmp_path):
    """Chapter 8's copies pass. The same chapter with one PyTorch cell left untagged (a
    shared cell then) would stop in the TensorFlow copy, and the exporter says where."""
    path = ROOT / "notebooks" / "08-lenet.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert export.unresolved_names(nb, "pytorch") == export.unresolved_names(
        nb, "tensorflow") == []
    first_def, untag = {}, None  # name -> the PyTorch cell defining it first
    for j, c in enumerate(nb["cells"], 1):
        if c["cell_type"] != "code" or "pytorch" not in c["metadata"].get("tags", []):
            continue
        defined, read = cell_names("".join(c["source"]))
        uses = sorted(n for n in read if n in first_def and n != "d2l")
        if uses and untag is None:
            untag, name = j, uses[0]
        for n in defined:
            first_def.setdefault(n, j)
    nb["cells"][untag - 1]["metadata"]["tags"] = []
    found = export.unresolved_names(nb, "tensorflow")
    assert any(f[:2] == (untag, name) and f"cell {first_def[name]} (pytorch)" in f[2]
               for f in found), found
    bad = tmp_path / "08-lenet.ipynb"
    bad.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"the tensorflow copy of 08-lenet.ipynb would stop: "
                                         rf".*cell {untag} reads '{name}', which only "):
        export.export([bad], tmp_path / "out")
    assert not (tmp_path / "out" / "tensorflow").exists()
