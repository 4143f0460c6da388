// The trials table: sorted, filtered and paged on the server (/api/trials). Sorting by value
// starts best first for the study's direction; the pager says first / previous / next / last,
// page N of M, and takes a page number (10,000 trials are 400 pages of 25).
"use strict";
(function () {
  var el = CV.el;
  // a new table's query: newest first, 25 rows, no filter
  var FIRST = {offset: 0, limit: 25, sort: "number", order: "desc", state: "", text: "", ranges: []};

  function Table(study, direction, columns) {
    this.study = study; this.direction = direction || "minimize"; this.columns = columns || [];
    Object.assign(this, FIRST);
    this.total = 0; this.seq = -1;
    this.node = el("section", {id: "trials-section"});
    this.build();
  }
  Table.prototype.best = function () { return this.direction === "maximize" ? "desc" : "asc"; };
  Table.prototype.build = function () {
    var self = this, n = this.node;
    n.appendChild(el("h2", null, "Trials"));
    var bar = el("div", {"class": "filters", id: "filters"});
    var st = el("select", {id: "state-filter", title: "state"});
    ["", "running", "complete", "pruned", "fail"].forEach(function (s) { st.appendChild(el("option", {value: s}, s || "all states")); });
    st.addEventListener("change", function () { self.state = st.value; self.offset = 0; self.load(); });
    var text = el("input", {id: "text-filter", type: "search", placeholder: "text: param=…, error, state"});
    var typing = null;
    text.addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(function () { self.text = text.value; self.offset = 0; self.load(); }, 250); });
    var key = el("select", {id: "range-key"});
    ["value", "number", "duration"].concat(this.columns.map(function (c) { return "param:" + c; })).forEach(function (k) { key.appendChild(el("option", {value: k}, k.replace(/^param:/, ""))); });
    var lo = el("input", {id: "range-lo", type: "number", step: "any", placeholder: "min"});
    var hi = el("input", {id: "range-hi", type: "number", step: "any", placeholder: "max"});
    var add = el("button", {id: "range-add"}, "add range");
    add.addEventListener("click", function () {
      var r = {key: key.value};
      if (lo.value !== "") r.lo = Number(lo.value);
      if (hi.value !== "") r.hi = Number(hi.value);
      if (r.lo === undefined && r.hi === undefined) return;
      self.setRanges(self.ranges.filter(function (x) { return x.key !== r.key; }).concat([r]));
    });
    [st, text, key, lo, hi, add].forEach(function (x) { bar.appendChild(x); });
    n.appendChild(bar);
    this.chips = el("div", {"class": "chips", id: "filter-chips"});
    n.appendChild(this.chips);
    this.caption = el("p", {"class": "muted", id: "sort-caption"});
    n.appendChild(this.caption);
    this.table = el("table", {id: "trials"});
    n.appendChild(this.table);
    var pager = el("div", {"class": "pager", id: "pager"});
    function btn(id, label, fn) { var b = el("button", {id: id}, label); b.addEventListener("click", fn); pager.appendChild(b); return b; }
    this.bFirst = btn("page-first", "« first", function () { self.go(0); });
    this.bPrev = btn("page-prev", "‹ previous", function () { self.go(self.page() - 1); });
    pager.appendChild(el("span", null, "page"));
    this.pageInput = el("input", {id: "page-input", type: "number", min: "1", value: "1"});
    this.pageInput.addEventListener("change", function () { self.go(parseInt(self.pageInput.value, 10) - 1); });
    pager.appendChild(this.pageInput);
    this.pageOf = el("span", {id: "page-of"});
    pager.appendChild(this.pageOf);
    this.bNext = btn("page-next", "next ›", function () { self.go(self.page() + 1); });
    this.bLast = btn("page-last", "last »", function () { self.go(self.pages() - 1); });
    this.info = el("span", {id: "page-info", "class": "muted"});
    pager.appendChild(this.info);
    n.appendChild(pager);
  };
  Table.prototype.page = function () { return Math.floor(this.offset / this.limit); };
  Table.prototype.pages = function () { return Math.max(1, Math.ceil(this.total / this.limit)); };
  Table.prototype.go = function (p) {
    if (!isFinite(p)) return;
    p = Math.max(0, Math.min(this.pages() - 1, p));
    this.offset = p * this.limit; this.load();
  };
  Table.prototype.setRanges = function (ranges) { this.ranges = ranges; this.offset = 0; this.load(); };
  Table.prototype.renderChips = function () {
    var self = this;
    CV.clear(this.chips);
    this.ranges.forEach(function (r, i) {
      var lab = r.key.replace(/^param:/, "") + (r["in"] ? " in " + r["in"].join(", ") : " in [" + (r.lo === undefined ? "…" : CV.fmt(r.lo)) + ", " + (r.hi === undefined ? "…" : CV.fmt(r.hi)) + "]");
      var chip = el("span", {"class": "chip", "data-key": r.key}, lab + " ");
      var x = el("button", {"class": "chip-x", title: "remove"}, "×");
      x.addEventListener("click", function () { self.setRanges(self.ranges.filter(function (_, j) { return j !== i; })); });
      chip.appendChild(x);
      self.chips.appendChild(chip);
    });
    if (this.ranges.length > 1) {
      var all = el("button", {id: "filters-clear"}, "clear ranges");
      all.addEventListener("click", function () { self.setRanges([]); });
      this.chips.appendChild(all);
    }
  };
  // the query of the table as it stands (the first page of a new table: Table.first)
  Table.prototype.query = function () {
    return {study: this.study, offset: this.offset, limit: this.limit, sort: this.sort,
            order: this.order, state: this.state || null, q: this.text || null,
            filters: this.ranges.length ? JSON.stringify(this.ranges) : null};
  };
  // ``asked``: the promise of a request for exactly this.query(), sent before the table existed
  Table.prototype.load = function (asked) {
    var self = this, name = this.study;
    this.renderChips();
    return (asked || CV.api("trials", this.query()))
      .then(function (page) { if (self.study === name) self.render(page); });
  };
  Table.prototype.header = function (cols) {
    var self = this, h = el("tr");
    cols.forEach(function (c) {
      var on = self.sort === c[0];
      var th = el("th", {"data-sort": c[0]}, c[1] + (on ? (self.order === "desc" ? " ▼" : " ▲") : ""));
      if (on) th.className = "sorted";
      th.addEventListener("click", function () {
        if (self.sort === c[0]) self.order = self.order === "desc" ? "asc" : "desc";
        else { self.sort = c[0]; self.order = c[0] === "value" ? self.best() : c[0] === "number" || c[0] === "duration" ? "desc" : "asc"; }
        self.offset = 0; self.load();
      });
      h.appendChild(th);
    });
    return h;
  };
  Table.prototype.render = function (page) {
    var self = this, t = this.table;
    this.total = page.total; this.offset = page.offset; this.direction = page.direction || this.direction;
    CV.clear(t);
    var cols = [["number", "#"], ["state", "state"], ["value", "value"], ["duration", "duration"]];
    page.columns.forEach(function (c) { cols.push(["param:" + c, c]); });
    t.appendChild(this.header(cols));
    page.rows.forEach(function (r) {
      var tr = el("tr", {"class": "row", "data-number": r.number});
      tr.appendChild(el("td", {"class": "num"}, r.number));
      tr.appendChild(el("td", {"class": "state-" + r.state, title: r.reason || ""}, r.state));
      tr.appendChild(el("td", {"class": "num value"}, r.state === "fail" ? (r.error || "failed") : CV.fmt(r.value)));
      var dur = el("td", {"class": "num duration"}, CV.seconds(r.duration));
      if (r.population) {
        dur.textContent += " (population of " + r.population.size + ")";
        dur.title = "this member trained " + (r.population.epochs === null || r.population.epochs === undefined ? "?" : r.population.epochs) +
          " epochs together with " + (r.population.size - 1) + " others as one program; the population took " +
          CV.seconds(r.duration) + (r.population.seconds_per_trial ? ", " + CV.seconds(r.population.seconds_per_trial) + " per member" : "");
      }
      tr.appendChild(dur);
      page.columns.forEach(function (c) { tr.appendChild(el("td", {"class": "num"}, CV.fmt(r.params[c]))); });
      tr.addEventListener("click", function () { location.hash = CV.hashFor(self.study, r.number); });
      t.appendChild(tr);
    });
    var label = this.sort.replace(/^param:/, "");
    var how = this.sort === "value" ? (this.order === this.best() ? "best first" : "worst first") + " (" + this.direction + ")"
      : this.order === "desc" ? (this.sort === "number" ? "newest first" : "highest first") : (this.sort === "number" ? "oldest first" : "lowest first");
    this.caption.textContent = "sorted by " + label + ", " + how;
    this.pageInput.value = String(this.page() + 1);
    this.pageInput.max = String(this.pages());
    this.pageOf.textContent = "of " + this.pages();
    this.bFirst.disabled = this.bPrev.disabled = this.page() === 0;
    this.bNext.disabled = this.bLast.disabled = this.page() >= this.pages() - 1;
    var filtered = page.total !== page.n_trials ? " (filtered from " + page.n_trials + ")" : "";
    this.info.textContent = page.total ? "rows " + (page.offset + 1) + "–" + (page.offset + page.rows.length) + " of " + page.total + filtered : "no trials" + filtered;
  };
  // the first page a new table of ``study`` shows (asked before the study's summary arrives)
  Table.first = function (study) { return CV.api("trials", Table.prototype.query.call(Object.assign({study: study}, FIRST))); };
  CV.Table = Table;
})();
