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
      xAxis: { type: "category", data: dims.map(function (d) { return (data.dimension_labels || {})[d] || d; }) },
      yAxis: { type: "value" },
      series: levels.map(function (level) {
        return { type: "bar", stack: "answers", name: level === "na" ? data.not_familiar : level,
                 data: dims.map(function (d) { return data.distribution[d][level] || 0; }) };
      })
    });
    return chart;
  }

  // One department (chosen from the list above the chart) against the band and the median of all the others:
  // thirty lines on one chart read as none.
  function trend(el, data) {
    var months = data.trend.months, series = data.trend.series, names = Object.keys(series);
    if (!months.length || !names.length) { return false; }
    var pick = document.getElementById("trend-department");
    var chart = echarts.init(el);
    function others(chosen) {
      var low = [], span = [], median = [], high = [];
      months.forEach(function (_m, i) {
        var v = names.filter(function (n) { return n !== chosen; })
          .map(function (n) { return series[n][i]; })
          .filter(function (x) { return x !== null; }).sort(function (a, b) { return a - b; });
        if (!v.length) { low.push(null); span.push(null); median.push(null); high.push(null); return; }
        var mid = Math.floor(v.length / 2);
        low.push(v[0]); high.push(v[v.length - 1]); span.push(+(v[v.length - 1] - v[0]).toFixed(2));
        median.push(v.length % 2 ? v[mid] : +((v[mid - 1] + v[mid]) / 2).toFixed(2));
      });
      return { low: low, span: span, median: median, high: high };
    }
    function draw() {
      var chosen = pick ? pick.value : names[0];
      var band = others(chosen);
      chart.setOption({
        tooltip: { trigger: "axis", formatter: function (params) {
          var i = params[0].dataIndex, lines = [months[i]];
          if (series[chosen][i] !== null) { lines.push(chosen + ": " + series[chosen][i]); }
          if (band.median[i] !== null) {
            lines.push(el.dataset.median + ": " + band.median[i]);
            lines.push(el.dataset.band + ": " + band.low[i] + " – " + band.high[i]);
          }
          return lines.join("<br>");
        } },
        legend: { top: 0, data: [chosen, el.dataset.median, el.dataset.band] },
        grid: { left: 40, right: 16, top: 40, bottom: 30 },
        xAxis: { type: "category", data: months }, yAxis: { type: "value", scale: true },
        series: [
          { type: "line", name: "low", data: band.low, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
            silent: true },
          { type: "line", name: el.dataset.band, data: band.span, stack: "band", symbol: "none",
            lineStyle: { opacity: 0 }, areaStyle: { color: "#c9d4e2" }, itemStyle: { color: "#c9d4e2" } },
          { type: "line", name: el.dataset.median, data: band.median, symbol: "none",
            lineStyle: { color: "#6b7c93", type: "dashed" }, itemStyle: { color: "#6b7c93" } },
          { type: "line", name: chosen, data: series[chosen], lineStyle: { width: 3, color: "#a33a00" },
            itemStyle: { color: "#a33a00" }, connectNulls: false }
        ]
      }, true);
      document.querySelectorAll("#trend-table tbody tr").forEach(function (row) {
        row.classList.toggle("highlight", row.getAttribute("data-name") === chosen);
      });
    }
    if (pick) {
      pick.closest("label").hidden = false;
      pick.addEventListener("change", draw);
    }
    draw();
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
