/* Zone and metropolitan maps: district polygons from /geo.json, members highlighted, towns as points.
   Region names in the GeoJSON are today's codes; labels come from the records.

   Every map box is started from its data-* attributes (no inline script, so the Content-Security-Policy
   can forbid inline scripts): data-map-payload names the json_script element holding the payload,
   data-geo-url the boundaries to fetch, data-unavailable the (translated) text shown if they fail.

   Record text (zone, district, town names) is typed by officials of other governments. ECharts inserts a
   tooltip formatter's string as HTML, so the tooltips here are built as DOM nodes holding text nodes: a
   name is always shown as the characters it contains and never parsed as markup. Labels drawn on the
   canvas are text already and are left unescaped (escaping them would show "&lt;" to the user). */
(function () {
  "use strict";
  var palette = ["#0b4f8a", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490"];

  /* A tooltip body: one line per piece of text, separated by <br> elements, never parsed as HTML. */
  function textLines(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, index) {
      if (index > 0) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(String(line)));
    });
    return box;
  }

  /* Light version of a palette colour, for districts a zone covers only as part of a whole city. */
  function tint(hex) {
    var n = parseInt(hex.slice(1), 16), mix = function (c) { return Math.round(c + (255 - c) * 0.6); };
    var rgb = [mix(n >> 16), mix((n >> 8) & 255), mix(n & 255)];
    return "rgb(" + rgb.join(",") + ")";
  }

  /* The key under the map: one swatch and name per zone, built from text nodes; colours are set through
     the CSSOM (element.style), which the Content-Security-Policy allows, unlike style attributes. */
  function legend(el, zones, colourOf) {
    var list = document.createElement("ul");
    list.className = "map-legend list-inline small mb-0";
    list.setAttribute("data-testid", "map-legend");
    zones.forEach(function (zone) {
      var item = document.createElement("li");
      item.className = "list-inline-item";
      var swatch = document.createElement("span");
      swatch.className = "map-swatch";
      swatch.style.backgroundColor = colourOf(zone);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(zone));
      list.appendChild(item);
    });
    el.parentNode.insertBefore(list, el.nextSibling);
  }

  function render(elementId, dataId) {
    var el = document.getElementById(elementId);
    var payload = JSON.parse(document.getElementById(dataId).textContent);
    fetch(el.dataset.geoUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var mapName = "tc-" + elementId;
        echarts.registerMap(mapName, geo);
        // Names come with the page, in the reader's language; the boundaries carry codes only.
        var labels = payload.labels || {};
        var zones = payload.zones || [];
        var colourOf = function (zone) { return palette[Math.max(zones.indexOf(zone), 0) % palette.length]; };
        // A district in several zones takes the colour of the first (the narrowest membership comes
        // first); the tooltip lists them all.
        var data = payload.regions.map(function (r) {
          var colour = colourOf(r.zones[0]);
          return {name: r.name, itemStyle: {areaColor: r.broad ? tint(colour) : colour}};
        });
        var chart = echarts.init(el, null, {renderer: "canvas"});
        var zonesOf = {};
        payload.regions.forEach(function (r) { zonesOf[r.name] = r.zones; });
        var canvasName = function (p) { return labels[p.name] || p.name; };
        // A marker (town, zone): its name, then its zone. A district: its name, then every zone it belongs to.
        var tooltipOf = function (p) {
          if (p.seriesType === "scatter") {
            return textLines(p.data && p.data.zone && p.data.zone !== p.name ? [p.name, p.data.zone] : [p.name]);
          }
          return textLines([labels[p.name] || p.name].concat(zonesOf[p.name] || []));
        };
        // Labels that would overlap another are hidden (the tooltip and the key still name them).
        var noOverlap = {hideOverlap: true};
        chart.setOption({
          aria: {enabled: true},
          // Confined to the box: an unconfined tooltip shown at a fixed position gets an arrow made of an
          // inline style attribute, which the CSP refuses.
          tooltip: {trigger: "item", confine: true, formatter: tooltipOf},
          // The geo component's tooltip options take precedence for its districts and for the series drawn
          // on it, so it carries the same formatter. The margins make the map fill its box.
          geo: {map: mapName, roam: true, top: 8, bottom: 8, left: 8, right: 8,
                tooltip: {show: true, formatter: tooltipOf},
                itemStyle: {areaColor: "#eef2f6", borderColor: "#6b7280"},
                label: {show: false},
                emphasis: {label: {show: true, formatter: canvasName}},
                regions: data},
          series: [
            {type: "scatter", coordinateSystem: "geo", symbolSize: 10, itemStyle: {color: "#f0a500", borderColor: "#111"},
             label: {show: true, position: "right", formatter: "{b}", fontSize: 11}, labelLayout: noOverlap,
             data: payload.points.filter(function (p) { return p.kind === "town"; })},
            {type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 26,
             itemStyle: {color: "#b91c1c"}, label: {show: true, position: "top", formatter: "{b}", fontSize: 11},
             labelLayout: noOverlap,
             data: payload.points.filter(function (p) { return p.kind === "zone"; })}
          ]
        });
        if (zones.length) { legend(el, zones, colourOf); }
        el.dataset.rendered = "true";
        el.dataset.highlighted = String(data.length);
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function () { el.textContent = el.dataset.unavailable || ""; });
  }

  function renderAll() {
    document.querySelectorAll("[data-map-payload]").forEach(function (el) {
      if (el.dataset.started) { return; }  // the partial may be included (and this file loaded) twice
      el.dataset.started = "true";
      render(el.id, el.dataset.mapPayload);
    });
  }

  window.TongchengMap = {render: render};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
