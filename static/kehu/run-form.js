/* New evaluation run (ranking/run_form.html): a busy note while the run works, and the model's
   default window (the JSON script #run-windows) when the model changes. */
(function () {
  "use strict";
  var form = document.getElementById("run-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    document.getElementById("run-submit").disabled = true;
    document.getElementById("run-busy").classList.remove("d-none");
  });
  document.getElementById("id_model").addEventListener("change", function () {
    var windows = JSON.parse(document.getElementById("run-windows").textContent);
    if (windows[this.value]) { document.getElementById("id_window_months").value = windows[this.value]; }
  });
})();
