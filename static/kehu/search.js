// The top bar's search dropdown (templates/reports/partials/topbar.html): Escape or a click
// elsewhere closes it; the results come from htmx (hx-get on the input).
(function () {
  "use strict";
  function close() {
    var box = document.getElementById("global-search-results");
    if (box) { box.innerHTML = ""; }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); }
  });
  document.addEventListener("click", function (event) {
    var form = document.querySelector("[data-testid=global-search]");
    if (form && !form.contains(event.target)) { close(); }
  });
})();
