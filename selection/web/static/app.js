// The workbench's only script besides htmx: slider read-outs, print, sortable tables.
// No inline scripts (the page's Content-Security-Policy forbids them).
(function () {
  "use strict";
  function fmt(x) {
    var lang = document.documentElement.lang || "en";
    var s = Number(x).toFixed(1);
    return lang === "da" ? s.replace(".", ",") : s;
  }
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el && el.type === "range") {
      var out = document.querySelector('output[for="' + el.id + '"]');
      if (out) { out.textContent = fmt(el.value); }
    }
  });
  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute("data-print")) { window.print(); return; }
    if (el && el.tagName === "TH" && el.closest("table.sortable")) { sortBy(el); }
  });
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if ((ev.key === "Enter" || ev.key === " ") && el && el.tagName === "TH" && el.closest("table.sortable")) {
      ev.preventDefault(); sortBy(el);
    }
  });
  function cellValue(td) {
    var t = (td ? td.textContent : "").trim();
    var lang = document.documentElement.lang || "en";
    var n = lang === "da" ? t.replace(/\./g, "").replace(",", ".") : t.replace(/,/g, "");
    var v = parseFloat(n);
    return isNaN(v) || !/^[-+]?[\d.,\s]+%?$/.test(t) ? t.toLowerCase() : v;
  }
  function sortBy(th) {
    var table = th.closest("table");
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[idx]), y = cellValue(b.cells[idx]);
      if (x === y) { return 0; }
      return (x > y ? 1 : -1) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function prepare(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("table.sortable th"), function (th) {
      th.tabIndex = 0;
      th.setAttribute("role", "columnheader button");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { prepare(ev.target); });
})();
