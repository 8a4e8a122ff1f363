/* The Friday review's waterfall (ECharts): the open amount expected in the period at the start,
   the bars of what changed (new, pulled in, pushed out, amounts up and down, won, lost) and the
   open amount now. Data comes from a json_script element (decimal strings made on the server
   from exact Decimals); they become JS numbers only here, for drawing. The same numbers are in
   the table under the chart, so the page reads without JavaScript. Each bar floats on an
   invisible base: a rise starts where the running total was, a fall ends there. */
(function () {
  "use strict";

  function escapeHTML(text) {
    return window.echarts.format.encodeHTML(String(text));
  }

  function money(value) {
    return Number(value).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function draw(el) {
    if (!window.echarts) { return; }
    var source = document.getElementById(el.dataset.source);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var names = [data.start.name], keys = [""], base = [0], up = [Number(data.start.amount)], down = [0], labels = [data.start.amount];
    var running = Number(data.start.amount);
    data.bars.forEach(function (bar) {
      var amount = Number(bar.amount);
      names.push(bar.name);
      keys.push(bar.key);
      labels.push(bar.amount);
      if (amount >= 0) {
        base.push(running); up.push(amount); down.push(0);
      } else {
        base.push(running + amount); up.push(0); down.push(-amount);
      }
      running += amount;
    });
    names.push(data.end.name); base.push(0); up.push(Number(data.end.amount)); down.push(0); labels.push(data.end.amount);
    var last = names.length - 1;
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (params) {
          var i = params[0].dataIndex;
          return escapeHTML(names[i]) + ": " + escapeHTML(money(labels[i]));
        }
      },
      grid: { left: 20, right: 20, bottom: 10, top: 20, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: 20 } },
      yAxis: { type: "value" },
      series: [
        { type: "bar", stack: "w", silent: true, itemStyle: { color: "transparent" }, data: base },
        { type: "bar", stack: "w", data: up.map(function (v, i) {
          return { value: v, itemStyle: { color: (i === 0 || i === last) ? "#6c757d" : "#198754" } };
        }) },
        // Won leaves the open pipeline as good news: blue, not the red of lost and pushed out.
        { type: "bar", stack: "w", data: down.map(function (v, i) { return { value: v, itemStyle: { color: keys[i] === "won" ? "#0d6efd" : "#dc3545" } }; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll(".review-waterfall").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
