"""Golden files: the seeded random stream must not change by accident.

After an intended change to the stream, regenerate with
``CAVIAR_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/samplers/test_random_golden.py``
and say so in the changelog: seeded studies will propose other params.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from caviar import Choice, Float, Int, create_study

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SPACE = {"lr": Float(1e-4, 1.0, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log"),
         "units": Int(16, 512, scale="log"), "layers": Int(1, 7, step=2),
         "drop": Float(0.0, 0.5, step=0.1), "act": Choice(["relu", "tanh", "gelu"])}


def declared(seed):
    study = create_study(seed=seed, space=SPACE)
    study.optimize(lambda t: t.params["lr"], n_trials=20)
    return [t.params for t in study.trials]


def define_by_run(seed):
    def objective(t):
        opt = t.suggest_categorical("optimizer", ["sgd", "adam"])
        if opt == "sgd":
            t.suggest_float("momentum", 0.5, 0.99, scale="reverse_log")
        else:
            t.suggest_float("beta2", 0.99, 0.9999, scale="reverse_log")
        return t.suggest_float("lr", 1e-5, 1e-1, log=True)

    study = create_study(seed=seed)
    study.optimize(objective, n_trials=20)
    return [t.params for t in study.trials]


@pytest.mark.parametrize("name, make", [("random_seed0", declared),
                                        ("random_define_by_run_seed0", define_by_run)])
def test_seeded_stream_matches_golden(name, make):
    path = GOLDEN / f"{name}.json"
    got = make(0)
    if os.environ.get("CAVIAR_REGEN_GOLDEN"):
        path.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(path.read_text()), f"the seeded stream changed; see {path}"


def test_other_seed_differs():
    assert declared(1) != declared(0)
