"""The chapters are the source of their networks; d2lmini keeps copies that must not drift.

A chapter defines each network in its own code cells, so that a student can change a layer
and re-run the chapter. Definitions marked ``#@save`` (as in the d2l book) also live in
d2lmini, where other code reuses them (the comparison chapter, scripts/full_runs.py, the
benchmark). This test parses both and requires the same code: the same syntax tree once
docstrings are dropped, ``d2l.``/``d2ltf.`` prefixes are removed, and the TensorFlow cells'
names (``alexnet_tf``, ``InceptionTF``: both frameworks share one notebook kernel) are
mapped back to the package's (``alexnet``, ``Inception``).

To change a network: edit the chapter's cell, copy the definition into
``d2lmini/backend_torch/models.py`` or ``d2lmini/backend_tf/models.py``, and run this test.
"""
import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PACKAGE = {"pytorch": ROOT / "d2lmini" / "backend_torch" / "models.py",
           "tensorflow": ROOT / "d2lmini" / "backend_tf" / "models.py"}

# Every Part II network, in both frameworks, must be defined in a chapter.
PART2_NAMES = ["alexnet", "vgg_block", "vgg", "nin_block", "nin", "Inception", "googlenet",
               "Residual", "resnet_block", "resnet18", "conv_block", "DenseBlock",
               "transition_block", "densenet",
               # chapter 24, after ResNet
               "ResNeXtBlock", "DepthwiseSeparable", "SqueezeExcitation", "SEResidual",
               "resnet_like", "resnext18", "se_resnet18", "mobilenet18"]


def chapter_name(name, framework):
    """The name a definition has in a chapter's cells of ``framework``."""
    if framework == "pytorch":
        return name
    return name + ("TF" if name[0].isupper() else "_tf")


def package_name(name, framework):
    for pkg in PART2_NAMES:
        if chapter_name(pkg, framework) == name:
            return pkg
    return name


def _code(cell):
    src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    # IPython magics and shell lines are not Python
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in src.splitlines())


def saved_definitions():
    """[(notebook, framework, name, AST node)] for every ``#@save`` definition."""
    found = []
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code" or "#@save" not in _code(cell):
                continue
            tags = cell.get("metadata", {}).get("tags", [])
            framework = next((t for t in tags if t in PACKAGE), None)
            src = _code(cell)
            lines = src.splitlines()
            for node in ast.parse(src).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and \
                        "#@save" in lines[node.lineno - 1]:
                    found.append((nb.stem, framework, node.name, node))
    return found


class _Normalize(ast.NodeTransformer):
    def __init__(self, framework):
        self.framework = framework

    def _drop_docstring(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]

    def visit_FunctionDef(self, node):  # ast's naming
        self._drop_docstring(node)
        node.name = package_name(node.name, self.framework)
        return self.generic_visit(node)

    def visit_ClassDef(self, node):
        self._drop_docstring(node)
        node.name = package_name(node.name, self.framework)
        return self.generic_visit(node)

    def visit_Attribute(self, node):  # d2l.CheckedSequential -> CheckedSequential
        if isinstance(node.value, ast.Name) and node.value.id in ("d2l", "d2ltf"):
            return ast.copy_location(ast.Name(id=node.attr, ctx=node.ctx), node)
        return self.generic_visit(node)

    def visit_Name(self, node):
        node.id = package_name(node.id, self.framework)
        return node


def normalized(node, framework):
    return ast.dump(_Normalize(framework).visit(node), include_attributes=False)


def package_definitions(framework):
    tree = ast.parse(PACKAGE[framework].read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


SAVED = saved_definitions()


def test_every_part2_network_is_written_in_a_chapter():
    defined = {(fw, package_name(name, fw)) for _, fw, name, _ in SAVED}
    missing = [(fw, n) for fw in PACKAGE for n in PART2_NAMES if (fw, n) not in defined]
    assert not missing, f"not defined with #@save in any chapter: {missing}"


def test_saved_cells_name_their_framework():
    assert all(fw in PACKAGE for _, fw, _, _ in SAVED), \
        "a #@save cell needs the tag pytorch or tensorflow"


@pytest.mark.parametrize("notebook,framework,name,node", SAVED,
                         ids=[f"{nb}-{fw}-{name}" for nb, fw, name, _ in SAVED])
def test_chapter_and_package_are_the_same_code(notebook, framework, name, node):
    pkg = package_definitions(framework)
    target = package_name(name, framework)
    assert target in pkg, f"{notebook} saves {name}, which d2lmini ({framework}) lacks"
    assert normalized(node, framework) == normalized(pkg[target], framework), (
        f"{notebook}'s {name} and d2lmini's {target} ({PACKAGE[framework].name}) differ: "
        "copy the chapter's definition into the package (or back)")


def test_drift_is_caught():
    """The comparison is strict: one changed number is a difference."""
    pkg = package_definitions("pytorch")["alexnet"]
    changed = ast.parse(ast.unparse(pkg).replace("kernel_size=11", "kernel_size=9")).body[0]
    assert normalized(changed, "pytorch") != normalized(pkg, "pytorch")
