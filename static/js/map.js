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
        payload.regions.forEach(function (r) {
          r.zones.forEach(function (z) { if (zones.indexOf(z) < 0) zones.push(z); });
        });
        // A district in several zones takes the colour of the first; the tooltip lists them all.
        var data = payload.regions.map(function (r) {
          return {name: r.name, itemStyle: {areaColor: palette[zones.indexOf(r.zones[0]) % palette.length]}};
        });
        var chart = echarts.init(el, null, {renderer: "canvas"});
        var zoneOf = {};
        payload.regions.forEach(function (r) { zoneOf[r.name] = r.zones.join("<br>"); });
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
             label: {show: true, position: "right", formatter: "{b}"},
             data: payload.points.filter(function (p) { return p.kind === "town"; })},
            {type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 26,
             itemStyle: {color: "#b91c1c"}, label: {show: true, position: "top", formatter: "{b}", fontSize: 11},
             data: payload.points.filter(function (p) { return p.kind === "zone"; })}
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
