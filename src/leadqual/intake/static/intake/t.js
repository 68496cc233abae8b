// leadqual tracking script (docs/tracking.md). Include it on a tracked site:
//   <script src="https://LEADQUAL/t.js" defer></script>
// Before window.leadqual.consent() it stores nothing, sets no cookie and
// sends nothing. After consent it keeps a random visitor id in a first-party
// cookie (and localStorage) and sends page views, marked downloads and clicks
// to leadqual. window.leadqual.revoke() stops it and deletes the id.
(function () {
  "use strict";
  if (window.leadqual && window.leadqual.version) {
    return; // Included twice: the first copy already runs.
  }
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";
  var COOKIE = "lq_vid";
  var STORAGE_KEY = "leadqual.visitor";
  var ID_PATTERN = /^[0-9a-f]{32}$/;
  var KEEP_SECONDS = 365 * 24 * 60 * 60;
  var FORM_PATH = "/form/";
  // The event types a marked element may record (data-leadqual-click="...").
  // A meeting, a reply or a form submission only a trusted source may report.
  var CLICK_TYPES = ["demo_request", "webinar", "chat", "download"];
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var visitorId = readId();
  var started = false;

  function randomHex() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) {
      hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return hex;
  }

  function readId() {
    var match = document.cookie.match(/(?:^|;\s*)lq_vid=([0-9a-f]{32})(?:;|$)/);
    if (match) {
      return match[1];
    }
    try {
      var stored = window.localStorage.getItem(STORAGE_KEY);
      return stored && ID_PATTERN.test(stored) ? stored : null;
    } catch (error) {
      return null; // Storage blocked: no id, so no tracking.
    }
  }

  function cookieSuffix() {
    return "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }

  function keepId(id) {
    document.cookie = COOKIE + "=" + id + "; Max-Age=" + KEEP_SECONDS + cookieSuffix();
    try {
      window.localStorage.setItem(STORAGE_KEY, id);
    } catch (error) {
      // The cookie alone is enough.
    }
  }

  function forgetId() {
    document.cookie = COOKIE + "=; Max-Age=0" + cookieSuffix();
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // Nothing stored there.
    }
  }

  // Sent as text/plain: a "simple" cross-origin request, so no preflight.
  // A failed request is tried once more with the same event ids, which
  // leadqual stores only once.
  function send(path, body, retries) {
    var text = JSON.stringify(body);
    if (!window.fetch) {
      if (navigator.sendBeacon) {
        navigator.sendBeacon(base + path, text);
      }
      return;
    }
    window.fetch(base + path, {
      method: "POST",
      body: text,
      headers: { "Content-Type": "text/plain" },
      mode: "cors",
      credentials: "omit",
      keepalive: true
    }).then(function (response) {
      if (response.status >= 500 && retries > 0) {
        setTimeout(function () { send(path, body, retries - 1); }, 2000);
      }
    }, function () {
      if (retries > 0) {
        setTimeout(function () { send(path, body, retries - 1); }, 2000);
      }
    });
  }

  function track(type, properties) {
    if (!visitorId) {
      return;
    }
    send("/t/collect", {
      visitor_id: visitorId,
      consent: true,
      events: [{ id: randomHex(), type: type, properties: properties }]
    }, 1);
  }

  // Only scheme, host and path: a query string may hold an email address.
  function withoutQuery(url) {
    try {
      var parsed = new URL(url, location.href);
      return parsed.origin + parsed.pathname;
    } catch (error) {
      return "";
    }
  }

  function pageView() {
    var properties = { url: withoutQuery(location.href), title: document.title.slice(0, 300) };
    if (document.referrer) {
      properties.referrer = withoutQuery(document.referrer);
    }
    var query = new URLSearchParams(location.search);
    UTM.forEach(function (name) {
      var value = query.get(name);
      if (value) {
        properties[name] = value.slice(0, 200);
      }
    });
    track("page_view", properties);
  }

  // Links and iframes that open the leadqual form carry the visitor id, so
  // the form can stitch the visitor to the lead it creates.
  function withVisitorId(url) {
    try {
      var parsed = new URL(url, location.href);
      if (parsed.origin !== base || parsed.pathname.indexOf(FORM_PATH) !== 0) {
        return null;
      }
      if (parsed.searchParams.get("lq_vid") === visitorId) {
        return null;
      }
      parsed.searchParams.set("lq_vid", visitorId);
      return parsed.href;
    } catch (error) {
      return null;
    }
  }

  function markFormLinks() {
    var elements = document.querySelectorAll("a[href], iframe[src]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      var attribute = element.tagName === "A" ? "href" : "src";
      var marked = withVisitorId(element.getAttribute(attribute));
      if (marked) {
        element.setAttribute(attribute, marked);
      }
    }
  }

  function onClick(event) {
    if (!visitorId || !event.target || !event.target.closest) {
      return;
    }
    var link = event.target.closest("a[href]");
    if (link) {
      var marked = withVisitorId(link.getAttribute("href"));
      if (marked) {
        link.setAttribute("href", marked);
      }
    }
    var download = event.target.closest("[data-leadqual-download]");
    if (download) {
      var href = download.getAttribute("href");
      track("download", {
        asset: download.getAttribute("data-leadqual-download").slice(0, 200),
        url: withoutQuery(href || location.href)
      });
    }
    var clicked = event.target.closest("[data-leadqual-click]");
    if (clicked) {
      var type = clicked.getAttribute("data-leadqual-click");
      if (CLICK_TYPES.indexOf(type) === -1) {
        console.warn("leadqual: data-leadqual-click=\"" + type + "\" is not one of " +
          CLICK_TYPES.join(", ") + "; the click is not recorded.");
        return;
      }
      track(type, {
        element: (clicked.getAttribute("data-leadqual-label") || "").slice(0, 200),
        url: withoutQuery(location.href)
      });
    }
  }

  function start() {
    if (started || !visitorId || !base) {
      return;
    }
    started = true;
    pageView();
    markFormLinks();
    document.addEventListener("click", onClick, true);
  }

  window.leadqual = {
    version: 1,
    // The site's cookie banner calls this once the visitor accepts.
    consent: function () {
      if (!visitorId) {
        visitorId = randomHex();
        keepId(visitorId);
      }
      start();
    },
    // Stops tracking and deletes the visitor id from this browser.
    revoke: function () {
      visitorId = null;
      forgetId();
      document.removeEventListener("click", onClick, true);
      started = false;
    },
    // Tells leadqual this visitor is the lead with this email (existing leads
    // only). The token proves it: the site's backend signs visitor id, email
    // and expiry with the site's identify secret (docs/tracking.md).
    identify: function (email, token) {
      if (visitorId && typeof email === "string" && email && typeof token === "string" && token) {
        send("/t/identify", { visitor_id: visitorId, consent: true, email: email, token: token }, 1);
      } else if (visitorId) {
        console.warn("leadqual: identify(email, token) needs the token your backend signed; nothing sent.");
      }
    },
    visitorId: function () {
      return visitorId;
    }
  };

  // Consent given on an earlier page: the id is there, so record this page.
  if (visitorId) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
})();
