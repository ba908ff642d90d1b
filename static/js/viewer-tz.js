// Show times in the browser's zone: remember it in a cookie the server reads (tenancy.timezones).
// <body data-viewer-tz> is the zone the page was drawn in; the next page is drawn in the browser's.
// A page whose times are the point (a live-session schedule, templates/enablement/live/_tz.html
// adds another [data-viewer-tz] marker) reloads once at once.
(function () {
  "use strict";
  var drawnIn = document.body && document.body.getAttribute("data-viewer-tz");
  var schedule = document.querySelector("[data-viewer-tz]:not(body)");
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (
    drawnIn !== null &&
    zone &&
    zone !== drawnIn &&
    document.cookie.indexOf("tz=") === -1 &&
    window.location.search.indexOf("tz=") === -1
  ) {
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    if (schedule && document.cookie.indexOf("tz=") !== -1) {
      window.location.reload(); // no loop without cookies
    }
  }
})();
