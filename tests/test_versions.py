"""The tested range (d2lmini.book.versions.TESTED): the check readers see, and that the stacks the
tests run on are the range's ends, so the table cannot drift from what is tested."""
import io
import re
from pathlib import Path

import pytest

from d2lmini.book import versions

ROOT = Path(__file__).resolve().parent.parent


def test_the_environment_running_the_tests_is_inside_the_range():
    """`make test` runs on the newest stack and `make test-oldest` on the oldest: a package
    that resolves to a version outside TESTED (a new release, say) fails here until the book
    is tested on it and the table and the README say so."""
    here = {name: v for name, v in versions.installed().items() if v}
    assert {"Python", "numpy", "matplotlib"} <= set(here)
    bad = {name: (v, versions.TESTED[name]) for name, v in here.items()
           if versions.outside(name, v)}
    assert not bad, (f"installed versions outside d2lmini.book.versions.TESTED: {bad}; run the "
                     "tests on them, then widen TESTED and the README's table")


def test_check_is_one_line_when_everything_is_tested():
    inside = {name: f"{newest}.0" for name, (_, newest) in versions.TESTED.items()}
    out = io.StringIO()
    assert versions.problems(inside) == []
    versions.check(inside, file=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "all within the versions this book is tested with" in lines[0]
    assert lines[0].startswith(f"Python {inside['Python']}, numpy {inside['numpy']}")


def test_check_warns_once_per_package_outside_and_says_what_to_do():
    oldest = {name: old for name, (old, _) in versions.TESTED.items()}
    stack = dict(oldest, numpy="1.24.4", Keras="3.99.0", PyTorch=None)
    out = io.StringIO()
    versions.check(stack, file=out)
    warnings = versions.problems(stack)
    lines = out.getvalue().splitlines()
    assert len(warnings) == 2 and lines[1:] == ["  " + w for w in warnings]
    assert "PyTorch not installed" in lines[0] and "all within" not in lines[0]
    numpy_line, keras_line = warnings
    assert f'pip install -U "numpy>={versions.TESTED["numpy"][0]}"' in numpy_line
    assert "older than the oldest" in numpy_line and "1.24.4" in numpy_line
    assert f'pip install "keras=={versions.TESTED["Keras"][1]}.*"' in keras_line
    assert "newer than the newest" in keras_line


def test_outside_compares_major_minor_and_rejects_nonsense():
    old, new = versions.TESTED["TensorFlow"]
    assert versions.outside("TensorFlow", f"{old}.0rc1") is None
    assert versions.outside("TensorFlow", f"{new}.9") is None
    major, minor = map(int, old.split("."))
    assert versions.outside("TensorFlow", f"{major}.{minor - 1}.5") == "older"
    with pytest.raises(ValueError, match="not a version number"):
        versions.outside("TensorFlow", "nightly")
    with pytest.raises(KeyError, match="not in the tested range"):
        versions.outside("jax", "0.4")


def test_the_readme_table_is_the_tested_range():
    """The README's "Supported versions" table lists TESTED, row for row."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Supported versions", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\w+) \| ([\d.]+ to [\d.]+|[\d.]+) \|", section, re.M))
    expected = {name: old if old == new else f"{old} to {new}"
                for name, (old, new) in versions.TESTED.items()}
    assert rows == expected


def test_every_chapter_checks_the_versions_in_its_first_cell():
    for path in sorted((ROOT / "notebooks").glob("*.md")):
        first = path.read_text(encoding="utf-8").split("```{code-cell} ipython3", 2)[1]
        assert "versions.check()" in first, f"{path.name}: run scripts/install_cell.py"
