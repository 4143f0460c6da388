"""NSGA-II (Deb et al., 2002): an elitist genetic algorithm over the unit cube.

Generations come from trial numbers: trial ``k`` belongs to generation ``k // population_size``.
Generation 0 is random search. The parents of generation ``g`` are the best
``population_size`` of the parents of generation ``g - 1`` and the complete trials of
generation ``g - 1`` together (NSGA-II's elitist step: parents and children compete), best by
non-dominated rank, then by crowding distance (``caviar.samplers._selection``; with
constraints, Deb's constraint domination: feasible first, infeasible by total violation).
Trials still running when a generation's parents are chosen join the next choice once
complete.

A child: two parents picked by binary tournaments (the better of two random parents, by rank
then crowding), then, param by param, in the unit cube (so log and reverse-log params cross
and mutate on their own scales, ints on their cells):

* numbers (Float, Int): with probability ``crossover_prob`` the child is a cross, and then
  each param with probability ``swap_prob`` takes simulated binary crossover (SBX, bounded to
  [0, 1], distribution index ``eta_crossover``) of the two parents' unit values, else the first
  parent's; then polynomial mutation (bounded, index ``eta_mutation``) with probability
  ``mutation_prob`` (None: 1 / number of params);
* choices: the second parent's choice with probability ``swap_prob`` in a cross, else the
  first's; mutation draws a random choice;
* a param only one parent holds comes from it; one neither holds is drawn at random.

Every draw comes from the trial's own stream, keyed by (seed, trial number), and the parents
are read from the history, so any worker proposes the same child for the same history. The
parents of each generation are computed once per worker and kept (a derived cache, not state:
any process rebuilds the chain from the stored trials). Each trial
records ``generation`` and ``parents`` (the parents' trial numbers) in its system attrs.

With one direction NSGA-II is an elitist genetic algorithm ranked by value; it is allowed.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.pareto import to_minimize
from caviar.samplers._history import directions_of, is_choice, unit_of
from caviar.samplers._selection import rank_and_crowding, violation
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Param, Space
from caviar.trial_record import COMPLETE, RUNNING, FrozenTrial

_WHO = "NSGA2Sampler"


@dataclass
class _Parents:
    """The parent population of one generation: trials best first, with rank and crowding."""

    trials: list[FrozenTrial]
    keys: list[tuple[int, float]]  # (rank, -crowding) of each: smaller is better
    running: list[int]             # trials below the generation still running when chosen


@dataclass
class _Plan:
    """One child's parents and whether it is a cross."""

    a: FrozenTrial | None
    b: FrozenTrial | None
    cross: bool
    generation: int


def _number(t: FrozenTrial) -> int:
    return t.number


class NSGA2Sampler(Sampler):
    name = "nsga2"

    def __init__(self, *, seed: int | None = None, population_size: int = 50,
                 crossover_prob: float = 0.9, swap_prob: float = 0.5,
                 mutation_prob: float | None = None, eta_crossover: float = 15.0,
                 eta_mutation: float = 20.0) -> None:
        super().__init__(seed=seed)
        if isinstance(population_size, bool) or not isinstance(population_size, int) \
                or population_size < 2:
            raise UsageError(f"{_WHO}: population_size must be an int >= 2 (crossover needs "
                             f"two parents), got population_size={population_size!r}; "
                             "e.g. population_size=50")
        for name, v in (("crossover_prob", crossover_prob), ("swap_prob", swap_prob),
                        ("mutation_prob", mutation_prob)):
            if v is None and name == "mutation_prob":
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
                raise UsageError(f"{_WHO}: {name} must be a probability in [0, 1], got "
                                 f"{name}={v!r}" + ("; or None for 1 / number of params"
                                                    if name == "mutation_prob" else ""))
        for name, v in (("eta_crossover", eta_crossover), ("eta_mutation", eta_mutation)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not (
                    math.isfinite(v) and v >= 0):
                raise UsageError(f"{_WHO}: {name} must be a finite number >= 0 (larger keeps "
                                 f"children nearer their parents), got {name}={v!r}; "
                                 "e.g. 15 for crossover, 20 for mutation")
        self.population_size = population_size
        self.crossover_prob = float(crossover_prob)
        self.swap_prob = float(swap_prob)
        self.mutation_prob = None if mutation_prob is None else float(mutation_prob)
        self.eta_crossover = float(eta_crossover)
        self.eta_mutation = float(eta_mutation)
        self._owner: History | None = None
        self._parents: dict[int, _Parents] = {}
        self._plans: dict[int, _Plan] = {}
        self._units: dict[tuple[int, str], float] = {}
        self._pm = 1.0 if mutation_prob is None else float(mutation_prob)  # in use

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "population_size": self.population_size,
                "crossover_prob": self.crossover_prob, "swap_prob": self.swap_prob,
                "mutation_prob": self.mutation_prob, "eta_crossover": self.eta_crossover,
                "eta_mutation": self.eta_mutation}

    # ------------------------------------------------------------------ the seam
    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        if self._owner is not history:
            self._owner, self._parents, self._plans, self._units = history, {}, {}, {}
        study_space = getattr(getattr(history, "study", None), "space", None)
        n_params = max(1, len(study_space) if study_space is not None else len(space))
        self._pm = self.mutation_prob if self.mutation_prob is not None else 1.0 / n_params
        past = history.trials()
        out: list[dict[str, Any]] = []
        attrs: list[dict[str, Any]] = []
        for rng in rngs:
            plan = self._plan(history, past, rng)
            out.append({name: self._gene(p, rng, plan) for name, p in space.items()})
            info: dict[str, Any] = {"generation": plan.generation}
            if plan.a is not None and plan.b is not None:
                info["parents"] = [plan.a.number, plan.b.number]
            attrs.append(info)
        return Proposal(out, attrs)

    def sample_param(self, param: Param, rng: Stream) -> Any:
        plan = self._plans.get(rng.number)
        if plan is None:
            if self._owner is None:  # used without a study: random search
                return param.value(rng.random())
            plan = self._plan(self._owner, self._owner.trials(), rng)
        return self._gene(param, rng, plan)

    # ------------------------------------------------------------------ parents
    def parents(self, history: History, past: Sequence[FrozenTrial],
                generation: int) -> _Parents:
        """The parent population of ``generation`` (empty while fewer than 2 complete trials
        of earlier generations are known): the best ``population_size`` of the parents of
        the generation before, that generation's complete trials, and trials of earlier
        generations that were still running when those parents were chosen and are complete
        now (stragglers join the next generation chosen). Each generation's parents are
        chosen once per worker, from the generations before, so the same history gives the
        same parents in every process."""
        hit = self._parents.get(generation)
        if hit is not None:
            return hit
        dirs = directions_of(history)
        k = max((h for h in self._parents if h < generation), default=0)
        prev = self._parents.get(k) if k else None
        for h in range(k + 1, generation + 1):
            prev = self._parents[h] = self._choose(past, dirs, h, prev)
        assert prev is not None
        return prev

    def _choose(self, past: Sequence[FrozenTrial], dirs: tuple[str, ...], h: int,
                prev: _Parents | None) -> _Parents:
        size = self.population_size
        lo, hi = (h - 1) * size, h * size
        fresh = list(past[bisect.bisect_left(past, lo, key=_number):
                          bisect.bisect_left(past, hi, key=_number)])
        running: list[int] = []
        pool: list[FrozenTrial] = list(prev.trials) if prev is not None else []
        if prev is not None:
            for number in prev.running:
                i = bisect.bisect_left(past, number, key=_number)
                if i < len(past) and past[i].number == number:
                    fresh.append(past[i])
        for t in fresh:
            if t.state == RUNNING:
                running.append(t.number)
            elif t.state == COMPLETE and t.values is not None and len(t.values) == len(dirs):
                pool.append(t)
        pool.sort(key=_number)  # ties go to the earlier trial, whatever the pool's order
        if len(pool) < 2:
            return _Parents(pool, [(0, 0.0)] * len(pool), running)
        points = to_minimize([t.values or () for t in pool], dirs)
        viol = np.array([violation(t) for t in pool])
        ranks, crowd = rank_and_crowding(points, viol if viol.any() else None)
        order = np.lexsort((np.arange(len(pool)), -crowd, ranks))[:size]
        keys = [(int(ranks[i]), -float(crowd[i])) for i in order]
        return _Parents([pool[i] for i in order], keys, running)

    def _plan(self, history: History, past: Sequence[FrozenTrial], rng: Stream) -> _Plan:
        g = rng.number // self.population_size
        par = self.parents(history, past, g) if g > 0 else None
        if par is None or len(par.trials) < 2:
            plan = _Plan(None, None, False, g)
        else:
            i = self._tournament(par, rng)
            j = self._tournament(par, rng)
            if j == i:  # two different parents
                j = self._tournament(par, rng, besides=i)
            plan = _Plan(par.trials[i], par.trials[j], rng.random() < self.crossover_prob, g)
        if len(self._plans) > 4096:
            self._plans.clear()
        self._plans[rng.number] = plan
        return plan

    def _tournament(self, par: _Parents, rng: Stream, besides: int = -1) -> int:
        """The better of two parents drawn at random (by rank, then crowding); ``besides``:
        a parent's index left out of the draw."""
        m = len(par.trials) - (besides >= 0)
        i, j = int(rng.random() * m), int(rng.random() * m)
        if besides >= 0:
            i, j = i + (i >= besides), j + (j >= besides)
        return j if par.keys[j] < par.keys[i] else i

    # ------------------------------------------------------------------ variation
    def _gene(self, p: Param, rng: Stream, plan: _Plan) -> Any:
        # one draw decides a swap, and, given a swap, is uniform again on [0, 1) (s / swap_prob):
        # its first half-bit picks the child, the rest spreads SBX; likewise for mutation
        name = p.name
        a, b = plan.a, plan.b
        if a is None or name not in a.params:
            a, b = b, None
            if a is None or name not in a.params:
                return p.value(rng.random())
        elif b is not None and name not in b.params:
            b = None
        s = rng.random() if plan.cross and b is not None else 1.0
        swap = s < self.swap_prob
        r = rng.random()
        pm = self._pm
        if is_choice(p):
            v = (b if swap and b is not None else a).params[name]
            return p.value(r / pm) if r < pm else v
        u = self._unit(p, a)
        if swap and b is not None:
            t = 2.0 * s / self.swap_prob
            c1, c2 = sbx(u, self._unit(p, b), self.eta_crossover, t % 1.0)
            u = c1 if t < 1.0 else c2
        if r < pm:
            u = polynomial_mutation(u, self.eta_mutation, r / pm)
        return p.value(u)

    def _unit(self, p: Param, t: FrozenTrial) -> float:
        """A parent's value of ``p`` on the unit interval (kept: parents are asked often)."""
        key = (t.number, p.name)
        u = self._units.get(key)
        if u is None:
            if len(self._units) > 65536:
                self._units.clear()
            u = self._units[key] = unit_of(p, t.params[p.name], t.number)
        return u


def sbx(x1: float, x2: float, eta: float, q: float) -> tuple[float, float]:
    """Simulated binary crossover of two values in [0, 1], bounded to [0, 1] (Deb and Agrawal,
    1995; the bounded spread of Deb's NSGA-II code): two children, symmetric about the parents'
    mean, spread by one uniform draw ``q``; larger ``eta`` keeps them nearer the parents."""
    lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d = hi - lo
    if d < 1e-14:
        return x1, x2
    e1 = 1.0 / (eta + 1.0)

    def spread(beta: float) -> float:
        alpha = 2.0 - beta ** -(eta + 1.0)
        if q <= 1.0 / alpha:
            return float((q * alpha) ** e1)
        return float((1.0 / (2.0 - q * alpha)) ** e1)

    c1 = 0.5 * (lo + hi - spread(1.0 + 2.0 * lo / d) * d)
    c2 = 0.5 * (lo + hi + spread(1.0 + 2.0 * (1.0 - hi) / d) * d)
    return min(max(c1, 0.0), 1.0), min(max(c2, 0.0), 1.0)


def polynomial_mutation(x: float, eta: float, q: float) -> float:
    """Bounded polynomial mutation of ``x`` in [0, 1] (Deb and Goyal, 1996) by one uniform
    draw ``q``: the perturbation's density falls off as a power ``eta`` of its size and never
    leaves [0, 1]."""
    e = 1.0 / (eta + 1.0)
    if q < 0.5:
        val = 2.0 * q + (1.0 - 2.0 * q) * (1.0 - x) ** (eta + 1.0)
        dq = val ** e - 1.0
    else:
        val = 2.0 * (1.0 - q) + 2.0 * (q - 0.5) * x ** (eta + 1.0)
        dq = 1.0 - val ** e
    return min(max(x + float(dq), 0.0), 1.0)
