// The targets grid: a row's annual sum follows its twelve typed months (exact cents, no floats).
(function () {
  "use strict";
  function cents(text) {
    var t = String(text || "").replace(/[,\s¥￥]/g, "");
    if (!/^\d+(\.\d{0,2})?$/.test(t)) return null;
    var parts = t.split(".");
    return BigInt(parts[0]) * 100n + BigInt(((parts[1] || "") + "00").slice(0, 2));
  }
  function show(total) {
    var whole = (total / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = (total % 100n).toString().padStart(2, "0");
    return "¥" + whole + "." + rest;
  }
  function update(row) {
    var total = 0n, bad = false, any = false;
    row.querySelectorAll("[data-month]").forEach(function (input) {
      if (input.value.trim() === "") return;
      any = true;
      var c = cents(input.value);
      if (c === null) { bad = true; input.classList.add("is-invalid"); } else { input.classList.remove("is-invalid"); total += c; }
    });
    var cell = row.querySelector("[data-row-sum]");
    if (cell) cell.textContent = bad ? "?" : (any ? show(total) : "—");
  }
  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-month]")) return;
    var row = event.target.closest("[data-grid-row]");
    if (row) update(row);
  });
})();
