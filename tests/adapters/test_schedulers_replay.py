"""Replaying a PBT member alone reproduces it: float64 exactly (the same final accuracy, the
curve to rounding), through a chain of ancestors; the lineage text names every exploit."""

from __future__ import annotations

import pytest

import caviar
from caviar.adapters import tune_population
from caviar.adapters.population import PBT_SPACE
from caviar.adapters.schedule_lineage import chain, lineage_text
from caviar.adapters.schedule_replay import replay_schedule
from caviar.errors import UsageError
from caviar.schedulers import PBT

torch = pytest.importorskip("torch")

FIXED = {"epochs": 6, "hidden": 16, "depth": 1, "batch_size": 128}


@pytest.fixture(scope="module")
def pbt_study():
    study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=4)
    tune_population(study, n_trials=8, population=8, fixed=FIXED, threads=1,
                    dtype=torch.float64, scheduler=PBT(interval=1, quantile=0.25, seed=4))
    return study


def test_float64_replay_reproduces_every_exploited_member(pbt_study):
    trials = pbt_study.trials
    exploited = [t for t in trials if t.system_attrs.get("exploits")]
    assert len(exploited) >= 4
    deep = [t for t in exploited if len(chain(trials, t.number)) >= 3]
    assert deep, "want a member whose lineage spans two exploits or more"
    for t in [*deep[:1], *exploited[:2]]:
        r = replay_schedule(pbt_study, t.number, threads=1)
        assert r.val_accuracy == t.value  # exactly: the same predictions on every example
        # every segment of the replay is that ancestor's own curve over those epochs
        for seg in r.segments:
            src = next(x for x in trials if x.number == seg.number)
            own = pbt_study.reports([src.id])[src.id]
            assert r.curve[seg.start:seg.stop] == pytest.approx(
                [own[e] for e in range(seg.start, seg.stop)], abs=1e-12)


def test_a_replay_without_the_chain_would_differ(pbt_study):
    """The oracle is sensitive: training the member's own schedule from its own init (no
    ancestors' weights) does not give its curve."""
    t = next(t for t in pbt_study.trials if t.system_attrs.get("exploits"))
    from caviar import nn

    data = nn.load_dataset("digits", seed=0)
    own = nn.train_population([{**FIXED, **t.params, "seed": t.number}], data,
                              dtype=torch.float64, threads=1)
    stored = pbt_study.reports([t.id])[t.id]
    assert [h.val_accuracy for h in own.members[0].history] != \
        pytest.approx([stored[e] for e in sorted(stored)], abs=1e-12)


def test_float32_replay_within_noise():
    study = caviar.create_study(direction="maximize", space=PBT_SPACE, seed=5)
    tune_population(study, n_trials=6, population=6, fixed=FIXED, threads=1,
                    scheduler=PBT(interval=2, quantile=0.25, seed=5))
    t = next(t for t in study.trials if t.system_attrs.get("exploits"))
    r = replay_schedule(study, t.number, threads=1)
    assert abs(r.val_accuracy - t.value) <= 0.03


def test_lineage_text_and_errors(pbt_study):
    text = lineage_text(pbt_study.trials)
    for t in pbt_study.trials:
        assert f"#{t.number} " in text
        for e in t.system_attrs.get("exploits") or []:
            assert f"<- #{e['from_trial']}" in text
    with pytest.raises(UsageError, match="trial 99: is not in the study"):
        chain(pbt_study.trials, 99)
    with pytest.raises(UsageError, match="did not run under a population scheduler"):
        replay_schedule(pbt_study, 12345)
