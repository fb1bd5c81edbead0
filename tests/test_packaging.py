"""The wheel built from pyproject.toml holds the whole package, backends included (an
editable install would hide a missing subpackage)."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_every_module(tmp_path):
    src = tmp_path / "src"  # a copy, so that the build leaves nothing in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "d2lmini", src / "d2lmini",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(tmp_path / "dist"), str(src)], check=True)
    wheel, = (tmp_path / "dist").glob("d2lmini-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"d2lmini/{p.relative_to(ROOT / 'd2lmini').as_posix()}"
                for p in (ROOT / "d2lmini").rglob("*.py")}
    assert expected <= names, sorted(expected - names)
    assert "d2lmini/backend_torch/models.py" in names and "d2lmini/backend_tf/train.py" in names
