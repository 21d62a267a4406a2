// The answering pages of a survey: keep the respondent's answers in this browser (localStorage) while
// they go, so closing the page loses nothing.  Nothing is sent anywhere until "Send inn"; the pages work
// without this script (every page posts the answers so far).  The thank-you page clears the copy.
(function () {
  "use strict";
  var PREFIX = "hms-survey-";
  var WANTED = /^(q_[A-Za-z0-9_.-]+|group|nonce)$/;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }  // private mode may refuse
  }

  var done = document.querySelector("[data-survey-done]");
  if (done) {
    var store = storage();
    if (store) { store.removeItem(PREFIX + done.getAttribute("data-survey-done")); }
    return;
  }
  var form = document.querySelector("form[data-survey-key]");
  var store = storage();
  if (!form || !store) { return; }
  var key = PREFIX + form.getAttribute("data-survey-key");

  function load() {
    try { return JSON.parse(store.getItem(key) || "{}") || {}; } catch (e) { return {}; }
  }

  function fieldsNamed(name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function addHidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  // Restore: what the server sent wins, except the one-time nonce of the first visit, which is kept so a
  // second submit of the same answers (after a lost connection) is recognised and stored once.
  var saved = load();
  Object.keys(saved).forEach(function (name) {
    if (!WANTED.test(name)) { return; }
    var value = String(saved[name]);
    var fields = fieldsNamed(name);
    if (fields.length === 0) { addHidden(name, value); return; }
    if (name === "nonce") { fields[0].value = value; return; }
    var radios = fields.filter(function (el) { return el.type === "radio"; });
    if (radios.length) {
      if (!radios.some(function (el) { return el.checked; })) {
        radios.forEach(function (el) { if (el.value === value) { el.checked = true; } });
      }
    } else if (fields[0].tagName === "SELECT" && !fields[0].value) {
      fields[0].value = value;
    }
  });

  function save() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!WANTED.test(el.name || "")) { return; }
      if (el.type === "radio" && !el.checked) { return; }
      if (el.value !== "") { data[el.name] = el.value; }
    });
    try { store.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or refused: the form still works */ }
  }

  // On a shared device, the next person can throw away answers someone left unfinished.
  var reset = document.querySelector("[data-survey-reset]");
  if (reset && Object.keys(saved).some(function (name) { return name.indexOf("q_") === 0; })) {
    reset.hidden = false;
    reset.querySelector("button").addEventListener("click", function () {
      store.removeItem(key);
      window.location.replace(window.location.pathname);
    });
  }

  save();
  form.addEventListener("change", save);
  form.addEventListener("submit", save);
})();
