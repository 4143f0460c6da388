// A static SVG drawing of a figure's points and lines, shown while plotly.js (3.5 MB to parse)
// is still loading: the history is on screen as soon as its data arrives, and plotly's
// interactive figure replaces it when ready. Linear and log axes; other traces are skipped.
"use strict";
(function () {
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function ticks(lo, hi, n) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
    [1, 2, 5, 10].some(function (m) { if ((hi - lo) / (step * m) <= n) { step *= m; return true; } return false; });
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }
  CV.preview = function (div, spec) {
    var t0 = performance.now();
    draw(div, spec);
    CV.drawTimes[div.id + ":preview"] = [Math.round(t0), Math.round(performance.now() - t0)];
  };
  function draw(div, spec) {
    var W = Math.max(300, div.clientWidth || 600), H = 300, L = 60, R = 20, T = 40, B = 40;
    var logY = spec.layout && spec.layout.yaxis && spec.layout.yaxis.type === "log";
    var ty = function (y) { return logY ? Math.log10(y) : y; };
    var traces = (spec.data || []).filter(function (d) { return (!d.type || d.type === "scatter" || d.type === "scattergl") && Array.isArray(d.x) && Array.isArray(d.y); });
    var xs = [], ys = [];
    traces.forEach(function (d) { d.x.forEach(function (x, i) { var y = d.y[i]; if (typeof x === "number" && typeof y === "number" && isFinite(ty(y))) { xs.push(x); ys.push(ty(y)); } }); });
    if (!xs.length) return;
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) y1 = y0 + 1;
    var sx = function (x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    var sy = function (y) { return H - B - (ty(y) - y0) / (y1 - y0) * (H - T - B); };
    var root = svg("svg", {"class": "cv-preview", width: W, height: H, viewBox: "0 0 " + W + " " + H});
    var title = spec.layout && spec.layout.title ? spec.layout.title.text || "" : "";
    root.appendChild(svg("text", {x: L, y: 22, "font-size": 14, fill: "#333"}, title.replace(/<[^>]*>/g, "") + " (loading the interactive figure…)"));
    root.appendChild(svg("rect", {x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fbfbfd", stroke: "#ddd"}));
    ticks(x0, x1, 6).forEach(function (v) { root.appendChild(svg("text", {x: sx(v), y: H - B + 16, "font-size": 11, "text-anchor": "middle", fill: "#555"}, Number(v.toPrecision(4)))); });
    ticks(y0, y1, 5).forEach(function (v) { root.appendChild(svg("text", {x: L - 6, y: H - B - (v - y0) / (y1 - y0) * (H - T - B) + 4, "font-size": 11, "text-anchor": "end", fill: "#555"}, logY ? "1e" + v : Number(v.toPrecision(4)))); });
    traces.forEach(function (d) {
      var color = (d.marker && typeof d.marker.color === "string" && d.marker.color) || (d.line && d.line.color) || "#1f77b4";
      var mode = d.mode || "markers";
      var pts = [];
      d.x.forEach(function (x, i) { var y = d.y[i]; if (typeof x === "number" && typeof y === "number" && isFinite(ty(y))) pts.push([sx(x), sy(y)]); });
      if (mode.indexOf("lines") >= 0 && pts.length > 1) {
        var path = "M" + pts[0][0] + "," + pts[0][1];
        for (var i = 1; i < pts.length; i++) path += (d.line && d.line.shape === "hv" ? "H" + pts[i][0] + "V" + pts[i][1] : "L" + pts[i][0] + "," + pts[i][1]);
        root.appendChild(svg("path", {d: path, fill: "none", stroke: color, "stroke-width": 2}));
      }
      if (mode.indexOf("markers") >= 0 && pts.length) {
        // every marker of a trace in one path (a dot of radius 2.5 is two arcs): one element to
        // lay out and paint instead of thousands of circles
        var dots = pts.map(function (p) { return "M" + (p[0] - 2.5).toFixed(1) + "," + p[1].toFixed(1) + "a2.5,2.5 0 1,0 5,0a2.5,2.5 0 1,0 -5,0"; });
        root.appendChild(svg("path", {"class": "cv-marks", d: dots.join(""), fill: color, "fill-opacity": 0.6, "data-points": pts.length}));
      }
    });
    div.appendChild(root);
  }
})();
