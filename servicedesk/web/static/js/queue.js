// The queue's live refresh: htmx swaps only the rows (every 30 s); this keeps what the
// person was doing. Checked rows stay checked, a poll waits while they work in the rows or
// the bulk form, and a change of the list is announced once (aria-live="polite").
(function () {
  "use strict";
  var checked = [];
  var before = "";

  function rows() { return document.getElementById("queue-rows"); }
  function ids(tbody) {
    return Array.prototype.map.call(tbody.querySelectorAll("tr[data-ticket]"), function (tr) {
      return tr.getAttribute("data-ticket");
    }).join(",");
  }
  function busy() {
    var active = document.activeElement;
    var form = document.getElementById("bulk-form");
    if (!active || !form || !form.contains(active)) { return false; }
    return active.tagName === "INPUT" || active.tagName === "SELECT" || active.tagName === "TEXTAREA";
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.elt !== rows()) { return; }
    if (busy()) { evt.preventDefault(); return; }  // try again at the next tick
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var tbody = rows();
    if (evt.detail.target !== tbody) { return; }
    before = ids(tbody);
    checked = Array.prototype.map.call(
      tbody.querySelectorAll('input[name="ticket"]:checked'), function (box) { return box.value; });
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    var tbody = rows();
    if (evt.detail.target !== tbody) { return; }
    checked.forEach(function (value) {
      var box = tbody.querySelector('input[name="ticket"][value="' + value + '"]');
      if (box) { box.checked = true; }
    });
    var status = document.getElementById("queue-status");
    if (status && ids(tbody) !== before) {
      status.textContent = status.getAttribute("data-changed");
    }
  });
  // After a bulk action the results take the focus, so they are read first.
  document.addEventListener("DOMContentLoaded", function () {
    var results = document.getElementById("bulk-results");
    if (results && !document.querySelector(".error-summary")) { results.focus(); }
  });
})();
