/* The charts of a zone's cooperation overview (by park, by year, by mode). Each box names its payload in
   data-chart-payload (a json_script element: categories and series in the reader's language); the table
   under each chart holds the same figures exactly, so the chart is only a picture of it. No inline script
   (the Content-Security-Policy forbids it). Values arrive as text ("12.34", in 亿元 or counts); the chart
   reads them as numbers for drawing only. Record names are drawn on the canvas as text; the tooltip is built
   from text nodes, never parsed as HTML. */
(function () {
  "use strict";
  var palette = ["#0b4f8a", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490"];

  function tooltip(params) {
    var box = document.createElement("div");
    var items = Array.isArray(params) ? params : [params];
    if (items.length) { box.appendChild(document.createTextNode(String(items[0].name))); }
    items.forEach(function (item) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(item.seriesName + ": " + item.value));
    });
    return box;
  }

  function render(el) {
    var payload = JSON.parse(document.getElementById(el.dataset.chartPayload).textContent);
    var twoAxes = payload.series.some(function (s) { return s.axis === 1; });
    var longest = payload.labels.reduce(function (n, label) { return Math.max(n, String(label).length); }, 0);
    var tilted = payload.labels.length > 6 || longest > 8;
    var chart = echarts.init(el);
    chart.setOption({
      color: palette,
      aria: {enabled: true},
      tooltip: {trigger: "axis", formatter: tooltip},
      legend: {top: 0},
      grid: {left: 60, right: twoAxes ? 60 : 20, top: 40, bottom: tilted ? 110 : 40},
      xAxis: {
        type: "category",
        data: payload.labels,
        axisLabel: {interval: 0, rotate: tilted ? 30 : 0, width: 160, overflow: "truncate"}
      },
      yAxis: twoAxes ? [{type: "value"}, {type: "value"}] : [{type: "value"}],
      series: payload.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          yAxisIndex: twoAxes ? (s.axis || 0) : 0,
          data: s.data.map(function (v) { return parseFloat(v); })
        };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart-payload]").forEach(render);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
