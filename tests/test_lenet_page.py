"""Chapter 8's trained LeNet in the page (``explore.show("lenet")``, ``book/_static``).

The site's data file (``lenet-data.js``) must be what ``d2lmini.book.lenet_page`` makes from the
chapter's saved weights, byte for byte, with its SHA-256 recorded; the network in the page
(``lenet-page.js``) must give PyTorch's logits on every shipped image; and the figure must
work with the keyboard, the pointer and on a phone, opened from ``file://`` as on the site
(the two scripts in <head>, the figure's output in the body).
"""
import json
import re

import numpy as np
import pytest

from d2lmini.book import explore, lenet_page
from test_site import page_from_disk

RECORD = json.loads(lenet_page.RECORD.read_text(encoding="utf-8"))
RERUN = "run `python -m d2lmini.book.lenet_page` (chapter 8 does it when it saves its weights)"


def _weights():
    if not lenet_page.WEIGHTS.is_file():
        pytest.fail(f"{lenet_page.WEIGHTS} is missing: run chapter 8 (it saves the trained "
                    "weights there) and commit the file")
    return lenet_page.WEIGHTS


@pytest.fixture(scope="module")
def shipped():
    return lenet_page.read_page_data()


@pytest.fixture(scope="module")
def pytorch_logits(shipped):
    pytest.importorskip("torch")
    state = lenet_page._load_state(_weights())
    return lenet_page._logits(state, shipped[1])


# ----------------------------------------------------------------------------- the files

def test_the_data_file_matches_its_recorded_hash():
    assert lenet_page.sha256(lenet_page.DATA) == RECORD["sha256"], (
        f"{lenet_page.DATA.name} changed since its SHA-256 was recorded in "
        f"{lenet_page.RECORD.name}; {RERUN}")
    assert lenet_page.DATA.stat().st_size == RECORD["bytes"]


def test_the_data_file_comes_from_the_chapters_weights(shipped):
    """The recorded weights are the saved ones (a re-run of chapter 8 without the script
    fails here), and the file holds them exactly, as float32, in the model's order."""
    torch = pytest.importorskip("torch")
    assert lenet_page.sha256(_weights()) == RECORD["weights_sha256"], (
        f"{lenet_page.WEIGHTS.name} is not the file the site's data came from; {RERUN}")
    state = torch.load(_weights(), map_location="cpu", weights_only=True)
    ours = shipped[0]
    assert list(ours) == [name for name, _ in lenet_page.LAYERS] and list(ours) == list(state)
    for name, tensor in state.items():
        np.testing.assert_array_equal(ours[name], tensor.numpy(), err_msg=name)
    assert sum(v.size for v in ours.values()) == RECORD["parameters"] == 61_706


def test_rewriting_the_data_gives_the_shipped_file(tmp_path, shipped):
    """The script is deterministic: from the same weights, the same bytes (the seeded test
    images included, which are the test set's own pixels and labels)."""
    pytest.importorskip("torch")
    from d2lmini.data import fashion_mnist
    out, record = tmp_path / "lenet-data.js", tmp_path / "lenet-data.json"
    entry = lenet_page.write_page_data(_weights(), out=out, record=record)
    assert out.read_bytes() == lenet_page.DATA.read_bytes(), RERUN
    assert entry == RECORD
    _, images, labels, index, _ = shipped
    _, _, test_images, test_labels = fashion_mnist.load_arrays()
    np.testing.assert_array_equal(images, test_images[index])
    np.testing.assert_array_equal(labels, test_labels[index])
    assert np.bincount(labels).tolist() == [lenet_page.PER_CLASS] * 10


def test_the_interactive_layer_is_small():
    """Code and data ship once, in _static; the notebook output (and so the page, its source
    and its downloads) holds a line and no weights."""
    sizes = {p.name: p.stat().st_size for p in (lenet_page.DATA, lenet_page.SCRIPT,
                                                lenet_page.RECORD)}
    assert sum(sizes.values()) < 700_000, sizes
    html = explore.show("lenet")._repr_html_()
    assert len(html) < 1000 and "<script" not in html
    assert 'data-explore="lenet"' in html and 'data-mounted="fallback"' in html
    assert "book's site" in repr(explore.show("lenet"))


def test_save_weights_writes_a_state_dict_and_nothing_in_quick_mode(tmp_path, monkeypatch,
                                                                   capsys):
    torch = pytest.importorskip("torch")
    from d2lmini.backend_torch.models import lenet
    net = lenet()
    path = tmp_path / "results" / "w.pt"
    monkeypatch.setenv("D2LMINI_QUICK", "1")
    assert lenet_page.save_weights(net, path) is None and not path.exists()
    assert "quick mode: not writing" in capsys.readouterr().out
    monkeypatch.setenv("D2LMINI_QUICK", "0")
    assert lenet_page.save_weights(net, path) == path
    state = torch.load(path, weights_only=True)
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    assert "61,706 parameters" in capsys.readouterr().out  # the site's file is left alone
    with pytest.raises(ValueError, match="not the book's LeNet"):
        lenet_page.save_weights(lenet(num_classes=5), path)


# ----------------------------------------------------------------------------- in Chromium

@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The figure as the site serves it (scripts in <head>), beside a figure of explore.js,
    which must leave it alone; a second figure output without the site's scripts shows the
    line saying where the figure runs."""
    path = tmp_path_factory.mktemp("lenet") / "lenet.html"
    head = "".join(f"<script src='{p.as_uri()}'></script>"
                   for p in (lenet_page.DATA, lenet_page.SCRIPT))
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width, initial-scale=1'>{head}</head><body>"
        "<p id='before'>Text before.</p>"
        f"<section id='fig'>{explore.show('lenet')._repr_html_()}</section>"
        f"<p id='after'>Text after.</p>{explore.show('padding')._repr_html_()}</body></html>",
        encoding="utf-8")
    with page_from_disk(path) as p:
        yield p


def logits_shown(page):
    return json.loads(page.locator("#fig .cnnbook-explore").get_attribute("data-logits"))


def test_the_page_gives_pytorchs_logits_on_every_shipped_image(page, pytorch_logits):
    ours = np.array(page.evaluate("() => CNNLeNet.logitsAll()"))
    assert ours.shape == pytorch_logits.shape == (RECORD["images"], 10)
    scale = np.abs(pytorch_logits).max(axis=1, keepdims=True)
    worst = float((np.abs(ours - pytorch_logits) / scale).max())
    assert worst < 1e-4, worst
    assert (ours.argmax(1) == pytorch_logits.argmax(1)).all()


def test_the_figure_mounts_and_explore_js_leaves_it_alone(page, shipped):
    fig = page.locator("#fig .cnnbook-explore")
    assert fig.get_attribute("data-mounted") == "true"
    assert fig.locator(".cx-title").count() == 1 and fig.locator(".cx-fallback").count() == 0
    assert page.locator(".cnnbook-explore[data-explore=padding][data-mounted=true]").count() == 1
    assert fig.locator(".ln-maps").nth(0).locator("canvas").count() == 6
    assert fig.locator(".ln-maps").nth(1).locator("canvas").count() == 16
    assert fig.locator(".ln-bar").count() == 10
    label = shipped[4]["classes"][shipped[2][0]]
    assert fig.locator("[data-role=truth]").inner_text().endswith(f", a {label}")


def test_the_keyboard_picks_images_and_draws(page, pytorch_logits, shipped):
    classes = shipped[4]["classes"]
    fig = page.locator("#fig .cnnbook-explore")
    prediction = fig.locator("[data-role=prediction]")
    fig.locator("input[data-control=image]").focus()
    for key, i in [("ArrowRight", 1), ("ArrowRight", 2), ("End", len(pytorch_logits) - 1),
                   ("Home", 0)]:
        page.keyboard.press(key)
        assert fig.locator("[data-role=image-number]").inner_text() == \
            f"{i + 1} of {len(pytorch_logits)}"
        best = int(pytorch_logits[i].argmax())
        assert prediction.inner_text().startswith(f"LeNet says: {classes[best]} (")
        np.testing.assert_allclose(logits_shown(page), pytorch_logits[i], rtol=1e-4,
                                   atol=1e-4 * np.abs(pytorch_logits[i]).max())
    # An image the network gets wrong, if a shipped one is: the prediction says so.
    wrong = np.flatnonzero(pytorch_logits.argmax(1) != shipped[2])
    if len(wrong):
        page.evaluate("i => { const s = document.querySelector('#fig input[data-control=image]');"
                      " s.value = i + 1; s.dispatchEvent(new Event('input')); }", int(wrong[0]))
        assert prediction.inner_text().endswith(", wrong")
    # The next-image button answers Enter; clear, then draw with the keyboard.
    fig.locator("button[aria-label='next test image']").focus()
    page.keyboard.press("Enter")
    assert fig.locator("[data-role=image-number]").inner_text().startswith(
        f"{int(wrong[0]) + 2 if len(wrong) else 2} of")
    fig.locator("button[data-control=clear]").focus()
    page.keyboard.press("Enter")  # the canvas takes the focus
    assert page.evaluate("() => document.activeElement.dataset.role") == "input"
    blank = logits_shown(page)
    assert fig.locator("[data-role=truth]").inner_text() == "your drawing"
    for key in ["ArrowUp"] * 8 + ["Space"] + ["Shift+ArrowDown"] * 16:  # a vertical stroke
        page.keyboard.press(key)
    stroke = logits_shown(page)
    assert stroke != blank
    image = page.evaluate("""() => { const c = document.querySelector('#fig canvas.ln-input');
        const d = c.getContext('2d').getImageData(14 * 6 + 3, 6 * 6 + 3, 1, 1).data;
        return d[0]; }""")
    assert image > 200  # the stroke is white on the canvas, where it was drawn
    page.keyboard.press("x")  # erase under the brush
    assert logits_shown(page) != stroke
    fig.locator("button[data-control=restore]").click()
    np.testing.assert_allclose(logits_shown(page), pytorch_logits[int(wrong[0]) + 1 if len(wrong)
                                                                    else 1], rtol=1e-4, atol=1e-3)


def test_the_pointer_draws(page):
    fig = page.locator("#fig .cnnbook-explore")
    fig.locator("button[data-control=clear]").click()
    blank = logits_shown(page)
    box = fig.locator("canvas.ln-input").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.4 * t),
                        box["y"] + box["height"] * (0.2 + 0.6 * t))
    page.mouse.up()
    page.wait_for_function("b => document.querySelector('#fig .cnnbook-explore')"
                           ".dataset.logits !== b", arg=json.dumps(blank))
    assert logits_shown(page) != blank


def test_it_fits_a_phone_and_leaves_the_text_in_place(page):
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        after = "() => document.getElementById('after').getBoundingClientRect().top"
        top = page.evaluate(after)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        box = page.locator("#fig .cnnbook-explore").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        # Nothing inside the figure scrolls sideways either.
        assert page.evaluate("""() => { const f = document.querySelector('#fig .cnnbook-explore');
            return f.scrollWidth <= f.clientWidth; }""")
        for i in (5, 77, 200):  # other images, other predictions: the text below stays
            page.evaluate("i => { const s = document.querySelector('#fig input[data-control=image]');"
                          " s.value = i; s.dispatchEvent(new Event('input')); }", i)
            assert page.evaluate(after) == top
        page.locator("#fig button[data-control=clear]").click()
        assert page.evaluate(after) == top
        page.locator("#fig button[data-control=restore]").click()
        page.locator("#fig .cnnbook-explore").screenshot(
            path=str(page.path.with_name("lenet-phone.png")))
    finally:
        page.set_viewport_size({"width": 1000, "height": 900})


def test_every_control_has_a_label(page):
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll(
        '#fig input, #fig select, #fig button, #fig canvas[tabindex]'))
        .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
                     && !c.textContent.trim())
        .map(c => c.outerHTML.slice(0, 80))""")
    assert unlabelled == []


def test_without_the_sites_scripts_the_output_says_where_the_figure_runs(page, tmp_path):
    """A notebook front end (no _static scripts): the line stays, even beside a figure of
    explore.js, which mounts every other figure of the page."""
    path = tmp_path / "notebook.html"
    path.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body>"
                    f"{explore.show('lenet')._repr_html_()}"
                    f"{explore.show('padding')._repr_html_()}</body></html>", encoding="utf-8")
    other = page.context.new_page()  # the same browser, without the site's scripts
    try:
        other.goto(path.as_uri(), wait_until="load")
        line = other.locator(".cnnbook-explore[data-explore=lenet] .cx-fallback").inner_text()
        assert other.locator(".cnnbook-explore[data-explore=padding][data-mounted=true]").count() == 1
    finally:
        other.close()
    assert re.search(r"runs on the book's site, on the page of the LeNet chapter", line), line
