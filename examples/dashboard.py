"""Watch a study in the browser: tune a small problem into SQLite, then serve caviar's dashboard.

    python examples/dashboard.py            # 60 trials, then serves http://127.0.0.1:8080 (Ctrl-C)
    python examples/dashboard.py --once     # a free port, reads the page and the study once, stops
    caviar dashboard --storage sqlite:///dashboard-example.db   # the same page from the CLI

The page lists the study: its counts and best value, the trials table (sortable, filterable,
paged), the history (drawn first, before plotly.js loads), then the other figures; a click on a
point opens that trial's page with its learning curve.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
import urllib.request
from typing import Any

import caviar
from caviar.dashboard import bind, create_app


def objective(trial: caviar.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    beta = trial.suggest_float("beta", 0.9, 0.999, scale="reverse_log")
    units = trial.suggest_int("units", 16, 256, scale="log")
    loss = (math.log10(lr) + 2) ** 2 + (math.log10(1 - beta) + 2) ** 2 + 4.0 / units
    for step in range(10):  # a learning curve per trial: the dashboard draws them
        trial.report(loss + 1.0 / (step + 1), step)
    return loss


def tune(storage: str, n_trials: int) -> caviar.Study:
    study = caviar.create_study("dashboard-example", storage=storage, seed=0,
                                load_if_exists=True)
    study.optimize(objective, n_trials=n_trials)
    return study


def _get(base: str, path: str) -> bytes:
    with urllib.request.urlopen(base + path, timeout=30) as r:  # our own loopback server
        return bytes(r.read())


def serve_once(storage: str, study_name: str) -> dict[str, Any]:
    """Start the dashboard on a free loopback port in a thread, read what the page reads first
    (the page, the study's summary, the table's first page, the history), stop it."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(caviar.get_storage(storage)),
                                           log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 20
        while not server.started:
            if time.time() > deadline or not thread.is_alive():
                raise RuntimeError("the dashboard did not start within 20 s")
            time.sleep(0.02)
        q = "?study=" + urllib.request.quote(study_name)
        page = _get(base, "/").decode()
        summary = json.loads(_get(base, "/api/study" + q))
        table = json.loads(_get(base, "/api/trials" + q + "&limit=5&sort=value&order=asc"))
        history = json.loads(_get(base, "/api/figures" + q + "&kinds=history"))
        return {"url": base, "page": page, "summary": summary, "table": table,
                "history": history["figures"].get("history")}
    finally:
        server.should_exit = True
        thread.join(10)


def main(storage: str = "sqlite:///dashboard-example.db", *, once: bool = False,
         n_trials: int = 60, port: int = 8080) -> dict[str, Any] | None:
    study = tune(storage, n_trials)
    best = study.best_trial
    print(f"study {study.name!r}: {len(study.trials)} trials, best value {best.value:.4g} "
          f"(trial {best.number})")
    if once:
        seen = serve_once(storage, study.name)
        s = seen["summary"]
        print(f"served {seen['url']}: {s['n_trials']} trials, the table's best row is trial "
              f"{seen['table']['rows'][0]['number']}; stopped (--once)")
        return seen
    print(f"open http://127.0.0.1:{port}/#/study/{study.name}  (Ctrl-C stops it)\n"
          f"the same later: caviar dashboard --storage {storage} --port {port}")
    from caviar.dashboard import serve

    serve(create_app(study.storage), bind("127.0.0.1", port))
    return None


if __name__ == "__main__":
    main(once="--once" in sys.argv[1:])
