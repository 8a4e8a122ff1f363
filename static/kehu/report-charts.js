/* Report charts (ECharts). Each <div class="kehu-chart" data-option="ID"> is drawn from the
   ECharts option in the json_script element ID, built on the server (kehu/reports/charts.py).
   Amounts come as decimal strings made from exact Decimals; they become JS numbers only here,
   for drawing (a series' data item that is a numeric string, or an object whose "value" is one).
   No option carries a function: tooltips use ECharts' own escaping. */
(function () {
  "use strict";

  function num(v) {
    if (typeof v === "string" && v !== "" && !isNaN(Number(v))) { return Number(v); }
    return v;
  }

  function numbers(option) {
    (option.series || []).forEach(function (s) {
      s.data = (s.data || []).map(function (d) {
        if (Array.isArray(d)) { return d.map(num); }
        if (d !== null && typeof d === "object") { if ("value" in d) { d.value = Array.isArray(d.value) ? d.value.map(num) : num(d.value); } return d; }
        return num(d);
      });
    });
    return option;
  }

  function draw(el) {
    if (!window.echarts) { return; }
    var source = document.getElementById(el.dataset.option);
    if (!source) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(numbers(JSON.parse(source.textContent)));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll(root) {
    (root || document).querySelectorAll(".kehu-chart[data-option]").forEach(function (el) {
      if (!el.dataset.drawn) { el.dataset.drawn = "1"; draw(el); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawAll(e.target); });
})();
