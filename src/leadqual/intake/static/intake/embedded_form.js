// Inside the iframe on the business's website (intake/embedded_base.html):
// tell the page around it how tall this page is, so that the embed script on
// that page (/form/embed.js) sizes the iframe to fit, without a scrollbar of
// its own. It reports when the page starts, whenever the content's height
// changes (htmx swapping in field errors, fonts loading, a narrower window),
// and when the embed script asks (it may start after this page did).
//
// The message holds only a number, so it may go to whatever page frames this
// one (target "*"): the business may show the form on several sites, and
// LEADQUAL_FORM_FRAME_ANCESTORS decides which sites may frame it at all.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var reported = -1;

  function contentHeight() {
    // The root element is as tall as its content (not the iframe's viewport),
    // so a taller iframe never makes the page report a taller height.
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }

  function report(always, loaded) {
    var height = contentHeight();
    if (height === reported && !always) {
      return;
    }
    reported = height;
    window.parent.postMessage(
      { type: "leadqual:form-height", height: height, loaded: loaded }, "*"
    );
  }

  function onChange() {
    report(false, false);
  }

  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data &&
        event.data.type === "leadqual:measure") {
      report(true, false);
    }
  });
  if (window.ResizeObserver) {
    new ResizeObserver(onChange).observe(document.documentElement);
  }
  window.addEventListener("resize", onChange);
  window.addEventListener("load", onChange);
  document.addEventListener("htmx:afterSettle", onChange);
  // A deferred script runs once the document is parsed: its first height.
  report(true, true);
})();
