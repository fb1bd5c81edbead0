"""The single-framework exporter."""
import json

import pytest

from d2lmini import export


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
    code = ("import sys, d2lmini.export, d2lmini.execute; "
            "print(sorted({'torch', 'tensorflow', 'keras', 'matplotlib'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_export_and_execute_use_the_one_table_of_frameworks():
    from d2lmini import execute, frameworks
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
        "pytorch/one.ipynb", "tensorflow/one.ipynb"]
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
