// The studies list (with "compare selected") and one study's page: stats, the trials table
// (fetched first, never behind the figures), then the figures. Clicking a point opens its
// trial; a box or lasso selection on the history or a param figure filters the table.
"use strict";
(function () {
  var el = CV.el, POLL_MS = 1000;
  // page order; a kind is shown once the server sends it ("params" is the grid of slices)
  var FIGS = ["history", "curves", "importance", "rounds", "parallel", "params", "contour", "rank",
              "edf", "timeline", "pareto", "hypervolume"];

  CV.studiesPage = function (view) {
    CV.crumbs();
    CV.api("studies").then(function (body) {
      CV.clear(view);
      view.appendChild(el("h1", null, "Studies"));
      var sec = el("section");
      if (!body.studies.length) {
        sec.appendChild(el("p", {"class": "muted", id: "no-studies"}, "No study in this storage yet: run `caviar tune ...` and reload."));
        view.appendChild(sec);
        return;
      }
      var t = el("table", {id: "studies"}), h = el("tr");
      ["", "study", "direction", "trials", "complete", "pruned", "fail", "running", "best value"].forEach(function (c) { h.appendChild(el("th", null, c)); });
      t.appendChild(h);
      var picked = {};
      var go = el("button", {id: "compare-go", disabled: "disabled"}, "compare selected");
      body.studies.forEach(function (s) {
        var r = el("tr", {"class": "row"});
        var box = el("input", {type: "checkbox", "class": "compare-box", "data-study": s.name, title: "compare"});
        box.addEventListener("click", function (ev) { ev.stopPropagation(); });
        box.addEventListener("change", function () {
          if (box.checked) picked[s.name] = true; else delete picked[s.name];
          go.disabled = Object.keys(picked).length < 2;
        });
        var td0 = el("td"); td0.appendChild(box); r.appendChild(td0);
        var td = el("td"); td.appendChild(el("a", {href: CV.hashFor(s.name), "class": "study-link"}, s.name)); r.appendChild(td);
        r.appendChild(el("td", null, s.direction));
        [s.n_trials, s.counts.complete || 0, s.counts.pruned || 0, s.counts.fail || 0, s.counts.running || 0, s.best_value].forEach(function (v) { r.appendChild(el("td", {"class": "num"}, CV.fmt(v))); });
        r.addEventListener("click", function () { location.hash = CV.hashFor(s.name); });
        t.appendChild(r);
      });
      sec.appendChild(t);
      go.addEventListener("click", function () { location.hash = "#/compare/" + Object.keys(picked).map(encodeURIComponent).join("/"); });
      if (body.studies.length > 1) sec.appendChild(go);
      view.appendChild(sec);
    }).catch(function (e) { CV.clear(view); CV.showError(view, e); });
  };

  function renderStats(s) {
    var stats = document.getElementById("stats");
    if (!stats) return;
    CV.clear(stats);
    function stat(label, value, id) {
      var d = el("div", {"class": "stat"});
      d.appendChild(el("b", {id: id}, value));
      d.appendChild(el("span", {"class": "muted"}, label));
      stats.appendChild(d);
    }
    stat("trials", s.n_trials, "trial-count");
    ["complete", "running", "pruned", "fail"].forEach(function (k) { stat(k, s.counts[k] || 0, "count-" + k); });
    stat("best value (" + s.direction + ")", s.best ? CV.fmt(s.best.value) : "–", "best-value");
    if (s.best) {
      var a = el("a", {href: CV.hashFor(s.name, s.best.number), id: "best-link"}, "best: trial " + s.best.number);
      stats.appendChild(a);
    }
    if (!s.n_trials) stats.appendChild(el("p", {"class": "muted", id: "empty-note"}, "No trials yet: this page updates as soon as the study runs."));
  }

  // a selection on the history (x: trial number) or on a param figure (x: the param) as ranges
  function selectionRanges(ev, paramName) {
    var pts = (ev && ev.points) || [];
    if (!pts.length) return null;
    var xs = [], ys = [];
    pts.forEach(function (p) {
      var reverse = typeof p.data.hovertemplate === "string" && p.data.hovertemplate.indexOf("%{customdata") >= 0 && p.customdata !== undefined;
      xs.push(reverse ? p.customdata : p.x); ys.push(p.y);
    });
    var num = function (a) { return a.filter(function (v) { return typeof v === "number" && isFinite(v); }); };
    var nx = num(xs), ny = num(ys), out = [];
    if (ny.length) out.push({key: "value", lo: Math.min.apply(null, ny), hi: Math.max.apply(null, ny)});
    if (paramName === null && nx.length) out.push({key: "number", lo: Math.min.apply(null, nx), hi: Math.max.apply(null, nx)});
    else if (paramName && nx.length) out.push({key: "param:" + paramName, lo: Math.min.apply(null, nx), hi: Math.max.apply(null, nx)});
    else if (paramName) out.push({key: "param:" + paramName, "in": xs.filter(function (v, i) { return xs.indexOf(v) === i; })});
    return out;
  }

  CV.studyPage = function (view, name) {
    CV.crumbs(name);
    // First paint: the summary, the table's first page and the history are asked at once (three
    // cheap answers, cached on the server per change of the study); plotly.js and the full
    // figure set wait until all three are on screen.
    CV.holdPlotly = true;
    var st = {seq: -1, figSeq: -1, table: null,
              firstPage: CV.Table.first(name), firstHistory: CV.api("figures", {study: name, kinds: "history"})};
    var painted = [];
    CV.clear(view);
    view.appendChild(el("h1", {id: "study-name"}, name));
    view.appendChild(el("section", {"class": "stats", id: "stats"}));
    var slot = el("div", {id: "table-slot"});
    view.appendChild(slot);
    FIGS.forEach(function (k) {
      var s = el("section", {id: "sec-" + k});
      s.style.display = "none";
      if (k === "params") {
        s.appendChild(el("h2", null, "Each param on its own scale"));
        s.appendChild(el("div", {"class": "grid", id: "fig-params"}));
      } else s.appendChild(el("div", {"class": "fig", id: "fig-" + k}));
      view.appendChild(s);
    });
    var open = function (ev) {
      var n = ev && ev.points && ev.points.length ? CV.trialOf(ev.points[0]) : null;
      if (n !== null && n !== undefined && isFinite(n)) location.hash = CV.hashFor(name, n);
    };
    function brush(paramName) {
      return function (ev) {
        var r = selectionRanges(ev, paramName);
        if (r && st.table) st.table.setRanges(r);
      };
    }
    // tens of KB: its preview is drawn before the full set (~0.8 MB at 10k) is asked
    painted.push(st.firstHistory.then(function (f) {
      if (f.figures.history && document.getElementById("fig-history")) {
        document.getElementById("sec-history").style.display = "";
        CV.plot("fig-history", f.figures.history, {click: open, select: brush(null), preview: true});
      }
    }, function () { /* the full set below draws it */ }));
    function figures() {
      return CV.api("figures", {study: name, since: st.figSeq}).then(function (f) {
        if (!f.changed || !document.getElementById("fig-history")) return;
        st.figSeq = f.seq;  // -1 while importance is computed: asked again on the next poll
        FIGS.forEach(function (k) {
          if (!f.figures[k] || k === "params") return;
          document.getElementById("sec-" + k).style.display = "";
          var h = k === "history" ? {click: open, select: brush(null), preview: true} : {click: open};
          CV.plot("fig-" + k, f.figures[k], h);
        });
        var grid = document.getElementById("fig-params"), cols = st.table ? st.table.columns : [];
        if ((f.figures.params || []).length) document.getElementById("sec-params").style.display = "";
        (f.figures.params || []).forEach(function (spec, i) {
          var id = "fig-param-" + i;
          if (!document.getElementById(id)) grid.appendChild(el("div", {"class": "fig", id: id}));
          var title = spec.layout && spec.layout.xaxis && spec.layout.xaxis.title ? spec.layout.xaxis.title.text : "";
          var pname = cols.filter(function (c) { return CV.escHtml(c) === title; })[0];
          CV.plot(id, spec, {click: open, select: pname ? brush(pname) : null});
        });
      });
    }
    function poll() {
      CV.live(true);
      return CV.api("study", {study: name, since: st.seq}).then(function (s) {
        if (!document.getElementById("stats")) return;
        if (!s.changed) return st.figSeq === -1 && st.table ? figures() : undefined;  // a part was pending
        st.seq = s.seq;
        renderStats(s);
        if (!st.table) {
          st.table = new CV.Table(name, s.direction, Object.keys(s.space || {}));
          slot.appendChild(st.table.node);
        }
        if (st.firstPage) {  // the first poll: the table's page was asked with the summary
          var first = st.table.load(st.firstPage);
          st.firstPage = null;
          painted.push(first.catch(function () { /* the next poll asks again */ }));
          return Promise.all(painted).then(function () {
            CV.afterPaint(function () { CV.holdPlotly = false; CV.loadPlotly(); });
            return figures();
          });
        }
        return st.table.load().then(figures, figures);
      }).catch(function (e) {
        CV.live(false);
        if (!document.getElementById("poll-error")) view.insertBefore(el("p", {"class": "error", id: "poll-error"}, "error: " + e.message), view.firstChild);
      });
    }
    var busy = false;
    function tick() {  // one poll at a time: a slow figures call is never asked for twice
      if (busy) return;
      busy = true;
      Promise.resolve(poll()).then(function () { busy = false; }, function () { busy = false; });
    }
    tick();
    CV.every(tick, POLL_MS);
  };
})();
