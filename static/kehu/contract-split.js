/* New contract (finance/contract_form.html). */
(function () {
  // "Split" reloads the page with a new plan: carry what was chosen in the contract form along.
  const split = document.querySelector("[data-testid=split-form]");
  if (!split) return;
  split.addEventListener("submit", () => {
    ["source", "signed_on", "amount", "currency", "payment_term_days"].forEach((name) => {
      const field = document.getElementById("id_" + name);
      split.querySelectorAll("input[type=hidden][name=" + name + "]").forEach((old) => old.remove());
      if (field && field.value) {
        const carried = document.createElement("input");
        carried.type = "hidden"; carried.name = name; carried.value = field.value;
        split.appendChild(carried);
      }
    });
  });
})();
