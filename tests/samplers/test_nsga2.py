"""NSGA-II: its operators, its elitist selection against a brute-force oracle, mixed spaces on
their own scales, reproducibility from (seed, trial number), search quality, bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import caviar
from caviar import Choice, Float, Int
from caviar.errors import UsageError
from caviar.hypervolume import hypervolume
from caviar.samplers import NSGA2Sampler, make_sampler
from caviar.samplers.nsga2 import _Plan, polynomial_mutation, sbx
from caviar.samplers.stream import Stream


def zdt1(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    g = 1 + 9 * sum(x[1:]) / 5
    return x[0], g * (1 - math.sqrt(x[0] / g))


# --------------------------------------------------------------------------- operators
def test_sbx_children_stay_in_bounds_match_the_unbounded_form_far_from_bounds():
    rng = np.random.default_rng(0)
    for _ in range(500):
        x1, x2, q = rng.random(3)
        c1, c2 = sbx(x1, x2, 15.0, q)
        assert 0 <= c1 <= 1 and 0 <= c2 <= 1 and c1 <= c2
        a = min(x1, 1 - x1)
        d1, d2 = sbx(a, 1 - a, 15.0, q)  # parents symmetric about 0.5: children too
        assert d1 + d2 == pytest.approx(1.0)
    # far from the bounds the spread factor is Deb's unbounded one: (2q)^(1/(eta+1)) for
    # q <= 1/2, (1 / (2 (1 - q)))^(1/(eta+1)) above
    for q in (0.05, 0.3, 0.5, 0.7, 0.95):
        beta = (2 * q) ** (1 / 16) if q <= 0.5 else (1 / (2 * (1 - q))) ** (1 / 16)
        c1, c2 = sbx(0.499, 0.501, 15.0, q)
        assert c1 == pytest.approx(0.5 - 0.001 * beta, abs=1e-12)
        assert c2 == pytest.approx(0.5 + 0.001 * beta, abs=1e-12)
    qs = np.random.default_rng(1).random(2000)
    spread = {eta: np.mean([abs(sbx(0.4, 0.6, eta, q)[0] - 0.4) for q in qs])
              for eta in (1.0, 30.0)}
    assert spread[30.0] < spread[1.0] / 3
    assert sbx(0.3, 0.3, 15.0, 0.9) == (0.3, 0.3)  # equal parents: no spread


def test_polynomial_mutation_stays_in_bounds_and_is_centred_on_its_input():
    for x in (0.0, 0.01, 0.5, 0.99, 1.0):
        for q in np.linspace(0, 0.999, 101):
            assert 0.0 <= polynomial_mutation(x, 20.0, q) <= 1.0
        assert polynomial_mutation(x, 20.0, 0.5) == pytest.approx(x)
    qs = np.random.default_rng(2).random(4000)
    moves = np.array([polynomial_mutation(0.5, 20.0, q) - 0.5 for q in qs])
    assert abs(moves.mean()) < 3 * moves.std() / math.sqrt(qs.size)   # unbiased at the centre
    assert np.all(moves[qs < 0.5] <= 0) and np.all(moves[qs > 0.5] >= 0)


# --------------------------------------------------------------------------- selection oracle
def _dominates(a, b):
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True))


def _brute_best(pool, k, signs):
    """The best k of pool: fronts peeled by pairwise dominance, crowding recomputed by hand
    within each front, ties to the earlier trial."""
    pts = {t.number: tuple(s * v for s, v in zip(signs, t.values, strict=True)) for t in pool}
    left = [t.number for t in pool]
    keyed = []
    rank = 0
    while left:
        front = [i for i in left if not any(_dominates(pts[j], pts[i]) for j in left if j != i)]
        crowd = dict.fromkeys(front, 0.0)
        if len(front) <= 2:
            crowd = dict.fromkeys(front, math.inf)
        else:
            for m in range(len(signs)):
                srt = sorted(front, key=lambda i: pts[i][m])
                span = pts[srt[-1]][m] - pts[srt[0]][m]
                crowd[srt[0]] = crowd[srt[-1]] = math.inf
                for a, i, b in zip(srt, srt[1:], srt[2:], strict=False):
                    if span > 0 and crowd[i] != math.inf:
                        crowd[i] += (pts[b][m] - pts[a][m]) / span
        keyed += [(rank, -crowd[i], i) for i in front]
        left = [i for i in left if i not in front]
        rank += 1
    return [i for _, _, i in sorted(keyed)[:k]]


def test_parents_are_the_elitist_choice_of_a_brute_force_oracle():
    size = 8
    smp = NSGA2Sampler(population_size=size)
    study = caviar.create_study(directions=["minimize", "maximize"], sampler=smp, seed=4)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2,
                              -((t.suggest_float("x", 0, 1) - 1) ** 2)
                              + t.suggest_float("y", 0, 1) * 0.3), n_trials=6 * size)
    past = study.trials
    by_gen: dict[int, list[int]] = {}
    expect: list[int] = []
    for g in range(1, 6):
        pool = [t for t in past if t.number in expect or (g - 1) * size <= t.number < g * size]
        expect = _brute_best(pool, size, (1.0, -1.0))
        by_gen[g] = expect
        fresh = NSGA2Sampler(population_size=size)   # another worker, same history
        got = [t.number for t in fresh.parents(study._history, past, g).trials]
        assert got == expect, g
    for t in past:
        g = t.number // size
        assert t.system_attrs["generation"] == g
        if g:
            assert set(t.system_attrs["parents"]) <= set(by_gen[g])
            assert len(set(t.system_attrs["parents"])) == 2


def test_constraint_domination_puts_feasible_first_and_infeasible_by_violation():
    from caviar.samplers._selection import best_first, rank_and_crowding

    pts = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [2.0, 2.0], [3.0, 3.0]])
    viol = np.array([2.0, 0.0, 0.5, 0.0, 0.5])
    ranks, _ = rank_and_crowding(pts, viol)
    assert ranks.tolist() == [3, 0, 2, 1, 2]
    assert best_first(pts, viol).tolist() == [1, 3, 2, 4, 0]


# --------------------------------------------------------------------------- behaviour
def test_crossover_and_mutation_work_in_the_unit_cube_of_each_scale():
    smp = NSGA2Sampler(swap_prob=1.0, mutation_prob=0.0)
    lr = Float(1e-6, 1e-1, scale="log", name="lr")
    beta = Float(0.9, 0.9999, scale="reverse_log", name="beta")
    a = caviar.create_study(seed=1).ask()
    rec_a = dataclasses.replace(a.record, params={"lr": 1e-5, "beta": 0.99})
    rec_b = dataclasses.replace(a.record, number=1, params={"lr": 1e-2, "beta": 0.9})
    plan = _Plan(rec_a, rec_b, True, 1)
    for k in range(50):
        for p, va, vb in ((lr, 1e-5, 1e-2), (beta, 0.99, 0.9)):
            mirror = Stream(7, k)
            s = mirror.random()
            mirror.random()  # the mutation draw (mutation_prob=0: no mutation)
            t = 2 * s
            c1, c2 = sbx(float(p.to_unit(va)), float(p.to_unit(vb)), smp.eta_crossover, t % 1)
            expect = p.value(c1 if t < 1 else c2)
            assert smp._gene(p, Stream(7, k), plan) == pytest.approx(expect, rel=1e-12)


def test_mixed_spaces_give_valid_params_and_ints_and_choices_are_inherited():
    space = {"lr": Float(1e-5, 1, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log"),
             "units": Int(4, 512, scale="log"), "act": Choice(["relu", "tanh", "gelu"]),
             "layers": Int(1, 4)}

    def f(t):
        p = t.params
        return (math.log10(p["lr"]) + 2) ** 2 + (p["act"] != "tanh"), p["units"] * p["layers"]

    study = caviar.create_study(directions=["minimize", "minimize"], space=space,
                                sampler=NSGA2Sampler(population_size=10), seed=2)
    study.optimize(f, n_trials=80)
    for t in study.trials:
        p = t.params
        assert 1e-5 <= p["lr"] <= 1 and 0.9 <= p["beta"] <= 0.999
        assert isinstance(p["units"], int) and 4 <= p["units"] <= 512
        assert p["layers"] in (1, 2, 3, 4) and p["act"] in ("relu", "tanh", "gelu")
    late = [t.params["act"] for t in study.trials[40:]]
    assert late.count("tanh") > len(late) / 2   # the better choice spreads


def test_same_seed_same_children_and_any_worker_agrees():
    def run():
        s = caviar.create_study(directions=["minimize", "minimize"],
                                sampler=NSGA2Sampler(population_size=10), seed=11)
        s.optimize(zdt1, n_trials=60)
        return s
    a, b = run(), run()
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    # a fresh sampler (another process) proposes trial 60 exactly as the first would
    s1, s2 = NSGA2Sampler(population_size=10, seed=a.seed), NSGA2Sampler(population_size=10,
                                                                         seed=a.seed)
    for smp in (s1, s2):
        rec = dataclasses.replace(a.trials[-1], number=60)
        smp.propose(a.declared, a._history, [rec], [Stream(a.seed, 60)], lambda c, k: 0)
    p1 = {f"x{i}": s1.sample_param(a.space[f"x{i}"], Stream(a.seed, 60)) for i in range(6)}
    p2 = {f"x{i}": s2.sample_param(a.space[f"x{i}"], Stream(a.seed, 60)) for i in range(6)}
    assert p1 == p2


def test_nsga2_beats_random_search_on_zdt1():
    def hv(sampler, seed):
        s = caviar.create_study(directions=["minimize", "minimize"], sampler=sampler,
                                seed=seed)
        s.optimize(zdt1, n_trials=250)
        return hypervolume([t.values for t in s.trials if t.values], [11.0, 11.0])
    ours = [hv(NSGA2Sampler(population_size=25), k) for k in range(4)]
    rand = [hv("random", k) for k in range(4)]
    assert np.median(ours) > np.median(rand) + 2  # medians 113.3 vs 108.9 at these seeds


def test_one_direction_is_an_elitist_genetic_algorithm():
    def sphere(t):
        return sum((t.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(3))
    s = caviar.create_study(sampler=NSGA2Sampler(population_size=10), seed=3)
    s.optimize(sphere, n_trials=150)
    r = caviar.create_study(sampler="random", seed=3)
    r.optimize(sphere, n_trials=150)
    assert s.best_value < r.best_value
    assert s.best_value < 0.5


def test_registered_under_its_name_and_round_trips_through_json():
    smp = make_sampler("nsga2", seed=5)
    assert isinstance(smp, NSGA2Sampler) and smp.seed == 5
    back = make_sampler(NSGA2Sampler(population_size=12, mutation_prob=0.2).to_json())
    assert isinstance(back, NSGA2Sampler)
    assert back.population_size == 12 and back.mutation_prob == 0.2


@pytest.mark.parametrize(("kw", "needle"), [
    ({"population_size": 1}, "population_size must be an int >= 2"),
    ({"population_size": True}, "population_size must be an int >= 2"),
    ({"population_size": 10.0}, "population_size must be an int >= 2"),
    ({"mutation_prob": 1.5}, r"mutation_prob must be a probability in \[0, 1\], got "
                             r"mutation_prob=1.5; or None"),
    ({"mutation_prob": -0.1}, "mutation_prob must be a probability"),
    ({"crossover_prob": math.nan}, "crossover_prob must be a probability"),
    ({"swap_prob": 2}, "swap_prob must be a probability"),
    ({"eta_crossover": -1.0}, "eta_crossover must be a finite number >= 0"),
    ({"eta_mutation": math.inf}, "eta_mutation must be a finite number >= 0"),
])
def test_bad_settings_are_refused_with_the_rule(kw, needle):
    with pytest.raises(UsageError, match=needle):
        NSGA2Sampler(**kw)


def test_caviar_tune_takes_sampler_nsga2(tmp_path):
    from click.testing import CliRunner

    from caviar.cli.main import cli

    obj = tmp_path / "obj.py"
    obj.write_text("def f(trial):\n    x = trial.suggest_float('x', 0, 1)\n"
                   "    return x, (1 - x) ** 2 + trial.suggest_float('y', 0, 1)\n")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    r = CliRunner().invoke(cli, ["tune", f"{obj}:f", "--directions", "minimize,minimize",
                                 "--sampler", "nsga2", "-n", "12", "--storage", url,
                                 "--study", "s"])
    assert r.exit_code == 0, r.output
    study = caviar.load_study("s", storage=url)
    assert isinstance(study.sampler, NSGA2Sampler) and len(study.trials) == 12
    assert all(t.system_attrs["generation"] == 0 for t in study.trials)
