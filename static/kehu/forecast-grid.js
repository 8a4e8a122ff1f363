/* The forecast grid (templates/planning/forecast_grid.html): the totals per forecast category
   follow what the rep types, before they save a line. A line counts when its expected close
   date is in the period (data-period-start..data-period-end) and its amount is above zero —
   the rule of kehu.planning.selectors.forecasts.grid_totals, which recomputes them on save.
   Amounts are added as integer cents (no floating-point sums). */
(function () {
  "use strict";

  function cents(text) {
    var value = String(text || "").replace(/[,\s¥￥]/g, "");
    var match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(value);
    if (!match) { return null; }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function money(total) {
    var whole = String(Math.floor(total / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = String(total % 100);
    return "¥" + whole + "." + (rest.length < 2 ? "0" + rest : rest);
  }

  function field(row, name, fallback) {
    var input = row.querySelector("[data-field='" + name + "']");
    return input ? input.value : row.getAttribute(fallback);
  }

  function recompute() {
    var grid = document.querySelector("[data-forecast-grid]");
    if (!grid) { return; }
    var start = grid.getAttribute("data-period-start");
    var end = grid.getAttribute("data-period-end");
    var sums = { commit: 0, best_case: 0, pipeline: 0, omitted: 0 };
    grid.querySelectorAll("tr[data-line]").forEach(function (row) {
      var amount = cents(field(row, "amount", "data-amount"));
      var close = field(row, "close", "data-close") || "";
      var category = field(row, "category", "data-category");
      if (amount === null || amount <= 0 || !close || close < start || close > end) { return; }
      if (Object.prototype.hasOwnProperty.call(sums, category)) { sums[category] += amount; }
    });
    sums.best_case_with_commit = sums.commit + sums.best_case;
    Object.keys(sums).forEach(function (key) {
      var cell = document.querySelector("[data-total='" + key + "']");
      if (cell) { cell.textContent = money(sums[key]); }
    });
  }

  /* After a line is saved the server sends the new pre-fill (#forecast-prefill, out of band):
     the submission's inputs the rep has not changed follow it. */
  function refreshPrefill() {
    var holder = document.getElementById("forecast-prefill");
    if (!holder) { return; }
    var values;
    try { values = JSON.parse(holder.getAttribute("data-prefill") || "{}"); } catch (e) { return; }
    document.querySelectorAll("input[data-prefill-for]").forEach(function (input) {
      var pair = values[input.getAttribute("data-prefill-for")];
      if (!pair) { return; }
      var fresh = pair[parseInt(input.getAttribute("data-prefill-index"), 10)];
      if (input.value === input.getAttribute("data-prefilled")) { input.value = fresh; }
      input.setAttribute("data-prefilled", fresh);
    });
  }

  document.addEventListener("htmx:afterSettle", function () { refreshPrefill(); recompute(); });

  /* A line changed and not saved yet: its Save button is lit, and leaving the page asks first
     (a saved row comes back from the server without the mark). */
  function markDirty(target) {
    var row = target.closest && target.closest("tr[data-line]");
    if (!row || row.hasAttribute("data-dirty")) { return; }
    row.setAttribute("data-dirty", "");
    var save = row.querySelector("button.btn-outline-primary");
    if (save) { save.classList.replace("btn-outline-primary", "btn-primary"); }
  }

  function edited(event) {
    if (event.target.closest && event.target.closest("[data-forecast-grid]")) { markDirty(event.target); recompute(); }
  }

  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("tr[data-line][data-dirty]")) { event.preventDefault(); event.returnValue = ""; }
  });
})();
