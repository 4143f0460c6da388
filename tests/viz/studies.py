"""Studies for the figure tests, built fast through the storage batch API (no training): the
lecture's 7-param BN-MLP space (lr log, beta1/beta2 reverse-log, width log-int, depth 1-3,
batch choice, weight decay log) with a synthetic objective, learning curves, some pruned
trials, a nudge on the best curve; and a study with two objectives."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from caviar import Choice, Float, Int, Space
from caviar.storage import get_storage
from caviar.trial_record import COMPLETE, PRUNED, TrialUpdate

SPACE7 = Space({"lr": Float(1e-4, 1.0, scale="log"),
                "beta1": Float(0.8, 0.999, scale="reverse_log"),
                "beta2": Float(0.9, 0.9999, scale="reverse_log"),
                "width": Int(16, 512, scale="log"), "depth": Int(1, 3),
                "batch": Choice([32, 64, 128, 256]),
                "weight_decay": Float(1e-6, 1e-2, scale="log")})


def objective7(p: dict[str, Any]) -> float:
    """A validation loss shaped like the lecture says: lr first, then width and batch."""
    return (abs(math.log10(p["lr"]) + 2.5) + 0.3 * abs(math.log2(p["width"]) - 7) / 5
            + 0.1 * (p["batch"] == 256) + 0.4 * (1 - p["beta1"]) + 0.05 * p["depth"])


def make_study7(url: str, n: int, *, name: str = "mlp7", steps: int = 12, seed: int = 0,
                chunk: int = 1000, rounds: int = 0) -> None:
    """``n`` trials of the 7-param space; every 5th pruned at a third of its steps. With
    ``rounds``, the trials are split into that many coarse-to-fine rounds whose lr boxes shrink
    around 10**-2.5 (recorded as the coarse-to-fine sampler does: ``round`` and ``box``)."""
    store = get_storage(url)
    rec = store.create_study(name, direction="minimize", sampler={"name": "random"},
                             space=SPACE7.to_json(), load_if_exists=False,
                             user_attrs={"declared": list(SPACE7), "metric": "val_loss"})
    store.register_params(rec.id, SPACE7.to_json())
    rng = np.random.default_rng(seed)
    best: tuple[float, int] | None = None
    for start in range(0, n, chunk):
        k = min(chunk, n - start)
        params = [{nm: p.value(float(u)) for (nm, p), u in
                   zip(SPACE7.items(), rng.random(len(SPACE7)), strict=True)} for _ in range(k)]
        attrs: list[dict[str, Any]] = [{} for _ in range(k)]
        if rounds:
            for i, p in enumerate(params):
                r = (start + i) * rounds // n
                half = 2.0 / 2 ** r  # decades either side of 10**-2.5
                lo, hi = 10 ** max(-4.0, -2.5 - half), 10 ** min(0.0, -2.5 + half)
                p["lr"] = float(lo * (hi / lo) ** rng.random())
                attrs[i] = {"round": r, "box": {"lr": [lo, hi]}}
        trials = store.create_trials(rec.id, k, params=params)
        rows, updates = [], []
        for t in trials:
            final = objective7(t.params) + 0.05 * rng.random()
            pruned = t.number % 5 == 4
            last = steps // 3 if pruned else steps
            curve = final + 1.5 / (1 + np.arange(last))
            rows.extend((t.id, s, float(v)) for s, v in enumerate(curve))
            updates.append(TrialUpdate(t.id, PRUNED if pruned else COMPLETE, float(curve[-1]),
                                       t.params, system_attrs=attrs[t.number - start] or None))
            if not pruned and (best is None or curve[-1] < best[0]):
                best = (float(curve[-1]), t.id)
        store.add_reports(rows)
        store.finish_trials(updates)
    if best is not None:  # a nudge, applied at the middle step (as panda's runner records it)
        eid = store.add_event(best[1], "nudge", {"lr": 0.001})
        store.add_event(best[1], "applied", {"event": eid, "kind": "nudge", "step": steps // 2})
    store.close()


def make_study_mo(url: str, n: int, *, name: str = "mo2", k: int = 2, seed: int = 0) -> None:
    """``n`` trials of a 2-param space with ``k`` objectives (ZDT1-like for 2: maximize
    accuracy, minimize size)."""
    space = Space({"x": Float(0.0, 1.0), "size": Int(1, 64, scale="log")})
    directions = ["maximize", "minimize", "minimize"][:k]
    store = get_storage(url)
    rec = store.create_study(name, direction=directions[0], directions=directions,
                             sampler={"name": "random"}, space=space.to_json(),
                             load_if_exists=False,
                             user_attrs={"declared": list(space), "objective_names":
                                         ["accuracy", "size", "time"][:k]})
    store.register_params(rec.id, space.to_json())
    rng = np.random.default_rng(seed)
    params = [{nm: p.value(float(u)) for (nm, p), u in
               zip(space.items(), rng.random(len(space)), strict=True)} for _ in range(n)]
    trials = store.create_trials(rec.id, n, params=params)
    ups = []
    for t in trials:
        x, s = t.params["x"], t.params["size"]
        acc = 1 - (1 - x) ** 2 * 0.5 - 0.2 * rng.random()
        vals = (acc, float(s) * (0.5 + x), x + s / 64)[:k]
        ups.append(TrialUpdate(t.id, COMPLETE, None, t.params, values=tuple(vals)))
    store.finish_trials(ups)
    store.close()
