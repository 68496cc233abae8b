// SLA countdowns: every element with data-due-at (ISO 8601) shows the time
// left, and gets the class "overdue" once the deadline has passed. The
// server renders the first value, so the page reads right without script.
(function () {
  "use strict";
  // units: the letters for days, hours and minutes in the page's language
  // (data-units, "d h m" or "d u m").
  function format(ms, units) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    var hours = Math.floor(minutes / 60);
    var days = Math.floor(hours / 24);
    if (days >= 1) { return days + units[0] + " " + (hours % 24) + units[1]; }
    return hours + units[1] + " " + (minutes % 60) + units[2];
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due-at]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due-at"));
      if (isNaN(due)) { return; }
      var left = due - now;
      var overdueLabel = el.getAttribute("data-overdue-label") || "overdue";
      var units = (el.getAttribute("data-units") || "d h m").split(" ");
      var text = format(left, units);
      el.textContent = left < 0 ? text + " " + overdueLabel : text;
      el.classList.toggle("overdue", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 30000);
})();
