"""JupyterLab, tested like the site: a chapter run in Chromium, as a reader does with `make lab`.

A JupyterLab server starts on 127.0.0.1 (a free port, a token, ``--allow-root`` as root, as
the Makefile's ``lab`` target passes it) over a temporary copy of the LeNet chapter, with
``D2LMINI_QUICK=1`` in its environment. Playwright drives Debian's Chromium (launched as in
``tests/test_site.py``) to open the notebook, start Run > Run All Cells, and check that the
PyTorch training cell (``train_ch6``) shows the live training plot, redrawn as training runs,
and its summary line; no output is a traceback and no request leaves the local server. Then
File > Save Notebook must write the new outputs and, through jupytext's pairing, the ``.md``
twin: jupytext's server and lab extensions stay active, as under `make lab`, and the copy
starts without the twin. Jupyter's config, data and runtime folders and IPython's folder are
temporary, so nothing is written to the home folder or the checkout; the server and its
kernel are stopped however the test ends. About a minute on 2 busy cores.

The test skips when JupyterLab, Playwright or Chromium is missing. A unit test checks the
``lab`` target's command line (``make -n``) for ``--allow-root`` as root.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from test_site import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "08-lenet.ipynb"
# The PyTorch training cell: train_ch6 draws the live plot, then prints the summary line.
TRAIN_CELL_SOURCE = "d2l.train_ch6(net, train_iter"
STARTUP_TIMEOUT = 90  # s, for the server to answer
RUN_TIMEOUT = 150  # s, for Run All to get through the PyTorch training cell in quick mode

# JupyterLab's user settings for the test: every cell in the DOM (no windowing, so the
# locators see cells below the fold) and no notifications that would ask to go online.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc):
    """Stop the server and everything it started (its kernels): they share a session."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server shuts its kernels down
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
    except ProcessLookupError:
        pass
    proc.wait()


class Lab:
    """A running server: its base URL, token, root folder (the copy) and log file."""

    def __init__(self, url, token, root, log):
        self.url, self.token, self.root, self.log = url, token, root, log

    def log_tail(self, n=4000):
        return self.log.read_text(errors="replace")[-n:]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("JupyterLab is not installed (it is in the `test` and `lab` extras: "
                    "pip install -e '.[test]')")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: run `make system-deps` (Debian package "
                    "`chromium`) or set CHROMIUM to a Chromium binary")

    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    root.mkdir()
    shutil.copy2(CHAPTER, root / CHAPTER.name)  # quick mode saves no results/, needs no twin
    config = tmp / "jupyter-config"
    settings = config / "lab" / "user-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    env = dict(os.environ)
    env.update({
        "D2LMINI_QUICK": "1",
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
        "IPYTHONDIR": str(tmp / "ipython"),
        # The python3 kernel is ipykernel's, in sys.prefix/share/jupyter (always searched);
        # JUPYTER_PATH keeps whatever the caller set.
        "PYTHONUNBUFFERED": "1",
    })
    port, token = _free_port(), os.urandom(16).hex()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        # Nothing goes online: no news, no update checks, no extension listing from PyPI.
        "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # jupyter-lsp looks for language servers, running `npm` (which logs to ~/.npm).
        "--LanguageServerManager.autodetect=False",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # as the Makefile's `lab` target does
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    server = Lab(url, token, root, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                req = urllib.request.Request(f"{url}/api/status",
                                             headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {STARTUP_TIMEOUT} s:\n"
                            f"{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright
    # Chromium's own files (crash reports, dconf) go to the temporary folder too.
    env = dict(os.environ, XDG_CONFIG_HOME=str(lab.root.parent / "xdg-config"),
               XDG_CACHE_HOME=str(lab.root.parent / "xdg-cache"))
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                               env=env)
        try:
            yield b
        finally:
            b.close()


PLOT_WATCHER = """cell => {
    window.__trainPlots = new Set();
    const grab = () => cell.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output svg')
        .forEach(e => window.__trainPlots.add(e.src || e.outerHTML));
    new MutationObserver(grab).observe(cell, {subtree: true, childList: true, attributes: true});
}"""


def _outputs_text(page):
    return page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()


@pytest.mark.browser
def test_chapter_runs_in_lab(lab, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    external = []

    def route(r):
        if r.request.url.startswith(lab.url + "/") or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:  # JupyterLab works offline: nothing leaves the local server
            external.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        page.goto(f"{lab.url}/lab/tree/{CHAPTER.name}?token={lab.token}&reset",
                  wait_until="load")
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        notebook.wait_for(timeout=60_000)
        # The kernel is ready once the status bar names it and says Idle (the toolbar's
        # indicator says idle before, while the status bar still reads "No Kernel").
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('#jp-main-statusbar *')).some("
            "e => /^(?!No Kernel).+ \\| Idle$/.test(e.textContent.trim()))", timeout=90_000)
        cells = notebook.locator(".jp-CodeCell")
        n_code = sum(c["cell_type"] == "code"
                     for c in json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"])
        page.wait_for_function(
            "n => document.querySelectorAll("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell').length >= n",
            arg=n_code, timeout=60_000)

        train = cells.filter(has_text=TRAIN_CELL_SOURCE)
        assert train.count() == 1, f"no single cell with {TRAIN_CELL_SOURCE!r}"
        # Every image the training cell shows, as it is drawn: a live plot is redrawn as the
        # points come in. (The committed outputs are not images here: JupyterLab shows an
        # untrusted notebook's SVG figures as text, until the cells run again.)
        train.evaluate(PLOT_WATCHER)

        # Run > Run All Cells, through the menu as a reader does.
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()

        outputs = train.locator(".jp-OutputArea-output")
        # The notebook comes with the outputs of a full run: only quick mode prints this line
        # (result.save writes nothing), last in the cell, so the outputs are then all new.
        done = outputs.filter(has_text="quick mode: not writing")
        # The live plot is displayed at the first point of the curve, before the summary.
        plot = outputs.first.locator("img, svg")
        summary = outputs.filter(has_text="test acc")
        try:
            done.wait_for(timeout=RUN_TIMEOUT * 1000)
        except Exception as exc:  # noqa: BLE001 (any failure: show the page and the log)
            pytest.fail(f"{exc}\noutputs so far: {_outputs_text(page)}\n"
                        f"server log:\n{lab.log_tail()}")
        text = summary.first.inner_text()
        assert "train acc" in text and "examples/sec" in text, text
        box = plot.first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, box
        src = plot.first.get_attribute("src") or ""
        assert src.startswith("data:image/svg+xml") or plot.first.evaluate(
            "e => e.tagName.toLowerCase() === 'svg'"), src[:80]
        drawn = page.evaluate("() => window.__trainPlots.size")
        print(f"the training plot was drawn {drawn} times")
        assert drawn >= 2, "the training plot was drawn once, not updated as training ran"
        # No cell raised: a traceback would be in the outputs.
        texts = _outputs_text(page)
        assert not [t for t in texts if "Traceback" in t], texts
        assert not page_errors, page_errors
        assert not external, f"requests that left the local server: {external}"

        # File > Save Notebook: jupytext's pairing (ipynb,md:myst in the notebook's metadata)
        # writes the .md twin beside the copy, which had none.
        page.locator(".lm-MenuBar-item", has_text="File").first.click()
        page.locator(".lm-Menu-item[data-command='docmanager:save']").click()
        twin = lab.root / CHAPTER.with_suffix(".md").name
        deadline = time.monotonic() + 30
        while not (twin.is_file() and "quick mode: not writing" in
                   (lab.root / CHAPTER.name).read_text(encoding="utf-8")):
            assert time.monotonic() < deadline, (
                f"saving did not write {twin.name} and the new outputs:\n{lab.log_tail()}")
            page.wait_for_timeout(500)  # not time.sleep: the route handler must keep running
        assert TRAIN_CELL_SOURCE in twin.read_text(encoding="utf-8")
        assert "[E " not in lab.log.read_text(errors="replace"), lab.log_tail()
    except BaseException:
        shot = lab.root.parent / "failure.png"
        page.screenshot(path=shot)
        print(f"screenshot of the failure: {shot}")
        raise
    finally:
        context.close()


def test_an_interactive_figure_runs_in_lab(lab, browser):
    """A chapter's explore.show cell, run in JupyterLab, draws its figure (its script runs in
    the output) and the figure answers the keyboard."""
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                     "outputs": [], "source": "from d2lmini.book import explore\n"
                                              "explore.show('padding', n=7, k=3, s=2)"}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (lab.root / "figure.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        page.goto(f"{lab.url}/lab/tree/figure.ipynb?token={lab.token}&reset", wait_until="load")
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").wait_for(
            timeout=60_000)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('#jp-main-statusbar *')).some("
            "e => /^(?!No Kernel).+ \\| Idle$/.test(e.textContent.trim()))", timeout=90_000)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        figure = page.locator(".cnnbook-explore[data-mounted='true']")
        figure.wait_for(timeout=60_000)
        size = figure.locator("[data-role=size]")
        assert size.inner_text() == "3×3"  # floor((7 - 3) / 2) + 1
        figure.locator("input[data-control=n]").focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert size.inner_text() == "4×4"  # n = 9: floor((9 - 3) / 2) + 1
        assert not page_errors, page_errors
    finally:
        context.close()


def test_make_lab_allows_root():
    """`make lab` adds --allow-root as root only, and listens on 127.0.0.1 unless LAB_IP says
    otherwise (`make -n` prints the commands; LAB_UID fakes the user id)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")

    def lab_command(*args):
        out = subprocess.run([make, "-n", "-s", "lab", *args], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        lines = [line for line in out.splitlines() if "jupyter lab " in line]
        assert len(lines) == 1, out
        return lines[0].split()

    as_root = lab_command("LAB_UID=0")
    assert "--allow-root" in as_root and "--ServerApp.ip=127.0.0.1" in as_root
    assert as_root[as_root.index("lab") + 1] == "notebooks"
    assert "--allow-root" not in lab_command("LAB_UID=1000")
    custom = lab_command("LAB_UID=1000", "LAB_IP=0.0.0.0", "LAB_ARGS=--port=9999 --no-browser")
    assert custom[-3:] == ["--ServerApp.ip=0.0.0.0", "--port=9999", "--no-browser"], custom
    # Jupyter takes each option once ("ip only accepts one value, got 2"): LAB_IP sets it.
    assert sum(a.startswith(("--ip", "--ServerApp.ip")) for a in custom) == 1, custom
