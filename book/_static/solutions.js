/*
 * Solutions behind a toggle.
 *
 * Each chapter ends with "Solutions", one section per exercise headed "Solution to
 * exercise N": prose, then code cells (in framework tabs). This script folds each such
 * section's content into a <details> element, "Show the solution to exercise N", so that a
 * reader tries the exercise first. Without JavaScript, and in print, everything shows.
 */
(function () {
  "use strict";

  function fold(section) {
    var heading = section.querySelector("h1, h2, h3, h4");
    if (!heading || heading.parentNode !== section) {
      return;
    }
    var title = heading.textContent.replace(/[#¶]/g, "").trim();
    var details = document.createElement("details");
    details.className = "cnnbook-solution";
    var summary = document.createElement("summary");
    summary.textContent = "Show the " + title.charAt(0).toLowerCase() + title.slice(1);
    details.appendChild(summary);
    while (heading.nextSibling) {
      details.appendChild(heading.nextSibling);
    }
    section.appendChild(details);
  }

  function start() {
    document.querySelectorAll("section").forEach(function (section) {
      var heading = section.querySelector("h1, h2, h3, h4");
      if (heading && heading.parentNode === section &&
          /^Solution to exercise \d+/.test(heading.textContent.trim())) {
        fold(section);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
