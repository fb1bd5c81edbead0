"""The committed notebooks as a whole: paired twins, tags, outputs, table of contents."""
import json
import re
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(/home/|/root/|/tmp/|/work/|/Users/|C:\\\\Users)")


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param, json.loads(request.param.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


def test_twin_exists_and_matches(notebook):
    path, _ = notebook
    twin = path.with_suffix(".md")
    assert twin.exists(), f"{path.name} has no MyST twin; run: jupytext --sync {path}"
    a, b = jupytext.read(path), jupytext.read(twin)
    cells_a = [(c.cell_type, c.source.strip()) for c in a.cells]
    cells_b = [(c.cell_type, c.source.strip()) for c in b.cells]
    assert cells_a == cells_b, f"{twin.name} is out of sync; run: jupytext --sync {path}"
    tags_a = [c.metadata.get("tags", []) for c in a.cells]
    tags_b = [c.metadata.get("tags", []) for c in b.cells]
    assert tags_a == tags_b, f"cell tags differ between {path.name} and {twin.name}"


def test_framework_tags_are_known_and_exclusive(notebook):
    path, nb = notebook
    for cell in code_cells(nb):
        tags = set(cell.get("metadata", {}).get("tags", []))
        assert not {"pytorch", "tensorflow"} <= tags, f"{path.name}: a cell has both tags"
        if "import torch" in source(cell) and "tensorflow" in tags:
            pytest.fail(f"{path.name}: a TensorFlow cell imports torch")


def test_checked_cells_are_tagged_not_commented(notebook):
    # nbval also reads a '# NBVAL_CHECK_OUTPUT' first line, but the site would show it to
    # every reader; the cell tag does the same job invisibly (the site adds a small note).
    path, nb = notebook
    for cell in code_cells(nb):
        assert "NBVAL_CHECK_OUTPUT" not in source(cell), (
            f"{path.name}: use the cell tag nbval-check-output instead of the comment in "
            f"{source(cell)[:60]!r}")
        if "nbval-check-output" in cell.get("metadata", {}).get("tags", []):
            assert cell.get("outputs"), f"{path.name}: a checked cell has no output to check"


def test_both_frameworks_are_present(notebook):
    path, nb = notebook
    tags = {t for c in code_cells(nb) for t in c.get("metadata", {}).get("tags", [])}
    assert {"pytorch", "tensorflow"} <= tags, f"{path.name} lacks a framework's cells"


def test_outputs_are_committed_and_clean(notebook):
    path, nb = notebook
    cells = code_cells(nb)
    assert any(c.get("outputs") for c in cells), f"{path.name} has no committed outputs"
    for cell in cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: an error output"
            text = json.dumps(out)
            assert not MACHINE_PATH.search(text), \
                f"{path.name}: a machine path in an output: {MACHINE_PATH.search(text)[0]}..."
            assert not any(line in text for line in (
                "oneDNN custom operations", "absl::InitializeLog",
                "To enable the following instructions")), (
                f"{path.name}: TensorFlow start-up log lines in an output; remove them with "
                f"python -m d2lmini.book.execute --strip-logs {path.name}")


def test_committed_outputs_are_not_from_quick_mode(notebook):
    path, nb = notebook
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            if "quick mode" in json.dumps(out):
                pytest.fail(f"{path.name}: committed outputs come from a quick-mode run; "
                            "execute the notebook without D2LMINI_QUICK")


def test_every_chapter_ends_with_exercises(notebook):
    path, nb = notebook
    headings = [source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert any(re.search(r"^#+ Exercises", h, re.M) for h in headings), \
        f"{path.name} has no Exercises section"


# Phrases that talk about how the book was made instead of about networks (issue 36). A
# chapter says what ran and what a reader's machine would take; these never come back.
PROJECT_TALK = re.compile(
    r"machine that executed|our copy\b|outputs were made|this book's (80% )?target|"
    r"80% target|throughput targets|a test keeps its settings|the project's", re.I)


def test_prose_speaks_about_networks_not_about_the_project(notebook):
    path, nb = notebook
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            found = PROJECT_TALK.search(source(cell))
            assert not found, (f"{path.name}: '{found[0]}' speaks about the making of the "
                               "book; say what ran and what a reader's CPU or GPU would take")


def test_every_notebook_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = set()

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.add(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    missing = [p.stem for p in NOTEBOOKS if f"notebooks/{p.stem}" not in files]
    assert not missing, f"notebooks missing from _toc.yml: {missing}"


def test_figures_are_drawn_inline_from_the_setup_cell(notebook):
    """`%matplotlib inline` comes before the first figure: without it, some matplotlib
    versions (3.8) show a chapter's first figure under the next cell instead of its own."""
    path, nb = notebook
    cells = [source(c) for c in code_cells(nb)]
    first_plot = next((i for i, s in enumerate(cells)
                       if re.search(r"\bplt\.|plotting\.|\.plot\(|train_ch6\(", s)), None)
    if first_plot is None:
        return
    inline = next((i for i, s in enumerate(cells) if "%matplotlib inline" in s), None)
    assert inline is not None and inline <= first_plot, (
        f"{path.name}: put `%matplotlib inline` in the setup cell (the first after the "
        "install cell)")
