// One trial's page: facts as tables (params: start and in use; control events with the state
// `caviar history` reports; attributes as short text; the pruning reason), the curve with the
// events as markers, and the controls of a running babysat trial.
"use strict";
(function () {
  var el = CV.el, POLL_MS = 2000;

  function kv(id, rows) {
    var t = el("table", {id: id, "class": "kv"});
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      var tr = el("tr"); tr.appendChild(el("th", null, r[0])); tr.appendChild(el("td", r[2] || null, r[1])); t.appendChild(tr);
    });
    return t;
  }
  function grid(id, head, rows) {
    var t = el("table", {id: id}), h = el("tr");
    head.forEach(function (c) { h.appendChild(el("th", null, c)); });
    t.appendChild(h);
    rows.forEach(function (r) {
      var tr = el("tr", r.attrs || null);
      r.cells.forEach(function (c) { tr.appendChild(el("td", c[1] || null, c[0])); });
      t.appendChild(tr);
    });
    return t;
  }
  function section(title, child, id) {
    var s = el("section", id ? {id: id} : null);
    if (title) s.appendChild(el("h2", null, title));
    if (child) s.appendChild(child);
    return s;
  }

  function render(view, name, body) {
    CV.purgeAll(view);
    CV.clear(view);
    var t = body.trial;
    view.appendChild(el("h1", {id: "trial-title"}, "Trial " + t.number + " of " + name));
    var ck = body.checkpoints || {};
    var info = kv("trial-info", [
      ["state", t.state, {"class": "state-" + t.state, id: "trial-state"}], ["value", CV.fmt(t.value)],
      ["duration", CV.seconds(t.duration)], ["worker", t.worker || ""],
      ["babysat", body.target ? body.target : null],
      ["pruned because", body.reason, {id: "pruned-reason"}],
      ["error", t.state === "fail" ? t.error : null, {"class": "error"}],
      ["checkpoints", ck.n ? ck.n + " (epochs " + ck.first + "–" + ck.last + ")" : null],
      ["reports", body.n_reports]]);
    view.appendChild(section(null, info));
    var babysat = body.babysat;
    var head = babysat ? ["param", "start", "in use", "mutable"] : ["param", "value"];
    var prow = body.params.map(function (p) {
      var cells = [[p.name], [CV.fmt(p.start), {"class": "num"}]];
      if (babysat) {
        cells.push([CV.fmt(p.now), {"class": "num" + (p.changed ? " changed" : ""), "data-param": p.name}]);
        cells.push([p.mutable ? "yes" : ""]);
      }
      return {cells: cells, attrs: {"data-param": p.name}};
    });
    view.appendChild(section("Params", grid("params", head, prow)));
    view.appendChild(section(null, el("div", {"class": "fig", id: "fig-trial"})));
    var erows = body.events.map(function (e) {
      var cls = /^applied|^done/.test(e.status) ? "ok" : /^rejected/.test(e.status) ? "error" : "muted";
      return {attrs: {"class": "event", "data-kind": e.kind}, cells: [
        [e.id], [new Date(e.at * 1000).toLocaleTimeString()], [e.kind], [e.what], [e.source || ""],
        [e.status, {"class": "status " + cls}], [e.epoch === null ? "" : e.epoch, {"class": "num"}]]};
    });
    var es = section("Control events (" + body.events.length + ")", body.events.length ?
      grid("events", ["event", "time", "kind", "what", "source", "status", "epoch"], erows) :
      el("p", {"class": "muted"}, "none"));
    view.appendChild(es);
    if (body.allow_control && t.state === "running") view.appendChild(CV.controls(name, t, body.needs_token));
    var attrs = [];
    (body.attrs.user || []).forEach(function (a) { attrs.push({cells: [["user"], [a.name], [a.text]]}); });
    (body.attrs.system || []).forEach(function (a) { attrs.push({cells: [["system"], [a.name], [a.text]]}); });
    if (attrs.length) view.appendChild(section("Attributes", grid("attrs", ["", "name", "value"], attrs)));
    if (body.traceback) {
      var d = el("details"); d.appendChild(el("summary", null, "traceback")); d.appendChild(el("pre", null, body.traceback));
      view.appendChild(section(null, d));
    }
    CV.plot("fig-trial", body.figure);
  }

  CV.trialPage = function (view, name, number) {
    CV.crumbs(name, number);
    var timer = null;
    function load() {
      return CV.api("trial", {study: name, number: number}).then(function (body) {
        if (!document.body.contains(view)) return body.trial.state;
        var focus = document.activeElement && document.activeElement.id;
        if (focus && /^nudge-/.test(focus)) return body.trial.state;  // do not redraw under a person typing
        render(view, name, body);
        return body.trial.state;
      });
    }
    load().then(function (s) {
      if (s === "running") timer = CV.every(function () { load().then(function (s2) { if (s2 !== "running") clearInterval(timer); }); }, POLL_MS);
    }).catch(function (e) { CV.clear(view); CV.showError(view, e); });
  };

  CV.controls = function (name, t, needsToken) {
    var sec = el("section", {id: "controls"});
    sec.appendChild(el("h2", null, "Controls"));
    if (needsToken && !CV.token()) sec.appendChild(el("p", {"class": "error", id: "token-missing"},
      "controls need this dashboard's token: open the URL `caviar dashboard` printed (…/#token=…)"));
    var box = el("div", {"class": "controls"});
    var msg = el("span", {id: "control-msg", "class": "muted"});
    function send(body) {
      body.study = name; body.number = t.number;
      var headers = {"Content-Type": "application/json", "X-Caviar-Control": "1"};
      if (CV.token()) headers["X-Caviar-Token"] = CV.token();
      fetch("/api/control", {method: "POST", headers: headers, body: JSON.stringify(body)})
        .then(function (r) { return r.json(); })
        .then(function (b) { msg.textContent = b.error ? "error: " + b.error : "recorded: " + b.action; })
        .catch(function (e) { msg.textContent = "error: " + e.message; });
    }
    ["stop", "pause", "resume"].forEach(function (a) {
      var b = el("button", {id: "ctl-" + a}, a);
      b.addEventListener("click", function () { send({action: a}); });
      box.appendChild(b);
    });
    var sel = el("select", {id: "nudge-param"});
    Object.keys(t.params).forEach(function (k) { if (typeof t.params[k] === "number") sel.appendChild(el("option", {value: k}, k)); });
    var factor = el("input", {id: "nudge-factor", type: "number", step: "any", value: "0.5"});
    var nb = el("button", {id: "ctl-nudge"}, "nudge ×");
    nb.addEventListener("click", function () { send({action: "nudge", param: sel.value, factor: Number(factor.value)}); });
    box.appendChild(sel); box.appendChild(nb); box.appendChild(factor); box.appendChild(msg);
    sec.appendChild(box);
    return sec;
  };
})();
