// The partner portal's first-login tour, on driver.js (vendored from npm, no CDN).
//
// The page renders #portal-tour (data-autostart="true" until the user has seen the tour) and the
// stops as JSON in #portal-tour-steps. Each stop points at a navbar item by its stable
// `data-tour` attribute (the item's URL name; a dropdown toggle lists its children's names in
// `data-tour-group`). Finishing or closing an automatic tour POSTs to data-seen-url so it does not
// start again; "Replay the tour" ([data-tour-replay], Help menu) restarts it without the server.
(function () {
  "use strict";

  const root = document.getElementById("portal-tour");
  const stepsData = document.getElementById("portal-tour-steps");
  if (!root || !stepsData || !window.driver || !window.driver.js) {
    return;
  }
  const createDriver = window.driver.js.driver;
  const stops = JSON.parse(stepsData.textContent);

  function isVisible(element) {
    return element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
  }

  // The visible element for a stop; null when the item exists but is hidden (collapsed navbar on
  // a small screen: the stop is shown centred); undefined when the role has no such item.
  function findTarget(name) {
    const candidates = document.querySelectorAll(
      `[data-tour~="${CSS.escape(name)}"], [data-tour-group~="${CSS.escape(name)}"]`,
    );
    if (candidates.length === 0) {
      return undefined;
    }
    for (const element of candidates) {
      if (isVisible(element)) {
        return element;
      }
    }
    return null;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      return meta.content;
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function markSeen() {
    root.dataset.autostart = "false";
    return fetch(root.dataset.seenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
    }).catch(() => {
      // Offline or a transient error: the tour starts again next time, which is harmless.
    });
  }

  function buildSteps() {
    const steps = [];
    for (const stop of stops) {
      const popover = { title: stop.title, description: stop.description };
      if (!stop.target) {
        steps.push({ popover });
        continue;
      }
      const element = findTarget(stop.target);
      if (element === undefined) {
        continue; // this role has no such page
      }
      steps.push(element ? { element, popover } : { popover });
    }
    return steps;
  }

  let active = null;

  function startTour({ record }) {
    if (active) {
      active.destroy();
    }
    let recorded = false;
    const tour = createDriver({
      showProgress: true,
      allowClose: true,
      // No sliding between stops: the tour answers every click at once (and moves nobody's
      // stomach).
      animate: false,
      nextBtnText: root.dataset.next,
      prevBtnText: root.dataset.prev,
      doneBtnText: root.dataset.done,
      steps: buildSteps(),
      // Finishing, the close button, Escape and a click on the overlay all come here, even
      // before the first stop has finished animating in (driver.js skips onDestroyed then).
      onDestroyStarted: () => {
        if (record && !recorded) {
          recorded = true;
          markSeen();
        }
        active = null;
        document.documentElement.dataset.tourState = "closed";
        tour.destroy();
      },
    });
    active = tour;
    document.documentElement.dataset.tourState = "open";
    tour.drive();
    return tour;
  }

  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-tour-replay]");
    if (!trigger) {
      return;
    }
    event.preventDefault();
    startTour({ record: false });
  });

  window.prmPortalTour = { start: () => startTour({ record: false }) };

  if (root.dataset.autostart === "true") {
    startTour({ record: true });
  }
})();
