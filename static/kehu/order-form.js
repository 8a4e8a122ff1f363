/* New order (finance/order_form.html). */
(function () {
  // Only products in the order's currency are offered; an order on a contract is in the contract's currency.
  const currency = document.getElementById("id_currency"), contract = document.getElementById("id_contract");
  function offerProducts() {
    document.querySelectorAll("#order-form .kehu-line select option[data-currency]").forEach((option) => {
      const other = option.dataset.currency !== currency.value;
      option.hidden = other;
      option.disabled = other && !option.selected;
    });
  }
  if (contract) contract.addEventListener("change", () => {
    const chosen = contract.selectedOptions[0];
    if (chosen && chosen.dataset.currency) currency.value = chosen.dataset.currency;
    offerProducts();
  });
  if (currency) { currency.addEventListener("change", offerProducts); offerProducts(); }
})();
