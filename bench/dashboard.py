"""First paint of caviar's dashboard and of optuna-dashboard, side by side in one run.

The same trials (5 params: log lr, reverse-log beta, log int units, linear dropout, a choice;
every fifth trial pruned; ``--steps`` intermediate values each) are written to a caviar SQLite
storage and to an Optuna RDB (SQLite) storage. Each dashboard runs as its own server process
(``python -m caviar dashboard``; ``optuna_dashboard.run_server``), and headless Chromium
(playwright, /usr/bin/chromium) opens a fresh page and measures, from navigation start:

* history: until the optimization-history figure has drawn marks (plotly's SVG points, or a
  WebGL canvas), on the study's page;
* table: until the trials table (caviar: its rows; optuna-dashboard: its "Trials (List)" page,
  which lists the trials: 0.21 has no table page) shows trials;
* both: caviar draws both on one page, so ``both`` is one load; for optuna-dashboard it is the
  slower of its two pages;
* plotly: until the history is plotly's interactive figure (caviar shows a static SVG of the
  history while plotly.js loads: ``history`` counts that; optuna-dashboard draws plotly only;
  caviar asks for plotly.js only after its first paint).

Each time is read inside the page (``WATCH``): performance.now() at the animation frame after
the one in which the page first showed it, so the figure includes that frame's layout and paint
and no DevTools round trip.

After one untimed load of each page (both servers warm), median of ``--repeats`` page loads per
tool and size; prints seconds and the ratio
optuna-dashboard / caviar; puts the run at the top of bench/results/dashboard.txt, above the
earlier ones (not in --quick).

    python bench/dashboard.py              # 64 and 10,000 trials x 10 steps
    python bench/dashboard.py --quick      # 64 trials x 5 steps, both tools, one load each
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = os.environ.get("CAVIAR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]

# marks drawn in a plotly figure: SVG points or path segments, or a WebGL canvas
PLOT_DRAWN = """(sel) => { const d = document.querySelector(sel); if (!d) return false;
  const pts = d.querySelectorAll('.scatterlayer path.point, .scatterlayer .trace path.js-line');
  return pts.length > 0 || d.querySelectorAll('canvas.gl-canvas').length > 0; }"""
CAVIAR_PLOTLY = f"() => ({PLOT_DRAWN})('#fig-history')"
# caviar draws a static SVG of the history while plotly.js loads (static/preview.js)
CAVIAR_HISTORY = ("() => document.querySelectorAll('#fig-history svg.cv-preview path.cv-marks')"
                  f".length > 0 || ({CAVIAR_PLOTLY})()")
CAVIAR_TABLE = "() => document.querySelectorAll('#trials tr.row').length > 0"
OPTUNA_HISTORY = f"() => ({PLOT_DRAWN})('.js-plotly-plot')"
OPTUNA_LIST = "() => /Trial \\d+\\s+(Complete|Pruned)/.test(document.body.innerText)"


def trial_rows(n: int, steps: int, seed: int = 0) -> list[dict[str, Any]]:
    """The trials both storages get: params, state, final value and curve."""
    import numpy as np

    from caviar import Choice, Float, Int, Space

    space = Space({"lr": Float(1e-5, 1.0, scale="log"),
                   "beta": Float(0.9, 0.999, scale="reverse_log"),
                   "units": Int(16, 512, scale="log"), "dropout": Float(0.0, 0.5),
                   "act": Choice(["relu", "tanh", "gelu"])})
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        u = rng.random(len(space))
        params = {name: p.value(float(x)) for (name, p), x in zip(space.items(), u,
                                                                  strict=True)}
        final = abs(np.log10(params["lr"]) + 2.5) + (1 - params["beta"]) * 3 + rng.random() * .1
        pruned = i % 5 == 0
        last = max(1, steps // 3) if pruned else steps
        curve = [float(final + 2.0 / (1 + s)) for s in range(last)]
        out.append({"params": params, "pruned": pruned, "curve": curve, "value": curve[-1]})
    trial_rows.space = space  # type: ignore[attr-defined]
    return out


def write_caviar(url: str, rows: list[dict[str, Any]]) -> None:
    from caviar.storage import get_storage
    from caviar.trial_record import COMPLETE, PRUNED, TrialUpdate

    space = trial_rows.space  # type: ignore[attr-defined]
    store = get_storage(url)
    rec = store.create_study("big", direction="minimize", sampler={"name": "random"},
                             space=space.to_json(), load_if_exists=False,
                             user_attrs={"declared": list(space)})
    store.register_params(rec.id, space.to_json())
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        trials = store.create_trials(rec.id, len(chunk), params=[r["params"] for r in chunk])
        reports, updates = [], []
        for t, r in zip(trials, chunk, strict=True):
            reports.extend((t.id, s, v) for s, v in enumerate(r["curve"]))
            updates.append(TrialUpdate(t.id, PRUNED if r["pruned"] else COMPLETE, r["value"],
                                       t.params))
        store.add_reports(reports)
        store.finish_trials(updates)
    store.close()


def write_optuna(url: str, rows: list[dict[str, Any]]) -> None:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {"lr": FloatDistribution(1e-5, 1.0, log=True), "beta": FloatDistribution(0.9, 0.999),
             "units": IntDistribution(16, 512, log=True), "dropout": FloatDistribution(0, 0.5),
             "act": CategoricalDistribution(["relu", "tanh", "gelu"])}
    study = optuna.create_study(study_name="big", storage=url, direction="minimize")
    for start in range(0, len(rows), 500):
        study.add_trials([optuna.trial.create_trial(
            params=r["params"], distributions=dists,
            value=None if r["pruned"] else r["value"],
            state=optuna.trial.TrialState.PRUNED if r["pruned"] else
            optuna.trial.TrialState.COMPLETE,
            intermediate_values=dict(enumerate(r["curve"])))
            for r in rows[start:start + 500]])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], port: int, what: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode()[-500:] if proc.stderr else ""
            raise RuntimeError(f"{what} exited {proc.returncode}: {err}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{what} did not listen on port {port} within 120 s")


# Watched inside the page from its first script on: at every animation frame the predicate is
# tried; once it holds, the time is taken at the *next* frame, i.e. after the frame that shows
# the marks was laid out and painted. (Waiting from Python and then asking performance.now()
# added a DevTools round trip, 0.1-0.5 s on a loaded machine, to every figure of both tools.)
WATCH = """window.__painted = 0; (function frame() {
  let held = false; try { held = !!(%s)(); } catch (e) { /* the page is not there yet */ }
  if (held) requestAnimationFrame(() => { window.__painted = performance.now(); });
  else requestAnimationFrame(frame); })();"""


def paint(browser: Any, url: str, done: str, timeout_s: float) -> float:
    """Seconds from navigation start until the frame after the one in which ``done`` (a JS
    predicate) first holds has been drawn, in a fresh context (no cache)."""
    ctx = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        ctx.add_init_script(WATCH % done)
        page = ctx.new_page()
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        at = page.wait_for_function("() => window.__painted", polling=50,
                                    timeout=timeout_s * 1000).json_value()
        return float(at) / 1000.0
    finally:
        ctx.close()


def measure(browser: Any, caviar_base: str, optuna_base: str | None, repeats: int,
            peer_repeats: int, timeout_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    study = caviar_base + "/#/study/big"
    # one untimed load of each page first: both servers have read the study and imported
    # what they import lazily (caviar: the importance's scikit-learn) before the timed loads
    paint(browser, study, f"() => ({CAVIAR_PLOTLY})() && ({CAVIAR_TABLE})()", timeout_s)
    if optuna_base is not None:
        try:
            paint(browser, optuna_base + "/dashboard/studies/1", OPTUNA_HISTORY, timeout_s)
            paint(browser, optuna_base + "/dashboard/studies/1/trials", OPTUNA_LIST, timeout_s)
        except Exception:
            pass  # the timed loads below say what went wrong
    cav_h = [paint(browser, study, CAVIAR_HISTORY, timeout_s) for _ in range(repeats)]
    cav_t = [paint(browser, study, CAVIAR_TABLE, timeout_s) for _ in range(repeats)]
    both = f"() => ({CAVIAR_HISTORY})() && ({CAVIAR_TABLE})()"
    cav_b = [paint(browser, study, both, timeout_s) for _ in range(repeats)]
    cav_p = [paint(browser, study, CAVIAR_PLOTLY, timeout_s) for _ in range(repeats)]
    out["caviar"] = {k: statistics.median(v) for k, v in
                     (("history", cav_h), ("table", cav_t), ("both", cav_b),
                      ("plotly", cav_p))}
    if optuna_base is not None:
        try:
            oh = [paint(browser, optuna_base + "/dashboard/studies/1", OPTUNA_HISTORY,
                        timeout_s) for _ in range(peer_repeats)]
            ot = [paint(browser, optuna_base + "/dashboard/studies/1/trials", OPTUNA_LIST,
                        timeout_s) for _ in range(peer_repeats)]
            h, t = statistics.median(oh), statistics.median(ot)
            out["optuna-dashboard"] = {"history": h, "table": t, "both": max(h, t),
                                       "plotly": h}
        except Exception as e:  # a timeout is a result too: say it
            out["optuna-dashboard"] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
    return out


def report(n: int, steps: int, r: dict[str, Any], repeats: int, peer_repeats: int) -> list[str]:
    c = r["caviar"]
    lines = [f"{n:,} trials x {steps} steps (SQLite both), first paint in headless Chromium, "
             f"median of {repeats} (caviar) / {peer_repeats} (optuna-dashboard) loads:"]
    o = r.get("optuna-dashboard")
    for k in ("history", "table", "both", "plotly"):
        line = f"  {k:8s} caviar {c[k]:7.3f} s"
        if o and "error" not in o:
            line += f" | optuna-dashboard {o[k]:7.3f} s | optuna-dashboard/caviar " \
                    f"{o[k] / c[k]:6.1f}x"
        lines.append(line)
    if o is None:
        lines.append("  optuna-dashboard: not measured (--no-peer, or not installed: pip install "
                     "optuna-dashboard, in caviar's dev extra)")
    elif "error" in o:
        lines.append(f"  optuna-dashboard: did not paint: {o['error']}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="comma-separated trial counts "
                                                  "[default: 64,10000; --quick: 64]")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--peer-repeats", type=int, default=None)
    ap.add_argument("--no-peer", action="store_true",
                    help="caviar only (no ratio is printed then)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds one page may take to paint")
    a = ap.parse_args()
    sizes = [int(x) for x in (a.sizes or ("64" if a.quick else "64,10000")).split(",")]
    steps = a.steps or (5 if a.quick else 10)
    repeats = a.repeats or (1 if a.quick else 3)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CAVIAR_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    try:
        import optuna_dashboard  # noqa: F401
        have_peer = True
    except ImportError:
        have_peer = False
    have_peer = have_peer and not a.no_peer
    load = os.getloadavg()
    lines = [f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cpus"]
    print(lines[0], flush=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for n in sizes:
            peer_repeats = a.peer_repeats or (1 if a.quick or n > 1000 else repeats)
            cav_url = "sqlite:///" + os.path.join(tmp, f"caviar-{n}.db")
            opt_url = "sqlite:///" + os.path.join(tmp, f"optuna-{n}.db")
            t0 = time.perf_counter()
            rows = trial_rows(n, steps)
            write_caviar(cav_url, rows)
            if have_peer:
                write_optuna(opt_url, rows)
            print(f"wrote {n} trials x {steps} steps to both storages in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            cport, oport = free_port(), free_port()
            procs = [start([sys.executable, "-m", "caviar", "dashboard", "--storage", cav_url,
                            "--port", str(cport)], cport, "caviar dashboard")]
            try:
                if have_peer:
                    procs.append(start([sys.executable, "-c", "import sys; from optuna_dashboard"
                                        " import run_server; run_server(sys.argv[1], host="
                                        "'127.0.0.1', port=int(sys.argv[2]))", opt_url,
                                        str(oport)], oport, "optuna-dashboard"))
                r = measure(browser, f"http://127.0.0.1:{cport}",
                            f"http://127.0.0.1:{oport}" if have_peer else None, repeats,
                            peer_repeats, a.timeout)
            finally:
                for p in procs:
                    p.terminate()
                    p.wait(10)
            block = report(n, steps, r, repeats, peer_repeats)
            print("\n".join(block), flush=True)
            lines += block
        browser.close()
    if not a.quick:  # the newest run goes first; the earlier ones stay below it
        out = HERE / "results" / "dashboard.txt"
        out.parent.mkdir(exist_ok=True)
        earlier = out.read_text() if out.exists() else ""
        out.write_text(
            "\n".join(lines) + f"\n(python {sys.version.split()[0]}; caviar target: both <= 1 s "
            "at 10,000 trials)\n" + ("\n" + earlier if earlier else ""))


if __name__ == "__main__":
    main()
