"""The interactive figures (d2lmini/book/explore.js) compute what d2lmini and real layers compute.

The figures run in Chromium from a page written by ``explore.show`` and opened from
``file://``, as a reader opens a downloaded site. Their arithmetic is compared with
:mod:`d2lmini.arithmetic` over grids of configurations, their pooling and cross-correlation
with PyTorch's and Keras' layers, and their receptive fields with the gradients of real
layers; then the figures themselves are moved with the keyboard and the controls, on a
desktop and on a phone-sized screen, and what they show is read back.
"""
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from d2lmini import arithmetic
from d2lmini.book import explore
from test_site import page_from_disk

pytestmark = pytest.mark.browser

X5 = np.arange(25, dtype=float).reshape(5, 5)
CHAPTER1_X = [[1, 0, 2, 3, 1], [5, 4, 2, 0, 2], [3, 4, 5, 1, 0], [2, 0, 1, 4, 3],
              [1, 2, 0, 3, 5]]
CHAPTER1_K = [[-1, 0, 1]] * 3


# ----------------------------------------------------------------------------- Python side

def test_show_refuses_an_unknown_figure_or_option_and_names_the_choices():
    with pytest.raises(ValueError, match="the figures are: cross-correlation, padding"):
        explore.show("stride")
    with pytest.raises(TypeError, match="its options are: n, k, p, s, d, mode"):
        explore.show("padding", size=3)
    with pytest.raises(ValueError, match=r"k=9 must be a whole number from 1 to 7"):
        explore.show("padding", k=9)
    with pytest.raises(ValueError, match="must be one of 'pytorch', 'valid', 'same'"):
        explore.show("padding", mode="SAME")
    with pytest.raises(ValueError, match="must fit into X"):
        explore.show("cross-correlation", X=np.ones((2, 2)), K=np.ones((3, 3)))
    with pytest.raises(ValueError, match="must be square"):
        explore.show("pooling", X=np.ones((3, 4)))


def test_the_output_carries_its_options_and_the_script():
    out = explore.show("cross-correlation", X=np.array(CHAPTER1_X), K=CHAPTER1_K, b=1.0)
    html = out._repr_html_()
    assert 'data-explore="cross-correlation"' in html
    assert "&quot;b&quot;: 1.0" in html and "<script>" in html
    assert "CNNExplore" in html  # inline: the output works alone
    assert explore.unpacked(html) == explore.script()  # packed, it is the whole script
    assert len(html) < len(explore.script()) / 2
    assert "JupyterLab" in repr(out)  # what a front end without scripts shows


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_committed_figures_carry_the_current_script(path):
    """A figure's committed output runs the script of d2lmini/book/explore.js as it is now."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    script = explore.script()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("data", {}).get("text/html", ""))
            site_figure = any(f'data-explore="{name}"' in text for name in explore.SITE_FIGURES)
            if 'class="cnnbook-explore"' in text and not site_figure:  # (those carry no script)
                assert explore.unpacked(text) == script, (
                    f"{path.name}: a figure's output holds an older explore.js; run "
                    f"python -m d2lmini.book.explore notebooks/{path.name}")


def test_refresh_updates_an_old_script_and_keeps_the_options(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    fig = explore.show("padding", n=5, k=3)
    # An output of an older explore.js, inline and not packed (as outputs once carried it).
    old = (fig._repr_html_().split("\n<script>")[0] + "\n<script>"
           + explore.script().replace("var VERSION = 1;", "var VERSION = 0;") + "</script>")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "explore.show('padding', n=5, k=3)", execution_count=1, outputs=[
            nbformat.v4.new_output("execute_result", data={"text/html": old},
                                   execution_count=1)])])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert explore.refresh(path) == 1
    assert nbformat.read(path, as_version=4).cells[0].outputs[0].data["text/html"] == \
        fig._repr_html_()
    assert explore.refresh(path) == 0  # current: the file is left alone


# ----------------------------------------------------------------------------- in Chromium

@pytest.fixture(scope="module")
def page(tmp_path_factory):
    figures = [explore.show("cross-correlation", X=np.array(CHAPTER1_X), K=CHAPTER1_K, b=1.0),
               explore.show("padding", n=7, k=3, p=1, s=2),
               explore.show("receptive-field"),
               explore.show("pooling", X=X5, k=2, s=2, mode="avg")]
    path = tmp_path_factory.mktemp("explore") / "figures.html"
    body = "\n".join(f"<section id='fig{i}'>{f._repr_html_()}</section>"
                     for i, f in enumerate(figures))
    path.write_text("<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' "
                    "content='width=device-width, initial-scale=1'></head><body>"
                    f"<p>Text before.</p>{body}<p>Text after.</p></body></html>",
                    encoding="utf-8")
    with page_from_disk(path) as p:
        # Each output unpacks its script asynchronously (DecompressionStream).
        p.wait_for_function("() => document.querySelectorAll("
                            "'.cnnbook-explore[data-mounted=\"true\"]').length === 4")
        yield p


def js(page, expr, *args):
    return page.evaluate(expr, *args)


def python_size(n, k, s, padding, d, ceil):
    try:
        return arithmetic.conv_output_size(n, k, s, padding, d, ceil_mode=ceil)
    except ValueError as e:
        return "error: " + str(e)


def test_every_figure_mounts_once(page):
    mounted = js(page, "() => Array.from(document.querySelectorAll('.cnnbook-explore'))"
                       ".map(d => [d.dataset.explore, d.dataset.mounted])")
    assert mounted == [["cross-correlation", "true"], ["padding", "true"],
                       ["receptive-field", "true"], ["pooling", "true"]]
    # Four copies of the script ran; each figure is drawn once.
    assert js(page, "() => document.querySelectorAll('.cnnbook-explore .cx-title').length") == 4


def test_output_sizes_and_same_padding_agree_with_d2lmini(page):
    grid = [(n, k, s, p, d, ceil) for n, k, s, d in itertools.product(
                range(1, 13), range(1, 6), range(1, 4), range(1, 3))
            for p, ceil in [(0, False), (1, False), (2, False), (1, True), ("valid", False),
                            ("same", False)]]
    ours = js(page, """grid => grid.map(([n, k, s, p, d, c]) => {
        try { return CNNExplore.math.convOutputSize(n, k, s, p, d, c); }
        catch (e) { return 'error: ' + e.message; } })""", grid)
    theirs = [python_size(*g) for g in grid]
    wrong = [(g, a, b) for g, a, b in zip(grid, ours, theirs) if a != b]
    assert not wrong, wrong[:5]
    same = list(itertools.product(range(1, 17), range(1, 8), range(1, 5), range(1, 4)))
    ours = js(page, "g => g.map(([n, k, s, d]) => CNNExplore.math.samePadding(n, k, s, d))",
              same)
    assert ours == [list(arithmetic.same_padding(*g)) for g in same]


def test_receptive_fields_agree_with_d2lmini(page):
    presets = js(page, "() => CNNExplore.presets")
    assert sorted(presets) == sorted(explore.PRESETS)
    rng = np.random.default_rng(0)
    stacks = [[{"k": ly[1], "s": ly[2], "d": ly[3], "p": ly[4]} for ly in p["layers"]]
              for p in presets.values()]
    stacks += [[{"k": int(rng.integers(1, 8)), "s": int(rng.integers(1, 4)),
                 "d": int(rng.integers(1, 4)), "p": 0} for _ in range(rng.integers(1, 7))]
               for _ in range(50)]
    ours = js(page, "stacks => stacks.map(s => CNNExplore.math.receptiveField(s))", stacks)
    for stack, rf in zip(stacks, ours):
        theirs = arithmetic.receptive_field([(ly["k"], ly["s"], ly["d"]) for ly in stack])
        assert (rf["size"], rf["jump"]) == (theirs.size, theirs.jump), stack
        assert [r["size"] for r in rf["table"]] == [r["size"] for r in theirs.table]


def test_the_field_lies_where_the_gradient_of_real_layers_says(page):
    """The rows a unit sees (start + i * jump, size rows) are those of the input whose
    gradient is non-zero, for stacks with padding, strides and dilation."""
    torch = pytest.importorskip("torch")
    stacks = [([(3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 1, 0), (3, 1, 2, 2)], 20),
              ([(5, 2, 1, 2), (3, 2, 1, 1), (3, 1, 1, 0)], 23),
              ([(11, 4, 1, 0), (3, 2, 1, 0), (5, 1, 1, 2), (3, 2, 1, 0)], 67)]
    for layers, n in stacks:
        rf = js(page, "s => CNNExplore.math.receptiveField(s)",
                [{"k": k, "s": s, "d": d, "p": p} for k, s, d, p in layers])
        net = torch.nn.Sequential(*[torch.nn.Conv2d(1, 1, k, s, p, d, bias=False)
                                    for k, s, d, p in layers])
        for m in net:
            torch.nn.init.constant_(m.weight, 1.0)
        x = torch.ones(1, 1, n, n, requires_grad=True)
        y = net(x)
        for i in (0, y.shape[-1] // 2, y.shape[-1] - 1):
            x.grad = None
            y[0, 0, i, i].backward(retain_graph=True)
            rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten().tolist()
            start = rf["start"] + i * rf["jump"]
            expected = [r for r in range(start, start + rf["size"]) if 0 <= r < n]
            assert rows == expected, (layers, i)


def test_cross_correlation_matches_conv2d(page):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for _ in range(20):
        X = rng.integers(-5, 6, size=tuple(rng.integers(2, 9, size=2))).astype(float)
        K = rng.integers(-3, 4, size=(rng.integers(1, X.shape[0] + 1),
                                      rng.integers(1, X.shape[1] + 1))).astype(float)
        ours = np.array(js(page, "([X, K]) => CNNExplore.math.corr2d(X, K, 0.5)",
                           [X.tolist(), K.tolist()]))
        theirs = torch.nn.functional.conv2d(torch.tensor(X)[None, None],
                                            torch.tensor(K)[None, None])[0, 0] + 0.5
        np.testing.assert_allclose(ours, theirs.numpy())


def pool_js(page, cases):
    """CNNExplore.math.pool2d's output for each (X, k, s, options), or its error text; one
    round trip to the page for all of them."""
    return js(page, """cases => cases.map(([X, k, s, o]) => {
        try { return CNNExplore.math.pool2d(X, k, s, o).Y; }
        catch (e) { return 'error: ' + e.message; } })""",
              [[X.tolist(), k, s, o] for X, k, s, o in cases])


def test_pooling_follows_pytorch_rules(page):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(2)
    cases = []
    for n, k, s in itertools.product(range(1, 7), range(1, 5), range(1, 4)):
        X = rng.normal(size=(n, n))
        for p, ceil, mode, count in itertools.product(range(0, k // 2 + 1), (False, True),
                                                      ("max", "avg"), (True, False)):
            if mode == "avg" or count:
                cases.append((X, k, s, {"framework": "pytorch", "padding": p, "ceilMode": ceil,
                                        "mode": mode, "countIncludePad": count}))
    for (X, k, s, o), ours in zip(cases, pool_js(page, cases)):
        t, p, ceil = torch.tensor(X)[None, None], o["padding"], o["ceilMode"]
        where = (len(X), k, s, o)
        try:
            if o["mode"] == "max":
                theirs = F.max_pool2d(t, k, s, p, ceil_mode=ceil)
            else:
                theirs = F.avg_pool2d(t, k, s, p, ceil_mode=ceil,
                                      count_include_pad=o["countIncludePad"])
        except RuntimeError:
            assert isinstance(ours, str) and ours.startswith("error"), where
            continue
        assert not isinstance(ours, str), (where, ours)
        np.testing.assert_allclose(ours, theirs[0, 0].numpy(), rtol=1e-12, err_msg=str(where))
    # Padding more than half the window: refused, as PyTorch refuses it.
    [refused] = pool_js(page, [(X5, 2, 2, {"framework": "pytorch", "padding": 2, "mode": "max"})])
    assert refused.startswith("error: PyTorch: padding 2 is more than half the window 2")


def test_pooling_follows_keras_rules(page):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(3)
    cases = [(rng.normal(size=(n, n)).astype("float32"), k, s,
              {"framework": "keras", "padding": padding, "mode": mode})
             for n, k, s, padding, mode in itertools.product(
                 range(1, 7), range(1, 4), range(1, 4), ("valid", "same"), ("max", "avg"))]
    for (X, k, s, o), ours in zip(cases, pool_js(page, cases)):
        where = (len(X), k, s, o["padding"], o["mode"])
        if o["padding"] == "valid" and k > len(X):
            assert ours.startswith("error: empty output"), where
            continue
        # keras.ops' pooling: what MaxPooling2D and AveragePooling2D call, without building
        # a layer for each of the 216 cases.
        pool = keras.ops.max_pool if o["mode"] == "max" else keras.ops.average_pool
        theirs = np.asarray(pool(X[None, :, :, None], k, s, o["padding"]))[0, :, :, 0]
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=str(where))


# ----------------------------------------------------------------------------- the figures

def set_control(page, figure, name, value):
    page.evaluate("""([fig, name, value]) => {
        const c = document.querySelector(`#${fig} [data-control="${name}"]`);
        if (c.type === 'checkbox') { c.checked = value; c.dispatchEvent(new Event('change')); }
        else { c.value = value;
               c.dispatchEvent(new Event(c.tagName === 'SELECT' ? 'change' : 'input')); }
    }""", [figure, name, value])


def text(page, selector):
    return page.locator(selector).first.text_content()


def test_the_cross_correlation_figure_sums_the_chapters_numbers_and_follows_edits(page):
    # The chapter's top-left output, term by term, as chapter 1 prints it.
    assert text(page, "#fig0 [data-role=terms]") == (
        "(-1)·1 + 0·0 + 1·2 + (-1)·5 + 0·4 + 1·2 + (-1)·3 + 0·4 + 1·5 + 1 = 1")
    outputs = [float(t) for t in page.locator("#fig0 [data-role=output] td").all_text_contents()]
    X = np.array(CHAPTER1_X, float)
    expected = [(X[i:i + 3, j:j + 3] * np.array(CHAPTER1_K)).sum() + 1
                for i in range(3) for j in range(3)]
    assert outputs == expected
    # Step with the keyboard: the window moves right, the sum follows.
    page.locator("#fig0 input[data-control=position]").focus()
    page.keyboard.press("ArrowRight")
    assert text(page, "#fig0 [data-role=terms]").endswith(f"= {expected[1]:g}")
    # Edit a cell of the input: the outputs that see it change.
    cell = page.locator("#fig0 [data-role=X] input").nth(6)  # X[1][1]
    cell.fill("10")
    outputs = [float(t) for t in page.locator("#fig0 [data-role=output] td").all_text_contents()]
    X[1, 1] = 10
    assert outputs == [(X[i:i + 3, j:j + 3] * np.array(CHAPTER1_K)).sum() + 1
                       for i in range(3) for j in range(3)]


def test_the_padding_figure_shows_d2lmini_sizes_and_keras_split(page):
    for mode, n, k, s, p, d in [("pytorch", 7, 3, 2, 1, 1), ("pytorch", 5, 4, 1, 0, 2),
                                ("valid", 9, 3, 3, 0, 1), ("same", 6, 4, 1, 0, 1),
                                ("same", 7, 3, 2, 0, 2), ("valid", 3, 5, 1, 0, 1)]:
        set_control(page, "fig1", "mode", mode)
        for name, value in zip("nkspd", (n, k, s, p, d)):
            set_control(page, "fig1", name, value)
        padding = p if mode == "pytorch" else mode
        try:
            size = arithmetic.conv_output_size(n, k, s, padding, d)
        except ValueError as e:
            assert text(page, "#fig1 [data-role=error]") == str(e)
            continue
        assert text(page, "#fig1 [data-role=size]") == f"{size}×{size}"
        assert text(page, "#fig1 [data-role=formula]").endswith(f"= {size}")
        split = arithmetic.same_padding(n, k, s, d) if mode == "same" else \
            ((p, p) if mode == "pytorch" else (0, 0))
        assert text(page, "#fig1 [data-role=padding]") == f"({split[0]}, {split[1]})"
    # The keyboard moves a slider and the figure follows.
    set_control(page, "fig1", "mode", "same")
    for name, value in zip("nkspd", (7, 3, 2, 0, 1)):
        set_control(page, "fig1", name, value)
    page.locator("#fig1 input[data-control=n]").focus()
    page.keyboard.press("ArrowRight")
    assert text(page, "#fig1 [data-role=size]") == "4×4"  # ceil(8 / 2)
    assert text(page, "#fig1 [data-role=padding]") == str(arithmetic.same_padding(8, 3, 2)) \
        .replace(" ", " ")


def test_the_receptive_field_figure_matches_d2lmini_for_every_preset(page):
    for name in explore.PRESETS:
        set_control(page, "fig2", "preset", name)
        layers = [(ly[1], ly[2], ly[3]) for ly in js(page, "n => CNNExplore.presets[n].layers", name)]
        rf = arithmetic.receptive_field(layers)
        assert text(page, "#fig2 [data-role=rf-size]") == f"{rf.size}×{rf.size}", name
        assert text(page, "#fig2 [data-role=jump]") == str(rf.jump), name
    # Edit a layer: the chapter's two 3x3 layers, then the second made 5x5.
    set_control(page, "fig2", "preset", "two 3×3")
    assert text(page, "#fig2 [data-role=rf-size]") == "5×5"
    set_control(page, "fig2", "k2", 5)
    assert text(page, "#fig2 [data-role=rf-size]") == "7×7"


def test_the_pooling_figure_shows_both_frameworks(page):
    # The chapter's 5x5 example: PyTorch with ceil_mode keeps the partial windows.
    set_control(page, "fig3", "ceil_mode", True)
    cells = [float(t) for t in page.locator("#fig3 [data-role=output] td").all_text_contents()]
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.avg_pool2d(torch.tensor(X5)[None, None], 2, 2, ceil_mode=True)
    np.testing.assert_allclose(cells, theirs.flatten().numpy(), atol=1e-3)
    set_control(page, "fig3", "framework", "keras")
    set_control(page, "fig3", "padding", "same")
    cells = [float(t) for t in page.locator("#fig3 [data-role=output] td").all_text_contents()]
    assert cells[-1] == 24.0  # the corner window holds one real pixel
    set_control(page, "fig3", "framework", "pytorch")
    set_control(page, "fig3", "p", 1)
    set_control(page, "fig3", "ceil_mode", False)
    assert "padding zeros count" in text(page, "#fig3 [data-role=window]")


def test_the_figures_fit_a_phone_and_leave_the_text_in_place(page):
    before = js(page, "() => document.querySelector('body > p').getBoundingClientRect().top")
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        assert js(page, "() => document.documentElement.scrollWidth") <= 390
        for i in range(4):
            box = page.locator(f"#fig{i} .cnnbook-explore").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, box)
        # Moving a control does not move the text above the figures.
        set_control(page, "fig1", "n", 3)
        assert js(page, "() => document.querySelector('body > p').getBoundingClientRect()"
                        ".top") == before
        page.screenshot(path=str(page.path.with_name("phone.png")), full_page=True)
    finally:
        page.set_viewport_size({"width": 1000, "height": 900})


def test_every_control_has_a_label(page):
    unlabelled = js(page, """() => Array.from(document.querySelectorAll(
        '.cnnbook-explore input, .cnnbook-explore select, .cnnbook-explore button'))
        .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
                     && !c.textContent.trim())
        .map(c => c.outerHTML.slice(0, 80))""")
    assert unlabelled == []
