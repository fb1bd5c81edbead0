"""Explorables: interactive figures that a reader moves to see an idea of Part I at work.

:func:`show` displays one, as the last expression of a cell::

    from d2lmini.book import explore
    explore.show("padding", n=7, k=3, s=2)

The figure is plain JavaScript (``d2lmini/book/explore.js``, carried inline by the output,
compressed), since neither PyTorch nor TensorFlow runs in a browser. It computes with the formulas of
:mod:`d2lmini.arithmetic` and the chapters' rules for cross-correlation and pooling;
``tests/test_explore.py`` checks it against both, and against real layers, in Chromium. It
runs in JupyterLab, Colab and on the book's site (also from ``file://``). Where scripts do not
run (a plain-text front end, a notebook not yet trusted) the output says what the figure
shows and how to see it.

The figures and their options (all optional):

``"cross-correlation"``
    ``X``, ``K``: 2-D arrays (at most 8 by 8; ``K`` no larger than ``X``); ``b``: the bias.
``"padding"``
    ``n``, ``k``, ``p``, ``s``, ``d``: input size, kernel, padding, stride, dilation;
    ``mode``: ``"pytorch"`` (padding ``p`` on each side), ``"valid"`` or ``"same"`` (Keras).
``"receptive-field"``
    ``preset``: one of :data:`PRESETS`, the stack shown first.
``"pooling"``
    ``X``: a square 2-D array (at most 8 by 8); ``k``, ``s``, ``p``; ``mode``: ``"max"`` or
    ``"avg"``; ``framework``: ``"pytorch"`` or ``"keras"``; ``ceil_mode``,
    ``count_include_pad`` (PyTorch); ``padding``: ``"valid"`` or ``"same"`` (Keras).
``"lenet"``
    ``image``: which of the shipped test images is shown first (from 0). Chapter 8's trained
    LeNet, run in the page. Its weights and images (about half a megabyte) ship with the
    book's site once, in ``_static/lenet-data.js`` (see :mod:`d2lmini.book.lenet_page`), and the
    site adds its script (``_static/lenet-page.js``) to the page that shows it: the output
    itself carries neither, so it stays small in the notebook, its downloads and its page.
    In a notebook front end it is the line saying where the figure runs.

>>> fig = show("padding", n=5, k=3, mode="same")
>>> print(repr(fig))
Interactive figure "padding" (padding, stride and dilation): it runs where the notebook's front end runs JavaScript (JupyterLab, Colab) and on the book's site.
"""
import base64
import gzip
import html
import json
import re
from pathlib import Path

__all__ = ["show", "Explorable", "FIGURES", "PRESETS"]

SCRIPT = Path(__file__).with_name("explore.js")
_SCRIPT_START = "\n<script>"

# The receptive-field figure's stacks (explore.js's PRESETS).
PRESETS = ("two 3\u00d73", "one 5\u00d75", "the chapter's stack", "LeNet-5", "AlexNet", "VGG-16")


def _int(lo, hi):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            return f"a whole number from {lo} to {hi}"
    return check


def _among(*values):
    def check(v):
        if v not in values:
            return "one of " + ", ".join(repr(x) for x in values)
    return check


def _flag(v):
    if not isinstance(v, bool):
        return "True or False"


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "a number"


def _matrix(square):
    def check(v):
        try:
            rows = [[float(x) for x in row] for row in v]
        except (TypeError, ValueError):
            return "a 2-D array of numbers"
        if not rows or not rows[0] or len({len(r) for r in rows}) != 1:
            return "a 2-D array of numbers with rows of one length"
        if len(rows) > 8 or len(rows[0]) > 8:
            return f"at most 8 by 8 (got {len(rows)} by {len(rows[0])})"
        if square and len(rows) != len(rows[0]):
            return f"square (got {len(rows)} by {len(rows[0])})"
    return check


# name: (what it shows, {option: check}); a check returns what the value must be, or None.
FIGURES = {
    "cross-correlation": ("a kernel sliding over an input, each product and the sum",
                          {"X": _matrix(False), "K": _matrix(False), "b": _number}),
    "padding": ("padding, stride and dilation",
                {"n": _int(1, 16), "k": _int(1, 7), "p": _int(0, 4), "s": _int(1, 4),
                 "d": _int(1, 3), "mode": _among("pytorch", "valid", "same")}),
    "receptive-field": ("the receptive field of a stack of layers",
                        {"preset": _among(*PRESETS)}),
    "pooling": ("max and average pooling in PyTorch and Keras",
                {"X": _matrix(True), "k": _int(1, 4), "s": _int(1, 4), "p": _int(0, 2),
                 "mode": _among("max", "avg"), "framework": _among("pytorch", "keras"),
                 "ceil_mode": _flag, "count_include_pad": _flag,
                 "padding": _among("valid", "same")}),
    "lenet": ("chapter 8's trained LeNet classifying a test image or a drawing",
              {"image": _int(0, 9999)}),
}
# Figures whose data and script the book's site ships (book/_static): their output holds
# neither, and runs only where the site's page loads them.
SITE_FIGURES = {"lenet": "the LeNet chapter (8)"}


def _plain(value):
    """Options as JSON can hold them (NumPy arrays and numbers become lists and floats)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def script():
    """``explore.js`` as an output carries it: without comments and indentation (a chapter
    page, its source and its downloads each hold a copy, so every kilobyte counts)."""
    lines = []
    for line in SCRIPT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("//", "/*", "* ", "*/")) and line != "*":
            lines.append(line)
    return "\n".join(lines)


# What a figure's output carries: explore.js, gzip-compressed and base64-encoded, and a
# loader that unpacks it with the browser's DecompressionStream (Chromium 80, Firefox 113,
# Safari 16.4). A chapter's output is copied into its page's source and three downloads, so
# the script is repeated; packed, each copy is about 12 kB instead of 40 kB (as JSON). The
# site's pages drop these copies and load the plain script once, from _static/explore.js
# (book/_ext/cnnbook.py finds them by LOADER_MARK). Where the loader cannot run, the
# figure's text says what it shows.
LOADER_MARK = "/* cnnbook-explore: d2lmini/book/explore.js, gzip + base64 */"
_LOADER = """(function (data, version) {
var x = window.CNNExplore;
if (x && x.version >= version) { x.mountAll(); return; }
if (!window.DecompressionStream) { return; }
var bytes = Uint8Array.from(atob(data), function (c) { return c.charCodeAt(0); });
new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")))
.text().then(function (code) {
var s = document.createElement("script");
s.textContent = code;
document.head.appendChild(s);
});
})("%s", %d);"""
_PACKED = re.compile(r'\}\)\("([A-Za-z0-9+/=]*)", \d+\);</script>$')


def packed():
    """The ``<script>`` element a figure's output ends with: :func:`script`, packed."""
    text = script()
    version = int(re.search(r"var VERSION = (\d+);", text).group(1))
    data = base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")
    return f"{_SCRIPT_START}{LOADER_MARK}\n{_LOADER % (data, version)}</script>"


def unpacked(html_text):
    """The script a figure's HTML output carries (``None`` if it carries none packed)."""
    m = _PACKED.search(html_text)
    if not m:
        return None
    return gzip.decompress(base64.b64decode(m.group(1))).decode("utf-8")


class Explorable:
    """One interactive figure; its HTML output carries the script that draws it."""

    def __init__(self, name, **options):
        if name not in FIGURES:
            raise ValueError(f"no figure {name!r}; the figures are: {', '.join(FIGURES)}")
        checks = FIGURES[name][1]
        for key, value in options.items():
            if key not in checks:
                raise TypeError(f"figure {name!r} has no option {key!r}; its options are: "
                                f"{', '.join(checks)}")
            problem = checks[key](_plain(value))
            if problem:
                raise ValueError(f"figure {name!r}: {key}={value!r} must be {problem}")
        if name == "cross-correlation" and {"X", "K"} <= set(options):
            X, K = _plain(options["X"]), _plain(options["K"])
            if len(K) > len(X) or len(K[0]) > len(X[0]):
                raise ValueError(f"figure {name!r}: the kernel K ({len(K)} by {len(K[0])}) "
                                 f"must fit into X ({len(X)} by {len(X[0])})")
        self.name = name
        self.options = {k: _plain(v) for k, v in options.items()}

    def __repr__(self):
        if self.name in SITE_FIGURES:
            return (f'Interactive figure "{self.name}" ({FIGURES[self.name][0]}): it runs on '
                    f"the book's site, on the page of {SITE_FIGURES[self.name]}, which ships "
                    "the trained weights (in a clone of the book: make book, then open "
                    "_build/html/notebooks/08-lenet.html).")
        return (f'Interactive figure "{self.name}" ({FIGURES[self.name][0]}): it runs where '
                "the notebook's front end runs JavaScript (JupyterLab, Colab) and on the "
                "book's site.")

    def _repr_html_(self):
        options = html.escape(json.dumps(self.options, sort_keys=True), quote=True)
        if self.name in SITE_FIGURES:
            # No script: the site's page loads it (book/_ext/cnnbook.py). data-mounted keeps
            # explore.js, run by another figure of the same page or notebook, from claiming
            # the figure; lenet-page.js mounts it and sets "true".
            return (f'<div class="cnnbook-explore" data-explore="{self.name}" '
                    f'data-mounted="fallback" data-options="{options}"><p class="cx-fallback">'
                    f"{html.escape(repr(self))}</p></div>")
        # The script is inline (packed) so that the output works alone: in JupyterLab and
        # Colab, and in a downloaded copy. It mounts each figure once.
        return (f'<div class="cnnbook-explore" data-explore="{self.name}" '
                f'data-options="{options}"><p class="cx-fallback">{html.escape(repr(self))}'
                f"</p></div>{packed()}")


def show(name, **options):
    """Display the interactive figure ``name`` (the last expression of a cell); see the
    module's docstring for the figures and their options. Raises ``ValueError`` naming the
    figures, or the option's allowed values, when one is wrong."""
    return Explorable(name, **options)



def refresh(path):
    """Bring the figures' script in notebook ``path`` up to date without running it.

    A committed output carries the script of ``d2lmini/book/explore.js`` as it was when the cell
    ran; after the script changes, this rewrites each figure output's script (its options,
    which come from the run, stay). An output whose packed script unpacks to the current one
    is left alone, whatever compressor packed it. Returns the number of outputs changed; the file is
    rewritten (atomically, in Jupyter's own format: needs ``nbformat``) only when one did.
    """
    import nbformat
    from ..files import atomic_write_text
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    current, fresh_script = script(), packed()
    changed = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            html_text = out.get("data", {}).get("text/html", "")
            if 'class="cnnbook-explore"' not in html_text or _SCRIPT_START not in html_text:
                continue
            if unpacked(html_text) == current and LOADER_MARK in html_text:
                continue
            fresh = html_text.split(_SCRIPT_START, 1)[0] + fresh_script
            if fresh != html_text:
                out["data"]["text/html"] = fresh
                changed += 1
    if changed:
        atomic_write_text(path, nbformat.writes(nb) + "\n")
    return changed


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog="python -m d2lmini.book.explore",
        description="Bring the interactive figures' script in notebooks up to date "
                    "(after editing d2lmini/book/explore.js), without running them.")
    parser.add_argument("notebooks", nargs="+", help="notebooks (.ipynb)")
    args = parser.parse_args(argv)
    for name in args.notebooks:
        print(f"{name}: {refresh(name)} figure output(s) updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
