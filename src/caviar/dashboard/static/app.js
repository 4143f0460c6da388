// caviar dashboard: a tiny single page over the JSON API.
// Rule: data goes into the DOM with textContent only (never innerHTML), so any study name,
// param name or error message shows as text and runs nothing.
"use strict";
(function () {
  var POLL_MS = 1000;
  var TOKEN_KEY = "caviar-token";
  var timer = null;
  var state = {};

  // The control token travels once in the URL (/#token=T or ?token=T, as `caviar dashboard`
  // prints it), is kept in sessionStorage for this tab, and is removed from the address bar.
  function takeToken() {
    var m = /^#token=([^&]*)/.exec(location.hash) || /[?&]token=([^&#]*)/.exec(location.search);
    if (!m) return;
    try { sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1])); } catch (e) { /* storage off */ }
    var search = location.search.replace(/([?&])token=[^&#]*&?/, "$1").replace(/[?&]$/, "");
    history.replaceState(null, "", location.pathname + search + (/^#token=/.test(location.hash) ? "#/" : location.hash));
  }
  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function q(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }
  function api(path, params) {
    return fetch("/api/" + path + "?" + q(params || {}), {headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
          return body;
        });
      });
  }
  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
    return String(v);
  }
  function hashFor(study, number) {
    var h = "#/study/" + encodeURIComponent(study);
    return number === undefined ? h : h + "/trial/" + number;
  }
  function crumbs(study, number) {
    var c = document.getElementById("crumbs");
    clear(c);
    if (study !== undefined) c.appendChild(el("a", {href: hashFor(study), id: "crumb-study"}, study));
    if (number !== undefined) c.appendChild(el("span", null, "trial " + number));
  }
  function live(on) { document.getElementById("live").className = on ? "live on" : "live"; }
  function showError(node, err) { node.appendChild(el("p", {"class": "error"}, "error: " + err.message)); }
  function plot(id, spec) {
    var div = document.getElementById(id);
    if (!div || !window.Plotly) return;
    spec.layout.autosize = true;
    Plotly.react(div, spec.data, spec.layout, {responsive: true, displaylogo: false});
  }

  // ------------------------------------------------------------------ studies list
  function studiesPage(view) {
    crumbs();
    api("studies").then(function (body) {
      clear(view);
      view.appendChild(el("h1", null, "Studies"));
      var sec = el("section");
      if (!body.studies.length) {
        sec.appendChild(el("p", {"class": "muted", id: "no-studies"},
          "No study in this storage yet: run `caviar tune ...` and reload."));
      } else {
        var t = el("table", {id: "studies"});
        var h = el("tr");
        ["study", "direction", "trials", "complete", "pruned", "fail", "running", "best value"].forEach(function (c) { h.appendChild(el("th", null, c)); });
        t.appendChild(h);
        body.studies.forEach(function (s) {
          var r = el("tr", {"class": "row"});
          var a = el("a", {href: hashFor(s.name), "class": "study-link"}, s.name);
          var td = el("td"); td.appendChild(a); r.appendChild(td);
          r.appendChild(el("td", null, s.direction));
          [s.n_trials, s.counts.complete || 0, s.counts.pruned || 0, s.counts.fail || 0, s.counts.running || 0, s.best_value].forEach(function (v) { r.appendChild(el("td", {"class": "num"}, fmt(v))); });
          r.addEventListener("click", function () { location.hash = hashFor(s.name); });
          t.appendChild(r);
        });
        sec.appendChild(t);
      }
      view.appendChild(sec);
    }).catch(function (e) { clear(view); showError(view, e); });
  }

  // ------------------------------------------------------------------ one study
  function studyPage(view, name) {
    crumbs(name);
    state = {study: name, seq: -1, figSeq: -1, offset: 0, limit: 25, sort: "number", order: "desc", stateFilter: ""};
    clear(view);
    view.appendChild(el("h1", {id: "study-name"}, name));
    var stats = el("section", {"class": "stats", id: "stats"});
    view.appendChild(stats);
    var tsec = el("section");
    tsec.appendChild(el("h2", null, "Trials"));
    var filter = el("select", {id: "state-filter"});
    ["", "running", "complete", "pruned", "fail"].forEach(function (s) { filter.appendChild(el("option", {value: s}, s || "all states")); });
    filter.addEventListener("change", function () { state.stateFilter = filter.value; state.offset = 0; loadTrials(); });
    tsec.appendChild(filter);
    tsec.appendChild(el("table", {id: "trials"}));
    var pager = el("div", {"class": "pager"});
    var prev = el("button", {id: "prev"}, "‹ newer"), next = el("button", {id: "next"}, "older ›");
    prev.addEventListener("click", function () { state.offset = Math.max(0, state.offset - state.limit); loadTrials(); });
    next.addEventListener("click", function () { if (state.offset + state.limit < state.total) { state.offset += state.limit; loadTrials(); } });
    pager.appendChild(prev); pager.appendChild(el("span", {id: "page-info"})); pager.appendChild(next);
    tsec.appendChild(pager);
    view.appendChild(tsec);
    ["history", "rounds", "curves", "importance", "parallel"].forEach(function (k) {
      var s = el("section", {id: "sec-" + k});
      if (k === "rounds") s.style.display = "none";
      s.appendChild(el("div", {"class": "fig", id: "fig-" + k}));
      view.appendChild(s);
    });
    var ps = el("section");
    ps.appendChild(el("h2", null, "Each param on its own scale"));
    ps.appendChild(el("div", {"class": "grid", id: "fig-params"}));
    view.appendChild(ps);
    poll();
    timer = setInterval(poll, POLL_MS);
  }

  function renderStats(s) {
    var stats = document.getElementById("stats");
    if (!stats) return;
    clear(stats);
    function stat(label, value, id) {
      var d = el("div", {"class": "stat"});
      d.appendChild(el("b", {id: id}, value));
      d.appendChild(el("span", {"class": "muted"}, label));
      stats.appendChild(d);
    }
    stat("trials", s.n_trials, "trial-count");
    ["complete", "running", "pruned", "fail"].forEach(function (k) { stat(k, s.counts[k] || 0, "count-" + k); });
    stat("best value (" + s.direction + ")", s.best ? fmt(s.best.value) : "–", "best-value");
    if (!s.n_trials) stats.appendChild(el("p", {"class": "muted", id: "empty-note"}, "No trials yet: this page updates as soon as the study runs."));
  }

  function loadTrials() {
    var name = state.study;
    return api("trials", {study: name, offset: state.offset, limit: state.limit, sort: state.sort, order: state.order, state: state.stateFilter || null}).then(function (page) {
      if (state.study !== name) return;
      state.total = page.total;
      var t = document.getElementById("trials");
      if (!t) return;
      clear(t);
      var cols = [["number", "#"], ["state", "state"], ["value", "value"], ["duration", "duration (s)"]];
      page.columns.forEach(function (c) { cols.push(["param:" + c, c]); });
      var h = el("tr");
      cols.forEach(function (c) {
        var th = el("th", {"data-sort": c[0]}, c[1] + (state.sort === c[0] ? (state.order === "desc" ? " ▼" : " ▲") : ""));
        if (state.sort === c[0]) th.className = "sorted";
        th.addEventListener("click", function () {
          if (state.sort === c[0]) state.order = state.order === "desc" ? "asc" : "desc";
          else { state.sort = c[0]; state.order = c[0] === "number" ? "desc" : "asc"; }
          state.offset = 0; loadTrials();
        });
        h.appendChild(th);
      });
      t.appendChild(h);
      page.rows.forEach(function (r) {
        var tr = el("tr", {"class": "row", "data-number": r.number});
        tr.appendChild(el("td", {"class": "num"}, r.number));
        tr.appendChild(el("td", {"class": "state-" + r.state}, r.state));
        tr.appendChild(el("td", {"class": "num"}, r.state === "fail" ? (r.error || "failed") : fmt(r.value)));
        tr.appendChild(el("td", {"class": "num"}, r.duration === null ? "" : r.duration.toFixed(2)));
        page.columns.forEach(function (c) { tr.appendChild(el("td", {"class": "num"}, fmt(r.params[c]))); });
        tr.addEventListener("click", function () { location.hash = hashFor(name, r.number); });
        t.appendChild(tr);
      });
      var info = document.getElementById("page-info");
      if (info) info.textContent = page.total ? (page.offset + 1) + "–" + Math.min(page.total, page.offset + page.rows.length) + " of " + page.total : "no trials";
    });
  }

  function poll() {
    var name = state.study;
    live(true);
    api("study", {study: name, since: state.seq}).then(function (s) {
      if (state.study !== name || !s.changed) return;
      state.seq = s.seq;
      renderStats(s);
      loadTrials();
      return api("figures", {study: name, since: state.figSeq}).then(function (f) {
        if (state.study !== name || !f.changed) return;
        state.figSeq = f.seq;
        ["history", "curves", "importance", "parallel", "rounds"].forEach(function (k) {
          if (f.figures[k]) {
            document.getElementById("sec-" + k).style.display = "";
            plot("fig-" + k, f.figures[k]);
          }
        });
        var grid = document.getElementById("fig-params");
        f.figures.params.forEach(function (spec, i) {
          var id = "fig-param-" + i;
          if (!document.getElementById(id)) grid.appendChild(el("div", {"class": "fig", id: id}));
          plot(id, spec);
        });
      });
    }).catch(function (e) {
      live(false);
      var v = document.getElementById("view");
      if (v && !document.getElementById("poll-error")) { var p = el("p", {"class": "error", id: "poll-error"}, "error: " + e.message); v.insertBefore(p, v.firstChild); }
    });
  }

  // ------------------------------------------------------------------ one trial
  function trialPage(view, name, number) {
    crumbs(name, number);
    function load() {
      return api("trial", {study: name, number: number}).then(function (body) {
        clear(view);
        var t = body.trial;
        view.appendChild(el("h1", {id: "trial-title"}, "Trial " + t.number + " of " + name));
        var sec = el("section");
        var tbl = el("table", {id: "trial-info"});
        function row(k, v) { var r = el("tr"); r.appendChild(el("th", null, k)); r.appendChild(el("td", null, v)); tbl.appendChild(r); }
        row("state", t.state); row("value", fmt(t.value)); row("duration (s)", t.duration === null ? "" : t.duration.toFixed(2));
        row("worker", t.worker || "");
        Object.keys(t.params).forEach(function (k) { row(k, fmt(t.params[k])); });
        if (t.error) row("error", t.error);
        sec.appendChild(tbl);
        view.appendChild(sec);
        var fs = el("section"); fs.appendChild(el("div", {"class": "fig", id: "fig-trial"})); view.appendChild(fs);
        var es = el("section"); es.appendChild(el("h2", null, "Control events (" + body.events.length + ")"));
        var et = el("table", {id: "events"});
        body.events.forEach(function (e) {
          var r = el("tr");
          r.appendChild(el("td", null, e.kind));
          r.appendChild(el("td", null, e.applied_step === null ? "pending" : "step " + e.applied_step));
          r.appendChild(el("td", null, JSON.stringify(e.payload)));
          r.appendChild(el("td", null, new Date(e.at * 1000).toLocaleTimeString()));
          et.appendChild(r);
        });
        es.appendChild(et);
        view.appendChild(es);
        if (body.allow_control && t.state === "running") view.appendChild(controls(name, t, body.needs_token));
        var extra = el("section"); extra.appendChild(el("h2", null, "Attributes"));
        extra.appendChild(el("pre", null, JSON.stringify({user_attrs: t.user_attrs, system_attrs: t.system_attrs}, null, 2)));
        view.appendChild(extra);
        plot("fig-trial", body.figure);
        return t.state;
      });
    }
    load().then(function (s) {
      if (s === "running") timer = setInterval(function () { load().then(function (s2) { if (s2 !== "running") { clearInterval(timer); timer = null; } }); }, POLL_MS * 2);
    }).catch(function (e) { clear(view); showError(view, e); });
  }

  function controls(name, t, needsToken) {
    var sec = el("section", {id: "controls"});
    sec.appendChild(el("h2", null, "Controls"));
    if (needsToken && !token()) sec.appendChild(el("p", {"class": "error", id: "token-missing"},
      "controls need this dashboard's token: open the URL `caviar dashboard` printed (…/#token=…)"));
    var box = el("div", {"class": "controls"});
    var msg = el("span", {id: "control-msg", "class": "muted"});
    function send(body) {
      body.study = name; body.number = t.number;
      var headers = {"Content-Type": "application/json", "X-Caviar-Control": "1"};
      if (token()) headers["X-Caviar-Token"] = token();
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
  }

  // ------------------------------------------------------------------ routing
  function route() {
    if (timer) { clearInterval(timer); timer = null; }
    state = {};
    var view = document.getElementById("view");
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    if (parts[0] === "study" && parts.length >= 2) {
      var name = decodeURIComponent(parts[1]);
      if (parts[2] === "trial" && parts[3] !== undefined) return trialPage(view, name, parseInt(parts[3], 10));
      return studyPage(view, name);
    }
    return studiesPage(view);
  }
  takeToken();
  window.addEventListener("hashchange", route);
  route();
})();
