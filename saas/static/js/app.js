// Small progressive enhancements; every page works without them.
(function () {
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
  // Confirm destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) { if (!window.confirm(form.dataset.confirm)) { e.preventDefault(); } });
  });
})();
