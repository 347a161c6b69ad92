/* Zone and metropolitan maps: district polygons from /geo.json, members highlighted, towns as points.
   Region names in the GeoJSON are today's codes; labels come from the records. */
(function () {
  "use strict";
  var palette = ["#0b4f8a", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490"];

  function render(elementId, dataId) {
    var el = document.getElementById(elementId);
    var payload = JSON.parse(document.getElementById(dataId).textContent);
    fetch(el.dataset.geoUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var mapName = "tc-" + elementId;
        echarts.registerMap(mapName, geo);
        var labels = {};
        geo.features.forEach(function (f) { labels[f.id] = f.properties.label; });
        var zones = [];
        payload.regions.forEach(function (r) { if (zones.indexOf(r.zone) < 0) zones.push(r.zone); });
        var data = payload.regions.map(function (r) {
          return {name: r.name, zone: r.zone, itemStyle: {areaColor: palette[zones.indexOf(r.zone) % palette.length]}};
        });
        var chart = echarts.init(el, null, {renderer: "canvas"});
        var zoneOf = {};
        payload.regions.forEach(function (r) { zoneOf[r.name] = r.zone; });
        chart.setOption({
          aria: {enabled: true},
          tooltip: {trigger: "item", formatter: function (p) {
            if (p.seriesType === "scatter") { return p.name + (p.data.zone ? "<br>" + p.data.zone : ""); }
            var label = labels[p.name] || p.name;
            return zoneOf[p.name] ? label + "<br>" + zoneOf[p.name] : label;
          }},
          geo: {map: mapName, roam: true, tooltip: {show: true},
                itemStyle: {areaColor: "#eef2f6", borderColor: "#6b7280"},
                label: {show: false},
                emphasis: {label: {show: true, formatter: function (p) { return labels[p.name] || p.name; }}},
                regions: data},
          series: [
            {type: "scatter", coordinateSystem: "geo", symbolSize: 12, itemStyle: {color: "#f0a500", borderColor: "#111"},
             label: {show: true, position: "right", formatter: "{b}"}, data: payload.points}
          ]
        });
        el.dataset.rendered = "true";
        el.dataset.highlighted = String(data.length);
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function () { el.textContent = el.getAttribute("aria-label") + " — unavailable"; });
  }
  window.TongchengMap = {render: render};
})();
