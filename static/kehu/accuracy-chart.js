/* Forecast accuracy charts (ECharts): accuracy per period as a line per rep, bias per period as
   bars per rep. Data comes from the json_script element "accuracy-data" built on the server:
   {"periods": [label…], "reps": [{"name", "accuracy": [decimal string|null…], "bias": […]}]}.
   The exact values are decimal strings (4 decimals); they become JS numbers here only to draw.
   Tooltips use ECharts' own formatting, which escapes the rep names. */
(function () {
  "use strict";

  function percent(v) {
    return v === null || v === undefined ? null : Math.round(Number(v) * 10000) / 100;
  }

  function draw(el) {
    if (!window.echarts) { return; }
    var source = document.getElementById(el.dataset.source);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var isBias = el.dataset.chart === "bias";
    var series = data.reps.map(function (r) {
      var values = (isBias ? r.bias : r.accuracy).map(percent);
      return isBias
        ? { type: "bar", name: r.name, data: values }
        : { type: "line", name: r.name, data: values, connectNulls: false, showSymbol: true, showAllSymbol: true, symbolSize: 8 };
    });
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 50, right: 10, bottom: 30, top: 36 },
      xAxis: { type: "category", data: data.periods },
      yAxis: isBias
        ? { type: "value", axisLabel: { formatter: "{value}%" } }
        : { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll(".accuracy-chart").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
