"""Sphinx extension for the book site (loaded by ``_config.yml``, ``sphinx.local_extensions``).

It does three things:

* serves ``book/_static`` (framework tabs, styles, the vendored MathJax) and adds the
  framework-tab script and style sheet to every page;
* after the sources are read, runs the single-framework exporter
  (``python -m d2lmini.book.export NOTEBOOK... --out DIR``) on every notebook in the table of
  contents and puts the results in the site, next to a copy of the full notebook::

      _build/html/downloads/NAME.ipynb              both frameworks
      _build/html/downloads/pytorch/NAME.ipynb      PyTorch cells only
      _build/html/downloads/tensorflow/NAME.ipynb   TensorFlow cells only

  (a chapter that needs both frameworks throughout, ``d2lmini.book.export.needs_both``, has the
  full notebook only);

* on the pages of Part I's interactive figures, replaces the packed copy of
  ``d2lmini/book/explore.js`` that each figure's output carries (it lets a downloaded notebook
  run the figure alone) by one ``_static/explore.js``, written at the end of the build;

* adds the scripts of chapter 8's trained LeNet (``_static/lenet-data.js``, its weights and
  test images, about half a megabyte, and ``_static/lenet-page.js``) to the pages that show
  that figure (``explore.show("lenet")``), and to no other;

* gives every notebook page a "Run this chapter" strip under its title (download links and
  Colab / Kaggle / Binder launch links built from ``repository.url`` in ``_config.yml``), and adds the
  single-framework copies to the theme's download menu.

Any failure (exporter missing or crashing, a copy not written) is logged as a Sphinx warning,
which ``make book`` (``--warningiserror``) turns into a failed build.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from sphinx.util import logging

from d2lmini import frameworks
from d2lmini.book import explore
from d2lmini.book.export import needs_both

logger = logging.getLogger(__name__)

# Code name (cell tag, download folder) -> label, in tab order, from the package's one table.
# The book builds in the environment where d2lmini is installed (it runs d2lmini's exporter).
FRAMEWORKS = {fw: frameworks.FRAMEWORK_NAMES[fw] for fw in frameworks.FRAMEWORKS}
DOWNLOADS = "downloads"
STATIC = Path(__file__).resolve().parent.parent / "_static"


def _notebook_docs(env):
    """Docnames (sorted) whose source is a Jupyter notebook."""
    return sorted(d for d in env.found_docs if str(env.doc2path(d)).endswith(".ipynb"))


def _configure(app, config):
    if str(STATIC) not in [str(Path(app.confdir, p).resolve()) for p in config.html_static_path]:
        config.html_static_path.append(str(STATIC))
    # Jupyter Book leaves the theme's colour mode empty, which its script reports as an error
    # in the console; the figures are drawn for a light page.
    # (pydata-sphinx-theme reads it from html_context).
    config.html_context = {"default_mode": "light", **(config.html_context or {})}


def _thebe_enabled(app):
    launch = (app.config.html_theme_options or {}).get("launch_buttons") or {}
    return str(launch.get("thebe", False)).lower() == "true"


def _tidy_assets(app, pagename, templatename, context, doctree):
    """Drop repeated scripts (sphinx-thebe registers its inline configuration twice, a
    JavaScript error) and, with live code off (``launch_buttons.thebe: false``), thebe
    altogether, so no page even names the thebe CDN."""
    keep_thebe = _thebe_enabled(app)
    for key in ("script_files", "css_files"):
        seen, kept = set(), []
        for asset in context.get(key, []):
            name = str(getattr(asset, "filename", asset) or "")
            body = str(getattr(asset, "attributes", {}).get("body", ""))
            if (name, body) in seen:
                continue
            seen.add((name, body))
            if not keep_thebe and ("thebe" in name or "THEBE_JS_URL" in body):
                continue
            kept.append(asset)
        if key in context:
            context[key] = kept


# Figures whose script and data the site ships in _static (d2lmini.book.explore.SITE_FIGURES):
# the marker in a page's body, and the scripts that page loads, data first.
SITE_FIGURE_SCRIPTS = {'data-explore="lenet"': ("lenet-data.js", "lenet-page.js")}


def _site_figure_scripts(app, pagename, templatename, context, doctree):
    """Load a site figure's data and script on the pages that show it, in <head> (Sphinx
    adds a file called for here to this page only)."""
    body = context.get("body") or ""
    for marker, scripts in SITE_FIGURE_SCRIPTS.items():
        if marker in body:
            for name in scripts:
                app.add_js_file(name)


# The <script> each figure's output ends with (d2lmini.book.explore.packed).
_PACKED_EXPLORE = re.compile(r"\n?<script>" + re.escape(explore.LOADER_MARK) + r".*?</script>",
                             re.S)


def _explore_from_static(app, pagename, templatename, context, doctree):
    """A page with figures of explore.js loads the script once, from _static, instead of
    unpacking one copy per figure (the page stays small, and works from file://)."""
    body = context.get("body") or ""
    if explore.LOADER_MARK in body:
        context["body"] = _PACKED_EXPLORE.sub("", body)
        app.add_js_file("explore.js")


def _write_explore(app, exception):
    if exception is None and app.builder.format == "html":
        (Path(app.outdir) / "_static" / "explore.js").write_text(explore.script() + "\n",
                                                                  encoding="utf-8")


def _needs_both(path):
    """True for a chapter marked as needing both frameworks (``d2lmini.book.export.needs_both``)."""
    return needs_both(json.loads(Path(path).read_text(encoding="utf-8")))


def _export(app, env):
    """Run the exporter once over all notebooks and copy the full notebooks beside them."""
    if app.builder.format != "html":
        return []
    docs = _notebook_docs(env)
    app.env.cnnbook_downloads = {}
    if not docs:
        return []
    out = Path(app.outdir) / DOWNLOADS
    sources = [Path(env.doc2path(d)) for d in docs]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        logger.warning("cnnbook: two notebooks share a file name; downloads would collide: %s",
                       ", ".join(sorted(names)))
        return []
    for fw in FRAMEWORKS:
        shutil.rmtree(out / fw, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "d2lmini.book.export", *map(str, sources), "--out", str(out),
           "--no-student"]  # the site offers the chapters with their solutions
    logger.info("cnnbook: exporting single-framework notebooks (%d)", len(sources))
    try:
        run = subprocess.run(cmd, cwd=app.srcdir, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("cnnbook: could not run the exporter (%s): %s", " ".join(cmd[1:3]), exc)
        return []
    if run.returncode != 0:
        logger.warning("cnnbook: `python -m d2lmini.book.export` failed (exit %d):\n%s",
                       run.returncode, (run.stderr or run.stdout).strip()[-2000:])
        return []
    for doc, src in zip(docs, sources):
        shutil.copy2(src, out / src.name)
        files = {"both": f"{DOWNLOADS}/{src.name}"}
        if _needs_both(src):  # a chapter about the two frameworks: the full notebook only
            app.env.cnnbook_downloads[doc] = files
            continue
        for fw in FRAMEWORKS:
            if not (out / fw / src.name).is_file():
                logger.warning("cnnbook: the exporter did not write %s/%s", fw, src.name,
                               location=doc)
                continue
            files[fw] = f"{DOWNLOADS}/{fw}/{src.name}"
        app.env.cnnbook_downloads[doc] = files
    return []


def _launch_urls(app, docname):
    """Colab, Kaggle and Binder links for a notebook page, from the repository settings."""
    opts = app.config.html_theme_options or {}
    repo = (opts.get("repository_url") or "").rstrip("/")
    if not repo.startswith("https://github.com/"):
        return {}
    slug = repo[len("https://github.com/"):]
    branch = opts.get("repository_branch") or "main"
    relpath = (opts.get("path_to_docs") or "").strip("/")
    path = str(Path(app.env.doc2path(docname, base=False)).as_posix())
    if relpath:
        path = f"{relpath}/{path}"
    launch = opts.get("launch_buttons") or {}
    urls = {}
    colab = (launch.get("colab_url") or "").rstrip("/")
    if colab:
        urls["Colab"] = f"{colab}/github/{slug}/blob/{quote(branch)}/{quote(path)}"
    kaggle = (launch.get("kaggle_url") or "").rstrip("/")
    if kaggle:  # Kaggle imports a notebook from its GitHub page
        github = f"https://github.com/{slug}/blob/{quote(branch)}/{quote(path)}"
        urls["Kaggle"] = f"{kaggle}/kernels/welcome?src={quote(github, safe='')}"
    binder = (launch.get("binderhub_url") or "").rstrip("/")
    if binder:
        ui = "lab/tree" if launch.get("notebook_interface", "jupyterlab") == "jupyterlab" else "tree"
        urls["Binder"] = f"{binder}/v2/gh/{slug}/{quote(branch)}?urlpath={quote(ui + '/' + path)}"
    return urls


def _page_context(app, pagename, templatename, context, doctree):
    files = getattr(app.env, "cnnbook_downloads", {}).get(pagename)
    if not files or "body" not in context:
        return
    pathto = context["pathto"]
    stem = Path(files["both"]).stem
    links = [(pathto(files["both"], 1), f"{stem}.ipynb", "Notebook (both frameworks)")]
    for fw, label in FRAMEWORKS.items():
        if fw in files:
            links.append((pathto(files[fw], 1), f"{stem}-{fw}.ipynb", f"{label} only"))
    parts = [
        f'<a class="cnnbook-dl" href="{html.escape(url)}" download="{html.escape(name)}">'
        f'<i class="fas fa-download" aria-hidden="true"></i> {html.escape(text)}</a>'
        for url, name, text in links
    ]
    launch = [
        f'<a class="cnnbook-launch" href="{html.escape(url)}" rel="noopener">'
        f'<i class="fas fa-rocket" aria-hidden="true"></i> {html.escape(name)}</a>'
        for name, url in _launch_urls(app, pagename).items()
    ]
    strip = ['<nav class="cnnbook-run" aria-label="Run this chapter">',
             '<span class="cnnbook-run__label">Get this chapter:</span> ', " ".join(parts)]
    if launch:
        strip += [' <span class="cnnbook-run__label">Open in:</span> ', " ".join(launch)]
    strip.append("</nav>")
    body = context["body"]
    cut = body.find("</h1>")
    cut = cut + len("</h1>") if cut >= 0 else 0
    context["body"] = body[:cut] + "\n" + "".join(strip) + "\n" + body[cut:]

    # The theme's download menu: add the single-framework copies after its ".ipynb" entry.
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            extra = [
                {
                    "type": "link",
                    "url": url,
                    "text": text.replace(" only", ".ipynb"),
                    "tooltip": f"Download the notebook with {text.replace(' only', '')} code only",
                    "icon": "fas fa-code",
                    "label": f"download-{name.rsplit('-', 1)[-1][:-6]}-button",
                }
                for url, name, text in links[1:]
            ]
            group["buttons"][1:1] = extra


def setup(app):
    # MathJax on every page, not only on pages with formulas in their body: chapter titles
    # with math appear in every page's navigation (and on the search page).
    app.set_html_assets_policy("always")
    app.connect("config-inited", _configure)
    app.connect("env-updated", _export)
    # After the book theme has built its header buttons (priority 501).
    app.connect("html-page-context", _page_context, priority=600)
    app.connect("html-page-context", _site_figure_scripts, priority=550)
    app.connect("html-page-context", _explore_from_static, priority=550)
    app.connect("build-finished", _write_explore)
    app.connect("html-page-context", _tidy_assets, priority=600)
    # Loaded in <head> without defer so the reader's framework is applied before first paint.
    app.add_js_file("framework-tabs.js")
    app.add_js_file("cnnbook.js")
    app.add_js_file("selfcheck.js")
    app.add_js_file("solutions.js")
    app.add_css_file("framework-tabs.css")
    app.add_css_file("cnnbook.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
