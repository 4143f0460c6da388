// caviar dashboard, shared helpers (window.CV). Data goes into the DOM with textContent only
// (never innerHTML): any study name, param name or error message shows as text and runs nothing.
"use strict";
(function () {
  var TOKEN_KEY = "caviar-token";
  var CV = window.CV = {timers: [], pendingPlots: []};

  // The control token travels once in the URL (/#token=T or ?token=T, as `caviar dashboard`
  // prints it), is kept in sessionStorage for this tab, and is removed from the address bar.
  CV.takeToken = function () {
    var m = /^#token=([^&]*)/.exec(location.hash) || /[?&]token=([^&#]*)/.exec(location.search);
    if (!m) return;
    try { sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1])); } catch (e) { /* storage off */ }
    var search = location.search.replace(/([?&])token=[^&#]*&?/, "$1").replace(/[?&]$/, "");
    history.replaceState(null, "", location.pathname + search + (/^#token=/.test(location.hash) ? "#/" : location.hash));
  };
  CV.token = function () {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  };
  CV.el = function (tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  CV.clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); };
  CV.q = function (params) {
    var out = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === null || v === undefined) return;
      (Array.isArray(v) ? v : [v]).forEach(function (x) { out.push(encodeURIComponent(k) + "=" + encodeURIComponent(x)); });
    });
    return out.join("&");
  };
  CV.api = function (path, params) {
    return fetch("/api/" + path + "?" + CV.q(params || {}), {headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
          return body;
        });
      });
  };
  CV.fmt = function (v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") {
      if (Number.isInteger(v) || !isFinite(v)) return String(v);
      var a = Math.abs(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, "e");
      return Number(v.toPrecision(4)).toString();
    }
    return String(v);
  };
  // 0.64 ms, 0.123 s, 12.3 s, 1m03s, 2h05m
  CV.seconds = function (s) {
    if (s === null || s === undefined) return "";
    if (s < 0.00995) return (s * 1000).toPrecision(2).replace(/\.?0+$/, "") + " ms";
    if (s < 59.95) return Number(s.toPrecision(3)).toString() + " s";
    var w = Math.round(s);
    if (w < 3600) return Math.floor(w / 60) + "m" + String(w % 60).padStart(2, "0") + "s";
    return Math.floor(w / 3600) + "h" + String(Math.floor(w % 3600 / 60)).padStart(2, "0") + "m";
  };
  CV.escHtml = function (s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  };
  CV.hashFor = function (study, number) {
    var h = "#/study/" + encodeURIComponent(study);
    return number === undefined ? h : h + "/trial/" + number;
  };
  CV.crumbs = function (study, number) {
    var c = document.getElementById("crumbs");
    CV.clear(c);
    if (study !== undefined) c.appendChild(CV.el("a", {href: CV.hashFor(study), id: "crumb-study"}, study));
    if (number !== undefined) c.appendChild(CV.el("span", null, "trial " + number));
  };
  CV.live = function (on) { document.getElementById("live").className = on ? "live on" : "live"; };
  CV.showError = function (node, err) { node.appendChild(CV.el("p", {"class": "error"}, "error: " + err.message)); };
  CV.every = function (fn, ms) { var t = setInterval(fn, ms); CV.timers.push(t); return t; };

  // Plotly loads after the page's own scripts (the table never waits for 3.5 MB of plotly.js):
  // plots asked for before it arrives are drawn when it does. Plots are drawn one per task, in
  // the order asked (the history first), so the browser paints each as soon as it is drawn.
  function draw(div, spec, handlers) {
    var t0 = performance.now();
    Array.prototype.forEach.call(div.querySelectorAll("svg.cv-preview"), function (n) { n.remove(); });
    spec.layout.autosize = true;
    Plotly.react(div, spec.data, spec.layout, {responsive: true, displaylogo: false});
    if (handlers && !div.cvBound) {
      div.cvBound = true;
      if (handlers.click) div.on("plotly_click", function (ev) { handlers.click(ev, div); });
      if (handlers.select) div.on("plotly_selected", function (ev) { handlers.select(ev, div); });
    }
    CV.drawTimes[div.id] = [Math.round(t0), Math.round(performance.now() - t0)];
  }
  CV.drawTimes = {};
  var draining = false;
  function drain() {
    if (!window.Plotly || !CV.pendingPlots.length) { draining = false; return; }
    var p = CV.pendingPlots.shift();
    if (document.body.contains(p[0])) draw(p[0], p[1], p[2]);
    setTimeout(drain, 0);
  }
  CV.plot = function (id, spec, handlers) {
    var div = typeof id === "string" ? document.getElementById(id) : id;
    if (!div) return;
    // a newer spec for the same div replaces one still waiting
    CV.pendingPlots = CV.pendingPlots.filter(function (p) { return p[0] !== div; });
    CV.pendingPlots.push([div, spec, handlers]);
    if (!window.Plotly && handlers && handlers.preview && CV.preview && !div.querySelector("svg.cv-preview")) CV.preview(div, spec);
    if (!draining && window.Plotly) { draining = true; setTimeout(drain, 0); }
    if (!CV.holdPlotly) CV.loadPlotly();
  };
  CV.plotlyLoaded = function () { CV.plotlyAt = Math.round(performance.now()); if (!draining) { draining = true; drain(); } };
  // plotly.js is 3.5 MB of script whose evaluation holds the main thread for a second or more
  // on a busy machine: it is asked for only once a page needs it, and a study page holds it
  // (CV.holdPlotly) until its first paint (stats, table, the history's preview) is on screen.
  CV.holdPlotly = false;
  CV.loadPlotly = function () {
    if (CV.plotlyAsked) return;
    CV.plotlyAsked = true;
    var s = document.createElement("script");
    s.src = "/static/plotly.min.js";
    s.addEventListener("load", CV.plotlyLoaded);
    document.head.appendChild(s);
  };
  // after the next frame is painted (a timer inside requestAnimationFrame runs after the paint)
  CV.afterPaint = function (fn) { requestAnimationFrame(function () { setTimeout(fn, 0); }); };
  // A purged div gives its WebGL context back (a browser keeps about 16).
  CV.purgeAll = function (root) {
    if (!window.Plotly) { CV.pendingPlots = []; return; }
    Array.prototype.forEach.call((root || document).querySelectorAll(".js-plotly-plot"), function (d) { Plotly.purge(d); });
  };
  // The trial a clicked point stands for: its trace's ids, else x when x is the trial number,
  // else an integer text (param slices and curves carry the number as text).
  CV.trialOf = function (pt) {
    var d = pt.data || {}, i = pt.pointIndex !== undefined ? pt.pointIndex : pt.pointNumber;
    if (d.ids && d.ids[i] !== undefined) return parseInt(d.ids[i], 10);
    if (typeof d.hovertemplate === "string" && d.hovertemplate.indexOf("trial %{x}") >= 0) return pt.x;
    var t = Array.isArray(d.text) ? d.text[i] : pt.text;
    if (typeof t === "number" && Number.isInteger(t)) return t;
    if (typeof t === "string" && /^\d+$/.test(t)) return parseInt(t, 10);
    return null;
  };
})();
