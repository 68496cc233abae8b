// The intake form posts with htmx when the page loads it. The server answers
// 422 (answers to fix) or 429 (too many submissions) with the re-rendered
// form: swap it in, although htmx by default ignores 4xx responses. Without
// htmx the form posts normally and nothing here runs.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 422 || status === 429) && event.detail.target.id === "lead-form") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
