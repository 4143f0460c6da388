"""The script that made tests/golden/schema_v2.db with caviar at 55c916f (schema version 2).

Kept as a record of what the golden file holds; it only runs on a schema-2 caviar:
    python tests/golden/make_schema_v2.py tests/golden/schema_v2.db
"""

from __future__ import annotations

import os
import sys

import caviar
from caviar.storage.base import SCHEMA_VERSION
from caviar.trial_record import FAIL, TrialUpdate


def objective(t: caviar.Trial) -> float:
    lr = t.suggest_float("lr", 1e-4, 1.0, log=True)
    act = t.suggest_categorical("act", ["relu", "tanh"])
    for step in range(3):
        t.report(lr * (step + 1) / 3, step)
    t.set_user_attr("act_used", act)
    return lr


def main(path: str) -> None:
    assert SCHEMA_VERSION == 2, "run with caviar at schema version 2"
    if os.path.exists(path):
        os.remove(path)
    url = f"sqlite:///{path}"
    store = caviar.get_storage(url)
    s = caviar.create_study("golden-v2", storage=store, direction="maximize", seed=7,
                            pruner="median")
    s.optimize(objective, n_trials=5)
    t = s.ask()  # a pruned trial
    t.suggest_float("lr", 1e-4, 1.0, log=True)
    t.suggest_categorical("act", ["relu", "tanh"])
    t.report(0.01, 0)
    s.tell(t, state="pruned")
    t = s.ask()  # a failed one
    t.suggest_float("lr", 1e-4, 1.0, log=True)
    t.suggest_categorical("act", ["relu", "tanh"])
    s.tell(t, float("nan"))
    t = s.ask()  # a lost one (uncounted), retried below with parent_id set
    t.suggest_float("lr", 1e-4, 1.0, log=True)
    t.suggest_categorical("act", ["relu", "tanh"])
    store.finish_trials([TrialUpdate(t.id, FAIL, error="worker lost", counted=False)])
    s.optimize(objective, n_trials=8)
    s2 = caviar.create_study("golden-v2-min", storage=store, direction="minimize", seed=3)
    s2.optimize(lambda t: (t.suggest_float("x", -1, 1)) ** 2, n_trials=3)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1])
