/* Ranking report charts (ECharts). Data comes from a json_script element whose numbers are
   decimal strings made on the server from exact Decimals; they are only turned into JS numbers
   here, for drawing. The server hands the tiers best first. The count pyramid is drawn from the
   bottom up, widest tier at the bottom and narrowing to the top (ECharts' "ascending" funnel:
   each tier's width is its count, so the tier with the most customers is the widest — with
   "none" the last tier tapered to a point and the pyramid drew as a diamond). The profit
   pyramid keeps the ladder order, wide on top. A tooltip formatter returns HTML, so it
   escapes every name it shows (ECharts' default tooltips escape by themselves). */
(function () {
  "use strict";

  function escapeHTML(text) {
    return window.echarts.format.encodeHTML(String(text));
  }

  function draw(el) {
    if (!window.echarts) { return; }
    var source = document.getElementById(el.dataset.source);
    if (!source) { return; }
    var rows = JSON.parse(source.textContent);
    var kind = el.dataset.chart;
    var name = el.dataset.seriesName || "";
    var chart = window.echarts.init(el);
    var option;
    if (kind === "pyramid-count" || kind === "pyramid-profit") {
      var isCount = kind === "pyramid-count";
      var data = rows.map(function (r) {
        var v = isCount ? Number(r.count) : Math.max(Number(r.profit_pct), 0);
        return { name: r.name, value: v, label: isCount ? r.count + " (" + r.count_pct + "%)" : r.profit_pct + "%" };
      });
      option = {
        // The tooltip is HTML: escape what it shows (tier names are the company's own text).
        tooltip: { trigger: "item", formatter: function (p) { return escapeHTML(p.name) + ": " + escapeHTML(p.data.label); } },
        series: [{
          type: "funnel", name: name, left: "10%", width: "80%", minSize: isCount ? "8%" : "20%", maxSize: "100%",
          // count: "ascending" draws bottom-up, largest count at the bottom (a pyramid);
          // profit: "none" keeps the ladder order of the data (best first, on top).
          sort: isCount ? "ascending" : "none", gap: 2,
          label: { show: true, position: "inside", formatter: function (p) { return p.name + " " + p.data.label; } },
          data: data
        }]
      };
    } else {
      option = {
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 10, bottom: 60, top: 10 },
        xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 30, interval: 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: name, data: rows.map(function (r) { return Number(r.count); }) }]
      };
    }
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll(".ranking-chart").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
