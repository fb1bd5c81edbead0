"""Browser tests of the built book site (``_build/html``).

Playwright for Python drives Debian's Chromium (``/usr/bin/chromium``, installed by
``scripts/system-deps.sh``; Playwright's own browser download is never used) over the site,
served by a local ``http.server`` on 127.0.0.1. Every request that leaves that server is
blocked and reported, so these tests also prove that the site works offline.

``make test`` builds the site first; run alone, these tests skip when ``_build/html`` is
missing. All tests live in this one module so that ``pytest -n 2 --dist loadscope`` runs them
on one worker that shares the server and the browser.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("CNNBOOK_SITE", ROOT / "_build" / "html"))
SCREENSHOTS = SITE / "_screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
]
# Folders of the build that hold assets, not pages.
NOT_PAGES = ("_static", "_sources", "_images", "_screenshots", "downloads", "_downloads")


def _pages():
    if not (SITE / "index.html").is_file():
        return []
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if p.relative_to(SITE).parts[0] not in NOT_PAGES
    )


PAGES = _pages()
# Links seen by test_page_loads_cleanly, {absolute URL: page}, so that the link test need
# not load every page a second time (it loads whatever is missing when run alone).
_LINKS_BY_PAGE: dict[str, list[str]] = {}
LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"


# ----------------------------------------------------------------------------- fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built site at {SITE.relative_to(ROOT) if SITE.is_relative_to(ROOT) else SITE}"
                    " (run `make book` first; `make test` does)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def require_chromium():
    """Playwright's sync API, once Chromium is known to be there (a clear failure if not)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (Debian package "
                    "`chromium`) or set CHROMIUM to a Chromium binary")
    return sync_api


@contextlib.contextmanager
def page_from_disk(path):
    """A Chromium page (1000x900) showing the file ``path`` from ``file://``, with its errors
    in ``.errors``. On leaving, fails if the page logged an error or asked for anything that
    is not on disk."""
    sync_api = require_chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        requests = []
        context.on("request", lambda r: requests.append(r.url))
        p = context.new_page()
        errors = []
        p.on("pageerror", lambda e: errors.append(str(e)))
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        p.goto(path.as_uri(), wait_until="load")
        p.errors, p.path = errors, path
        yield p
        assert not errors, errors
        assert all(u.startswith("file://") for u in requests), requests  # nothing external
        browser.close()


@pytest.fixture(scope="module")
def browser(server):
    sync_api = require_chromium()
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Visit:
    """One browser context with every request checked: only the local server is reachable."""

    def __init__(self, browser, server, javascript=True):
        self.server = server
        self.origin = server.rstrip("/")
        self.javascript = javascript
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=javascript,
            service_workers="block")
        self.console_errors, self.page_errors = [], []
        self.external, self.failed, self.bad_status = [], [], []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.page_errors.append(f"{self.page.url}: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.origin + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _failed(self, request):
        # With JavaScript off, Chromium refuses the theme's <link rel="preload" as="script">
        # (reported as "csp"): that is the switch we turned off, not a broken site.
        if not self.javascript and request.resource_type == "script" and request.failure == "csp":
            return
        # Cancelled because the page navigated on (a missing file is an HTTP 404 instead).
        if request.failure == "net::ERR_ABORTED" and request.url.startswith(self.origin + "/"):
            return
        self.failed.append(f"{request.url} ({request.failure})")

    def _console(self, msg):
        if msg.type == "error":
            self.console_errors.append(f"{self.page.url}: {msg.text}")

    def _response(self, response):
        if response.status >= 400:
            self.bad_status.append(f"{response.url} -> {response.status}")

    def open(self, path_or_url):
        url = path_or_url if "://" in path_or_url else self.server + path_or_url
        # index.html is a <meta http-equiv="refresh"> redirect to the first page of the book.
        target = _redirect_target(url)
        self.page.goto(url, wait_until="load")
        if target:
            self.page.wait_for_url(target, wait_until="load")
        self.settle()
        return self.page

    def settle(self):
        """Wait for MathJax (when the page has it) and the web fonts."""
        if self.javascript:
            self.page.evaluate(
                """async () => {
                    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                        await MathJax.startup.promise;
                    }
                    await document.fonts.ready;
                }""")

    def problems(self):
        return {
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "external requests": self.external,
            # (requests blocked above are reported once, as external)
            "failed requests": [f for f in self.failed
                                if not any(f.startswith(e + " ") for e in self.external)],
            "HTTP errors": self.bad_status,
        }

    def assert_clean(self):
        problems = {k: v for k, v in self.problems().items() if v}
        assert not problems, json.dumps(problems, indent=1)

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, server):
    opened = []

    def make(javascript=True):
        v = Visit(browser, server, javascript)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


def _chapters():
    """Notebook pages (their sources were .ipynb), in table-of-contents order."""
    return [p for p in PAGES if (SITE / "_sources" / p).with_suffix(".ipynb").is_file()]


@pytest.fixture(scope="module")
def chapter(server):
    chapters = _chapters()
    assert chapters, "the site has no notebook pages"
    # The chapter with the most framework cells shows the tabs best.
    return max(chapters, key=lambda p: (SITE / p).read_text(encoding="utf-8").count("tag_tensorflow"))


# ----------------------------------------------------------------------------- helpers

GROUP_STATE = """() => Array.from(document.querySelectorAll('.fw-tabs')).map(g => ({
    single: g.classList.contains('fw-tabs--single'),
    folded: g.closest('details:not([open])') !== null,
    visible: Array.from(g.querySelectorAll('.fw-tabs__panel'))
        .filter(p => p.offsetParent !== null && p.getClientRects().length > 0)
        .map(p => p.dataset.fw),
    selected: Array.from(g.querySelectorAll('.fw-tabs__tab[aria-selected="true"]'))
        .map(t => t.dataset.fw),
}))"""


def _assert_framework_shown(page, fw):
    groups = page.evaluate(GROUP_STATE)
    assert groups, "no framework tab groups on the chapter page"
    assert page.evaluate("() => document.documentElement.dataset.framework") == fw
    for i, g in enumerate(groups):
        if g["folded"]:  # inside a solution not yet shown: it must still follow the choice
            assert g["single"] or g["selected"] == [fw], f"group {i} selects {g['selected']}, expected {fw}"
            continue
        if g["single"]:
            assert len(g["visible"]) == 1, f"group {i}: {g}"
        else:
            assert g["visible"] == [fw], f"group {i} shows {g['visible']}, expected {fw}"
            assert g["selected"] == [fw], f"group {i} selects {g['selected']}, expected {fw}"


def _redirect_target(url):
    """Where a page's <meta http-equiv="refresh"> sends the reader (None if it does not)."""
    path = SITE / urllib.parse.urlsplit(url).path.lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    if path.suffix != ".html" or not path.is_file():
        return None
    head = path.read_text(encoding="utf-8", errors="replace")[:2000]
    m = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', head, re.I)
    return urllib.parse.urljoin(url, m.group(1)) if m else None


def _ids(html):
    return set(re.findall(r'\sid="([^"]+)"', html)) | set(re.findall(r'\sname="([^"]+)"', html))


# ----------------------------------------------------------------------------- tests


def test_site_has_pages():
    if not PAGES:
        pytest.skip("no built site at _build/html (run `make book` first; `make test` does)")
    assert "index.html" in PAGES and _chapters(), PAGES


def test_no_remote_assets_in_files():
    """No page or style sheet even names a remote script, style sheet, font or image (the
    browser tests below see only what a visit loads; this also covers what loads on demand)."""
    if not PAGES:
        pytest.skip("no built site at _build/html (run `make book` first; `make test` does)")
    remote = re.compile(
        r"""<(?:script|img|iframe|source|embed)\b[^>]*\bsrc=["']?(?:https?:)?//"""
        r"""|<link\b(?=[^>]*\brel=["']?(?:stylesheet|preload|icon|modulepreload|prefetch))"""
        r"""[^>]*\bhref=["']?(?:https?:)?//"""
        r"""|@import\s+(?:url\()?["']?(?:https?:)?//|url\(["']?(?:https?:)?//""", re.I)
    found = []
    for path in sorted(SITE.rglob("*")):
        if path.suffix not in (".html", ".css") or "_screenshots" in path.parts:
            continue
        for m in remote.finditer(path.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{path.relative_to(SITE)}: {m.group(0)[:120]}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("page", PAGES or ["index.html"])
def test_page_loads_cleanly(visit, page):
    """No console errors, no failed, erroring or external requests, every image loaded,
    every formula typeset."""
    v = visit()
    p = v.open(page)
    v.assert_clean()
    images = p.evaluate("""() => Array.from(document.images).map(i => ({
        src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}))""")
    broken = [i["src"] for i in images if not i["ok"]]
    assert not broken, f"images that did not load on {page}: {broken}"
    math = p.evaluate("""() => Array.from(document.querySelectorAll('.math')).map(m => ({
        text: m.textContent.slice(0, 60),
        typeset: m.querySelector('mjx-container') !== null,
        error: m.querySelector('mjx-merror') !== null}))""")
    untypeset = [m["text"] for m in math if not m["typeset"] or m["error"]]
    assert not untypeset, f"formulas not typeset on {page}: {untypeset}"
    _LINKS_BY_PAGE[page] = p.evaluate(LINKS_JS)


def test_math_is_rendered_locally(visit, chapter):
    v = visit()
    p = v.open(chapter)
    count = p.evaluate("() => document.querySelectorAll('mjx-container').length")
    assert count > 0, f"no typeset math on {chapter}"
    src = p.evaluate("() => window.MathJax && MathJax.config.loader && "
                     "Array.from(document.scripts).map(s => s.src).find(s => s.includes('mathjax'))")
    assert src and src.startswith(v.server), f"MathJax not served by the site: {src}"
    # The math fonts are the site's own, and they were actually used.
    fonts = p.evaluate("""() => Array.from(document.fonts)
        .filter(f => f.family.includes('MJX') && f.status === 'loaded').map(f => f.family)""")
    assert fonts, "no MathJax web font loaded"
    v.assert_clean()


def test_internal_links_resolve(visit, server):
    """Every link between pages (and to downloads, images, sources) reaches a file, and every
    #fragment exists on its target page."""
    v = visit()
    links = {}
    for page in PAGES:
        hrefs = _LINKS_BY_PAGE.get(page)
        if hrefs is None:
            hrefs = v.open(page).evaluate(LINKS_JS)
        for href in hrefs:
            if href.startswith(server):
                links.setdefault(href, page)
    assert links
    bodies, missing = {}, []
    for href, page in sorted(links.items()):
        url, _, fragment = href.partition("#")
        url = url.split("?")[0]
        if url not in bodies:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    data = r.read()
                    bodies[url] = data.decode("utf-8", "replace") if url.endswith((".html", "/")) else ""
            except urllib.error.HTTPError as exc:
                bodies[url] = None
                missing.append(f"{page}: {href} -> HTTP {exc.code}")
                continue
        if fragment and bodies[url] is not None and url.endswith((".html", "/")):
            if urllib.parse.unquote(fragment) not in _ids(bodies[url]):
                missing.append(f"{page}: {href} -> no element with id {fragment!r}")
    assert not missing, "\n".join(missing)
    v.assert_clean()


def test_tabs_group_tagged_cells(visit, chapter):
    """Consecutive tagged cells form one group; untagged cells stay outside; no cell is lost."""
    nojs = visit(javascript=False)
    raw = nojs.open(chapter).evaluate("""() => {
        const tagged = c => c && c.classList && c.classList.contains('cell') &&
            (c.classList.contains('tag_pytorch') || c.classList.contains('tag_tensorflow'));
        const cells = Array.from(document.querySelectorAll('.cell'));
        const runs = cells.filter(c => tagged(c) && !tagged(c.previousElementSibling)).length;
        return {runs, cells: cells.length, tagged: cells.filter(tagged).length,
                outputs: cells.filter(tagged).filter(c => c.querySelector('.cell_output')).length};
    }""")
    assert raw["tagged"] > 0, f"{chapter} has no cells tagged pytorch/tensorflow"
    v = visit()
    p = v.open(chapter)
    got = p.evaluate("""() => ({
        groups: document.querySelectorAll('.fw-tabs').length,
        cells: document.querySelectorAll('.cell').length,
        tagged_in_groups: document.querySelectorAll(
            '.fw-tabs .cell.tag_pytorch, .fw-tabs .cell.tag_tensorflow').length,
        untagged_in_groups: document.querySelectorAll(
            '.fw-tabs .cell:not(.tag_pytorch):not(.tag_tensorflow)').length,
        outputs_in_groups: Array.from(document.querySelectorAll('.fw-tabs .cell'))
            .filter(c => c.querySelector('.cell_output')).length,
    })""")
    assert got["groups"] == raw["runs"]
    assert got["cells"] == raw["cells"]
    assert got["tagged_in_groups"] == raw["tagged"]
    assert got["untagged_in_groups"] == 0
    assert got["outputs_in_groups"] == raw["outputs"], "outputs must travel with their cells"
    v.assert_clean()


def test_without_javascript_both_frameworks_show(visit, chapter):
    v = visit(javascript=False)
    p = v.open(chapter)
    state = p.evaluate("""() => Array.from(document.querySelectorAll(
            '.cell.tag_pytorch, .cell.tag_tensorflow')).map(c => ({
        visible: c.getClientRects().length > 0,
        label: getComputedStyle(c, '::before').content}))""")
    assert state and all(s["visible"] for s in state), state
    labels = {s["label"] for s in state}
    assert labels == {'"PyTorch"', '"TensorFlow"'}, labels
    v.assert_clean()


def test_checked_outputs_are_marked_and_no_marker_comment_shows(visit):
    # The chapter with the most checked cells (the tab-richest one may have none).
    pages = _chapters()
    chapter = max(pages, key=lambda p: (SITE / p).read_text(encoding="utf-8").count(
        "tag_nbval-check-output"))
    v = visit()
    p = v.open(chapter)
    notes = p.evaluate("""() => Array.from(document.querySelectorAll(
            '.cell.tag_nbval-check-output .cell_output')).map(
        o => getComputedStyle(o, '::after').content)""")
    assert notes and all("checked by the test suite" in n for n in notes), notes
    assert "NBVAL_CHECK_OUTPUT" not in p.inner_text("main")
    v.assert_clean()


def test_tabs_switch_and_persist(visit, chapter, server):
    v = visit()
    p = v.open(chapter)
    _assert_framework_shown(p, "pytorch")  # the default for a new reader
    # Choose TensorFlow in the last group in view (those of folded solutions are hidden):
    # every group on the page follows, and so does a solution opened afterwards.
    p.locator('.fw-tabs:not(.fw-tabs--single) .fw-tabs__tab[data-fw="tensorflow"]:visible').last.click()
    _assert_framework_shown(p, "tensorflow")
    for summary in p.locator("details.cnnbook-solution > summary").all():
        summary.click()
    _assert_framework_shown(p, "tensorflow")
    assert p.evaluate("() => localStorage.getItem('cnnbook-framework')") == "tensorflow"
    # Navigate away by a link, then come back by a link: the choice is still there.
    p.locator("a.navbar-brand, .navbar-brand a, a[href$='intro.html']").first.click()
    p.wait_for_load_state("load")
    assert p.url != server + chapter
    name = chapter.rsplit("/", 1)[-1]
    p.locator(f".bd-sidenav a[href$='{name}']").first.click()
    p.wait_for_load_state("load")
    v.settle()
    assert p.url.split("#")[0] == server + chapter
    _assert_framework_shown(p, "tensorflow")
    # A later visit (a new tab, same browser profile) remembers it too.
    second = v.context.new_page()
    second.goto(server + chapter, wait_until="load")
    _assert_framework_shown(second, "tensorflow")
    # Keyboard: arrow keys move between the tabs of a group.
    tab = p.locator('.fw-tabs:not(.fw-tabs--single) .fw-tabs__tab[data-fw="tensorflow"]:visible').first
    tab.focus()
    p.keyboard.press("ArrowLeft")
    _assert_framework_shown(p, "pytorch")
    v.assert_clean()


def test_search_finds_a_chapter(visit, chapter, server):
    """Type a word of the chapter into the site's search box: the chapter is among the hits,
    both for a word of its title and for a word of its text."""
    html = (SITE / chapter).read_text(encoding="utf-8")
    title = re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", html, re.S).group(1))
    words = re.findall(r"[A-Za-z]{4,}", title)
    assert words, f"no searchable word in the title {title!r}"
    # A long word from the chapter's first paragraph of prose (not the title).
    first_p = re.search(r"</nav>\s*<p>(.*?)</p>", html, re.S) or re.search(r"<p>(.*?)</p>", html, re.S)
    prose = re.sub(r"<[^>]+>", " ", first_p.group(1))
    body_words = [w for w in re.findall(r"[A-Za-z]{7,}", prose) if w.lower() not in title.lower()]
    queries = [max(words, key=len)] + ([max(body_words, key=len)] if body_words else [])
    target = f"#search-results a[href*='{chapter.rsplit('.', 1)[0]}']"
    v = visit()
    p = v.open("index.html")
    for word in queries:
        p.keyboard.press("Control+k")
        box = p.locator(".search-button__search-container input[name='q']:visible, "
                        "form.bd-search input[name='q']:visible").first
        box.wait_for(state="visible")
        box.fill(word)
        box.press("Enter")
        p.wait_for_url(re.compile(r"search\.html\?q=" + word))
        p.locator(target).first.wait_for(timeout=15000)
    v.assert_clean()


def test_downloads_are_single_framework(chapter, server):
    """The chapter's download links give the full notebook and one copy per framework."""
    html = (SITE / chapter).read_text(encoding="utf-8")
    hrefs = re.findall(r'class="cnnbook-dl" href="([^"]+)"', html)
    assert len(hrefs) == 3, hrefs
    base = urllib.parse.urljoin(server, chapter)
    notebooks = {}
    for href in hrefs:
        with urllib.request.urlopen(urllib.parse.urljoin(base, href), timeout=10) as r:
            notebooks[href] = json.load(r)

    def tags(nb):
        return [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]

    full, torch_only, tf_only = (notebooks[h] for h in hrefs)
    assert {"pytorch", "tensorflow"} <= set(tags(full))
    assert "tensorflow" not in tags(torch_only) and "pytorch" in tags(torch_only)
    assert "pytorch" not in tags(tf_only) and "tensorflow" in tags(tf_only)


def test_a_chapter_needing_both_frameworks_offers_the_full_notebook_only(server):
    """Chapter 21 uses both frameworks in almost every cell: no single-framework copies."""
    html = (SITE / "notebooks" / "21-two-frameworks.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'class="cnnbook-dl" href="([^"]+)"', html)
    assert len(hrefs) == 1 and hrefs[0].endswith("/21-two-frameworks.ipynb"), hrefs
    assert "PyTorch only" not in html.split('class="cnnbook-run"')[1].split("</nav>")[0]


def test_screenshots(visit, chapter):
    """Home page and one chapter in each framework, for review, in _build/html/_screenshots/.
    The chapter is LeNet, the book's end-to-end example (else the one with most tabs)."""
    lenet = os.environ.get("CNNBOOK_SCREENSHOT_CHAPTER", "notebooks/08-lenet.html")
    chapter = lenet if (SITE / lenet).is_file() else chapter
    SCREENSHOTS.mkdir(exist_ok=True)
    v = visit()
    p = v.open("index.html")
    p.screenshot(path=str(SCREENSHOTS / "home.png"))
    for fw in ("pytorch", "tensorflow"):
        p = v.open(f"{chapter}?framework={fw}")
        _assert_framework_shown(p, fw)
        # Scroll to the training run (its summary line and curves), else the first group
        # with a figure, else the first group.
        p.evaluate("""() => {
            const groups = Array.from(document.querySelectorAll('.fw-tabs:not(.fw-tabs--single)'));
            const g = groups.find(g => g.textContent.includes('examples/sec') && g.querySelector('img'))
                || groups.find(g => g.querySelector('img')) || groups[0];
            g.scrollIntoView({block: 'start'});
            window.scrollBy(0, -80);
        }""")
        p.screenshot(path=str(SCREENSHOTS / f"chapter-{fw}.png"))
    for name in ("home.png", "chapter-pytorch.png", "chapter-tensorflow.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000
    v.assert_clean()


def test_site_works_from_disk(browser, chapter):
    """Opened as files (a USB stick, no server): formulas, tabs, the remembered framework and
    search all work, with no error and no request leaving the disk."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors, remote = [], []
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        # (net::ERR_ABORTED: cancelled by the next navigation; a missing file fails otherwise)
        page.on("requestfailed", lambda r: r.failure == "net::ERR_ABORTED"
                or errors.append(f"{r.url} ({r.failure})"))
        page.on("request", lambda r: r.url.startswith("file:") or r.url.startswith("data:")
                or remote.append(r.url))
        page.goto((SITE / chapter).as_uri(), wait_until="load")
        page.evaluate("async () => { await MathJax.startup.promise; await document.fonts.ready; }")
        assert page.evaluate("() => document.querySelectorAll('mjx-container').length") > 0
        page.locator('.fw-tabs:not(.fw-tabs--single) .fw-tabs__tab[data-fw="tensorflow"]').first.click()
        _assert_framework_shown(page, "tensorflow")
        page.goto((SITE / "book" / "intro.html").as_uri(), wait_until="load")
        page.goto((SITE / chapter).as_uri(), wait_until="load")
        _assert_framework_shown(page, "tensorflow")
        title = page.evaluate("() => document.querySelector('h1').textContent")
        word = max(re.findall(r"[A-Za-z]{4,}", title), key=len)
        page.goto((SITE / "search.html").as_uri() + f"?q={word}", wait_until="load")
        page.locator(f"#search-results a[href*='{chapter.rsplit('.', 1)[0]}']").first.wait_for(
            timeout=15000)
        assert not errors, "\n".join(errors)
        assert not remote, remote
    finally:
        context.close()


def test_launch_links_open_this_chapter_from_the_repository():
    """Colab, Kaggle and Binder links of a chapter name the repository of _config.yml and the
    chapter's own notebook (the install cell makes the notebook run there)."""
    from urllib.parse import unquote
    from d2lmini.data.bookfiles import repository_url
    chapters = _chapters()
    if not chapters:
        pytest.skip("no built site at _build/html (run `make book` first; `make test` does)")
    slug = repository_url(ROOT / "_config.yml")[len("https://github.com/"):]
    for page in chapters:
        html = (SITE / page).read_text(encoding="utf-8")
        links = dict((name, unquote(url).replace("&amp;", "&")) for url, name in re.findall(
            r'class="cnnbook-launch" href="([^"]+)"[^>]*>.*?</i> (\w+)</a>', html))
        notebook = (Path("notebooks") / Path(page).name).with_suffix(".ipynb").as_posix()
        assert set(links) == {"Colab", "Kaggle", "Binder"}, (page, links)
        assert links["Colab"].endswith(f"/github/{slug}/blob/main/{notebook}"), links
        assert links["Kaggle"].endswith(f"?src=https://github.com/{slug}/blob/main/{notebook}")
        assert f"/v2/gh/{slug}/main?urlpath=lab/tree/{notebook}" in links["Binder"], links


# ----------------------------------------------------------------------------- self-checks


def _pages_with(marker):
    return [p for p in _chapters() if marker in (SITE / p).read_text(encoding="utf-8")]


def test_self_checks_answer_right_and_wrong_as_check_does(visit):
    """In several chapters, one number (or shape) question and one multiple-choice question
    answered right and wrong: the page's feedback is what ``selfcheck.verdict`` says."""
    from d2lmini.book import selfcheck

    pages = _pages_with('class="selfcheck"')
    assert pages, "no chapter page shows a self-check"
    v = visit()
    answered = 0
    for chapter in pages[:3]:
        p = v.open(chapter)
        forms = p.evaluate("""() => Array.from(document.querySelectorAll('.selfcheck.ready'))
            .map(d => JSON.parse(d.dataset.question).id)""")
        assert forms, f"{chapter}: its self-checks did not become forms"
        for kind in ("number", "shape", "choice"):
            qid = next((q for q in forms if selfcheck.question(q)["kind"] == kind), None)
            if qid is None:
                continue
            q = selfcheck.question(qid)
            box = p.locator(f'.selfcheck[data-question*="{qid}"]').first
            box.scroll_into_view_if_needed()
            if kind == "choice":
                wrong = next(i for i in range(len(q["options"])) if i != q["answer"])
                tries = [(q["answer"], True), (wrong, False)]
            elif kind == "shape":
                tries = [(", ".join(map(str, q["answer"])), True),
                         (", ".join(str(v + 1) for v in q["answer"]), False)]
            else:
                tries = [(str(q["answer"]), True), (str(q["answer"] * 2 + 1), False)]
            for answer, right in tries:
                if kind == "choice":
                    box.locator(f'.selfcheck-option[data-option="{answer}"]').click()
                    expected = selfcheck.verdict(qid, answer)
                else:
                    box.locator(".selfcheck-input").fill(answer)
                    box.locator(".selfcheck-submit").click()
                    typed = [int(x) for x in answer.split(",")] if kind == "shape" else answer
                    expected = selfcheck.verdict(qid, typed)
                feedback = box.locator(".selfcheck-feedback")
                assert feedback.get_attribute("class").split()[-1] == (
                    "right" if right else "wrong"), (chapter, qid, answer)
                assert expected[0] is right
                assert feedback.inner_text().strip() == expected[1], (chapter, qid, answer)
                answered += 1
    assert answered >= 4
    v.assert_clean()


def test_without_javascript_a_self_check_shows_its_question_and_check_line(visit):
    chapter = _pages_with('class="selfcheck"')[0]
    v = visit(javascript=False)
    p = v.open(chapter)
    first = p.locator(".selfcheck").first
    assert "Self-check." in first.inner_text()
    assert "check(" in first.locator(".selfcheck-how").inner_text()
    v.assert_clean()


def test_solutions_are_folded_until_the_reader_opens_one(visit):
    chapter = _pages_with("Solution to exercise")[0]
    v = visit()
    p = v.open(chapter)
    folds = p.locator("details.cnnbook-solution")
    n = folds.count()
    assert n >= 3, f"{chapter}: {n} folded solutions"
    assert p.evaluate("""() => Array.from(document.querySelectorAll('details.cnnbook-solution'))
        .every(d => !d.open)""")
    summary = folds.first.locator("summary")
    assert summary.inner_text().strip() == "Show the solution to exercise 1"
    hidden = folds.first.locator(".cell").first
    assert not hidden.is_visible()
    summary.click()
    assert hidden.is_visible()
    # The framework tabs still work inside a solution: one framework's code shows.
    shown = p.evaluate("""() => Array.from(document.querySelectorAll(
            'details.cnnbook-solution .fw-tabs__panel'))
        .filter(x => x.getClientRects().length > 0).map(x => x.dataset.fw)""")
    assert set(shown) <= {"pytorch"}
    v.assert_clean()


def test_the_interactive_layer_is_under_a_megabyte_over_every_copy():
    """The interactive figures add under 1 MB to the site, counting every copy: the scripts
    and LeNet's data in _static, and the packed explore.js that each figure's output carries
    into the page's source and downloads. The pages themselves carry no copy: they load
    _static/explore.js once."""
    from d2lmini.book import explore
    static = SITE / "_static"
    files = [static / name for name in ("explore.js", "lenet-page.js", "lenet-data.js")]
    assert all(f.is_file() for f in files), files
    assert (static / "explore.js").read_text(encoding="utf-8").strip() == explore.script()
    total = sum(f.stat().st_size for f in files)
    copies = 0
    for path in SITE.rglob("*"):
        if path.suffix not in (".html", ".ipynb", ".md") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        n = text.count(explore.LOADER_MARK)
        if path.suffix == ".html":
            assert n == 0, f"{path.relative_to(SITE)} carries a packed explore.js"
            continue
        if n:
            copies += n
            # Each copy, as the file holds it (in a notebook, as JSON): <script> to </script>.
            for m in re.finditer(re.escape("<script>" + explore.LOADER_MARK), text):
                total += text.index("</script>", m.start()) + len("</script>") - m.start()
    assert copies >= 4 * 4, copies  # 4 chapters: source and downloads (3, or 1 if both)
    assert total < 1_000_000, f"the interactive layer is {total:,} bytes over every copy"


def test_interactive_figures_work_on_the_site_from_disk_and_on_a_phone(browser):
    """Each chapter page with an interactive figure (d2lmini.book.explore) draws it, opened as a
    file, with no error and no request leaving the disk; at a phone's width the page does
    not scroll sideways. (tests/test_explore.py checks what the figures compute.)"""
    pages = _pages_with('data-explore="')
    assert len(pages) >= 4, pages
    context = browser.new_context(viewport={"width": 390, "height": 844})
    errors, remote = [], []
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("request", lambda r: r.url.startswith(("file:", "data:")) or remote.append(r.url))
        for chapter in pages:
            page.goto((SITE / chapter).as_uri(), wait_until="load")
            figures = page.locator(".cnnbook-explore")
            assert figures.count() >= 1, chapter
            for i in range(figures.count()):
                assert figures.nth(i).get_attribute("data-mounted") == "true", chapter
                assert figures.nth(i).locator(".cx-title").count() == 1, chapter
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, chapter
            scripts = page.evaluate("() => Array.from(document.scripts).map(s => s.src)")
            own = page.locator(".cnnbook-explore:not([data-explore=lenet])").count()
            # (A rebuild into an existing _build adds Sphinx's "?v=<checksum>".)
            loads = [urllib.parse.urlsplit(src).path for src in scripts]
            assert sum(path.endswith("/_static/explore.js") for path in loads) == (own > 0), \
                chapter  # once, and only where a figure of explore.js is
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "explore-phone.png"))
        assert not errors, "\n".join(errors)
        assert not remote, remote
    finally:
        context.close()
