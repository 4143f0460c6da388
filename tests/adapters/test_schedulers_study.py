"""Population schedulers inside a study: PBT's lineage and schedules are stored on the trials
(JSON, parent_id), ASHA pauses and promotes members, halving stops them; bad input is refused
before any trial starts."""

from __future__ import annotations

import json

import pytest

import caviar
from caviar.adapters import tune_population
from caviar.adapters.population import PBT_SPACE
from caviar.errors import UsageError
from caviar.schedulers import ASHA, PBT, Halving

torch = pytest.importorskip("torch")

FIXED = {"epochs": 6, "hidden": 16, "depth": 1, "batch_size": 128}


def test_pbt_records_lineage_and_schedules(tmp_path):
    url = f"sqlite:///{tmp_path}/pbt.db"
    study = caviar.create_study("pbt", storage=url, direction="maximize", space=PBT_SPACE,
                                seed=0)
    tune_population(study, n_trials=8, population=8, fixed=FIXED, threads=1,
                    scheduler=PBT(interval=2, quantile=0.25, seed=0))
    trials = caviar.load_study("pbt", storage=url).trials
    assert [t.state for t in trials] == ["complete"] * 8
    by_id = {t.id: t for t in trials}
    exploited = [t for t in trials if t.system_attrs.get("exploits")]
    # 8 members, quantile 0.25: 2 exploits at each of epochs 1 and 3 (not after the last epoch)
    assert sum(len(t.system_attrs["exploits"]) for t in exploited) == 4
    for t in exploited:
        json.dumps(t.system_attrs)  # JSON only, never pickled
        last = t.system_attrs["exploits"][-1]
        assert t.parent_id == last["from_trial_id"] and by_id[t.parent_id].number == \
            last["from_trial"]
        assert last["epoch"] in (1, 3)
        sched = t.system_attrs["schedule"]
        assert sched[0] == [0, t.params] and [last["epoch"] + 1, last["after"]] in sched
        assert t.system_attrs["params_final"] == sched[-1][1]
        for name, p in study.declared.items():
            p.validate(last["after"][name])
    for t in trials:
        assert sorted(study.reports()[t.id]) == list(range(6))


def test_asha_pauses_and_promotes_members():
    study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=1)
    tune_population(study, n_trials=9, population=9, fixed={**FIXED, "epochs": 9}, threads=1,
                    scheduler=ASHA(eta=3, min_budget=1, max_budget=9, slots=3))
    trials = study.trials
    epochs = sorted(t.user_attrs["epochs_trained"] for t in trials)
    assert epochs[-1] == 9 and epochs.count(1) >= 5  # most stop at rung 0, one goes all the way
    top = max(trials, key=lambda t: t.user_attrs["epochs_trained"])
    assert top.state == "complete"
    actions = [a for _, a, _ in top.system_attrs["rungs"]]
    assert actions[0] == "start" and "promote" in actions
    curves = study.reports()[top.id]
    assert sorted(curves) == list(range(9))  # its own epochs, across pauses
    waiting = [t for t in trials if t.state == "pruned"]
    assert waiting and all("asha" in t.system_attrs["pruned_because"] for t in waiting)


def test_halving_stops_the_bottom():
    study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=2)
    tune_population(study, n_trials=9, population=9, fixed={**FIXED, "epochs": 9}, threads=1,
                    scheduler=Halving(eta=3, min_budget=1, max_budget=9))
    epochs = sorted(t.user_attrs["epochs_trained"] for t in study.trials)
    assert epochs == [1] * 6 + [3] * 2 + [9]


@pytest.mark.parametrize(("space", "fixed", "scheduler", "needle"), [
    ({"hidden": caviar.Int(8, 32), **PBT_SPACE}, FIXED, PBT(), "params ['hidden'] shape"),
    (PBT_SPACE, FIXED, ASHA(max_budget=20), "max_budget=20 must equal the members' epochs=6"),
    (PBT_SPACE, {**FIXED, "lr_decay": "step"}, ASHA(max_budget=6), "lr_decay='none'"),
    (PBT_SPACE, FIXED, "pbt", "scheduler: must be caviar.schedulers.PBT"),
])
def test_bad_scheduler_input_starts_no_trial(space, fixed, scheduler, needle):
    study = caviar.create_study(direction="maximize", space=space, seed=0)
    with pytest.raises(UsageError) as e:
        tune_population(study, n_trials=4, population=4, fixed=fixed, scheduler=scheduler)
    assert needle in str(e.value)
    assert study.trials == []
