/* Small site behaviours (loaded on every page by book/_ext/cnnbook.py). */
(function () {
  "use strict";
  // Opened straight from disk (file://, e.g. a USB stick), the browser forbids the fetches
  // Sphinx's search makes to show a text snippet under each hit; keep the hits, skip the
  // snippets, and so avoid a console full of CORS errors.
  if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
    DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
  }
})();
