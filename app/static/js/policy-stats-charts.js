// Charts of the policy window's statistics. The data sit in a JSON script tag of the page (the CSP forbids
// inline scripts, not data); every chart is optional: the tables carry the same figures.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var source = document.getElementById("policy-stats-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);

  function days(el) {
    var rows = data.departments.filter(function (r) { return r.median !== null; });
    if (!rows.length) { return; }
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 10, bottom: 90 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 45, interval: 0 } },
      yAxis: { type: "value" },
      series: [
        { type: "bar", name: el.dataset.median, data: rows.map(function (r) { return r.median; }) },
        { type: "bar", name: el.dataset.p90, data: rows.map(function (r) { return r.p90; }) },
        { type: "scatter", name: el.dataset.promised, symbol: "rect", symbolSize: [90, 3], z: 3,
          data: rows.map(function (r) { return r.promised; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function items(el) {
    var rows = data.items.filter(function (r) { return r.applications > 0; });
    if (!rows.length) { return; }
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 10, bottom: 90 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 45, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { type: "bar", name: el.dataset.applications, data: rows.map(function (r) { return r.applications; }) },
        { type: "bar", name: el.dataset.approvals, data: rows.map(function (r) { return r.approvals; }) },
        { type: "bar", name: el.dataset.rejections, data: rows.map(function (r) { return r.rejections; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var found = { days: days, items: items };
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var draw = found[el.dataset.chart];
    if (draw) { draw(el); }
  });
}());
