/*
 * Framework tabs for the book's notebooks.
 *
 * Jupyter Book renders a code cell tagged `pytorch` or `tensorflow` as
 * <div class="cell tag_pytorch ...">. This script groups every run of consecutive tagged
 * cells (with their outputs) into one tab group with a "PyTorch" and a "TensorFlow" tab.
 * Choosing a framework switches every group on the page and is remembered (localStorage)
 * across pages and visits; PyTorch is the default. `?framework=tensorflow` in the address
 * selects a framework too. Without JavaScript nothing is hidden: both cells show, each
 * labelled by the style sheet. Untagged cells are left alone.
 *
 * FRAMEWORKS below and the labels in framework-tabs.css repeat the table of
 * d2lmini/frameworks.py (tests/test_export.py checks that they agree).
 */
(function () {
  "use strict";

  var FRAMEWORKS = [
    { id: "pytorch", label: "PyTorch" },
    { id: "tensorflow", label: "TensorFlow" },
  ];
  var DEFAULT = "pytorch";
  var KEY = "cnnbook-framework";
  var root = document.documentElement;

  function isFramework(id) {
    return FRAMEWORKS.some(function (f) { return f.id === id; });
  }

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return isFramework(value) ? value : null;
    } catch (e) {
      return null; // storage blocked (privacy mode, some file:// set-ups)
    }
  }

  function store(id) {
    try {
      window.localStorage.setItem(KEY, id);
    } catch (e) {
      /* the choice then lasts for this page only */
    }
  }

  function fromAddress() {
    var match = /[?&]framework=([a-z]+)/.exec(window.location.search);
    return match && isFramework(match[1]) ? match[1] : null;
  }

  // Apply the choice before the page is painted; the style sheet hides the other panel.
  var initial = fromAddress() || stored() || DEFAULT;
  if (fromAddress()) store(initial);
  root.setAttribute("data-framework", initial);

  function frameworkOf(el) {
    if (!el || !el.classList || !el.classList.contains("cell")) return null;
    for (var i = 0; i < FRAMEWORKS.length; i++) {
      if (el.classList.contains("tag_" + FRAMEWORKS[i].id)) return FRAMEWORKS[i].id;
    }
    return null;
  }

  function select(id, anchor) {
    if (!isFramework(id)) return;
    // Keep the group the reader clicked at the same place on the screen.
    var before = anchor ? anchor.getBoundingClientRect().top : null;
    root.setAttribute("data-framework", id);
    var tabs = document.querySelectorAll(".fw-tabs__tab");
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i].getAttribute("data-fw") === id;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      tabs[i].tabIndex = on ? 0 : -1;
    }
    if (anchor) {
      var after = anchor.getBoundingClientRect().top;
      if (after !== before) window.scrollBy(0, after - before);
    }
  }

  var counter = 0;

  function buildGroup(cells) {
    var n = ++counter;
    var group = document.createElement("div");
    group.className = "fw-tabs";
    var bar = document.createElement("div");
    bar.className = "fw-tabs__bar";
    bar.setAttribute("role", "tablist");
    bar.setAttribute("aria-label", "Framework");
    group.appendChild(bar);

    var present = FRAMEWORKS.filter(function (f) {
      return cells.some(function (c) { return frameworkOf(c) === f.id; });
    });
    if (present.length < FRAMEWORKS.length) group.classList.add("fw-tabs--single");

    cells[0].parentNode.insertBefore(group, cells[0]);
    present.forEach(function (f) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "fw-tabs__tab";
      tab.id = "fw-tab-" + n + "-" + f.id;
      tab.setAttribute("role", "tab");
      tab.setAttribute("data-fw", f.id);
      tab.setAttribute("aria-controls", "fw-panel-" + n + "-" + f.id);
      tab.textContent = f.label;
      bar.appendChild(tab);

      var panel = document.createElement("div");
      panel.className = "fw-tabs__panel";
      panel.id = "fw-panel-" + n + "-" + f.id;
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("data-fw", f.id);
      panel.setAttribute("aria-labelledby", tab.id);
      cells.forEach(function (c) {
        if (frameworkOf(c) === f.id) panel.appendChild(c);
      });
      group.appendChild(panel);
    });
    if (present.length < FRAMEWORKS.length) {
      var note = document.createElement("span");
      note.className = "fw-tabs__note";
      note.textContent = "only in " + present[0].label;
      bar.appendChild(note);
    }
  }

  function groupCells() {
    var cells = document.querySelectorAll(FRAMEWORKS.map(function (f) {
      return ".cell.tag_" + f.id;
    }).join(", "));
    var seen = [];
    for (var i = 0; i < cells.length; i++) {
      var cell = cells[i];
      if (seen.indexOf(cell) >= 0) continue;
      // Start of a run: the previous element sibling is not a tagged cell.
      var run = [cell];
      seen.push(cell);
      var next = cell.nextElementSibling;
      while (frameworkOf(next)) {
        run.push(next);
        seen.push(next);
        next = next.nextElementSibling;
      }
      buildGroup(run);
    }
    root.classList.add("fw-tabs-ready");
    select(root.getAttribute("data-framework") || DEFAULT, null);
    revealTarget();
  }

  // A link to an anchor inside the other framework's panel (e.g. a figure in a TensorFlow
  // output) switches this page to that framework, without changing the stored choice.
  function revealTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    var panel = target && target.closest && target.closest(".fw-tabs__panel");
    if (!panel || panel.getClientRects().length > 0) return;
    select(panel.getAttribute("data-fw"), null);
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", revealTarget);

  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest(".fw-tabs__tab");
    if (!tab) return;
    var id = tab.getAttribute("data-fw");
    store(id);
    select(id, tab.closest(".fw-tabs"));
  });

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest(".fw-tabs__tab");
    if (!tab || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll(".fw-tabs__tab"));
    var i = tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : -1);
    var target = tabs[(i + tabs.length) % tabs.length];
    target.focus();
    target.click();
    event.preventDefault();
  });

  // Another window of the book changed the framework: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY && isFramework(event.newValue)) select(event.newValue, null);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", groupCells);
  } else {
    groupCells();
  }

  window.cnnbookFramework = { select: function (id) { store(id); select(id, null); } };
})();
