// The region picker of the customer form: the city select lists the cities grouped by province
// (an <optgroup> per province); once a province is picked only its cities are shown, and a city
// of another province is cleared. Without JavaScript every group stays, and the server checks
// that the city belongs to the province.
(function () {
  "use strict";
  document.querySelectorAll("select[data-region-province]").forEach(function (province) {
    var form = province.form;
    var city = form && form.querySelector("select[data-region-city]");
    if (!city) return;
    function refresh(clear) {
      var chosen = province.value;
      var keep = false;
      city.querySelectorAll("optgroup").forEach(function (group) {
        var mine = !chosen || group.label === chosen;
        group.hidden = !mine;
        group.disabled = !mine;
        if (mine && group.querySelector("option[value='" + CSS.escape(city.value) + "']")) keep = true;
      });
      var loose = city.querySelector(":scope > option[value='" + CSS.escape(city.value) + "']");
      if (clear && city.value && !keep && !(loose && loose.value)) city.value = "";
    }
    province.addEventListener("change", function () { refresh(true); });
    refresh(false);
  });
})();
