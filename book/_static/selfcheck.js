/*
 * Self-checks on the book's site.
 *
 * A self-check cell's output (d2lmini.book.selfcheck.show) is a <div class="selfcheck"> holding
 * the question as JSON in data-question, with the question's text and the Python line
 * that answers it. This script turns each into a small form: a box for a number or a shape,
 * or one button per option, and a line of feedback. It checks answers by the rules of
 * d2lmini/book/selfcheck.py (verdict): whole numbers exactly, others to a relative tolerance of
 * 1e-3, shapes as whole
 * numbers in order, options by their index; tests/test_site.py answers questions in
 * Chromium and compares the feedback with what selfcheck.verdict says. Without JavaScript
 * the question and the check() line show, as in a notebook.
 */
(function () {
  "use strict";

  var RTOL = 1e-3;
  var LETTERS = "abcdefghij";

  // A whole-number answer (a count) must be exact; any other within RTOL.
  function sameNumber(given, answer) {
    if (Number.isInteger(answer)) {
      return given === answer;
    }
    return Math.abs(given - answer) <=
      Math.max(RTOL * Math.max(Math.abs(given), Math.abs(answer)), 1e-9);
  }

  function parseShape(text) {
    var parts = text.replace(/[()\[\]\s]/g, "").split(",").filter(function (s) {
      return s !== "";
    });
    if (!parts.length || !parts.every(function (s) { return /^-?\d+$/.test(s); })) {
      return null;
    }
    return parts.map(Number);
  }

  // [right, message], the same words as selfcheck.verdict.
  function verdict(q, answer) {
    if (q.kind === "choice") {
      var o = q.options[answer];
      if (answer === q.answer) {
        return [true, ("Right. " + o.why + " " + q.explain).trim()];
      }
      return [false, "Not quite: (" + LETTERS[answer] + ") " + o.why];
    }
    if (q.kind === "shape") {
      var got = parseShape(answer);
      if (got === null) {
        return [null, "Answer with whole numbers separated by commas, e.g. 1, 6, 28, 28."];
      }
      var right = got.length === q.answer.length &&
        got.every(function (v, i) { return v === q.answer[i]; });
      if (right) {
        return [true, "Right. " + q.explain];
      }
      return [false, "Not quite: (" + got.join(", ") + (got.length === 1 ? "," : "") +
        ") is not it. Hint: " + q.hint];
    }
    var text = String(answer).trim();
    var value = Number(text);
    if (text === "" || !isFinite(value)) {
      return [null, "Answer with a number, e.g. 27."];
    }
    if (sameNumber(value, q.answer)) {
      return [true, "Right. " + q.explain];
    }
    return [false, "Not quite: " + text + " is not it. Hint: " + q.hint];
  }

  function feedback(box, result) {
    box.textContent = result[1];
    box.className = "selfcheck-feedback " +
      (result[0] === true ? "right" : result[0] === false ? "wrong" : "invalid");
  }

  function build(root) {
    var q;
    try {
      q = JSON.parse(root.getAttribute("data-question"));
    } catch (e) {
      return;
    }
    var form = document.createElement("form");
    form.className = "selfcheck-form";
    var box = document.createElement("p");
    box.className = "selfcheck-feedback";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    if (q.kind === "choice") {
      q.options.forEach(function (o, i) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "selfcheck-option";
        button.setAttribute("data-option", String(i));
        button.textContent = "(" + LETTERS[i] + ") " + o.text;
        button.addEventListener("click", function () {
          form.querySelectorAll(".selfcheck-option").forEach(function (b) {
            b.classList.remove("chosen");
          });
          button.classList.add("chosen");
          feedback(box, verdict(q, i));
        });
        form.appendChild(button);
      });
    } else {
      var input = document.createElement("input");
      input.type = "text";
      input.className = "selfcheck-input";
      input.setAttribute("aria-label", "Your answer");
      input.placeholder = q.kind === "shape" ? "e.g. 1, 6, 28, 28" : "a number";
      input.autocomplete = "off";
      var submit = document.createElement("button");
      submit.type = "submit";
      submit.className = "selfcheck-submit";
      submit.textContent = "Check";
      form.appendChild(input);
      form.appendChild(submit);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        feedback(box, verdict(q, input.value));
      });
    }
    var options = root.querySelector(".selfcheck-options");
    var how = root.querySelector(".selfcheck-how");
    if (options) {
      options.remove(); // the buttons show the options
    }
    if (how) {
      how.remove(); // the form answers it here; a notebook answers with check()
    }
    root.appendChild(form);
    root.appendChild(box);
    root.classList.add("ready");
  }

  function start() {
    document.querySelectorAll(".selfcheck[data-question]").forEach(build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.cnnbookSelfcheck = { verdict: verdict }; // for the browser tests
})();
