// Our small amount of JavaScript: htmx CSRF header, confirm prompts and copy buttons.
(function () {
  "use strict";

  var SAFE_METHODS = ["get", "head", "options", "trace"];

  // The token from <meta name="csrf-token"> (set by base.html), else from the csrftoken cookie.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      return meta.content;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Django rejects unsafe requests without the token: send it as X-CSRFToken on htmx requests.
  document.addEventListener("htmx:configRequest", function (event) {
    if (SAFE_METHODS.indexOf(String(event.detail.verb).toLowerCase()) !== -1) {
      return;
    }
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // <form data-confirm="Revoke this key?"> asks before submitting; so does a submit button with
  // its own data-confirm (a form with Approve and Reject asks each its question).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question =
      (submitter && submitter.getAttribute && submitter.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <button data-copy-target="#element-id"> copies that input's value (or text) to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    var text = "value" in source ? source.value : source.textContent;
    var done = function () {
      var label = button.getAttribute("data-copied-label");
      if (label) {
        button.textContent = label;
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else if (source.select) {
      // NOTE: http://<slug>.localhost is not always a secure context; fall back to execCommand.
      source.select();
      document.execCommand("copy");
      done();
    }
  });
})();
