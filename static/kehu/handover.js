/* Handover (customers/handover.html): ticking a customer means "only the ticked ones"; the
   page works without this. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("handover-pick")) {
      var chosen = document.getElementById("scope-chosen");
      if (chosen) { chosen.checked = true; }
    }
  });
})();
