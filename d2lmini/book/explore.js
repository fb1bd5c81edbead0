/*
 * Explorables: the interactive figures of Part I, computed in the page.
 *
 * PyTorch and TensorFlow do not run in a browser, so the figures compute in plain JavaScript
 * with the same formulas as d2lmini.arithmetic (output sizes, Keras' 'same' padding,
 * receptive fields) and the same rules as the chapters' NumPy code (cross-correlation,
 * pooling in PyTorch and in Keras). tests/test_explore.py compares every number shown here
 * with d2lmini and with real layers.
 *
 * A figure is a <div class="cnnbook-explore" data-explore="NAME" data-options="{...}">,
 * written by d2lmini.book.explore.show(); this script turns each into its figure. It works from
 * file://, in JupyterLab and in Colab (the same output carries this script inline), with
 * the keyboard (every control is a labelled native input) and on a phone-sized screen.
 */
(function () {
  "use strict";
  var VERSION = 1;
  if (window.CNNExplore && window.CNNExplore.version >= VERSION) {
    window.CNNExplore.mountAll();
    return;
  }

  // ------------------------------------------------------------------ arithmetic
  // Mirrors d2lmini/arithmetic.py; errors carry the same messages.

  function kEff(k, d) {
    return d * (k - 1) + 1;
  }

  function emptyMessage(n, k, d, ke, s, padding, padded) {
    var dil = d !== 1 ? " (dilation " + d + ": it spans " + ke + ")" : "";
    var pad = padded === n ? "the input of size " + n :
      "the input of size " + n + " padded to " + padded;
    return "empty output: a window of size " + k + dil + " with stride " + s +
      " and padding " + padding + " does not fit into " + pad + ". Use a smaller kernel or " +
      "dilation, more padding (e.g. 'same'), or a larger input (at least " +
      (ke - (padded - n)) + ").";
  }

  /** Output size along one dimension; padding is an integer, "valid" or "same". */
  function convOutputSize(n, k, s, padding, d, ceilMode) {
    s = s || 1;
    d = d || 1;
    var ke = kEff(k, d), span, out;
    if (padding === "same") {
      return Math.ceil(n / s);
    }
    if (padding === "valid") {
      span = n - ke + 1;
      if (span < 1) {
        throw new Error(emptyMessage(n, k, d, ke, s, "'valid'", n));
      }
      return Math.ceil(span / s);
    }
    var padded = n + 2 * padding;
    span = padded - ke;
    if (!ceilMode) {
      out = span >= 0 ? Math.floor(span / s) + 1 : 0;
    } else {
      out = Math.floor((span + s - 1) / s) + 1;
      if (out > 1 && (out - 1) * s >= n + padding) {
        out -= 1;
      }
    }
    if (out < 1) {
      throw new Error(emptyMessage(n, k, d, ke, s, padding, padded));
    }
    return out;
  }

  /** Keras' zeros before and after for padding='same': [before, after]. */
  function samePadding(n, k, s, d) {
    var out = Math.ceil(n / (s || 1));
    var total = Math.max((out - 1) * (s || 1) + kEff(k, d || 1) - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }

  /**
   * Receptive field of a stack of layers {k, s, d, p} (p: zeros before, default 0):
   * {size, jump, start, table}. Unit u of the last layer sees the input positions
   * start + u * jump ... start + u * jump + size - 1 (negative or past the end: padding).
   */
  function receptiveField(layers) {
    var size = 1, jump = 1, start = 0, table = [];
    layers.forEach(function (layer, i) {
      var d = layer.d || 1, ke = kEff(layer.k, d);
      start -= (layer.p || 0) * jump;
      size += (ke - 1) * jump;
      jump *= layer.s;
      table.push({layer: i + 1, size: size, jump: jump, start: start});
    });
    return {size: size, jump: jump, start: start, table: table};
  }

  /** 2-D cross-correlation of X (rows of numbers) with K, plus b. */
  function corr2d(X, K, b) {
    var oh = X.length - K.length + 1, ow = X[0].length - K[0].length + 1, Y = [];
    for (var i = 0; i < oh; i++) {
      Y.push([]);
      for (var j = 0; j < ow; j++) {
        var sum = b || 0;
        for (var a = 0; a < K.length; a++) {
          for (var c = 0; c < K[0].length; c++) {
            sum += X[i + a][j + c] * K[a][c];
          }
        }
        Y[i].push(sum);
      }
    }
    return Y;
  }

  /**
   * Pooling of a square input X (n x n) with k x k windows at stride s, by the rules of
   * o.framework: "pytorch" (o.padding an integer, o.ceilMode, o.countIncludePad) or
   * "keras" (o.padding "valid" or "same"); o.mode "max" or "avg". Returns {Y, windows,
   * before}: windows[i][j] lists the cells of the window, each {r, c, kind} with kind
   * "real", "pad" (counted as 0 by PyTorch's average with countIncludePad) or "none"
   * (counted by nothing).
   */
  function pool2d(X, k, s, o) {
    var n = X.length, out, before, padEnd;
    if (o.framework === "pytorch") {
      var p = o.padding || 0;
      if (2 * p > k) {
        throw new Error("PyTorch: padding " + p + " is more than half the window " + k +
          " (pad should be at most half of the kernel size). Use padding \u2264 " +
          Math.floor(k / 2) + ".");
      }
      out = convOutputSize(n, k, s, p, 1, o.ceilMode);
      before = p;
      padEnd = n + p;  // cells from n to n + p - 1 are padding; beyond, ceil_mode's extra
    } else {
      out = convOutputSize(n, k, s, o.padding, 1, false);
      before = o.padding === "same" ? samePadding(n, k, s, 1)[0] : 0;
      padEnd = n;  // Keras never counts padding
    }
    var Y = [], windows = [];
    for (var i = 0; i < out; i++) {
      Y.push([]);
      windows.push([]);
      for (var j = 0; j < out; j++) {
        var cells = [], best = -Infinity, sum = 0, count = 0;
        for (var a = 0; a < k; a++) {
          for (var c = 0; c < k; c++) {
            var r = i * s - before + a, q = j * s - before + c, kind;
            if (r >= 0 && r < n && q >= 0 && q < n) {
              kind = "real";
            } else if (o.framework === "pytorch" && r >= -before && r < padEnd &&
                       q >= -before && q < padEnd) {
              kind = "pad";
            } else {
              kind = "none";
            }
            cells.push({r: r, c: q, kind: kind});
            if (kind === "real") {
              best = Math.max(best, X[r][q]);
              sum += X[r][q];
              count += 1;
            } else if (kind === "pad" && o.mode === "avg" && o.countIncludePad) {
              count += 1;
            }
          }
        }
        Y[i].push(o.mode === "max" ? best : sum / count);
        windows[i].push(cells);
      }
    }
    return {Y: Y, windows: windows, before: before};
  }

  // ------------------------------------------------------------------ DOM helpers

  var SVGNS = "http://www.w3.org/2000/svg";
  var uid = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") {
        node.textContent = attrs[key];
      } else if (key === "class") {
        node.className = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    return node;
  }

  /** A labelled range input; onChange(value) on every move (keyboard or pointer). */
  function slider(name, label, min, max, value, onChange) {
    var id = "cx-" + name + "-" + (++uid);
    var shown = el("output", {"for": id, text: String(value)});
    var input = el("input", {type: "range", id: id, min: min, max: max, step: 1,
                             value: value, "data-control": name});
    input.addEventListener("input", function () {
      shown.textContent = input.value;
      onChange(parseInt(input.value, 10));
    });
    // The keys a range input answers, done here: a notebook front end (JupyterLab) may
    // claim the arrow keys for moving between cells and cancel their default action.
    var KEYS = {ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1,
                PageDown: -Math.max(1, Math.round((max - min) / 10)),
                PageUp: Math.max(1, Math.round((max - min) / 10)),
                Home: -Infinity, End: Infinity};
    input.addEventListener("keydown", function (event) {
      if (!(event.key in KEYS)) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      var old = parseInt(input.value, 10);
      var v = Math.min(max, Math.max(min, old + KEYS[event.key]));
      if (v !== old) {
        input.value = v;
        input.dispatchEvent(new Event("input"));
      }
    });
    return el("div", {class: "cx-control"}, [
      el("label", {"for": id}, [label + " ", shown]), input]);
  }

  function choice(name, label, options, value, onChange) {
    var id = "cx-" + name + "-" + (++uid);
    var select = el("select", {id: id, "data-control": name});
    options.forEach(function (opt) {
      var o = el("option", {value: opt[0], text: opt[1]});
      if (opt[0] === value) {
        o.selected = true;
      }
      select.appendChild(o);
    });
    select.addEventListener("change", function () {
      onChange(select.value);
    });
    return el("div", {class: "cx-control"}, [el("label", {"for": id, text: label}), select]);
  }

  function checkbox(name, label, value, onChange) {
    var id = "cx-" + name + "-" + (++uid);
    var box = el("input", {type: "checkbox", id: id, "data-control": name});
    box.checked = !!value;
    box.addEventListener("change", function () {
      onChange(box.checked);
    });
    return el("div", {class: "cx-control cx-check"}, [box, el("label", {"for": id, text: label})]);
  }

  function button(label, onClick, attrs) {
    var b = el("button", Object.assign({type: "button", class: "cx-button", text: label},
                                       attrs || {}));
    b.addEventListener("click", onClick);
    return b;
  }

  function fmt(v) {
    if (!isFinite(v)) {
      return String(v);
    }
    var r = Math.round(v * 1000) / 1000;
    return String(Object.is(r, -0) ? 0 : r);
  }

  /** A square grid drawn in SVG: cell(r, c) returns {fill, text, stroke} or null. */
  function grid(rows, cols, cell, opts) {
    opts = opts || {};
    var size = opts.size || Math.max(10, Math.min(34, Math.floor(280 / Math.max(rows, cols))));
    var w = cols * size, h = rows * size;
    var root = svg("svg", {viewBox: "0 0 " + w + " " + h, width: w, height: h,
                           role: "img", "aria-label": opts.label || "grid", class: "cx-grid"});
    for (var r = 0; r < rows; r++) {
      for (var c = 0; c < cols; c++) {
        var spec = cell(r, c) || {};
        var rect = svg("rect", {x: c * size + 0.5, y: r * size + 0.5, width: size - 1,
                                height: size - 1, fill: spec.fill || "#fff",
                                stroke: spec.stroke || "#9aa4ae",
                                "stroke-width": spec.strokeWidth || 1});
        if (spec.dash) {
          rect.setAttribute("stroke-dasharray", "3 2");
        }
        if (opts.onPick) {
          rect.setAttribute("data-r", r);
          rect.setAttribute("data-c", c);
          rect.style.cursor = "pointer";
        }
        root.appendChild(rect);
        if (spec.text !== undefined && size >= 16) {
          var t = svg("text", {x: c * size + size / 2, y: r * size + size / 2 + 4,
                               "text-anchor": "middle", "font-size": Math.min(13, size * 0.45),
                               fill: spec.textFill || "#1b1f24"});
          t.textContent = spec.text;
          t.style.pointerEvents = "none";
          root.appendChild(t);
        }
      }
    }
    if (opts.onPick) {
      var pick = function (event) {
        var t = event.target;
        if (t.hasAttribute && t.hasAttribute("data-r")) {
          opts.onPick(+t.getAttribute("data-r"), +t.getAttribute("data-c"));
        }
      };
      root.addEventListener("click", pick);
      root.addEventListener("mouseover", pick);
    }
    return root;
  }

  var HIGHLIGHT = "#cfe3ff", TAP = "#7fb2f0", PAD = "#eceff3", OUT = "#ffe2a8";

  /** Prev/next buttons and a position slider over `count` positions. */
  function stepper(count, value, onChange, label) {
    var box = el("div", {class: "cx-stepper"});
    var ctl = slider("position", label || "window", 1, count, value + 1, function (v) {
      onChange(v - 1);
    });
    var input = ctl.querySelector("input");
    function go(delta) {
      var v = Math.min(count, Math.max(1, parseInt(input.value, 10) + delta));
      input.value = v;
      input.dispatchEvent(new Event("input"));
    }
    box.appendChild(button("\u25c0", function () { go(-1); }, {"aria-label": "previous window"}));
    box.appendChild(ctl);
    box.appendChild(button("\u25b6", function () { go(1); }, {"aria-label": "next window"}));
    return box;
  }

  // ------------------------------------------------------------------ figures

  var figures = {};

  /* 1. Cross-correlation: editable X and K, the window steps over X, the sum is shown. */
  figures["cross-correlation"] = function (root, opt) {
    var X = opt.X || [[0, 1, 2], [3, 4, 5], [6, 7, 8]];
    var K = opt.K || [[0, 1], [2, 3]];
    var state = {b: opt.b || 0, pos: 0};
    var view = el("div", {class: "cx-view"});
    var matrices = el("div", {class: "cx-row"});

    function editable(M, name) {
      var table = el("table", {class: "cx-matrix", "data-role": name});
      M.forEach(function (row, r) {
        var tr = el("tr");
        row.forEach(function (v, c) {
          var input = el("input", {type: "number", step: "any", value: v,
                                   "aria-label": name + "[" + r + "][" + c + "]"});
          input.addEventListener("input", function () {
            var x = parseFloat(input.value);
            M[r][c] = isFinite(x) ? x : 0;
            draw();
          });
          tr.appendChild(el("td", {}, [input]));
        });
        table.appendChild(tr);
      });
      return table;
    }

    var xTable = editable(X, "X"), kTable = editable(K, "K");
    matrices.appendChild(el("figure", {}, [xTable, el("figcaption", {text: "input X"})]));
    matrices.appendChild(el("figure", {}, [kTable, el("figcaption", {text: "kernel K"})]));
    var bInput = el("input", {type: "number", step: "any", value: state.b, "aria-label": "bias b",
                              class: "cx-bias"});
    bInput.addEventListener("input", function () {
      var x = parseFloat(bInput.value);
      state.b = isFinite(x) ? x : 0;
      draw();
    });
    matrices.appendChild(el("figure", {}, [bInput, el("figcaption", {text: "bias b"})]));
    var oh = X.length - K.length + 1, ow = X[0].length - K[0].length + 1;
    root.appendChild(el("p", {class: "cx-title", text: "Cross-correlation: the window of K " +
      "slides over X; move it with the slider, the arrows, or by pointing at an output."}));
    root.appendChild(matrices);
    root.appendChild(stepper(oh * ow, 0, function (v) { state.pos = v; draw(); },
                             "window position"));
    root.appendChild(view);

    function draw() {
      var Y = corr2d(X, K, state.b), i = Math.floor(state.pos / ow), j = state.pos % ow;
      // Highlight the window's cells in the editable input.
      Array.prototype.forEach.call(xTable.querySelectorAll("tr"), function (tr, r) {
        Array.prototype.forEach.call(tr.children, function (td, c) {
          var inside = r >= i && r < i + K.length && c >= j && c < j + K[0].length;
          td.className = inside ? "cx-in-window" : "";
        });
      });
      var terms = [];
      for (var a = 0; a < K.length; a++) {
        for (var c = 0; c < K[0].length; c++) {
          var k = K[a][c];
          terms.push((k < 0 ? "(" + fmt(k) + ")" : fmt(k)) + "\u00b7" + fmt(X[i + a][j + c]));
        }
      }
      var sum = terms.join(" + ") + (state.b ? " + " + fmt(state.b) : "") + " = " + fmt(Y[i][j]);
      view.textContent = "";
      view.appendChild(el("p", {class: "cx-formula"}, [
        "Y[" + i + ", " + j + "] = ", el("span", {"data-role": "terms", text: sum})]));
      var out = el("table", {class: "cx-matrix cx-output", "data-role": "output"});
      Y.forEach(function (row, r) {
        var tr = el("tr");
        row.forEach(function (v, c) {
          var td = el("td", {text: fmt(v), "data-r": r, "data-c": c});
          if (r === i && c === j) {
            td.className = "cx-selected";
          }
          td.addEventListener("mouseenter", function () { select(r * ow + c); });
          td.addEventListener("click", function () { select(r * ow + c); });
          tr.appendChild(td);
        });
        out.appendChild(tr);
      });
      view.appendChild(el("figure", {}, [out, el("figcaption", {
        text: "output Y, " + oh + "\u00d7" + ow + " = (" + X.length + " \u2212 " + K.length +
          " + 1)\u00d7(" + X[0].length + " \u2212 " + K[0].length + " + 1)"})]));
    }

    function select(pos) {
      if (pos === state.pos) {
        return;  // redrawing would replace the cell under the pointer, and so on
      }
      var input = root.querySelector('input[data-control="position"]');
      input.value = pos + 1;
      input.dispatchEvent(new Event("input"));
    }
    draw();
  };

  /* 2. Padding, stride and dilation; PyTorch's padding=p or Keras' 'valid'/'same'. */
  figures.padding = function (root, opt) {
    var s = {n: opt.n || 7, k: opt.k || 3, p: opt.p || 0, s: opt.s || 1, d: opt.d || 1,
             mode: opt.mode || "pytorch", pos: 0};
    var view = el("div", {class: "cx-view"});
    var controls = el("div", {class: "cx-controls"});
    root.appendChild(el("p", {class: "cx-title", text: "Padding, stride and dilation: the " +
      "padded input (grey: zeros), one window's taps (blue) and the output size."}));
    controls.appendChild(choice("mode", "padding", [
      ["pytorch", "PyTorch padding=p"], ["valid", "Keras 'valid'"], ["same", "Keras 'same'"]],
      s.mode, function (v) { s.mode = v; s.pos = 0; draw(); }));
    [["n", "input n", 1, 16], ["k", "kernel k", 1, 7], ["p", "padding p", 0, 4],
     ["s", "stride s", 1, 4], ["d", "dilation d", 1, 3]].forEach(function (c) {
      controls.appendChild(slider(c[0], c[1], c[2], c[3], s[c[0]], function (v) {
        s[c[0]] = v;
        s.pos = 0;
        draw();
      }));
    });
    root.appendChild(controls);
    root.appendChild(view);

    function formula(out, ke) {
      var keText = s.d > 1 ? "k_eff = d(k \u2212 1) + 1 = " + ke + "; " : "";
      if (s.mode === "pytorch") {
        return keText + "\u230a(n + 2p \u2212 k_eff) / s\u230b + 1 = \u230a(" + s.n + " + 2\u00b7" +
          s.p + " \u2212 " + ke + ") / " + s.s + "\u230b + 1 = " + out;
      }
      if (s.mode === "valid") {
        return keText + "\u2308(n \u2212 k_eff + 1) / s\u2309 = \u2308(" + s.n + " \u2212 " + ke +
          " + 1) / " + s.s + "\u2309 = " + out;
      }
      return "\u2308n / s\u2309 = \u2308" + s.n + " / " + s.s + "\u2309 = " + out;
    }

    function draw() {
      var ke = kEff(s.k, s.d), out, pad, error = null;
      root.querySelector('[data-control="p"]').disabled = s.mode !== "pytorch";
      try {
        out = convOutputSize(s.n, s.k, s.s, s.mode === "pytorch" ? s.p : s.mode, s.d);
      } catch (e) {
        error = e.message;
      }
      pad = s.mode === "pytorch" ? [s.p, s.p] :
        s.mode === "same" ? samePadding(s.n, s.k, s.s, s.d) : [0, 0];
      view.textContent = "";
      var info = el("div", {class: "cx-info"});
      if (error) {
        info.appendChild(el("p", {class: "cx-error", "data-role": "error", text: error}));
      } else {
        info.appendChild(el("p", {class: "cx-formula"}, ["output size ",
          el("span", {"data-role": "formula", text: formula(out, ke)}), ", ",
          el("strong", {"data-role": "size", text: out + "\u00d7" + out})]));
        var total = pad[0] + pad[1];
        var padText = "(" + pad[0] + ", " + pad[1] + ")";
        var why = s.mode === "same" ?
          "Keras pads max((out \u2212 1)s + k_eff \u2212 n, 0) = " + total + " zeros: " +
          (total % 2 ? "an odd total, so the extra zero goes after (bottom and right)" :
           "an even total, split equally") :
          s.mode === "valid" ? "'valid' adds no zeros" : "PyTorch pads p zeros on each side";
        info.appendChild(el("p", {}, ["zeros (before, after) ",
          el("strong", {"data-role": "padding", text: padText}), ": " + why + "."]));
      }
      view.appendChild(info);
      var N = pad[0] + s.n + pad[1];
      var i = 0, j = 0, taps = {};
      if (!error) {
        i = Math.floor(s.pos / out);
        j = s.pos % out;
        for (var a = 0; a < s.k; a++) {
          for (var c = 0; c < s.k; c++) {
            taps[(i * s.s + a * s.d) + "," + (j * s.s + c * s.d)] = true;
          }
        }
      }
      var picture = el("div", {class: "cx-row"});
      picture.appendChild(el("figure", {}, [grid(N, N, function (r, c) {
        var isPad = r < pad[0] || c < pad[0] || r >= pad[0] + s.n || c >= pad[0] + s.n;
        var inWindow = !error && r >= i * s.s && r < i * s.s + ke && c >= j * s.s &&
          c < j * s.s + ke;
        return {fill: taps[r + "," + c] ? TAP : inWindow ? HIGHLIGHT : isPad ? PAD : "#fff",
                text: isPad ? "0" : undefined, textFill: "#77808a",
                dash: isPad};
      }, {label: "padded input, " + N + " by " + N}), el("figcaption", {
        text: "padded input " + N + "\u00d7" + N}), ]));
      if (!error) {
        picture.appendChild(el("figure", {}, [grid(out, out, function (r, c) {
          return {fill: r === i && c === j ? OUT : "#fff"};
        }, {label: "output, " + out + " by " + out, onPick: function (r, c) {
          if (r * out + c === s.pos) {
            return;
          }
          var input = root.querySelector('input[data-control="position"]');
          input.value = r * out + c + 1;
          input.dispatchEvent(new Event("input"));
        }}), el("figcaption", {text: "output " + out + "\u00d7" + out})]));
      }
      view.appendChild(picture);
      if (!error) {
        var st = stepper(out * out, s.pos, function (v) { s.pos = v; draw(); keepFocus(); },
                         "window");
        view.appendChild(st);
      }
    }

    function keepFocus() {
      var input = root.querySelector('input[data-control="position"]');
      if (input) {
        input.focus();
      }
    }
    draw();
  };

  var PRESETS = {
    "two 3\u00d73": {n: 9, layers: [["conv", 3, 1, 1, 0], ["conv", 3, 1, 1, 0]]},
    "one 5\u00d75": {n: 9, layers: [["conv", 5, 1, 1, 0]]},
    "the chapter's stack": {n: 32, layers: [["conv", 3, 1, 1, 0], ["conv", 3, 1, 1, 0],
      ["pool", 2, 2, 1, 0], ["conv", 3, 1, 1, 0], ["conv", 3, 1, 1, 0], ["pool", 2, 2, 1, 0],
      ["conv", 3, 1, 2, 0]]},
    "LeNet-5": {n: 32, layers: [["conv", 5, 1, 1, 0], ["pool", 2, 2, 1, 0],
      ["conv", 5, 1, 1, 0], ["pool", 2, 2, 1, 0], ["conv", 5, 1, 1, 0]]},
    "AlexNet": {n: 227, layers: [["conv", 11, 4, 1, 0], ["pool", 3, 2, 1, 0],
      ["conv", 5, 1, 1, 2], ["pool", 3, 2, 1, 0], ["conv", 3, 1, 1, 1], ["conv", 3, 1, 1, 1],
      ["conv", 3, 1, 1, 1], ["pool", 3, 2, 1, 0]]},
    "VGG-16": {n: 224, layers: (function () {
      var out = [];
      [2, 2, 3, 3, 3].forEach(function (m) {
        for (var i = 0; i < m; i++) {
          out.push(["conv", 3, 1, 1, 1]);
        }
        out.push(["pool", 2, 2, 1, 0]);
      });
      return out;
    })()},
  };

  /* 3. Receptive fields: a stack of layers, the field of one output unit on the input. */
  figures["receptive-field"] = function (root, opt) {
    var state = {preset: opt.preset || "two 3\u00d73", n: 9, layers: [], i: 0, j: 0};
    function load(name) {
      var p = PRESETS[name];
      state.preset = name;
      state.n = p.n;
      state.layers = p.layers.map(function (l) {
        return {kind: l[0], k: l[1], s: l[2], d: l[3], p: l[4]};
      });
      state.i = state.j = 0;
    }
    load(state.preset);
    root.appendChild(el("p", {class: "cx-title", text: "Receptive fields: edit the stack " +
      "(kernel k, stride s, dilation d, padding p per layer) and pick a unit of the last " +
      "layer; blue is the input it sees."}));
    var top = el("div", {class: "cx-controls"});
    top.appendChild(choice("preset", "stack", Object.keys(PRESETS).map(function (k) {
      return [k, k];
    }), state.preset, function (v) { load(v); build(); }));
    root.appendChild(top);
    var body = el("div", {class: "cx-view"});
    root.appendChild(body);

    function build() {
      body.textContent = "";
      var nCtl = slider("n", "input size n", 1, 256, state.n, function (v) {
        state.n = v; draw();
      });
      body.appendChild(nCtl);
      var table = el("table", {class: "cx-table", "data-role": "layers"});
      table.appendChild(el("tr", {}, ["layer", "k", "s", "d", "p", "output", "field", "jump", ""]
        .map(function (h) { return el("th", {text: h}); })));
      state.layers.forEach(function (layer, idx) {
        var tr = el("tr");
        tr.appendChild(el("td", {text: (idx + 1) + " " + layer.kind}));
        ["k", "s", "d", "p"].forEach(function (key) {
          var input = el("input", {type: "number", min: key === "p" ? 0 : 1, max: 32,
                                   value: layer[key], "data-control": key + (idx + 1),
                                   "aria-label": "layer " + (idx + 1) + " " + key});
          input.addEventListener("input", function () {
            var v = parseInt(input.value, 10), lo = key === "p" ? 0 : 1;
            if (isFinite(v) && v >= lo) {
              layer[key] = v;
              draw();
            }
          });
          tr.appendChild(el("td", {}, [input]));
        });
        ["out", "size", "jump"].forEach(function (key) {
          tr.appendChild(el("td", {"data-role": key + (idx + 1)}));
        });
        tr.appendChild(el("td", {}, [button("\u00d7", function () {
          state.layers.splice(idx, 1); build();
        }, {"aria-label": "remove layer " + (idx + 1)})]));
        table.appendChild(tr);
      });
      body.appendChild(el("div", {class: "cx-scroll"}, [table]));
      body.appendChild(el("div", {class: "cx-row"}, [
        button("add a 3\u00d73 convolution", function () {
          state.layers.push({kind: "conv", k: 3, s: 1, d: 1, p: 0}); build();
        }),
        button("add a 2\u00d72 pooling", function () {
          state.layers.push({kind: "pool", k: 2, s: 2, d: 1, p: 0}); build();
        })]));
      body.appendChild(el("div", {class: "cx-controls", "data-role": "unit"}));
      body.appendChild(el("div", {class: "cx-info", "data-role": "result"}));
      draw();
    }

    function draw() {
      var rf = receptiveField(state.layers), sizes = [], n = state.n, error = null;
      state.layers.forEach(function (layer, idx) {
        if (error) {
          return;
        }
        try {
          n = convOutputSize(n, layer.k, layer.s, layer.p, layer.d);
          sizes.push(n);
        } catch (e) {
          error = "layer " + (idx + 1) + ": " + e.message;
        }
      });
      state.layers.forEach(function (layer, idx) {
        body.querySelector('[data-role="out' + (idx + 1) + '"]').textContent =
          idx < sizes.length ? sizes[idx] + "\u00d7" + sizes[idx] : "\u2014";
        body.querySelector('[data-role="size' + (idx + 1) + '"]').textContent =
          rf.table[idx].size;
        body.querySelector('[data-role="jump' + (idx + 1) + '"]').textContent =
          rf.table[idx].jump;
      });
      var unit = body.querySelector('[data-role="unit"]');
      var result = body.querySelector('[data-role="result"]');
      unit.textContent = "";
      result.textContent = "";
      if (error) {
        result.appendChild(el("p", {class: "cx-error", "data-role": "error", text: error}));
        return;
      }
      var last = state.layers.length ? sizes[sizes.length - 1] : state.n;
      state.i = Math.min(state.i, last - 1);
      state.j = Math.min(state.j, last - 1);
      unit.appendChild(slider("i", "unit row i", 0, last - 1, state.i, function (v) {
        state.i = v; draw(); focus("i");
      }));
      unit.appendChild(slider("j", "unit column j", 0, last - 1, state.j, function (v) {
        state.j = v; draw(); focus("j");
      }));
      var r0 = rf.start + state.i * rf.jump, c0 = rf.start + state.j * rf.jump;
      var r1 = r0 + rf.size - 1, c1 = c0 + rf.size - 1;
      result.appendChild(el("p", {class: "cx-formula"}, [
        "receptive field ", el("strong", {"data-role": "rf-size",
          text: rf.size + "\u00d7" + rf.size}), ", jump ",
        el("strong", {"data-role": "jump", text: String(rf.jump)}),
        ": unit (" + state.i + ", " + state.j + ") of the last layer sees input rows ",
        el("span", {"data-role": "span", text: r0 + " to " + r1 + ", columns " + c0 + " to " + c1}),
        r0 < 0 || c0 < 0 || r1 >= state.n || c1 >= state.n ?
          " (outside 0 to " + (state.n - 1) + ": padding)." : "."]));
      var N = state.n, scale = Math.max(1, Math.ceil(N / 64)), cells = Math.ceil(N / scale);
      result.appendChild(el("figure", {}, [grid(cells, cells, function (r, c) {
        var rr = r * scale, cc = c * scale;
        var inside = rr + scale - 1 >= r0 && rr <= r1 && cc + scale - 1 >= c0 && cc <= c1;
        return {fill: inside ? TAP : "#fff", stroke: inside ? "#4a7fc1" : "#d5dae0"};
      }, {size: Math.max(3, Math.floor(256 / cells)), label: "input " + N + " by " + N}),
        el("figcaption", {text: "input " + N + "\u00d7" + N + (scale > 1 ?
          " (one square: " + scale + "\u00d7" + scale + " pixels)" : "")})]));
    }

    function focus(name) {
      var input = body.querySelector('input[data-control="' + name + '"]');
      if (input) {
        input.focus();
      }
    }
    build();
  };

  /* 4. Pooling: max or average, PyTorch's padding and ceil_mode, Keras' 'valid'/'same'. */
  figures.pooling = function (root, opt) {
    var X = opt.X || [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14],
                      [15, 16, 17, 18, 19], [20, 21, 22, 23, 24]];
    var s = {k: opt.k || 2, s: opt.s || 2, mode: opt.mode || "avg",
             framework: opt.framework || "pytorch", p: opt.p || 0, ceil: !!opt.ceil_mode,
             countPad: opt.count_include_pad !== false, kpad: opt.padding || "valid", pos: 0};
    root.appendChild(el("p", {class: "cx-title", text: "Pooling: the window of one output " +
      "(blue), the cells it counts, and where PyTorch and Keras part ways."}));
    var controls = el("div", {class: "cx-controls"});
    function set(key) {
      return function (v) { s[key] = v; s.pos = 0; draw(); };
    }
    controls.appendChild(choice("mode", "pooling", [["max", "max"], ["avg", "average"]],
                                s.mode, set("mode")));
    controls.appendChild(choice("framework", "rules", [["pytorch", "PyTorch"],
      ["keras", "Keras"]], s.framework, set("framework")));
    controls.appendChild(slider("k", "window k", 1, 4, s.k, set("k")));
    controls.appendChild(slider("s", "stride s", 1, 4, s.s, set("s")));
    controls.appendChild(slider("p", "padding p", 0, 2, s.p, set("p")));
    controls.appendChild(checkbox("ceil_mode", "ceil_mode", s.ceil, set("ceil")));
    controls.appendChild(checkbox("count_include_pad", "count_include_pad", s.countPad,
                                  set("countPad")));
    controls.appendChild(choice("padding", "Keras padding", [["valid", "'valid'"],
      ["same", "'same'"]], s.kpad, set("kpad")));
    root.appendChild(controls);
    var view = el("div", {class: "cx-view"});
    root.appendChild(view);

    function draw() {
      var torch = s.framework === "pytorch";
      ["p", "ceil_mode", "count_include_pad"].forEach(function (name) {
        root.querySelector('[data-control="' + name + '"]').disabled = !torch ||
          (name === "count_include_pad" && s.mode !== "avg");
      });
      root.querySelector('[data-control="padding"]').disabled = torch;
      var o = {framework: s.framework, mode: s.mode, padding: torch ? s.p : s.kpad,
               ceilMode: s.ceil, countIncludePad: s.countPad}, res;
      view.textContent = "";
      try {
        res = pool2d(X, s.k, s.s, o);
      } catch (e) {
        view.appendChild(el("p", {class: "cx-error", "data-role": "error", text: e.message}));
        return;
      }
      var out = res.Y.length, i = Math.floor(s.pos / out), j = s.pos % out;
      var win = res.windows[i][j], kinds = {};
      win.forEach(function (cell) { kinds[cell.r + "," + cell.c] = cell.kind; });
      var lo = Math.min(0, -res.before), hi = X.length;
      win.forEach(function (cell) { hi = Math.max(hi, cell.r + 1, cell.c + 1); });
      // Draw rows/columns lo..hi-1: the input plus whatever padding a window touches.
      var N = hi - lo, picture = el("div", {class: "cx-row"});
      picture.appendChild(el("figure", {}, [grid(N, N, function (r, c) {
        var rr = r + lo, cc = c + lo, kind = kinds[rr + "," + cc];
        var real = rr >= 0 && rr < X.length && cc >= 0 && cc < X.length;
        return {fill: kind === "real" ? TAP : kind === "pad" ? HIGHLIGHT :
                  kind === "none" ? "#f6e3e3" : real ? "#fff" : PAD,
                text: real ? fmt(X[rr][cc]) : kind === "pad" ? "0" : kind ? "\u2013" : undefined,
                dash: !real};
      }, {label: "input and the window of output " + i + ", " + j}),
        el("figcaption", {text: "input " + X.length + "\u00d7" + X.length})]));
      var table = el("table", {class: "cx-matrix cx-output", "data-role": "output"});
      res.Y.forEach(function (row, r) {
        table.appendChild(el("tr", {}, row.map(function (v, c) {
          var td = el("td", {text: fmt(v), class: r === i && c === j ? "cx-selected" : ""});
          var pick = function () {
            if (r * out + c === s.pos) {
              return;
            }
            var input = root.querySelector('input[data-control="position"]');
            input.value = r * out + c + 1;
            input.dispatchEvent(new Event("input"));
          };
          td.addEventListener("click", pick);
          td.addEventListener("mouseenter", pick);
          return td;
        })));
      });
      picture.appendChild(el("figure", {}, [table, el("figcaption", {
        text: "output " + out + "\u00d7" + out + " (point at a cell to see its window)"})]));
      view.appendChild(picture);
      var real = win.filter(function (c) { return c.kind === "real"; });
      var pads = win.filter(function (c) { return c.kind === "pad"; }).length;
      var values = real.map(function (c) { return fmt(X[c.r][c.c]); });
      var text;
      if (s.mode === "max") {
        text = "max(" + values.join(", ") + ") = " + fmt(res.Y[i][j]) +
          (win.length > real.length ? " (cells outside the input never win)" : "");
      } else {
        var divisor = real.length + (torch && s.countPad ? pads : 0);
        text = "(" + values.join(" + ") + ") / " + divisor + " = " + fmt(res.Y[i][j]) +
          (torch && s.countPad && pads ? " (the " + pads + " padding zeros count: " +
           "count_include_pad=True)" : win.length > real.length ?
           " (only the " + real.length + " real cells count)" : "");
      }
      view.appendChild(el("p", {class: "cx-formula"}, ["output [" + i + ", " + j + "] = ",
        el("span", {"data-role": "window", text: text})]));
      view.appendChild(stepper(out * out, s.pos, function (v) {
        s.pos = v; draw();
        var input = root.querySelector('input[data-control="position"]');
        if (input) {
          input.focus();
        }
      }, "window"));
    }
    draw();
  };

  // ------------------------------------------------------------------ mounting

  var STYLE = [
    ".cnnbook-explore{border:1px solid #d5dae0;border-radius:6px;padding:.6rem .8rem;",
    "margin:1rem 0;max-width:100%;overflow-x:auto;font-size:.9rem;background:#fcfcfd;",
    "color:#1b1f24}",
    ".cnnbook-explore .cx-title{font-weight:600;margin:0 0 .4rem}",
    ".cnnbook-explore .cx-controls,.cnnbook-explore .cx-row,.cnnbook-explore .cx-stepper{",
    "display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:flex-end;margin:.3rem 0}",
    ".cnnbook-explore .cx-control{display:flex;flex-direction:column;min-width:7.5rem}",
    ".cnnbook-explore .cx-check{flex-direction:row;align-items:center;gap:.3rem}",
    ".cnnbook-explore input[type=range]{width:8rem}",
    ".cnnbook-explore figure{margin:.2rem 0;max-width:100%}",
    ".cnnbook-explore figcaption{font-size:.8rem;color:#57606a}",
    ".cnnbook-explore svg.cx-grid{max-width:100%;height:auto}",
    ".cnnbook-explore .cx-matrix{border-collapse:collapse;margin:0}",
    ".cnnbook-explore .cx-matrix td{border:1px solid #9aa4ae;padding:0;text-align:center;",
    "min-width:2.2rem;height:2rem}",
    ".cnnbook-explore .cx-matrix input{width:2.6rem;border:0;text-align:center;",
    "background:transparent;font:inherit}",
    ".cnnbook-explore .cx-bias{width:3.5rem}",
    ".cnnbook-explore .cx-in-window{background:#cfe3ff}",
    ".cnnbook-explore .cx-selected{background:#ffe2a8}",
    ".cnnbook-explore .cx-table td,.cnnbook-explore .cx-table th{padding:.1rem .3rem;",
    "text-align:center}",
    ".cnnbook-explore .cx-table input{width:3rem}",
    ".cnnbook-explore .cx-scroll{overflow-x:auto;max-width:100%}",
    ".cnnbook-explore .cx-formula{font-family:var(--pst-font-family-monospace,monospace);",
    "overflow-wrap:anywhere}",
    ".cnnbook-explore .cx-error{color:#a40e26}",
    ".cnnbook-explore .cx-button{min-width:2rem;min-height:2rem}",
    ".cnnbook-explore .cx-fallback{color:#57606a;font-style:italic}",
  ].join("");

  function mount(node) {
    if (node.getAttribute("data-mounted")) {
      return;
    }
    var name = node.getAttribute("data-explore"), make = figures[name];
    if (!make) {
      node.textContent = "Unknown figure " + JSON.stringify(name) + "; the figures are: " +
        Object.keys(figures).join(", ") + ".";
      return;
    }
    var options = {};
    try {
      options = JSON.parse(node.getAttribute("data-options") || "{}");
    } catch (e) {
      options = {};
    }
    node.setAttribute("data-mounted", "true");
    // JupyterLab's shortcuts (arrow keys move between cells) skip what is inside this node,
    // so the arrow keys move the figure's sliders.
    node.setAttribute("data-lm-suppress-shortcuts", "true");
    node.setAttribute("data-p-suppress-shortcuts", "true");
    node.textContent = "";
    make(node, options);
  }

  function mountAll() {
    if (!document.getElementById("cnnbook-explore-style")) {
      var style = document.createElement("style");
      style.id = "cnnbook-explore-style";
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    Array.prototype.forEach.call(document.querySelectorAll(".cnnbook-explore[data-explore]"),
                                 mount);
  }

  window.CNNExplore = {
    version: VERSION,
    math: {kEff: kEff, convOutputSize: convOutputSize, samePadding: samePadding,
           receptiveField: receptiveField, corr2d: corr2d, pool2d: pool2d},
    figures: Object.keys(figures),
    presets: PRESETS,
    mountAll: mountAll,
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();
