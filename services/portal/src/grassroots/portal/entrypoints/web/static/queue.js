// The queue refreshes itself every minute while the page is visible (the page works without it).
(function () {
  "use strict";
  var queue = document.getElementById("queue") || document.getElementById("empty");
  if (!queue || !window.fetch || !window.DOMParser) { return; }
  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var next = fresh.getElementById("queue") || fresh.getElementById("empty");
        var current = document.getElementById("queue") || document.getElementById("empty");
        if (next && current) { current.replaceWith(next); }
      })
      .catch(function () { /* offline for a moment: keep what is shown */ });
  }
  window.setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", refresh);
})();
