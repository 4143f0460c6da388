"""PBT: truncation selection, explore on each param's own scale and inside its bounds, and
bad input refused with the thing, the rule, the value and the fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caviar.errors import UsageError
from caviar.schedulers import PBT, Exploit, Explore, Report, make_scheduler
from caviar.schedulers.explore import explore, perturb_value
from caviar.space import Choice, Float, Int, Space

SPACE = Space({
    "lr": Float(1e-4, 1e-1, scale="log"),
    "beta1": Float(0.8, 0.999, scale="reverse_log"),
    "wd": Float(0.0, 0.1),
    "drop": Float(0.1, 0.5),
    "hidden": Int(16, 256, scale="log"),
    "act": Choice(["relu", "tanh"]),
})


def params_strategy():
    return st.fixed_dictionaries({
        "lr": st.floats(1e-4, 1e-1), "beta1": st.floats(0.8, 0.999), "wd": st.floats(0, 0.1),
        "drop": st.floats(0.1, 0.5), "hidden": st.integers(16, 256),
        "act": st.sampled_from(["relu", "tanh"]),
    })


def test_each_scale_moves_as_documented() -> None:
    assert perturb_value(SPACE["lr"], 1e-3, 1.2) == pytest.approx(1.2e-3)  # log: multiply
    assert perturb_value(SPACE["beta1"], 0.99, 1.2) == pytest.approx(0.988)  # 1 - beta times 1.2
    assert perturb_value(SPACE["beta1"], 0.99, 0.8) == pytest.approx(0.992)
    assert perturb_value(SPACE["drop"], 0.3, 0.8) == pytest.approx(0.24)  # positive linear
    assert perturb_value(SPACE["wd"], 0.05, 1.2) == pytest.approx(0.07)  # low=0: shift by 0.2*w
    assert perturb_value(SPACE["hidden"], 100, 1.2) == 120  # ints rounded
    assert perturb_value(SPACE["hidden"], 16, 1.01) == 17  # and moved by a step at least
    assert perturb_value(SPACE["lr"], 0.09, 1.2) == 0.1  # clipped at high
    assert perturb_value(SPACE["beta1"], 0.81, 1.2) == 0.8  # clipped at low


@settings(max_examples=200, deadline=None)
@given(params_strategy(), st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_explore_stays_inside_bounds(params, seed, resample) -> None:
    out = explore(SPACE, params, np.random.default_rng(seed), perturb=(0.5, 2.0),
                  resample=resample)
    assert set(out) == set(params)
    for name, p in SPACE.items():
        p.validate(out[name])  # raises outside the bounds or of the wrong type
    assert isinstance(out["hidden"], int) and isinstance(out["lr"], float)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 40), st.integers(0, 1000), st.sampled_from([0.1, 0.25, 0.5]))
def test_truncation_bottom_copies_top(n, seed, q) -> None:
    rng = np.random.default_rng(seed)
    values = rng.permutation(n).astype(float)  # distinct values
    pbt = PBT(interval=1, quantile=q, resample=0.0, seed=seed)
    pbt.start(SPACE, {m: {"lr": 1e-3, "act": "relu"} for m in range(n)})
    acts = pbt.decide(0, [Report(m, 0, values[m]) for m in range(n)])
    k = max(1, math.floor(q * n))
    order = sorted(range(n), key=lambda m: -values[m])
    exploits = [a for a in acts if isinstance(a, Exploit)]
    assert sorted(a.dst for a in exploits) == sorted(order[n - k:])
    assert all(a.src in order[:k] for a in exploits)
    explores = {a.member: a.params for a in acts if isinstance(a, Explore)}
    assert set(explores) == {a.dst for a in exploits}
    for a in exploits:  # the copy's params are the source's, moved by one factor of 0.8 / 1.2
        lr = explores[a.dst]["lr"]
        assert lr == pytest.approx(0.8e-3) or lr == pytest.approx(1.2e-3)


def test_interval_and_classes() -> None:
    pbt = PBT(interval=3, quantile=0.5, resample=0.0, seed=1)
    pbt.start(SPACE, {m: {"lr": 1e-3} for m in range(4)}, classes=[[0, 1], [2, 3]])
    reports = [Report(m, 0, float(m)) for m in range(4)]
    assert pbt.decide(0, reports) == [] and pbt.decide(1, reports) == []
    acts = pbt.decide(2, reports)
    assert [a for a in acts if isinstance(a, Exploit)] == [Exploit(0, 1), Exploit(2, 3)]
    lrs = [a.params["lr"] for a in acts if isinstance(a, Explore)]
    assert all(v == pytest.approx(0.8e-3) or v == pytest.approx(1.2e-3) for v in lrs)


def test_dead_members_neither_copy_nor_are_copied() -> None:
    pbt = PBT(interval=1, quantile=0.5, seed=0)
    pbt.start(SPACE, {m: {"lr": 1e-3} for m in range(4)})
    acts = pbt.decide(0, [Report(0, 0, 0.9, alive=False), Report(1, 0, 0.1),
                          Report(2, 0, float("nan")), Report(3, 0, 0.5)])
    assert [a for a in acts if isinstance(a, Exploit)] == [Exploit(1, 3)]


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"quantile": 0.0}, "quantile must lie in (0, 0.5]"),
    ({"quantile": 0.6}, "got quantile=0.6"),
    ({"interval": 0}, "interval must be an integer >= 1"),
    ({"perturb": (1.1, 1.2)}, "bracket 1"),
    ({"perturb": (0.8,)}, "bracket 1"),
    ({"perturb": (-1.0, 1.2)}, "positive factors"),
    ({"resample": 1.5}, "resample must be a probability"),
])
def test_bad_options_are_refused(kwargs, needle) -> None:
    with pytest.raises(UsageError, match="PBT: ") as e:
        PBT(**kwargs)
    assert needle in str(e.value) and "use" in str(e.value)


def test_a_space_of_choices_only_must_resample() -> None:
    space = Space({"act": Choice(["relu", "tanh"])})
    with pytest.raises(UsageError, match=r"all choices.*resample=1\.0"):
        PBT().start(space, {0: {"act": "relu"}})
    pbt = PBT(resample=1.0, interval=1, quantile=0.5, seed=0)
    pbt.start(space, {0: {"act": "relu"}, 1: {"act": "tanh"}})
    acts = pbt.decide(0, [Report(0, 0, 0.1), Report(1, 0, 0.9)])
    assert Exploit(0, 1) in acts
    assert next(a for a in acts if isinstance(a, Explore)).params["act"] in ("relu", "tanh")


def test_unknown_scheduler_name() -> None:
    with pytest.raises(UsageError, match="scheduler must be one of"):
        make_scheduler("bohb")
    with pytest.raises(UsageError, match="ASHA: eta must be an integer >= 2"):
        make_scheduler("asha", eta=1)
    with pytest.raises(UsageError, match="max_budget must be an integer >= min_budget"):
        make_scheduler("halving", min_budget=4, max_budget=2)
