/* Contract payment plan (finance/contract_form.html, contract_plan.html): add rows, show the
   running sum against the amount. */
(function () {
  // Display only: the running sum of the plan against the amount (the service checks it exactly, in cents).
  const sumCell = document.getElementById("kehu-plan-sum"), targetCell = document.getElementById("kehu-plan-target");
  const amountInput = document.getElementById("id_amount"), sourceSelect = document.getElementById("id_source");
  const sourceData = document.getElementById("kehu-source-amounts");
  const sourceAmounts = sourceData ? JSON.parse(sourceData.textContent || "{}") : {};
  const cents = (v) => { const n = parseFloat(v); return isFinite(n) ? Math.round(n * 100) : null; };
  function refresh() {
    let sum = 0;
    document.querySelectorAll("#kehu-plan-rows .kehu-plan-row").forEach((row) => {
      const del = row.querySelector("input[type=checkbox]");
      const c = cents(row.querySelector(".kehu-plan-amount") && row.querySelector(".kehu-plan-amount").value);
      if (c !== null && !(del && del.checked)) sum += c;
    });
    const fromSource = sourceSelect ? sourceAmounts[sourceSelect.value] : undefined;
    const target = cents((amountInput && amountInput.value) || fromSource || targetCell.dataset.target);
    const grouped = (c) => (c / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    sumCell.textContent = grouped(sum);
    if (target !== null) targetCell.textContent = grouped(target);
    sumCell.classList.toggle("text-danger", target !== null && sum !== target);
    sumCell.classList.toggle("text-success", target !== null && sum === target);
  }
  document.getElementById("kehu-plan-add").addEventListener("click", () => {
    const total = document.querySelector("input[name$='-TOTAL_FORMS']");
    const html = document.getElementById("kehu-plan-empty").innerHTML.replace(/__prefix__/g, total.value);
    document.getElementById("kehu-plan-rows").insertAdjacentHTML("beforeend", html);
    total.value = parseInt(total.value, 10) + 1;
    refresh();
  });
  document.addEventListener("input", refresh);
  document.addEventListener("change", refresh);
  refresh();
})();
