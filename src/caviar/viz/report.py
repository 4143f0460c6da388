"""The HTML report: ONE self-contained file (plotly.js inlined, no network), with the summary
table, the figures, the param importance beside the lecture's order, and the scale advisor's
findings. Every user string is escaped; figure specs are embedded as JSON in
``<script type="application/json">`` blocks (with ``<`` escaped) and drawn by a small script."""

from __future__ import annotations

import html
import json
import math
import time
from pathlib import Path
from typing import Any

from caviar.viz import build

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#f4f5f7}
header{background:#1b2a41;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8}main{padding:20px 28px;max-width:1200px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:18px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:17px;margin:0 0 10px}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 10px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}th{background:#fafafa}.num{text-align:right;
font-variant-numeric:tabular-nums}.grid{display:grid;grid-template-columns:repeat(auto-fill,
minmax(420px,1fr));gap:12px}.fig{min-height:320px}.muted{color:#777}
.finding{margin:4px 0;padding:6px 10px;background:#fff8e1;border-left:3px solid #f5a623}
"""

_DRAW = """
(function(){
  var nodes = document.querySelectorAll('script[type="application/json"][data-fig]');
  nodes.forEach(function(n){
    var spec = JSON.parse(n.textContent);
    var div = document.getElementById(n.getAttribute('data-fig'));
    spec.layout.autosize = true;
    Plotly.newPlot(div, spec.data, spec.layout, {responsive: true, displaylogo: false});
  });
})();
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    return _e(v)


def _json(spec: Any) -> str:
    """JSON safe inside a <script> block: no '<', '>' or '&' can close it."""
    s = json.dumps(spec, allow_nan=False, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def plotly_js() -> str:
    """plotly.js, read from the plotly package's data (inlined: the report works offline).
    The file is read without importing plotly (its import costs more than the read)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs  # another layout: ask plotly

    return str(get_plotlyjs())


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(rows_i) + "</tr>" for rows_i in
                   ([f"<td>{c}</td>" for c in r] for r in rows))
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _findings(study: Any) -> list[str]:
    try:
        from caviar.analysis.advisor import advise_study
    except ImportError:  # the advisor is optional
        return []
    try:
        return [str(f.message) for f in advise_study(study)]
    except Exception as e:  # a report never fails for the advisor's sake
        return [f"(the scale advisor failed: {e})"]


SECTIONS = {"pareto": "Pareto front", "hypervolume": "Hypervolume over trials",
            "history": "Optimization history", "rounds": "Coarse-to-fine rounds",
            "lineage": "Lineage: exploits and schedules",
            "curves": "Learning curves", "importance": "Param importance",
            "parallel": "Parallel coordinates", "contour": "Contour of the two most important "
            "params", "rank": "Rank of the three most important params",
            "edf": "Distribution of values", "timeline": "Timeline"}


def render(study: Any, *, title: str | None = None, max_curves: int = 200) -> str:
    """The report of a study, as one HTML string."""
    trials = list(study.trials)
    build.check_plottable(study, trials)
    imp = build.importance_of(trials, study.space)
    figs = build.specs(study, max_curves=max_curves, trials=trials, importance=imp)
    summ = build.summary(study, trials)
    blocks: list[tuple[str, str, Any]] = [  # (section title, id, spec)
        (SECTIONS[k], f"fig-{k}", figs[k]) for k in SECTIONS if k in figs]
    param_blocks = [(f"fig-param-{i}", s) for i, s in enumerate(figs.get("params", []))]

    counts = ", ".join(f"{_e(k)} {v}" for k, v in sorted(summ["counts"].items()))
    best = summ["best"]
    rows = [["study", _e(study.name)], ["direction", _e(study.direction)],
            ["trials", f"{summ['n_trials']} ({counts})"],
            ["best value", _num(best.value) if best else "<span class=muted>none</span>"],
            ["best trial", str(best.number) if best else "-"],
            ["best params", "<br>".join(f"{_e(k)} = {_num(v)}" for k, v in best.params.items())
             if best else "-"]]
    summary_html = _table(["", ""], rows)
    names = list(study.space)
    directions = build.directions_of(study)
    if len(directions) > 1:  # several objectives: the Pareto front is the best
        from caviar.study_values import best_trials
        from caviar.viz.pareto_plot import objective_names

        front = best_trials(trials, directions)
        onames = objective_names(getattr(study, "user_attrs", {}) or {}, len(directions))
        rows[1] = ["directions", ", ".join(f"{_e(n)}: {_e(d)}"
                                           for n, d in zip(onames, directions, strict=True))]
        rows[3:] = [["Pareto front", f"{len(front)} trials"]]
        top_rows = [[str(t.number), *[_num(v) for v in (t.values or ())],
                     *[_num(t.params.get(n, "")) for n in names]] for t in front[:20]]
        head = ["trial", *[_e(n) for n in onames], *[_e(n) for n in names]]
        summary_html = _table(["", ""], rows)
    else:
        top_rows = [[str(t.number), _num(t.value), *[_num(t.params.get(n, "")) for n in names]]
                    for t in summ["top"]]
        head = ["trial", "value", *[_e(n) for n in names]]
    top_html = _table(head, top_rows) if top_rows else "<p class=muted>no completed trial</p>"
    space_rows = [[_e(n), _e(p.get("type", "")), _e(p.get("scale", "")),
                   _e(p.get("low", p.get("choices", ""))), _e(p.get("high", ""))]
                  for n, p in summ["space"].items()]
    space_html = _table(["param", "type", "scale", "low / choices", "high"], space_rows)
    findings = _findings(study)
    findings_html = "".join(f"<div class=finding>{_e(f)}</div>" for f in findings) or \
        "<p class=muted>no findings: scales look right and the best trials sit inside the " \
        "ranges</p>"
    if imp.params:
        agree = imp.agrees_with_lecture
        verdict = {True: "The measured order follows the lecture's priorities.",
                   False: "The measured order differs from the lecture's priorities: "
                          "worth a look.", None: ""}[agree]
        imp_html = _table(["param", "scale", "importance", "rank", "lecture's priority"],
                          [[_e(p.name), _e(p.scale), f"{p.importance:.1%}", str(p.rank),
                            _e(p.tier_label)] for p in imp.params]) + \
            f"<p>{_e(verdict)} <span class=muted>method: {_e(imp.method)} on " \
            f"{imp.n_trials} completed trials, unit-cube encoding</span></p>"
    else:
        imp_html = f"<p class=muted>{_e(imp.note)}</p>"
    if len(directions) > 1:
        imp_html = ("<p class=muted>importance ranks params by one value per trial; this study "
                    f"has {len(directions)} objectives (see the Pareto front)</p>")

    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>{_e(title or 'caviar report: ' + study.name)}</title>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title or 'caviar report')}: {_e(study.name)}</h1>",
        f"<p>generated {_e(time.strftime('%Y-%m-%d %H:%M:%S'))} · {summ['n_trials']} trials"
        "</p></header><main>",
        f"<section><h2>Summary</h2>{summary_html}</section>",
        f"<section><h2>Best trials</h2>{top_html}</section>",
        f"<section><h2>Space</h2>{space_html}</section>",
        f"<section><h2>Scale advisor</h2>{findings_html}</section>",
        f"<section><h2>Importance beside the lecture's order</h2>{imp_html}</section>",
    ]
    scripts = []
    for sec, fid, spec in blocks:
        parts.append(f"<section><h2>{_e(sec)}</h2><div class=fig id={fid}></div></section>")
        scripts.append(f"<script type='application/json' data-fig={fid}>{_json(spec)}</script>")
    if param_blocks:
        parts.append("<section><h2>Each param on its own scale</h2><div class=grid>")
        for fid, spec in param_blocks:
            parts.append(f"<div class=fig id={fid}></div>")
            scripts.append(f"<script type='application/json' data-fig={fid}>{_json(spec)}"
                           "</script>")
        parts.append("</div></section>")
    parts.append("</main>")
    parts.extend(scripts)
    parts.append(f"<script>{plotly_js()}</script><script>{_DRAW}</script></body></html>")
    return "".join(parts)


def write_report(study: Any, path: str | Path, **kw: Any) -> Path:
    out = Path(path)
    text = render(study, **kw)
    out.write_text(text, encoding="utf-8")
    return out


def figure_html(spec: Any, *, title: str = "caviar") -> str:
    """One figure as a self-contained HTML page (``caviar plot ... -o FILE.html``)."""
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
            "<div class=fig id=fig-0 style='height:90vh'></div></main>"
            f"<script type='application/json' data-fig=fig-0>{_json(spec)}</script>"
            f"<script>{plotly_js()}</script><script>{_DRAW}</script></body></html>")
