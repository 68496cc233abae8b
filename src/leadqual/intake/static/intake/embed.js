// leadqual's embed script, on the business's own page next to the form's
// iframe (the embed code on /form/embed-code/, docs/form-embed.md). The page
// inside the iframe reports its height (intake/embedded_form.js); this script
// sizes the iframe to it, so the whole form, its errors and its thank-you
// page show without a scrollbar inside the frame.
//
// Other scripts and frames on the same page may post messages too, so a
// message changes something only when
// - it comes from leadqual's origin: the one this script was loaded from;
// - it comes from the window inside one of the iframes marked
//   data-leadqual-form whose address is on that origin (not from another
//   frame of leadqual's, nor from the page itself);
// - its height is a finite number; it is rounded up and kept within
//   MIN_HEIGHT..MAX_HEIGHT pixels.
// Anything else is ignored, and no message can make this script do anything
// but set that iframe's height. Without this script (or without JavaScript)
// the iframe keeps the height in the embed code and scrolls.
(function () {
  "use strict";
  var MIN_HEIGHT = 80;
  var MAX_HEIGHT = 8000;
  var script = document.currentScript;
  if (!script || !script.src || window.leadqualEmbed) {
    // Loaded twice (two embed codes on one page): the first copy serves both.
    return;
  }
  var origin = new URL(script.src).origin;
  var framesWithPages = [];
  window.leadqualEmbed = { version: 1 };

  function formFrames() {
    var frames = [];
    var candidates = document.querySelectorAll("iframe[data-leadqual-form]");
    for (var i = 0; i < candidates.length; i++) {
      var src = candidates[i].getAttribute("src") || "";
      try {
        if (new URL(src, location.href).origin === origin) {
          frames.push(candidates[i]);
        }
      } catch (error) {
        // Not an address: not one of ours.
      }
    }
    return frames;
  }

  function frameOf(source) {
    var frames = formFrames();
    for (var i = 0; i < frames.length; i++) {
      if (source && frames[i].contentWindow === source) {
        return frames[i];
      }
    }
    return null;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) {
      return;
    }
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "leadqual:form-height") {
      return;
    }
    var frame = frameOf(event.source);
    var height = data.height;
    if (!frame || typeof height !== "number" || !isFinite(height)) {
      return;
    }
    height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(height)));
    frame.style.height = height + "px";
    var shownBefore = framesWithPages.indexOf(frame) !== -1;
    if (!shownBefore) {
      framesWithPages.push(frame);
    }
    // A new page in a frame that showed one before (the thank-you page after
    // sending, much shorter than the form): bring it into view if the visitor
    // scrolled past its top, so that they see the answer.
    if (data.loaded === true && shownBefore && frame.getBoundingClientRect().top < 0) {
      frame.scrollIntoView({ block: "start" });
    }
  });

  // A frame that loaded before this script started reported its height to
  // nobody: ask again. The question carries nothing, so "*" is safe, and it
  // reaches a frame that is still blank without an error.
  var frames = formFrames();
  for (var i = 0; i < frames.length; i++) {
    if (frames[i].contentWindow) {
      frames[i].contentWindow.postMessage({ type: "leadqual:measure" }, "*");
    }
  }
})();
