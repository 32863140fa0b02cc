// Charts of the assessment dashboard. The data come from a JSON endpoint with the page's own role
// (the CSP forbids inline scripts); every chart is optional: the tables carry the same numbers.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var cache = {};

  function load(src) {
    if (!cache[src]) {
      cache[src] = fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
    }
    return cache[src];
  }

  function scores(el, data) {
    var rows = data.ranking.slice().sort(function (a, b) { return b.score - a.score; });
    if (!rows.length) { return false; }
    var names = rows.map(function (r) { return r.name; });
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 10, bottom: 120 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 60, interval: 0 } },
      yAxis: { type: "value", scale: true },
      series: [
        { type: "scatter", name: "score", data: rows.map(function (r) { return r.score; }), symbolSize: 8 },
        {
          type: "custom", name: "95% CI",
          data: rows.map(function (r, i) { return [i, r.low, r.high]; }),
          renderItem: function (params, api) {
            var low = api.coord([api.value(0), api.value(1)]);
            var high = api.coord([api.value(0), api.value(2)]);
            var half = api.size([1, 0])[0] * 0.15;
            var style = api.style({ stroke: "#4a6fa5", fill: null, lineWidth: 1.5 });
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
              { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: style },
              { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: style }
            ] };
          },
          encode: { x: 0, y: [1, 2] }, z: 1
        }
      ]
    });
    return chart;
  }

  function distribution(el, data) {
    var dims = Object.keys(data.distribution);
    if (!dims.length) { return false; }
    var levels = ["100", "80", "60", "40", "20", "na"];
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      xAxis: { type: "category", data: dims }, yAxis: { type: "value" },
      series: levels.map(function (level) {
        return { type: "bar", stack: "answers", name: level,
                 data: dims.map(function (d) { return data.distribution[d][level] || 0; }) };
      })
    });
    return chart;
  }

  function trend(el, data) {
    var names = Object.keys(data.trend.series);
    if (!data.trend.months.length) { return false; }
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { type: "scroll", bottom: 0 },
      xAxis: { type: "category", data: data.trend.months }, yAxis: { type: "value", scale: true },
      series: names.map(function (n) { return { type: "line", name: n, data: data.trend.series[n], connectNulls: false }; })
    });
    return chart;
  }

  var kinds = { scores: scores, distribution: distribution, trend: trend };
  var charts = [];
  document.querySelectorAll("[data-chart][data-src]").forEach(function (el) {
    var draw = kinds[el.getAttribute("data-chart")];
    if (!draw) { return; }
    load(el.getAttribute("data-src")).then(function (data) {
      var chart = draw(el, data);
      if (chart) { charts.push(chart); } else { el.hidden = true; }
    }).catch(function () { el.hidden = true; });
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
