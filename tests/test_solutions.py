"""Worked solutions: counted per chapter, each with both frameworks' code where it has one's,
folded into the chapter's Solutions section; student copies leave them out and still run."""
import json
import re
from pathlib import Path

import pytest

from d2lmini.book import export

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HEADING = re.compile(r"^### Solution to exercise (\d+)\b", re.M)


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def exercises(nb):
    """How many exercises the chapter's Exercises section lists (its numbered items)."""
    count, inside = 0, False
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = source(cell)
        if re.search(r"^## Exercises\s*$", text, re.M):
            inside = True
            text = text.split("## Exercises", 1)[1]
        elif inside and re.search(r"^#{1,2} ", text, re.M):
            break
        if inside:
            count += len(re.findall(r"^\d+\. ", text, re.M))
    return count


def solutions(nb):
    """{exercise number: the cells of its solution}, in the Solutions section."""
    found, current = {}, None
    for cell in nb["cells"]:
        if "solution" not in tags(cell):
            current = None
            continue
        match = HEADING.search(source(cell)) if cell["cell_type"] == "markdown" else None
        if match:
            current = int(match[1])
            found.setdefault(current, [])
        if current is not None:
            found[current].append(cell)
    return found


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def counts():
    """{chapter: (exercises, solutions)} over the book."""
    return {p.stem: (exercises(load(p)), len(solutions(load(p)))) for p in NOTEBOOKS}


def test_every_chapter_lists_its_exercises():
    assert all(n > 0 for n, _ in counts().values()), counts()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_is_solved_in_both_frameworks(path):
    nb = load(path)
    found = solutions(nb)
    n = exercises(nb)
    assert sorted(found) == list(range(1, n + 1)), \
        f"{path.name}: {n} exercises, solutions to {sorted(found)}; give each exercise N a " \
        f"'### Solution to exercise N' under '## Solutions'"
    both = export.needs_both(nb)
    for number, cells in found.items():
        frameworks = {export.cell_framework(c) for c in cells if c["cell_type"] == "code"}
        if not both and frameworks & {"pytorch", "tensorflow"}:
            assert {"pytorch", "tensorflow"} <= frameworks, (
                f"{path.name}: the solution to exercise {number} has code for "
                f"{sorted(frameworks - {None})} only; write it for both frameworks")
        prose = "".join(source(c) for c in cells if c["cell_type"] == "markdown")
        assert len(HEADING.sub("", prose).split()) >= 15, \
            f"{path.name}: the solution to exercise {number} needs its reasoning in prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_solutions_section_is_tagged_throughout(path):
    nb = load(path)
    inside = False
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown" and re.search(r"^## Solutions\s*$", source(cell), re.M):
            inside = True
        if inside:
            assert "solution" in tags(cell), (
                f"{path.name}: cell {i} follows '## Solutions' but lacks the tag 'solution' "
                "(students' copies would keep it)")
        elif "solution" in tags(cell):
            pytest.fail(f"{path.name}: cell {i} is tagged 'solution' before '## Solutions'")


def test_the_readme_states_the_count():
    total = sum(n for n, _ in counts().values())
    solved = sum(s for _, s in counts().values())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"worked solutions to (\d+) of the (\d+) exercises", readme)
    assert stated, "README.md: say 'worked solutions to N of the M exercises'"
    assert (int(stated[1]), int(stated[2])) == (solved, total), (
        f"README.md says {stated[1]} of {stated[2]}; the chapters hold {solved} of {total}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_copies_hold_no_solution_and_read_no_missing_name(path):
    nb = load(path)
    copies = [export.without_solutions(nb)]
    if not export.needs_both(nb):
        copies += [export.without_solutions(export.single_framework(nb, fw))
                   for fw in ("pytorch", "tensorflow")]
    for copy in copies:
        text = json.dumps(copy["cells"])
        assert "Solution to exercise" not in text and '"solution"' not in text
        fw = copy["metadata"].get("d2lmini_framework")
        for framework in [fw] if fw else ["pytorch", "tensorflow"]:
            if not export.needs_both(nb):
                assert export.unresolved_names(copy, framework) == [], path.name


def test_make_export_writes_student_copies(tmp_path, capsys):
    chapter = ROOT / "notebooks" / "02-padding-stride.ipynb"
    assert export.main([str(chapter), "--out", str(tmp_path)]) == 0
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb")}
    assert written == {f"{d}02-padding-stride.ipynb" for d in
                       ("pytorch/", "tensorflow/", "student/", "student/pytorch/",
                        "student/tensorflow/")}
    full = load(tmp_path / "pytorch" / chapter.name)
    student = load(tmp_path / "student" / "pytorch" / chapter.name)
    assert len(solutions(full)) == exercises(full) and solutions(student) == {}
    assert student["cells"][-1]["source"].startswith("*This is the student copy")


def test_a_student_copy_runs_alone(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    chapter = load(ROOT / "notebooks" / "02-padding-stride.ipynb")
    copy = export.without_solutions(export.single_framework(chapter, "pytorch"))
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    folder = tmp_path / "alone"
    folder.mkdir()
    client = nbclient.NotebookClient(nbformat.from_dict(copy), timeout=600,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    assert any(c.get("outputs") for c in client.nb.cells if c.cell_type == "code")
