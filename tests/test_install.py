"""d2lmini as readers install it: the built wheel, a clean environment, the notebooks' install cell.

An editable install (``make setup``) would hide a wheel that misses a module or a data file,
so these tests build the wheel and the sdist from a copy of the checkout and install them
where nothing else is.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import serve_folder
from d2lmini import __version__
from d2lmini.book import export

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import install_cell  # noqa: E402

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
# pip and venv read no user or machine configuration here: the tests choose the index.
ISOLATED = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1"}


def run(*args, env=None, **kwargs):
    """Run a command; on failure show its output (pip's errors are the useful part)."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          env={**os.environ, **ISOLATED, **(env or {})}, **kwargs)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel and sdist that ``python -m build`` makes from a copy of the checkout."""
    tmp = tmp_path_factory.mktemp("build")
    src = tmp / "src"  # a copy, so that the build leaves nothing in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "d2lmini", src / "d2lmini",
                    ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp / "dist", src)
    wheel, = (tmp / "dist").glob("d2lmini-*.whl")
    sdist, = (tmp / "dist").glob("d2lmini-*.tar.gz")
    return wheel, sdist


# ---------------------------------------------------------------- the built package
def test_wheel_holds_every_module_the_manifest_and_the_licence(dist):
    wheel, _ = dist
    assert wheel.name == f"d2lmini-{__version__}-py3-none-any.whl"  # one version, from __init__
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"d2lmini/{p.relative_to(ROOT / 'd2lmini').as_posix()}"
                for p in (ROOT / "d2lmini").rglob("*.py")}
    assert expected <= names, sorted(expected - names)
    assert "d2lmini/backend_torch/models.py" in names and "d2lmini/data/bookfiles.json" in names
    assert f"d2lmini-{__version__}.dist-info/licenses/LICENSE" in names


def test_metadata_a_package_index_shows(dist):
    wheel, sdist = dist
    run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
    meta = zipfile.ZipFile(wheel).read(f"d2lmini-{__version__}.dist-info/METADATA").decode()
    for field in ("License-Expression: MIT", "Requires-Python: >=3.10",
                  "Project-URL: Source, https://github.com/", "Classifier: Intended Audience :: Education",
                  "Provides-Extra: torch", "Description-Content-Type: text/markdown"):
        assert field in meta, field
    pins = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")
            and "extra ==" not in line]
    assert pins and not any("==" in p or "<" in p for p in pins), pins  # no upper pins


@pytest.fixture(scope="module")
def clean_env(dist, tmp_path_factory):
    """A new virtual environment with the wheel and its dependencies only (no framework)."""
    env = tmp_path_factory.mktemp("clean") / "venv"
    run(sys.executable, "-m", "venv", env)
    run(env / "bin" / "python", "-m", "pip", "install", "--quiet", dist[0])
    return env / "bin" / "python"


def test_import_without_any_framework(clean_env):
    code = ("import importlib.util, d2lmini; from d2lmini import arithmetic; from d2lmini.data import fashion_mnist;"
            "assert importlib.util.find_spec('torch') is None;"
            "assert importlib.util.find_spec('tensorflow') is None;"
            "print(d2lmini.__version__, arithmetic.conv_output_size(28, 5, 1, 2))")
    assert run(clean_env, "-c", code, cwd="/").split() == [__version__, "28"]


@pytest.mark.parametrize("module,package", [("torch", "PyTorch"), ("tensorflow", "TensorFlow")])
def test_a_missing_framework_is_one_line_that_says_what_to_install(clean_env, module, package):
    done = subprocess.run([str(clean_env), "-c", f"from d2lmini import {module}"], cwd="/",
                          capture_output=True, text=True)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (f"ModuleNotFoundError: d2lmini.{module} needs {package}, which is not "
                    f"installed here: pip install 'd2lmini[{module}]' (or install {package} "
                    f"your own way)")


NUMPY_CHECK = """
import numpy as np, d2lmini
from d2lmini import arithmetic
from d2lmini.data import fashion_mnist
X, y, Xt, yt = fashion_mnist.load_arrays()   # reads and verifies the IDX files with numpy
assert X.shape == (60000, 28, 28) and yt.dtype == np.int64 and y.max() == 9
print(np.__version__, arithmetic.conv_output_size(7, 3, 2, 1))
"""


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="needs the Debian package dataset-fashion-mnist (make setup)")
@pytest.mark.parametrize("numpy", ["oldest", "newest"])
def test_oldest_and_newest_numpy(numpy, clean_env, dist, tmp_path):
    """The framework-free half of d2lmini on numpy 1.26 (the lower bound) and the newest."""
    python = clean_env
    if numpy == "oldest":
        run(sys.executable, "-m", "venv", tmp_path / "old")
        python = tmp_path / "old" / "bin" / "python"
        run(python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", "numpy==1.26.4",
            dist[0])
    version, size = run(python, "-c", NUMPY_CHECK, cwd="/").split()
    assert size == "4"
    assert version.startswith("1.26.") if numpy == "oldest" else int(version.split(".")[0]) >= 2


# ---------------------------------------------------------------- the install cell
def test_every_notebook_starts_with_the_install_cell():
    assert install_cell.main(["--check"]) == 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "".join(first["source"]) == install_cell.cell_source(), path.name
        assert "install" in first["metadata"]["tags"], path.name


def test_the_install_cell_pins_this_version_of_the_book():
    source = install_cell.cell_source()
    assert f"@v{__version__}\"" in source and "git+https://github.com/" in source
    assert install_cell.cell_source(from_index=True).count(f"d2lmini=={__version__}") == 1
    assert "torch" not in install_cell.requirement() and "[" not in install_cell.requirement()


@pytest.fixture(scope="module")
def student_python(tmp_path_factory):
    """A virtual environment like Colab's: the frameworks, Jupyter and numpy, no d2lmini.

    Rather than installing gigabytes again, it sees this test environment's packages through
    a folder of links that leaves d2lmini out.
    """
    tmp = tmp_path_factory.mktemp("student")
    run(sys.executable, "-m", "venv", tmp / "venv")
    ours = Path(next(p for p in sys.path if p.endswith("site-packages")))
    shared = tmp / "shared-packages"
    shared.mkdir()
    for entry in ours.iterdir():
        if "d2lmini" not in entry.name and "__editable__" not in entry.name:
            (shared / entry.name).symlink_to(entry)
    site, = (tmp / "venv" / "lib").glob("python3*/site-packages")
    (site / "zz-shared.pth").write_text(f"{shared}\n")
    python = tmp / "venv" / "bin" / "python"
    assert run(python, "-c", "import importlib.util as u; print(u.find_spec('d2lmini'), "
               "u.find_spec('torch') is not None)", cwd=tmp).split() == ["None", "True"]
    kernels = tmp / "jupyter" / "kernels" / "student"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student", "language": "python"}))
    return python, tmp / "jupyter"


def execute_alone(nb, folder, kernel_name):
    folder.mkdir()
    client = nbclient.NotebookClient(nbformat.from_dict(nb), timeout=600,
                                     kernel_name=kernel_name,
                                     resources={"metadata": {"path": str(folder)}})
    return client.execute()


def test_the_install_cell_installs_d2lmini_once(dist, student_python, tmp_path, monkeypatch,
                                                closed_port_url):
    """An exported chapter runs where d2lmini is missing: its first cell installs the wheel
    from a package index (here on 127.0.0.1); a second run finds it and installs nothing."""
    python, jupyter_path = student_python
    index = tmp_path / "index"
    (index / "simple" / "d2lmini").mkdir(parents=True)
    shutil.copy(dist[0], index / "simple" / "d2lmini" / dist[0].name)
    nb = export.single_framework(
        json.loads((ROOT / "notebooks" / "08-lenet.ipynb").read_text(encoding="utf-8")),
        "pytorch")
    for name, value in {**ISOLATED, "JUPYTER_PATH": str(jupyter_path), "D2LMINI_QUICK": "1",
                        "D2LMINI_PIP_SPEC": f"d2lmini=={__version__}"}.items():
        monkeypatch.setenv(name, value)
    with serve_folder(index) as url:
        monkeypatch.setenv("PIP_INDEX_URL", f"{url}/simple/")
        first = execute_alone(nb, tmp_path / "first", "student")
    where = run(python, "-c", "import d2lmini; print(d2lmini.__file__)", cwd=tmp_path)
    assert str(python.parent.parent) in where  # installed in the student's environment
    printed = "".join(o.get("text", "") for c in first.cells if c["cell_type"] == "code"
                      for o in c.get("outputs", []))
    assert "test acc" in printed  # the chapter trained after the install

    # Second run: the index is gone; a cell that tried to install would fail.
    monkeypatch.setenv("PIP_INDEX_URL", closed_port_url)
    second = execute_alone(nb, tmp_path / "second", "student")
    install = next(c for c in second.cells if "install" in c["metadata"].get("tags", []))
    assert [o["output_type"] for o in install["outputs"]] == ["stream"]  # no pip, no error
    assert install["outputs"][0]["text"].startswith("Python ")  # the versions in use


# ---------------------------------------------------------------- Binder
def test_binder_gets_the_pinned_environment_and_the_data():
    """mybinder.org builds environment.yml, then runs postBuild (which fetches the data)."""
    env = (ROOT / "environment.yml").read_text()
    extras = (ROOT / "pyproject.toml").read_text()
    stack = re.search(r"^NEWEST_STACK := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    specs = [p for p in stack.group(1).split() if p.startswith(("torch==", "tensorflow-cpu==",
                                                              "keras=="))]
    specs.append(re.search(r'"(jupyter-book<[^"]+)"', extras).group(1))
    assert len(specs) == 4, specs
    for spec in specs:
        assert f"- {spec}\n" in env, spec  # the frameworks of the stack `make test` tests
    assert "-e .[" in env and "lab" in env
    post = ROOT / "postBuild"
    assert os.access(post, os.X_OK) and post.read_text().startswith("#!/bin/bash")
    assert "fashion_mnist.load_arrays()" in post.read_text()
    # Run its command with the data at hand (it verifies the files; no download here).
    command = next(line for line in post.read_text().splitlines() if line.startswith("python"))
    done = subprocess.run(command, shell=True, capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert done.returncode == 0 and "Fashion-MNIST ready: (60000, 28, 28)" in done.stdout, done.stderr
