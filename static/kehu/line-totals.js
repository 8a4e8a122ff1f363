// Quote and order line forms (rows `.kehu-line` inside a form marked `data-line-totals`).
//
// - Picking a product fills the row's unit price with the product's list price (the option's
//   `data-price`, else the JSON script #kehu-prices) when the price is empty or still holds the
//   price filled in for the product picked before; a price the user typed stays.
// - Live line totals (display only; the server computes the saved amounts exactly):
//   quantity × price × (1 − discount ÷ 100), into the row's `.kehu-line-total` cell.
// - A form with `data-max-discount` (the customer's policy) marks a discount above it.
(function () {
  const source = document.getElementById("kehu-prices");
  const prices = JSON.parse((source && source.textContent) || "{}");

  function field(row, name) {
    return row.querySelector(`[name$="-${name}"]`);
  }

  function listPrice(select) {
    const option = select && select.selectedOptions && select.selectedOptions[0];
    if (option && option.dataset.price !== undefined) return option.dataset.price;
    return select ? prices[select.value] : undefined;
  }

  function fillPrice(row) {
    const product = field(row, "product"), price = field(row, "unit_price");
    if (!product || !price) return;
    const wanted = listPrice(product);
    if (price.value === "" || price.value === price.dataset.filled) {
      price.value = wanted === undefined ? "" : wanted;
      price.dataset.filled = price.value;
    }
  }

  function refresh(row, form) {
    const product = field(row, "product"), quantity = field(row, "quantity");
    const price = field(row, "unit_price"), discount = field(row, "discount_pct");
    const q = parseFloat(quantity && quantity.value), d = parseFloat(discount && discount.value) || 0;
    const p0 = price ? price.value : "";
    const p = p0 !== "" ? parseFloat(p0) : parseFloat(listPrice(product));
    const cell = row.querySelector(".kehu-line-total");
    if (cell) cell.textContent = (isFinite(q) && isFinite(p)) ? (Math.round(q * p * (1 - d / 100) * 100) / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : "—";
    const max = parseFloat(form.dataset.maxDiscount);
    if (discount && isFinite(max)) {
      const over = d > max;
      discount.classList.toggle("border-warning", over);
      discount.classList.toggle("bg-warning-subtle", over);
      if (over) discount.title = form.dataset.overPolicy || ""; else discount.removeAttribute("title");
    }
  }

  document.querySelectorAll("form[data-line-totals]").forEach((form) => {
    form.querySelectorAll(".kehu-line").forEach((row) => {
      const product = field(row, "product"), price = field(row, "unit_price");
      // a price equal to the product's list price counts as filled in: picking another product replaces it
      if (price && price.value !== "" && parseFloat(price.value) === parseFloat(listPrice(product))) price.dataset.filled = price.value;
      if (product && product.value) fillPrice(row);
      refresh(row, form);
      if (product) product.addEventListener("change", () => { fillPrice(row); refresh(row, form); });
      row.addEventListener("input", () => refresh(row, form));
      row.addEventListener("change", () => refresh(row, form));
    });
  });
})();
