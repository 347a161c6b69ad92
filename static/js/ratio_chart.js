/* Ratio schedules of cooperation agreements: one step line per party, month by month, from the payload that
   the page holds in a json_script element (data-ratio-chart names it). No inline script, so the
   Content-Security-Policy can forbid inline scripts. Names are drawn on the canvas as text; the tooltip is
   built from text nodes, never parsed as HTML. The table below each chart holds the same figures. */
(function () {
  "use strict";
  var palette = ["#0b4f8a", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490"];

  function tooltip(params) {
    var box = document.createElement("div");
    var list = Array.isArray(params) ? params : [params];
    if (list.length) {
      box.appendChild(document.createTextNode(String(list[0].axisValue)));
    }
    list.forEach(function (p) {
      if (p.value === null || p.value === undefined) { return; }
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(p.seriesName + ": " + p.value + "%"));
    });
    return box;
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.ratioChart);
    if (!source || typeof echarts === "undefined") {
      el.textContent = el.dataset.unavailable || "";
      return;
    }
    var payload = JSON.parse(source.textContent);
    if (!payload.months || !payload.months.length) {
      el.textContent = el.dataset.unavailable || "";
      return;
    }
    var parties = 0;
    payload.series.forEach(function (s) { if (!s.draft) { parties += 1; } });
    if (!el.style.height) { el.style.height = "320px"; }  // through the CSSOM, which the CSP allows
    var chart = echarts.init(el);
    chart.setOption({
      color: palette,
      tooltip: {trigger: "axis", formatter: tooltip},
      legend: {type: "scroll", top: 0},
      grid: {left: 40, right: 16, top: 36, bottom: 48},
      xAxis: {type: "category", data: payload.months},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
      dataZoom: [{type: "slider", height: 16, bottom: 8}],
      series: payload.series.map(function (s, index) {
        return {
          name: s.name,
          type: "line",
          step: "end",
          showSymbol: false,
          connectNulls: false,
          data: s.data,
          lineStyle: {type: s.draft ? "dashed" : "solid", width: s.draft ? 1.5 : 2.5},
          itemStyle: {color: palette[(s.draft ? index - parties : index) % palette.length]}
        };
      })
    });
    el.dataset.rendered = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-ratio-chart]"), draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
