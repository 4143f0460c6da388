"""Dashboard load time on a big study, against a naive full load, side by side in one run.

A SQLite study of 10,000 trials with 100 intermediate values each (1,000,000 reports; 5 params:
log lr, reverse-log beta, int units, linear dropout, a choice). Measured, median of --repeats:

* first load: a fresh dashboard (new storage connection, empty cache) answers the four calls a
  page makes: /api/studies, /api/study, /api/trials (first page), /api/figures;
* poll: the page's live poll when nothing changed (/api/study and /api/figures with since=);
* naive: what a dashboard without downsampling or since= would do: read every trial and every
  report, build every figure from all of them, and serialize it.

Prints seconds and the ratio naive / first load; writes bench/results/dashboard.txt.

    python bench/dashboard.py            # 10,000 trials x 100 steps
    python bench/dashboard.py --quick    # 500 x 20, for the test suite
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_study(url: str, n: int, steps: int) -> None:
    import numpy as np

    from caviar import Choice, Float, Int, Space
    from caviar.storage import get_storage
    from caviar.trial_record import COMPLETE, PRUNED, TrialUpdate

    space = Space({"lr": Float(1e-5, 1.0, scale="log"),
                   "beta": Float(0.9, 0.999, scale="reverse_log"),
                   "units": Int(16, 512, scale="log"), "dropout": Float(0.0, 0.5),
                   "act": Choice(["relu", "tanh", "gelu"])})
    store = get_storage(url)
    rec = store.create_study("big", direction="minimize", sampler={"name": "random"},
                             space=space.to_json(), load_if_exists=False,
                             user_attrs={"declared": list(space)})
    store.register_params(rec.id, space.to_json())
    rng = np.random.default_rng(0)
    chunk = 500
    for start in range(0, n, chunk):
        k = min(chunk, n - start)
        params = []
        for _ in range(k):
            u = rng.random(len(space))
            params.append({name: p.value(float(ui)) for (name, p), ui in zip(space.items(), u,
                                                                             strict=True)})
        trials = store.create_trials(rec.id, k, params=params)
        rows, updates = [], []
        for t in trials:
            lr = t.params["lr"]
            final = abs(np.log10(lr) + 2.5) + (1 - t.params["beta"]) * 3 + rng.random() * 0.1
            pruned = t.number % 5 == 0
            last = steps // 3 if pruned else steps
            curve = final + 2.0 / (1 + np.arange(last))
            rows.extend((t.id, s, float(v)) for s, v in enumerate(curve))
            updates.append(TrialUpdate(t.id, PRUNED if pruned else COMPLETE, float(curve[-1]),
                                       t.params))
        store.add_reports(rows)
        store.finish_trials(updates)
    store.close()


def first_load(url: str) -> float:
    from starlette.testclient import TestClient

    from caviar.dashboard import create_app
    from caviar.storage import get_storage

    store = get_storage(url)
    c = TestClient(create_app(store))
    t0 = time.perf_counter()
    assert c.get("/api/studies").status_code == 200
    s = c.get("/api/study", params={"study": "big"}).json()
    assert c.get("/api/trials", params={"study": "big", "limit": 25}).status_code == 200
    f = c.get("/api/figures", params={"study": "big"})
    dt = time.perf_counter() - t0
    assert f.status_code == 200 and s["n_trials"] > 0
    first_load.size = len(f.content)  # type: ignore[attr-defined]
    t1 = time.perf_counter()
    for _ in range(10):
        assert not c.get("/api/study", params={"study": "big", "since": s["seq"]}).json()[
            "changed"]
        assert not c.get("/api/figures", params={"study": "big", "since": s["seq"]}).json()[
            "changed"]
    first_load.poll = (time.perf_counter() - t1) / 10  # type: ignore[attr-defined]
    store.close()
    return dt


def naive_load(url: str) -> float:
    from caviar.study import load_study
    from caviar.viz import data, figures

    t0 = time.perf_counter()
    study = load_study("big", storage=url)
    ts = study.trials
    reports = study.reports()
    specs = {"history": figures.history_figure(data.history(ts, study.direction)),
             "params": figures.param_figures(data.param_slices(ts, study.space)),
             "parallel": figures.parallel_figure(data.parallel(ts, study.space,
                                                               study.direction)),
             "curves": figures.curves_figure(data.curves(ts, reports))}
    body = json.dumps(specs)
    dt = time.perf_counter() - t0
    naive_load.size = len(body)  # type: ignore[attr-defined]
    study.storage.close()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n = a.trials or (500 if a.quick else 10_000)
    steps = a.steps or (20 if a.quick else 100)
    repeats = 1 if a.quick else a.repeats
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + os.path.join(tmp, "big.db")
        t0 = time.perf_counter()
        make_study(url, n, steps)
        print(f"made {n} trials x {steps} steps in {time.perf_counter() - t0:.1f} s",
              flush=True)
        loads, polls, naives = [], [], []
        for _ in range(repeats):
            loads.append(first_load(url))
            polls.append(first_load.poll)  # type: ignore[attr-defined]
            naives.append(naive_load(url))
        load, poll, naive = (statistics.median(x) for x in (loads, polls, naives))
    lines = [
        f"dashboard on {n} trials x {steps} steps (SQLite), median of {repeats}:",
        f"  first load (4 API calls, downsampled): {load:.3f} s, figures "
        f"{first_load.size / 1e6:.2f} MB",  # type: ignore[attr-defined]
        f"  live poll, nothing changed (since=):  {poll * 1000:.1f} ms",
        f"  naive full load (all trials + reports): {naive:.3f} s, figures "
        f"{naive_load.size / 1e6:.2f} MB",  # type: ignore[attr-defined]
        f"  naive/caviar: {naive / load:.1f}x",
    ]
    text = "\n".join(lines)
    print(text)
    if not a.quick:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "dashboard.txt").write_text(
            text + f"\n(python {sys.version.split()[0]}, {os.cpu_count()} cpus)\n")


if __name__ == "__main__":
    main()
