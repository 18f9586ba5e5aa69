// Keeps the projector's live part current from the server-sent event stream.
// The HTML comes from our own server's autoescaping templates.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) { return; }
  var pending = null;

  function busy() {
    // Never pull a menu away from under the facilitator's hand.
    var el = document.activeElement;
    return el && live.contains(el) && el.tagName === "SELECT";
  }

  function apply(data) {
    var open = live.querySelector("details[open]") !== null;
    live.innerHTML = data.html;
    live.setAttribute("data-version", String(data.version));
    if (open) {
      var details = live.querySelector("details");
      if (details) { details.open = true; }
    }
  }

  live.addEventListener("focusout", function () {
    setTimeout(function () {
      if (pending && !busy()) { var data = pending; pending = null; apply(data); }
    }, 0);
  });

  var source = new EventSource(live.getAttribute("data-stream"));
  source.addEventListener("snapshot", function (event) {
    var data = JSON.parse(event.data);
    if (busy()) { pending = data; } else { apply(data); }
  });
})();
