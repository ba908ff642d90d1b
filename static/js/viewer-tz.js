// Show times in the browser's zone: remember it in a cookie the server reads, reload once.
// Used by templates/enablement/live/_tz.html (data-viewer-tz: the zone the page was drawn in).
(function () {
  "use strict";
  var marker = document.querySelector("[data-viewer-tz]");
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (
    marker &&
    zone &&
    zone !== marker.getAttribute("data-viewer-tz") &&
    document.cookie.indexOf("tz=") === -1 &&
    window.location.search.indexOf("tz=") === -1
  ) {
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    if (document.cookie.indexOf("tz=") !== -1) {
      window.location.reload(); // no loop without cookies
    }
  }
})();
