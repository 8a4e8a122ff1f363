// Live line totals of a quote or order form (display only; the server computes the saved
// amounts exactly): quantity × price × (1 − discount ÷ 100), the price defaulting to the
// product's list price from the JSON script #kehu-prices. Rows are `.kehu-line` inside a
// form marked `data-line-totals`; the total goes into the row's `.kehu-line-total` cell.
(function () {
  const source = document.getElementById("kehu-prices");
  const prices = JSON.parse((source && source.textContent) || "{}");
  function refresh(row) {
    const product = row.querySelector("select");
    const inputs = row.querySelectorAll("input[type=number], input[type=text]");
    const q = parseFloat(inputs[0] && inputs[0].value), p0 = inputs[1] && inputs[1].value, d = parseFloat(inputs[2] && inputs[2].value) || 0;
    const p = p0 !== "" && p0 !== undefined ? parseFloat(p0) : parseFloat(prices[product && product.value]);
    const cell = row.querySelector(".kehu-line-total");
    cell.textContent = (isFinite(q) && isFinite(p)) ? (Math.round(q * p * (1 - d / 100) * 100) / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : "—";
  }
  document.querySelectorAll("form[data-line-totals] .kehu-line").forEach((row) => {
    refresh(row);
    row.addEventListener("input", () => refresh(row));
    row.addEventListener("change", () => refresh(row));
  });
})();
