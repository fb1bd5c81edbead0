/*
 * Chapter 8's trained LeNet in the page: the figure of d2lmini.book.explore.show("lenet").
 *
 * The network runs here, in plain JavaScript, with the weights of the chapter's PyTorch run
 * and a few hundred Fashion-MNIST test images from lenet-data.js (written by
 * `python -m d2lmini.book.lenet_page`; it sets window.CNNLeNetData and must load first). The
 * reader picks a test image or draws one on the 28x28 canvas (pointer, touch or keyboard)
 * and sees the prediction, the ten class scores and the feature maps after each
 * convolution and its sigmoid. tests/test_lenet_page.py checks the logits against PyTorch's.
 *
 * The site adds this script to the page that holds the figure only (book/_ext/cnnbook.py);
 * it mounts every <div class="cnnbook-explore" data-explore="lenet"> of the page.
 */
(function () {
  "use strict";
  var VERSION = 1;
  if (window.CNNLeNet && window.CNNLeNet.version >= VERSION) {
    return;
  }

  // ------------------------------------------------------------------ the data

  function bytes(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  /** Parameters by name: {shape, w (Float32Array)}, from little-endian float32. */
  function unpack(data) {
    var raw = bytes(data.weights), view = new DataView(raw.buffer), at = 0, params = {};
    data.layers.forEach(function (layer) {
      var n = layer[1].reduce(function (a, b) { return a * b; }, 1);
      var w = new Float32Array(n);
      for (var i = 0; i < n; i++) {
        w[i] = view.getFloat32(4 * (at + i), true);
      }
      params[layer[0]] = {shape: layer[1], w: w};
      at += n;
    });
    if (4 * at !== raw.length) {
      throw new Error("lenet-data.js: " + raw.length / 4 + " numbers for " + at + " parameters");
    }
    return params;
  }

  var net = null, images = null;

  function load() {
    if (net) {
      return true;
    }
    var data = window.CNNLeNetData;
    if (!data) {
      return false;
    }
    net = unpack(data);
    images = {size: data.images.size, pixels: bytes(data.images.pixels),
              label: data.images.label, index: data.images.index, classes: data.classes,
              accuracy: data.test_accuracy};
    return true;
  }

  /** Test image i as 784 numbers in [0, 1], as the chapter's loader gives them. */
  function image(i) {
    var n = images.size * images.size, x = new Float64Array(n);
    for (var k = 0; k < n; k++) {
      x[k] = images.pixels[i * n + k] / 255;
    }
    return x;
  }

  // ------------------------------------------------------------------ the network
  // Arrays are channels x height x width, row-major, as PyTorch's NCHW without the batch.

  function sigmoid(v) {
    return 1 / (1 + Math.exp(-v));
  }

  /** Convolution of x (C x H x W) with p.w (O x C x K x K) and bias b, zero padding pad. */
  function conv(x, C, H, W, p, b, pad) {
    var O = p.shape[0], K = p.shape[2], Ho = H + 2 * pad - K + 1, Wo = W + 2 * pad - K + 1;
    var y = new Float64Array(O * Ho * Wo), w = p.w;
    for (var o = 0; o < O; o++) {
      for (var i = 0; i < Ho; i++) {
        for (var j = 0; j < Wo; j++) {
          var s = b.w[o];
          for (var c = 0; c < C; c++) {
            for (var a = 0; a < K; a++) {
              var r = i + a - pad;
              if (r < 0 || r >= H) {
                continue;
              }
              var xrow = (c * H + r) * W, wrow = ((o * C + c) * K + a) * K;
              for (var d = 0; d < K; d++) {
                var q = j + d - pad;
                if (q >= 0 && q < W) {
                  s += w[wrow + d] * x[xrow + q];
                }
              }
            }
          }
          y[(o * Ho + i) * Wo + j] = s;
        }
      }
    }
    return {y: y, C: O, H: Ho, W: Wo};
  }

  function sigmoidAll(t) {
    for (var k = 0; k < t.y.length; k++) {
      t.y[k] = sigmoid(t.y[k]);
    }
    return t;
  }

  /** 2x2 average pooling with stride 2. */
  function avgpool(t) {
    var H = t.H >> 1, W = t.W >> 1, y = new Float64Array(t.C * H * W);
    for (var c = 0; c < t.C; c++) {
      for (var i = 0; i < H; i++) {
        for (var j = 0; j < W; j++) {
          var top = (c * t.H + 2 * i) * t.W + 2 * j, bottom = top + t.W;
          y[(c * H + i) * W + j] = (t.y[top] + t.y[top + 1] + t.y[bottom] + t.y[bottom + 1]) / 4;
        }
      }
    }
    return {y: y, C: t.C, H: H, W: W};
  }

  /** p.w (O x I) times x, plus b. */
  function linear(x, p, b) {
    var O = p.shape[0], I = p.shape[1], y = new Float64Array(O);
    for (var o = 0; o < O; o++) {
      var s = b.w[o];
      for (var i = 0; i < I; i++) {
        s += p.w[o * I + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  /**
   * LeNet on one image x (784 numbers in [0, 1]): {logits, probs, c1 (6 x 28 x 28), c2
   * (16 x 10 x 10)}, c1 and c2 being the feature maps after each convolution and its sigmoid.
   */
  function forward(x) {
    if (!load()) {
      throw new Error("the LeNet data (lenet-data.js) is not loaded");
    }
    var c1 = sigmoidAll(conv(x, 1, 28, 28, net["0.weight"], net["0.bias"], 2));
    var c2 = sigmoidAll(conv(avgpool(c1).y, 6, 14, 14, net["3.weight"], net["3.bias"], 0));
    var h = avgpool(c2).y;  // 16 x 5 x 5, flattened in PyTorch's order
    h = linear(h, net["7.weight"], net["7.bias"]).map(sigmoid);
    h = linear(h, net["9.weight"], net["9.bias"]).map(sigmoid);
    var logits = linear(h, net["11.weight"], net["11.bias"]);
    var top = Math.max.apply(null, logits), exps = Array.prototype.map.call(logits, function (v) {
      return Math.exp(v - top);
    });
    var total = exps.reduce(function (a, b) { return a + b; }, 0);
    return {logits: Array.prototype.slice.call(logits),
            probs: exps.map(function (e) { return e / total; }), c1: c1, c2: c2};
  }

  // ------------------------------------------------------------------ the figure

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

  function button(label, onClick, attrs) {
    var b = el("button", Object.assign({type: "button", class: "cx-button", text: label},
                                       attrs || {}));
    b.addEventListener("click", onClick);
    return b;
  }

  /** Paint values in [0, 1] (rows x cols from offset) into a canvas, one pixel each. */
  function paint(canvas, values, offset, rows, cols) {
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(cols, rows);
    for (var k = 0; k < rows * cols; k++) {
      var g = Math.round(255 * Math.min(1, Math.max(0, values[offset + k])));
      img.data[4 * k] = img.data[4 * k + 1] = img.data[4 * k + 2] = g;
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function percent(p) {
    return (100 * p).toFixed(1) + "\u00a0%";
  }

  var SCALE = 6;  // screen pixels per image pixel on the drawing canvas (28 * 6 = 168)

  function mount(root, opt) {
    if (root.getAttribute("data-mounted") === "true") {
      return;
    }
    if (!load()) {
      return;  // the fallback line stays: it says where the figure runs
    }
    root.setAttribute("data-mounted", "true");
    root.textContent = "";
    var count = images.label.length, n = images.size;
    var state = {i: Math.min(count - 1, Math.max(0, opt.image || 0)), x: null, drawn: false,
                 cursor: {r: 14, c: 14}, focused: false};

    root.appendChild(el("p", {class: "cx-title", text: "A trained LeNet in the page: pick " +
      "one of " + count + " test images or draw on the canvas; the network below runs in " +
      "your browser with the weights of this chapter's PyTorch run."}));

    // Controls: the test image (slider and buttons), clear and back to the test image.
    var id = "ln-image-" + (++uid);
    var shown = el("output", {"for": id, "data-role": "image-number"});
    var slider = el("input", {type: "range", id: id, min: 1, max: count, step: 1,
                              value: state.i + 1, "data-control": "image"});
    slider.addEventListener("input", function () {
      pick(parseInt(slider.value, 10) - 1);
    });
    function step(delta) {
      slider.value = Math.min(count, Math.max(1, parseInt(slider.value, 10) + delta));
      slider.dispatchEvent(new Event("input"));
    }
    root.appendChild(el("div", {class: "cx-controls"}, [
      el("div", {class: "cx-stepper"}, [
        button("\u25c0", function () { step(-1); }, {"aria-label": "previous test image"}),
        el("div", {class: "cx-control"}, [el("label", {"for": id}, ["test image ", shown]),
                                          slider]),
        button("\u25b6", function () { step(1); }, {"aria-label": "next test image"})]),
      el("div", {class: "cx-stepper"}, [
        button("clear", function () { clear(); }, {"data-control": "clear",
          "aria-label": "clear the canvas to draw an image of your own"}),
        button("test image", function () { pick(state.i); }, {"data-control": "restore",
          "aria-label": "back to the test image"})])]));

    // The input canvas and the class scores.
    var canvas = el("canvas", {width: n * SCALE, height: n * SCALE, class: "ln-input",
      tabindex: 0, role: "img", "data-role": "input",
      "aria-label": "input image, 28 by 28 pixels: draw with the mouse or a finger, or " +
        "with the keyboard: arrow keys move the brush, space paints, x erases"});
    var truth = el("p", {class: "ln-truth", "data-role": "truth"});
    var prediction = el("p", {class: "ln-prediction", "data-role": "prediction",
                              "aria-live": "polite"});
    var bars = el("div", {class: "ln-bars", "data-role": "scores"});
    var barRows = images.classes.map(function (name, k) {
      var fill = el("span", {class: "ln-fill"}), value = el("span", {class: "ln-value"});
      var row = el("div", {class: "ln-bar", "data-class": k}, [
        el("span", {class: "ln-name", text: name}),
        el("span", {class: "ln-track"}, [fill]), value]);
      bars.appendChild(row);
      return {row: row, fill: fill, value: value};
    });
    root.appendChild(el("div", {class: "cx-row ln-main"}, [
      el("figure", {}, [canvas, el("figcaption", {text: "input 28\u00d728 (draw on it; " +
        "keys: arrows, space, x)"})]),
      el("div", {class: "ln-scores"}, [truth, prediction, bars,
        el("p", {class: "ln-note", text: "softmax of the ten logits (the logit after each " +
          "bar); this network: " + percent(images.accuracy) + " right on the 10,000 test " +
          "images."})])]));

    // Feature maps after each convolution and its sigmoid.
    function maps(count, size, scale, label) {
      var list = [], box = el("div", {class: "ln-maps"});
      for (var c = 0; c < count; c++) {
        var m = el("canvas", {width: size, height: size, role: "img",
                              "aria-label": label + ", map " + (c + 1),
                              style: "width:" + size * scale + "px;height:" + size * scale +
                                "px"});
        list.push(m);
        box.appendChild(m);
      }
      return {list: list, box: box};
    }
    var maps1 = maps(6, 28, 2, "first convolution"), maps2 = maps(16, 10, 4,
                                                                    "second convolution");
    root.appendChild(el("figure", {class: "ln-stage"}, [maps1.box, el("figcaption", {
      text: "after the first convolution and its sigmoid: 6 maps of 28\u00d728 (white: 1, " +
        "black: 0)"})]));
    root.appendChild(el("figure", {class: "ln-stage"}, [maps2.box, el("figcaption", {
      text: "after the second convolution and its sigmoid: 16 maps of 10\u00d710"})]));

    // Drawing: a soft round brush, by pointer (mouse, pen, touch) or keyboard.
    function brush(r0, c0, erase) {
      for (var r = Math.floor(r0) - 2; r <= Math.floor(r0) + 2; r++) {
        for (var c = Math.floor(c0) - 2; c <= Math.floor(c0) + 2; c++) {
          if (r < 0 || r >= n || c < 0 || c >= n) {
            continue;
          }
          var dist = Math.hypot(r + 0.5 - r0, c + 0.5 - c0);
          var ink = Math.min(1, Math.max(0, 1.6 - dist));
          var k = r * n + c;
          state.x[k] = erase ? Math.min(state.x[k], 1 - ink) : Math.max(state.x[k], ink);
        }
      }
      state.drawn = true;
      update();
    }
    var drawing = false;
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return {r: (event.clientY - box.top) / box.height * n,
              c: (event.clientX - box.left) / box.width * n};
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      if (canvas.setPointerCapture) {
        canvas.setPointerCapture(event.pointerId);
      }
      var p = at(event);
      brush(p.r, p.c, event.button === 2 || event.shiftKey);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (drawing) {
        var p = at(event);
        brush(p.r, p.c, event.shiftKey);
      }
    });
    ["pointerup", "pointercancel"].forEach(function (type) {
      canvas.addEventListener(type, function () { drawing = false; });
    });
    canvas.addEventListener("contextmenu", function (event) { event.preventDefault(); });
    var MOVES = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
    canvas.addEventListener("keydown", function (event) {
      var cur = state.cursor;
      if (event.key in MOVES) {
        cur.r = Math.min(n - 1, Math.max(0, cur.r + MOVES[event.key][0]));
        cur.c = Math.min(n - 1, Math.max(0, cur.c + MOVES[event.key][1]));
        if (event.shiftKey) {
          brush(cur.r + 0.5, cur.c + 0.5, false);  // shift+arrow draws a line
        } else {
          drawInput();
        }
      } else if (event.key === " " || event.key === "Enter") {
        brush(cur.r + 0.5, cur.c + 0.5, false);
      } else if (event.key === "x" || event.key === "Delete" || event.key === "Backspace") {
        brush(cur.r + 0.5, cur.c + 0.5, true);
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    });
    canvas.addEventListener("focus", function () { state.focused = true; drawInput(); });
    canvas.addEventListener("blur", function () { state.focused = false; drawInput(); });

    function drawInput() {
      var ctx = canvas.getContext("2d");
      for (var r = 0; r < n; r++) {
        for (var c = 0; c < n; c++) {
          var g = Math.round(255 * state.x[r * n + c]);
          ctx.fillStyle = "rgb(" + g + "," + g + "," + g + ")";
          ctx.fillRect(c * SCALE, r * SCALE, SCALE, SCALE);
        }
      }
      if (state.focused) {
        ctx.strokeStyle = "#e8590c";
        ctx.lineWidth = 2;
        ctx.strokeRect(state.cursor.c * SCALE - 2, state.cursor.r * SCALE - 2, SCALE + 4,
                       SCALE + 4);
      }
    }

    var pending = false;
    function update() {
      drawInput();
      if (pending) {
        return;
      }
      pending = true;
      // One forward pass per frame at most, however fast the pointer moves.
      (window.requestAnimationFrame || setTimeout)(function () {
        pending = false;
        show();
      });
    }

    function show() {
      var out = forward(state.x), best = 0;
      out.probs.forEach(function (p, k) {
        if (p > out.probs[best]) {
          best = k;
        }
      });
      var label = images.label[state.i];
      shown.textContent = (state.i + 1) + " of " + count;
      truth.textContent = state.drawn ? "your drawing" + (state.fromImage ?
        " (on test image " + (state.i + 1) + ")" : "") : "test image no. " +
        images.index[state.i] + ", a " + images.classes[label];
      prediction.textContent = "LeNet says: " + images.classes[best] + " (" +
        percent(out.probs[best]) + ")" + (state.drawn ? "" :
          best === label ? ", right" : ", wrong");
      prediction.setAttribute("data-class", best);
      root.setAttribute("data-logits", JSON.stringify(out.logits));
      barRows.forEach(function (bar, k) {
        bar.fill.style.width = (100 * out.probs[k]).toFixed(2) + "%";
        bar.value.textContent = percent(out.probs[k]) + " (" + out.logits[k].toFixed(2) + ")";
        bar.row.className = "ln-bar" + (k === best ? " ln-best" : "") +
          (!state.drawn && k === label ? " ln-label" : "");
      });
      for (var c = 0; c < 6; c++) {
        paint(maps1.list[c], out.c1.y, c * 784, 28, 28);
      }
      for (c = 0; c < 16; c++) {
        paint(maps2.list[c], out.c2.y, c * 100, 10, 10);
      }
    }

    function pick(i) {
      state.i = i;
      state.x = image(i);
      state.drawn = false;
      state.fromImage = true;
      drawInput();
      show();
    }

    function clear() {
      state.x = new Float64Array(n * n);
      state.drawn = true;
      state.fromImage = false;
      drawInput();
      show();
      canvas.focus();
    }

    pick(state.i);
  }

  // ------------------------------------------------------------------ mounting

  var STYLE = [
    ".cnnbook-explore{border:1px solid #d5dae0;border-radius:6px;padding:.6rem .8rem;",
    "margin:1rem 0;max-width:100%;overflow-x:auto;font-size:.9rem;background:#fcfcfd;",
    "color:#1b1f24}",
    ".cnnbook-explore .cx-title{font-weight:600;margin:0 0 .4rem}",
    ".cnnbook-explore .cx-controls,.cnnbook-explore .cx-row,.cnnbook-explore .cx-stepper{",
    "display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:flex-end;margin:.3rem 0}",
    ".cnnbook-explore .cx-stepper{gap:.4rem}",
    ".cnnbook-explore .cx-control{display:flex;flex-direction:column;min-width:7.5rem}",
    ".cnnbook-explore input[type=range]{width:8rem}",
    ".cnnbook-explore .cx-button{min-width:2rem;min-height:2rem}",
    ".cnnbook-explore figure{margin:.2rem 0;max-width:100%}",
    ".cnnbook-explore figcaption{font-size:.8rem;color:#57606a}",
    ".cnnbook-explore .ln-main{align-items:flex-start}",
    ".cnnbook-explore canvas{image-rendering:pixelated;display:block}",
    ".cnnbook-explore .ln-input{width:168px;height:168px;touch-action:none;cursor:crosshair;",
    "border:1px solid #9aa4ae}",
    ".cnnbook-explore .ln-input:focus{outline:3px solid #4a7fc1;outline-offset:1px}",
    ".cnnbook-explore .ln-scores{flex:1 1 14rem;min-width:0;max-width:26rem}",
    ".cnnbook-explore .ln-truth,.cnnbook-explore .ln-prediction{margin:0 0 .2rem;",
    "white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".cnnbook-explore .ln-prediction{font-weight:600}",
    ".cnnbook-explore .ln-bar{display:flex;align-items:center;gap:.4rem;height:1.3rem;",
    "font-size:.8rem}",
    ".cnnbook-explore .ln-name{flex:0 0 5.2rem;text-align:right}",
    ".cnnbook-explore .ln-track{flex:1 1 auto;height:.8rem;background:#eceff3;min-width:3rem}",
    ".cnnbook-explore .ln-fill{display:block;height:100%;background:#7fb2f0}",
    ".cnnbook-explore .ln-best .ln-fill{background:#e8590c}",
    ".cnnbook-explore .ln-label .ln-name{font-weight:700;text-decoration:underline}",
    ".cnnbook-explore .ln-value{flex:0 0 7.2rem;font-variant-numeric:tabular-nums;",
    "white-space:nowrap}",
    ".cnnbook-explore .ln-note{font-size:.8rem;color:#57606a;margin:.3rem 0 0}",
    ".cnnbook-explore .ln-maps{display:flex;flex-wrap:wrap;gap:4px}",
    ".cnnbook-explore .ln-maps canvas{border:1px solid #d5dae0}",
  ].join("");

  function mountAll() {
    if (!document.getElementById("cnnbook-lenet-style")) {
      var style = document.createElement("style");
      style.id = "cnnbook-lenet-style";
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    Array.prototype.forEach.call(
      document.querySelectorAll('.cnnbook-explore[data-explore="lenet"]'), function (node) {
        var options = {};
        try {
          options = JSON.parse(node.getAttribute("data-options") || "{}");
        } catch (e) {
          options = {};
        }
        mount(node, options);
      });
  }

  window.CNNLeNet = {
    version: VERSION,
    forward: forward,
    image: image,
    count: function () { return load() ? images.label.length : 0; },
    /** The logits of every shipped test image, for the tests: [[10 numbers], ...]. */
    logitsAll: function () {
      load();
      var all = [];
      for (var i = 0; i < images.label.length; i++) {
        all.push(forward(image(i)).logits);
      }
      return all;
    },
    mountAll: mountAll,
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();
