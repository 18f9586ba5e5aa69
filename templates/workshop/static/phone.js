// Saves each answer as it is given (our own few lines; nothing is fetched from elsewhere).
// Without JavaScript the same form posts a whole friction point with the Next button.
(function () {
  "use strict";
  var form = document.getElementById("answers");
  if (!form || !window.fetch) { return; }
  var csrf = form.getAttribute("data-csrf");
  var progress = document.getElementById("progress");
  var count = document.getElementById("count");

  function statusOf(el) {
    var box = el.closest("[data-question]");
    return box ? box.querySelector("[data-status]") : null;
  }

  function show(el, text, isError) {
    var s = statusOf(el);
    if (!s) { return; }
    s.textContent = text;               // text only: nothing typed is ever parsed as HTML
    s.className = isError ? "status error" : "status";
  }

  function save(el) {
    var box = el.closest("[data-question]");
    if (!box) { return; }
    var question = box.getAttribute("data-question");
    show(el, "Saving…", false);
    fetch("/api/answer", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify({question: question, value: el.value})
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (!res.ok) { show(el, res.body.error || "Not saved; try again", true); return; }
      show(el, res.body.saved.state === "blank" ? "" : "Saved", false);
      if (progress) { progress.max = res.body.asked; progress.value = res.body.answered; }
      if (count) { count.textContent = res.body.answered + " of " + res.body.asked + " answered"; }
    }).catch(function () {
      show(el, "Not saved: no connection. It will be saved when you press Next.", true);
    });
  }

  var timers = {};
  var sent = {};

  function saveOnce(el) {
    // "change" after typing would send the same text twice; one save per value is enough.
    if (el.type !== "radio" && sent[el.name] === el.value) { return; }
    sent[el.name] = el.value;
    save(el);
  }

  form.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.name && el.name.indexOf("a:") === 0) {
      clearTimeout(timers[el.name]);
      saveOnce(el);
    }
  });

  // Comments and numbers are also saved a moment after typing stops, so closing the
  // page without leaving the field loses nothing.
  form.addEventListener("input", function (event) {
    var el = event.target;
    if (!el || !el.name || el.name.indexOf("a:") !== 0 || el.type === "radio") { return; }
    clearTimeout(timers[el.name]);
    timers[el.name] = setTimeout(function () { saveOnce(el); }, 1200);
  });
})();
