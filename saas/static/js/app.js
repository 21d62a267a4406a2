// Small progressive enhancements; every page works without them.
(function () {
  document.documentElement.classList.add("js");
  // The menu folds away on narrow screens behind one button.
  var toggle = document.querySelector(".menu-toggle"), menu = document.getElementById("hovedmeny");
  if (toggle && menu) {
    toggle.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Progress bars of background tasks: poll the task's JSON until it is done.
  document.querySelectorAll("[data-task-url]").forEach(function (box) {
    var bar = box.querySelector(".progress > div"), text = box.querySelector("[data-task-text]");
    function poll() {
      fetch(box.dataset.taskUrl + "?format=json", {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (t) {
          bar.style.width = t.percent + "%";
          if (text) { text.textContent = t.done + " / " + (t.total || "?") + " (" + t.percent + " %)"; }
          if (t.status === "done" || t.status === "failed") { window.location.reload(); } else { setTimeout(poll, 700); }
        })
        .catch(function () { setTimeout(poll, 2000); });
    }
    poll();
  });
  // Forms marked data-keep-changes warn before the page is left with unsaved input (a link, the back button,
  // a reload); submitting the form itself is not leaving.
  var dirty = [];
  document.querySelectorAll("form[data-keep-changes]").forEach(function (form) {
    function mark() { if (dirty.indexOf(form) < 0) { dirty.push(form); } form.classList.add("unsaved"); }
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
    form.addEventListener("submit", function () { dirty = []; });
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty.length) { e.preventDefault(); e.returnValue = ""; return ""; }
  });
  // "Alt OK i denne delen" without a round trip when scripts run: tick OK on the section's unanswered items,
  // then submit as usual so the server saves everything together.
  document.querySelectorAll("button[name=section_ok]").forEach(function (button) {
    button.addEventListener("click", function () {
      var section = document.getElementById("del-" + button.value);
      if (!section) { return; }
      section.querySelectorAll("tr[id^=punkt-]").forEach(function (row) {
        var radios = row.querySelectorAll("input[type=radio][name$='-answer']");
        var chosen = Array.prototype.some.call(radios, function (r) { return r.checked; });
        if (!chosen) { radios.forEach(function (r) { if (r.value === "ok") { r.checked = true; } }); }
      });
    });
  });
  // A report being made: follow its state without a reload (pending → ready or failed).
  document.querySelectorAll("[data-report-status-url]").forEach(function (box) {
    if (box.dataset.reportState !== "pending") { return; }
    var text = box.querySelector("[data-report-text]"), tries = 0;
    function poll() {
      fetch(box.dataset.reportStatusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          box.dataset.reportState = s.state;
          if (s.state === "pending") { if (++tries < 120) { setTimeout(poll, 1500); } return; }
          text.textContent = "";
          var badge = document.createElement("span");
          badge.className = "badge " + (s.state === "ready" ? "ok" : "bad");
          badge.textContent = s.label;
          text.appendChild(badge);
          if (s.error) { text.appendChild(document.createTextNode(" " + s.error)); }
          var list = box.querySelector("[data-report-files]");
          if (!list) { list = document.createElement("ul"); list.setAttribute("data-report-files", ""); text.after(list); }
          list.textContent = "";
          s.files.forEach(function (f) {
            var li = document.createElement("li"), a = document.createElement("a");
            a.href = f.url; a.textContent = f.name; li.appendChild(a); list.appendChild(li);
          });
          var empty = box.querySelector("p.muted");
          if (empty && s.files.length) { empty.remove(); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 800);
  });
  // A generated document (the certificate PDF): follow queued → rendering → ready or failed without a reload.
  document.querySelectorAll("[data-doc-status-url]").forEach(function (box) {
    var waiting = {queued: 1, rendering: 1};
    if (!waiting[box.dataset.docState]) { return; }
    var tries = 0;
    function show(s) {
      box.dataset.docState = s.state;
      var label = box.querySelector("[data-doc-label]"), error = box.querySelector("[data-doc-error]"),
          retry = box.querySelector("[data-doc-retry]"), ready = box.querySelector("[data-doc-ready]"),
          text = box.querySelector("[data-doc-text]");
      if (label) { label.textContent = s.label; label.className = "badge" + (s.state === "failed" ? " bad" : s.state === "ready" ? " ok" : ""); }
      if (error) { error.textContent = s.state === "failed" ? (s.error || "") : ""; }
      if (retry) { retry.hidden = !(s.state === "failed" || s.state === "none"); }
      if (ready && s.state === "ready") { ready.hidden = false; if (s.pdf_url) { ready.href = s.pdf_url; } if (text) { text.hidden = true; } }
    }
    function poll() {
      fetch(box.dataset.docStatusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          show(s);
          if (waiting[s.state] && ++tries < 200) { setTimeout(poll, 1500); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 800);
  });
  // Confirm destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) { if (!window.confirm(form.dataset.confirm)) { e.preventDefault(); } });
  });
})();
