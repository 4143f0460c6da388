"""TPE: the tree-structured Parzen estimator, in the unit cube.

The finished (complete or pruned) trials are split into the best ``gamma`` share ("good":
``min(ceil(gamma * n), max_good)``, so ``min(ceil(0.1 n), 25)`` by default) and the rest
("bad"); a Parzen estimator ``l`` is fitted to the good trials and ``g`` to the bad ones,
candidates are drawn from ``l`` and the one with the largest ``l / g`` is taken. With
``multivariate=True`` (what the default, None, means for one direction; with several it means
False) the declared params and the params met define-by-run in the same trials are modelled
jointly (one product kernel per trial; a trial's first define-by-run
``suggest`` makes the joint proposal and the later ones read it); params only some trials hold,
and everything with ``multivariate=False``, are modelled one by one. Everything happens in the
unit cube, so log and reverse-log params are modelled on their own scales for free.

* Kernels (``caviar.samplers._parzen``): Gaussians truncated to [0, 1] (renormalised, sampled
  by inverse CDF, never clipped); each kernel's bandwidth along an axis is the larger gap to
  its neighbouring observations (the outermost use their inner gap; the prior takes no part),
  clipped to ``[1 / min(100, n + 2), 1]`` (the "magic clip") and scaled by ``BANDWIDTH``; a
  prior kernel (centre 0.5, width 1) of weight ``prior_weight`` joins each mixture.
* Weights: the good kernels weigh 1; the bad ones weigh 1 for the newest 25 and ramp down
  linearly for older ones (to ``1/n`` for the oldest), so ``g`` follows the recent search.
* Candidates: ``n_ei_candidates`` (None: as many as keep the work of scoring them about
  ``_CANDIDATE_WORK`` kernel evaluations, between 24 and 128: more candidates while the model is
  small, where they are cheap and sharpen the search; 24 at thousands of trials).

* Conditional params: a param is modelled from the trials that have it; params met
  define-by-run are proposed by ``sample_param`` from the same split.
* Parallel workers (constant liar): running trials whose params are known count as bad, and so
  do the proposals made earlier in the same batch, so workers do not pile onto one point.
* Pruned trials count as finished: toward the ``n_startup_trials`` that end the random
  start-up, and in the split, ranked by (step reached, last reported value): every complete
  trial ranks above every pruned one, and a trial pruned later above one pruned earlier (the
  order Optuna's TPE documents). With a pruner most trials are pruned, so they must count, or
  TPE stays random search. Failed trials are ignored.
* Several directions, or constraints: the split is multi-objective TPE's (non-dominated rank,
  then hypervolume contribution; infeasible trials on the bad side), in
  ``caviar.samplers.tpe_split``; the estimators are the same.
* Speed: finished trials never change, so their unit values are kept in growing arrays, read
  from ``history.trials()`` starting at the oldest unfinished trial; a joint group's values
  live in a table kept sorted along each numeric param across proposals, so ``g``'s
  bandwidths need no sort, and ``g`` is evaluated at every candidate as one matrix product
  (see ``_parzen``; taken in blocks that OpenBLAS keeps on one thread, and followed by a
  log-sum-exp that exponentiates only the terms that can count): no window, so a history
  clustered near the best (what TPE itself makes) costs about the same as a spread one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.errors import UsageError
from caviar.samplers._history import (
    check_definition,
    direction_of,
    directions_of,
    is_choice,
    last_steps,
    unit_of,
)
from caviar.samplers._parzen import F64, Parzen, SortedAxes, ramp_weights
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.samplers.tpe_split import Objectives
from caviar.space import Choice, Param, Space
from caviar.trial_record import COMPLETE, MAXIMIZE, PRUNED, RUNNING, FrozenTrial

#: with ``n_ei_candidates=None``: candidates x kernels of g scored per proposal, and the bounds
_CANDIDATE_WORK = 12_800
_MIN_CANDIDATES, _MAX_CANDIDATES = 24, 128


class _Grow:
    """A NumPy array that grows by appending (amortized doubling)."""

    __slots__ = ("a", "n")

    def __init__(self, dtype: Any = np.float64) -> None:
        self.a: np.ndarray[Any, Any] = np.empty(64, dtype=dtype)
        self.n = 0

    def append(self, x: Any) -> None:
        if self.n == self.a.shape[0]:
            self.a = np.concatenate([self.a, np.empty_like(self.a)])
        self.a[self.n] = x
        self.n += 1

    def view(self) -> np.ndarray[Any, Any]:
        return self.a[: self.n]


class _Table:
    """The unit values of a jointly modelled group, one row a param, one column a finished
    trial; columns are only ever appended, so they are copied in once, and ``axes`` keeps them
    sorted along each numeric param (g's bandwidths in O(n) per proposal, no sort)."""

    __slots__ = ("a", "axes", "n", "num")

    def __init__(self, ks: list[int]) -> None:
        self.a: F64 = np.empty((len(ks), 64))
        self.n = 0
        self.num = [j for j, k in enumerate(ks) if not k]
        self.axes = SortedAxes()

    def sync(self, cols: list[F64]) -> F64:
        """The table holding ``cols`` (the group's columns, each grown since the last call)."""
        total = cols[0].shape[0]
        if total < self.n:
            self.n = 0
        if total > self.a.shape[1]:
            a = np.empty((self.a.shape[0], max(total, 2 * self.a.shape[1])))
            a[:, : self.n] = self.a[:, : self.n]
            self.a = a
        for j, c in enumerate(cols):
            self.a[j, self.n: total] = c[self.n: total]
        self.n = total
        view = self.a[:, :total]
        if self.num:
            self.axes.update(view if len(self.num) == len(cols) else view[self.num])
        return view


class _Book:
    """Observations of one study: a row per finished (complete or pruned) trial."""

    def __init__(self, owner: History) -> None:
        self.owner = owner
        self.done: set[int] = set()
        self.scores = _Grow()              # lower is better; no value: +inf
        # how far each row got: complete +inf, pruned its last reported step (-1: none), so
        # ranking by (-steps, scores) puts a trial that got further above one pruned earlier
        self.steps = _Grow()
        self.n_complete = 0
        self.n_pruned = 0
        self.low = 0                       # every trial numbered below this is done
        self.cols: dict[str, tuple[_Grow, _Grow]] = {}   # name -> (rows, unit values)
        # values not yet mapped to the unit interval: a param is mapped by the definition the
        # study holds when it is next drawn (another worker may have met it first)
        self.pending: dict[str, list[tuple[int, Any, int]]] = {}
        self.objectives = Objectives(directions_of(owner))  # several directions, constraints
        # per jointly modelled group: its unit values, one row a param (grown, not rebuilt)
        self.tables: dict[tuple[str, ...], _Table] = {}

    def column(self, p: Param) -> tuple[np.ndarray[Any, Any], F64]:
        col = self.cols.get(p.name)
        if col is None:
            col = self.cols[p.name] = (_Grow(np.int64), _Grow())
        todo = self.pending.pop(p.name, None)
        if todo:
            for row, v, number in todo:
                col[0].append(row)
                col[1].append(unit_of(p, v, number))
        return col[0].view(), col[1].view()


def _number(t: FrozenTrial) -> int:
    return t.number


def _best_rows(scores: F64, k: int) -> np.ndarray[Any, Any]:
    """The rows of the ``k`` lowest scores, ties going to the earlier row: a partition finds
    the k-th score, and only the rows at or below it are sorted."""
    if k >= scores.shape[0]:
        return np.argsort(scores, kind="stable")
    kth = np.partition(scores, k - 1)[k - 1]
    rows = np.flatnonzero(scores <= kth)
    return rows[np.argsort(scores[rows], kind="stable")[:k]]


class _Split:
    """The good / bad split a proposal (and the define-by-run draws after it) work from."""

    def __init__(self, book: _Book, good: np.ndarray[Any, Any],
                 liars: list[tuple[int, dict[str, Any]]]) -> None:
        self.book = book
        self.good = good
        self.liars = liars


class TPESampler(Sampler):
    name = "tpe"

    def __init__(self, *, seed: int | None = None, n_startup_trials: int = 10,
                 n_ei_candidates: int | None = None, gamma: float = 0.1, max_good: int = 25,
                 prior_weight: float = 1.0, constant_liar: bool = True,
                 multivariate: bool | None = None) -> None:
        super().__init__(seed=seed)
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) \
                or n_startup_trials < 1:
            raise UsageError(f"TPESampler: n_startup_trials must be an int >= 1, got "
                             f"{n_startup_trials!r}; e.g. n_startup_trials=10")
        if n_ei_candidates is not None and (isinstance(n_ei_candidates, bool) or not isinstance(
                n_ei_candidates, int) or n_ei_candidates < 1):
            raise UsageError(f"TPESampler: n_ei_candidates must be None (adaptive) or an int "
                             f">= 1, got {n_ei_candidates!r}; e.g. 24")
        if not 0 < gamma < 1:
            raise UsageError(f"TPESampler: gamma must be in (0, 1), got gamma={gamma!r}; "
                             "e.g. gamma=0.1 (the best 10% are 'good')")
        if not isinstance(max_good, int) or max_good < 1:
            raise UsageError(f"TPESampler: max_good must be an int >= 1, got {max_good!r}")
        if not prior_weight > 0:
            raise UsageError(f"TPESampler: prior_weight must be > 0, got {prior_weight!r}")
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = float(gamma)
        self.max_good = max_good
        self.prior_weight = float(prior_weight)
        self.constant_liar = bool(constant_liar)
        # None: jointly with one direction, one by one with several (Optuna's defaults too)
        self.multivariate = None if multivariate is None else bool(multivariate)
        self._book: _Book | None = None
        self._split: _Split | None = None
        self._defs: dict[str, dict[str, Any]] = {}
        # joint proposals for params a trial has yet to ask for (define-by-run), by trial number
        self._ahead: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    # ------------------------------------------------------------------ the seam
    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        split = self._update(history)
        self._split = split
        if len(self._ahead) > 1024:
            self._ahead.clear()
        together = self.multivariate if self.multivariate is not None else (
            split is None or not split.book.objectives.multi)
        group = self._group(space, history, split) if together else []
        out: list[dict[str, Any]] = []
        for rng in rngs:
            joint: dict[str, Any] = {}
            if split is not None and len(group) > 1:
                joint = self._joint(group, rng, split)
                self._ahead[rng.number] = (joint, {p.name: p.to_json() for p in group})
            params = {name: joint[name] if name in joint else self._draw(p, rng, split)
                      for name, p in space.items()}
            if self.constant_liar and split is not None and len(rngs) > 1:
                split.liars.append((rng.number, {**joint, **params}))
            out.append(params)
        return Proposal(out, [{} for _ in out])

    def sample_param(self, param: Param, rng: Stream) -> Any:
        ahead = self._ahead.get(rng.number)
        if ahead is not None and param.name in ahead[0]:
            check_definition(self._defs, param)
            if ahead[1][param.name] == param.to_json():
                return ahead[0][param.name]
        return self._draw(param, rng, self._split)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "n_startup_trials": self.n_startup_trials,
                "n_ei_candidates": self.n_ei_candidates, "gamma": self.gamma,
                "max_good": self.max_good, "prior_weight": self.prior_weight,
                "constant_liar": self.constant_liar, "multivariate": self.multivariate}

    # ------------------------------------------------------------------ history
    def _update(self, history: History) -> _Split | None:
        trials = history.trials()
        book = self._book
        if book is None or book.owner is not history:
            book = self._book = _Book(history)
        sign = -1.0 if direction_of(history) == MAXIMIZE else 1.0
        done = book.done
        running: list[FrozenTrial] = []
        pruned: list[tuple[int, FrozenTrial]] = []
        # trials are in number order, and all those below book.low are done: start there
        start = bisect.bisect_left(trials, book.low, key=_number)
        low = None
        for i in range(start, len(trials)):
            t = trials[i]
            if t.number in done:
                continue
            state = t.state
            if state == RUNNING:
                running.append(t)
                if low is None:
                    low = t.number
                continue
            done.add(t.number)
            if state == COMPLETE and (t.value is not None or t.values is not None):
                score = sign * t.value if t.value is not None else 0.0  # else: tpe_split
                step = math.inf
                book.n_complete += 1
            elif state == PRUNED:  # ranked by its last report, below those that got further
                score = math.inf if t.value is None else sign * t.value
                step = -1.0
                pruned.append((book.scores.n, t))
                book.n_pruned += 1
            else:
                continue  # failed: says nothing about the objective
            row = book.scores.n
            book.scores.append(score)
            book.steps.append(step)
            book.objectives.add(row, t)
            pending = book.pending
            for name, v in t.params.items():
                todo = pending.get(name)
                if todo is None:
                    todo = pending[name] = []
                todo.append((row, v, t.number))
        book.low = (trials[-1].number + 1 if trials else 0) if low is None else low
        if pruned:
            reached = last_steps(history, [t for _, t in pruned])
            for row, t in pruned:
                book.steps.a[row] = reached.get(t.id, -1)
        n_finished = book.n_complete + book.n_pruned
        if n_finished < self.n_startup_trials:
            return None
        scores = book.scores.view()
        n_good = self.n_good(n_finished)
        good = np.zeros(scores.shape[0], dtype=bool)
        if book.objectives.active:
            good = book.objectives.good(scores, book.steps.view(), n_good)
        elif book.n_pruned:  # (step reached, value): complete first, then the furthest pruned
            good[np.lexsort((scores, -book.steps.view()))[:n_good]] = True
        else:
            good[_best_rows(scores, n_good)] = True
        liars = [(t.number, t.params) for t in running] if self.constant_liar else []
        return _Split(book, good, liars)

    def n_good(self, n_finished: int) -> int:
        """How many of ``n_finished`` finished (complete or pruned) trials count as good:
        ``min(ceil(gamma n), max_good)``, at least 1 (``min(ceil(0.1 n), 25)`` by default)."""
        return max(1, min(math.ceil(self.gamma * n_finished - 1e-9), self.max_good))

    def _n_candidates(self, n_kernels: int) -> int:
        if self.n_ei_candidates is not None:
            return self.n_ei_candidates
        return min(_MAX_CANDIDATES, max(_MIN_CANDIDATES, _CANDIDATE_WORK // max(n_kernels, 1)))

    # ------------------------------------------------------------------ drawing
    def _draw(self, p: Param, rng: Stream, split: _Split | None) -> Any:
        check_definition(self._defs, p)
        if split is None:
            return p.value(rng.random())  # start-up trials: random search
        rows, u = split.book.column(p)
        g = split.good[rows]
        good_u = u[g]
        bad_u = u[~g]
        lies = [unit_of(p, ps[p.name], k) for k, ps in split.liars if p.name in ps]
        if lies:
            bad_u = np.concatenate([bad_u, lies])
        gen = rng.generator
        if is_choice(p):
            assert isinstance(p, Choice)
            return p.choices[self._categorical(len(p.choices), good_u, bad_u, gen)]
        return p.value(self._numeric(good_u, bad_u, gen))

    def _group(self, space: Space, history: History, split: _Split | None) -> list[Param]:
        """The params modelled jointly: the declared ones and those met define-by-run, of the
        trials that hold the declared ones (or, with none declared, the most params)."""
        study_space = getattr(getattr(history, "study", None), "space", None)
        params = dict(space.items())
        if study_space is not None:
            for name, p in study_space.items():
                params.setdefault(name, p)
        if split is None or len(params) < 2:
            return []
        for p in params.values():
            check_definition(self._defs, p)
        cols = {name: split.book.column(p)[0] for name, p in params.items()}
        n_rows = split.good.shape[0]
        if all(len(r) == n_rows for r in cols.values()):
            return list(params.values())  # every param in every trial
        if space:
            rows = cols[next(iter(space))]
            if any(not np.array_equal(cols[name], rows) for name in space):
                return []  # some trials lack a declared param: model each param alone
        else:
            rows = max(cols.values(), key=len)
        return [p for name, p in params.items()
                if cols[name] is rows or np.array_equal(cols[name], rows)]

    def _joint(self, group: list[Param], rng: Stream, split: _Split) -> dict[str, Any]:
        """Multivariate TPE over ``group``: each kernel is one trial (a product over params),
        so the candidates keep the good trials' combinations (as Optuna's multivariate TPE)."""
        cols = [split.book.column(p) for p in group]
        ks = [len(p.choices) if isinstance(p, Choice) else 0 for p in group]
        key = tuple(p.name for p in group)
        table = split.book.tables.get(key)
        if table is None:
            table = split.book.tables[key] = _Table(ks)
        u = table.sync([c[1] for c in cols])     # one row a param
        rows = cols[0][0]
        g = split.good if rows.shape[0] == split.good.shape[0] else split.good[rows]
        rest = ~g
        # integer takes: a boolean mask on a 2-D array's columns is the slow path
        good, bad = u.take(np.flatnonzero(g), axis=1).T, u.take(np.flatnonzero(rest), axis=1).T
        lies = [[unit_of(p, ps[p.name], k) for p in group] for k, ps in split.liars
                if all(p.name in ps for p in group)]
        if lies:
            bad = np.concatenate([bad, np.asarray(lies)])  # the newest: full weight
        sig = None
        if table.num and bad.shape[0]:
            extra = np.asarray(lies, dtype=np.float64).reshape(-1, len(ks))[:, table.num].T
            sig = table.axes.sigmas(rest, extra)
        gen = rng.generator
        lk = Parzen(good, ks, self.prior_weight)
        gk = Parzen(bad, ks, self.prior_weight, ramp_weights(bad.shape[0]), sig=sig)
        x = lk.sample(gen, self._n_candidates(bad.shape[0] + 1))
        f = lk.features(x)   # the same axes: one feature matrix for both
        score = lk.logpdf(x, f) - gk.logpdf(x, f)
        best = x[int(np.argmax(score))]
        out: dict[str, Any] = {}
        for j, p in enumerate(group):
            if isinstance(p, Choice):
                out[p.name] = p.choices[int(best[j])]
            else:
                out[p.name] = p.value(float(best[j]))
        return out

    def _categorical(self, k: int, good_u: F64, bad_u: F64, gen: np.random.Generator) -> int:
        def probs(u: F64) -> F64:
            idx = np.minimum((u * k).astype(np.int64), k - 1)
            c = np.bincount(idx, minlength=k) + self.prior_weight / k
            return np.asarray(c / c.sum(), dtype=np.float64)

        lp, gp = probs(good_u), probs(bad_u)
        cands = np.searchsorted(np.cumsum(lp),
                                gen.random(self._n_candidates(k)) * (1 - 1e-12))
        cands = np.minimum(cands, k - 1)
        score = np.log(lp[cands]) - np.log(gp[cands])
        return int(cands[int(np.argmax(score))])

    def _numeric(self, good_u: F64, bad_u: F64, gen: np.random.Generator) -> float:
        lm = Parzen(good_u[:, None], [0], self.prior_weight)
        gm = Parzen(bad_u[:, None], [0], self.prior_weight, ramp_weights(bad_u.shape[0]))
        x = lm.sample(gen, self._n_candidates(bad_u.shape[0] + 1))
        f = lm.features(x)
        score = lm.logpdf(x, f) - gm.logpdf(x, f)
        return float(x[int(np.argmax(score)), 0])
