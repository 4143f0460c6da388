// Comparing studies: #/compare/A/B/... overlays their optimization histories in one figure.
"use strict";
(function () {
  var el = CV.el;
  CV.comparePage = function (view, names) {
    CV.crumbs();
    CV.clear(view);
    view.appendChild(el("h1", {id: "compare-title"}, "Comparing " + names.join(", ")));
    var sec = el("section");
    sec.appendChild(el("div", {"class": "fig", id: "fig-compare"}));
    view.appendChild(sec);
    var tsec = el("section");
    view.appendChild(tsec);
    CV.api("compare", {study: names}).then(function (body) {
      var t = el("table", {id: "compare-table"}), h = el("tr");
      ["study", "direction", "trials", "finished", "best value"].forEach(function (c) { h.appendChild(el("th", null, c)); });
      t.appendChild(h);
      body.studies.forEach(function (s) {
        var r = el("tr", {"class": "row"});
        var td = el("td"); td.appendChild(el("a", {href: CV.hashFor(s.name)}, s.name)); r.appendChild(td);
        [s.direction, s.n_trials, s.n_finished, CV.fmt(s.best_value)].forEach(function (v) { r.appendChild(el("td", {"class": "num"}, v)); });
        t.appendChild(r);
      });
      tsec.appendChild(t);
      CV.plot("fig-compare", body.figure, {click: function (ev) {
        var p = ev.points && ev.points[0];
        if (!p) return;
        var study = body.studies[Math.floor(p.curveNumber / 2)];
        if (study && Number.isInteger(p.x)) location.hash = CV.hashFor(study.name, p.x);
      }});
    }).catch(function (e) { CV.showError(view, e); });
  };
})();
