"""TPE: the tree-structured Parzen estimator, in the unit cube.

The finished trials are split into the best ``gamma`` share ("good": ``min(ceil(gamma * n),
max_good)``, so ``min(ceil(0.1 n), 25)`` by default) and the rest ("bad"); a Parzen estimator
``l`` is fitted to the good trials and ``g`` to the bad ones, candidates are drawn from ``l`` and
the one with the largest ``l / g`` is taken. With ``multivariate=True`` (the default) the
declared params are modelled jointly (one product kernel per trial); otherwise, and for params
met define-by-run, each param is modelled on its own. Everything happens in the unit cube, so
log and reverse-log params are modelled on their own scales for free.

* Kernels: Gaussians truncated to [0, 1] (renormalised, sampled by inverse CDF, never clipped);
  each kernel's bandwidth along an axis is the larger gap to its neighbouring observations
  (the outermost use their inner gap; the prior takes no part), clipped to
  ``[1 / min(100, n + 2), 1]`` (the "magic clip") and scaled by ``_BANDWIDTH``; a prior kernel
  (centre 0.5, width 1) of weight ``prior_weight`` joins each mixture.
* Weights: the good kernels weigh 1; the bad ones weigh 1 for the newest 25 and ramp down
  linearly for older ones (to ``1/n`` for the oldest), so ``g`` follows the recent search.
* Candidates: ``n_ei_candidates`` (None: as many as keep the work of scoring them about
  ``_CANDIDATE_WORK`` kernel evaluations, between 24 and 128: more candidates while the model is
  small, where they are cheap and sharpen the search; 24 at thousands of trials).

* Conditional params: a param is modelled from the trials that have it; params met
  define-by-run are proposed by ``sample_param`` from the same split.
* Parallel workers (constant liar): running trials whose params are known count as bad, and so
  do the proposals made earlier in the same batch, so workers do not pile onto one point.
* Pruned trials count as bad; failed trials are ignored.
* Speed: finished trials never change, so their unit values are kept in growing arrays
  (incremental over ``history.trials()``); a proposal is a few vectorized NumPy passes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from caviar.errors import UsageError
from caviar.samplers._history import check_definition, direction_of, is_choice, unit_of
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Choice, Param, Space
from caviar.trial_record import COMPLETE, MAXIMIZE, PRUNED, RUNNING, FrozenTrial

_SQRT2PI = math.sqrt(2 * math.pi)
#: every kernel bandwidth is scaled by this (narrower than the neighbour-gap rule: on smooth
#: low-dimensional problems the sharper l / g ratio finds the optimum sooner; bench/search.py)
_BANDWIDTH = 0.7
#: with ``n_ei_candidates=None``: candidates x kernels of g scored per proposal, and the bounds
_CANDIDATE_WORK = 12_800
_MIN_CANDIDATES, _MAX_CANDIDATES = 24, 128
F64 = np.ndarray[Any, np.dtype[np.float64]]


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


class _Book:
    """Observations of one study: a row per finished (complete or pruned) trial."""

    def __init__(self, owner: History) -> None:
        self.owner = owner
        self.done: set[int] = set()
        self.scores = _Grow()              # lower is better; pruned trials: +inf
        self.n_complete = 0
        self.cols: dict[str, tuple[_Grow, _Grow]] = {}   # name -> (rows, unit values)
        # values not yet mapped to the unit interval: a param is mapped by the definition the
        # study holds when it is next drawn (another worker may have met it first)
        self.pending: dict[str, list[tuple[int, Any, int]]] = {}

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


class _Split:
    """The good / bad split a proposal (and the define-by-run draws after it) work from."""

    def __init__(self, book: _Book, good: np.ndarray[Any, Any],
                 liars: dict[str, list[tuple[Any, int]]]) -> None:
        self.book = book
        self.good = good
        self.liars = liars


class TPESampler(Sampler):
    name = "tpe"

    def __init__(self, *, seed: int | None = None, n_startup_trials: int = 10,
                 n_ei_candidates: int | None = None, gamma: float = 0.1, max_good: int = 25,
                 prior_weight: float = 1.0, constant_liar: bool = True,
                 multivariate: bool = True) -> None:
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
        self.multivariate = bool(multivariate)
        self._book: _Book | None = None
        self._split: _Split | None = None
        self._defs: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ the seam
    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        split = self._update(history)
        self._split = split
        out: list[dict[str, Any]] = []
        for rng in rngs:
            joint = None
            if self.multivariate and split is not None and len(space) > 1:
                joint = self._joint(space, rng, split)
            params = joint or {name: self._draw(p, rng, split) for name, p in space.items()}
            if self.constant_liar and split is not None and len(rngs) > 1:
                for name, v in params.items():
                    split.liars.setdefault(name, []).append((v, rng.number))
            out.append(params)
        return Proposal(out, [{} for _ in out])

    def sample_param(self, param: Param, rng: Stream) -> Any:
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
        for t in trials:
            if t.number in done:
                continue
            state = t.state
            if state == RUNNING:
                running.append(t)
                continue
            done.add(t.number)
            if state == COMPLETE and t.value is not None:
                score = sign * t.value
                book.n_complete += 1
            elif state == PRUNED:
                score = math.inf
            else:
                continue  # failed: says nothing about the objective
            row = book.scores.n
            book.scores.append(score)
            pending = book.pending
            for name, v in t.params.items():
                todo = pending.get(name)
                if todo is None:
                    todo = pending[name] = []
                todo.append((row, v, t.number))
        if book.n_complete < self.n_startup_trials:
            return None
        scores = book.scores.view()
        n_good = self.n_good(book.n_complete)
        good = np.zeros(scores.shape[0], dtype=bool)
        good[np.argsort(scores, kind="stable")[:n_good]] = True  # ties: the earlier trial
        liars: dict[str, list[tuple[Any, int]]] = {}
        if self.constant_liar:
            for t in running:
                for name, v in t.params.items():
                    liars.setdefault(name, []).append((v, t.number))
        return _Split(book, good, liars)

    def n_good(self, n_complete: int) -> int:
        """How many of ``n_complete`` finished trials count as good: ``min(ceil(gamma n),
        max_good)``, at least 1 (``min(ceil(0.1 n), 25)`` with the defaults)."""
        return max(1, min(math.ceil(self.gamma * n_complete - 1e-9), self.max_good))

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
        lies = split.liars.get(p.name)
        if lies:
            bad_u = np.concatenate([bad_u, [unit_of(p, v, n) for v, n in lies]])
        gen = rng.generator
        if is_choice(p):
            assert isinstance(p, Choice)
            return p.choices[self._categorical(len(p.choices), good_u, bad_u, gen)]
        return p.value(self._numeric(good_u, bad_u, gen))

    def _joint(self, space: Space, rng: Stream, split: _Split) -> dict[str, Any] | None:
        """Multivariate TPE over the declared params: each kernel is one trial (a product over
        params), so the candidates keep the good trials' combinations (as Optuna 5 does)."""
        for p in space.values():
            check_definition(self._defs, p)
        cols = [split.book.column(p) for p in space.values()]
        rows = cols[0][0]
        if any(c[0].shape != rows.shape for c in cols) or any(
                not np.array_equal(c[0], rows) for c in cols[1:]):
            return None  # some trials lack a declared param: model each param alone
        u = np.stack([c[1] for c in cols], axis=1)
        g = split.good[rows]
        good, bad = u[g], u[~g]
        names = list(space)
        lies = [[unit_of(space[n], v, k) for v, k in split.liars.get(n, [])] for n in names]
        if lies and all(len(x) == len(lies[0]) for x in lies) and lies[0]:
            bad = np.concatenate([bad, np.asarray(lies).T])  # the newest: full weight
        gen = rng.generator
        ks = [len(p.choices) if isinstance(p, Choice) else 0 for p in space.values()]
        lk = _kernels(good, ks, self.prior_weight)
        gk = _kernels(bad, ks, self.prior_weight, _ramp_weights(bad.shape[0]))
        x = _joint_sample(lk, ks, gen, self._n_candidates(bad.shape[0] + 1))
        score = _joint_logpdf(x, lk, ks) - _joint_logpdf(x, gk, ks)
        best = x[int(np.argmax(score))]
        out: dict[str, Any] = {}
        for j, (name, p) in enumerate(space.items()):
            if isinstance(p, Choice):
                out[name] = p.choices[int(best[j])]
            else:
                out[name] = p.value(float(best[j]))
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
        lm = _mixture(good_u, self.prior_weight)
        gm = _mixture(bad_u, self.prior_weight, _ramp_weights(bad_u.shape[0]))
        x = _sample(lm, gen, self._n_candidates(bad_u.shape[0] + 1))
        score = _logpdf(x, lm) - _logpdf(x, gm)
        return float(x[int(np.argmax(score))])


Mixture = tuple[F64, F64, F64, F64]


def _ramp_weights(n: int) -> F64:
    """Weights of ``n`` observations in trial order (oldest first): the newest 25 weigh 1,
    older ones ramp linearly from ``1/n`` (the oldest) up (the TPE literature's and Optuna's
    documented default weighting)."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


def _mixture(mus: F64, prior_weight: float, weights: F64 | None = None) -> Mixture:
    """Truncated Gaussians on [0, 1] at ``mus`` (bandwidths: ``_gap_sigmas``) plus the prior
    (centre 0.5, width 1, weight ``prior_weight``); ``weights``: the kernels' (default 1)."""
    n = mus.shape[0]
    m = np.append(mus, 0.5)
    sg = np.append(_gap_sigmas(mus, n + 1), 1.0) if n else np.ones(1)
    w = np.append(np.ones(n) if weights is None else weights, prior_weight)
    w = w / w.sum()
    z = ndtr((1.0 - m) / sg) - ndtr(-m / sg)
    coef = w / (sg * np.maximum(z, 1e-300) * _SQRT2PI)
    return m, sg, w, coef


def _sample(mix: Mixture, gen: np.random.Generator, k: int) -> F64:
    m, sg, w, _ = mix
    idx = np.minimum(np.searchsorted(np.cumsum(w), gen.random(k) * (1 - 1e-12)), len(w) - 1)
    return _truncnorm(m[idx], sg[idx], gen.random(k))


def _truncnorm(mu: F64, s: F64, q: F64) -> F64:
    """Inverse-CDF draws from N(mu, s) truncated to [0, 1] (``q`` uniform in [0, 1)): exact,
    so no mass piles up at the edges; the final clip only guards the last ulp."""
    a, b = ndtr(-mu / s), ndtr((1.0 - mu) / s)
    p = np.clip(a + q * (b - a), 1e-300, 1 - 1e-16)
    return np.asarray(np.clip(mu + s * ndtri(p), 0.0, 1.0), dtype=np.float64)


def _logpdf(x: F64, mix: Mixture) -> F64:
    m, sg, _, coef = mix
    d = x[:, None] - m[None, :]
    d /= sg
    np.square(d, out=d)
    d *= -0.5
    np.exp(d, out=d)
    dens = (d * coef).sum(axis=1)  # not a BLAS gemv: threads fight on a busy machine
    return np.asarray(np.log(dens + 1e-300), dtype=np.float64)


Kernels = tuple[F64, F64, F64, F64, list[F64 | None]]


def _gap_sigmas(mus: F64, n_kernels: int) -> F64:
    """Per-kernel bandwidth along one axis: the larger gap to a neighbour; the outermost kernels
    use their inner gap (Optuna's consider_endpoints=False; a lone kernel uses its distance to
    the farther end); clipped to [1/min(100, n_kernels+1), 1] (the magic clip, n_kernels
    counting the prior), then scaled by ``_BANDWIDTH``."""
    n = mus.shape[0]
    order = np.argsort(mus)
    s = mus[order]
    pad = np.concatenate(([0.0], s, [1.0]))
    sig_sorted = np.maximum(s - pad[:-2], pad[2:] - s)
    if n >= 2:
        sig_sorted[0] = s[1] - s[0]
        sig_sorted[-1] = s[-1] - s[-2]
    sig = np.empty(n)
    sig[order] = sig_sorted
    return np.asarray(np.clip(sig, 1.0 / min(100, n_kernels + 1), 1.0) * _BANDWIDTH,
                      dtype=np.float64)


def _kernels(u: F64, ks: list[int], prior_weight: float, weights: F64 | None = None) -> Kernels:
    """One product kernel per row of ``u`` (weight ``weights``, default 1) plus a prior kernel
    (centre 0.5, width 1 / uniform over the choices, weight ``prior_weight``). Returns the
    centres, bandwidths, component weights, per-component log normalisers and, per choice
    axis, the log probabilities of each choice."""
    n, d = u.shape
    mu = np.vstack([u, np.full((1, d), 0.5)])
    sig = np.ones((n + 1, d))
    cat: list[F64 | None] = []
    for j, k in enumerate(ks):
        if k:
            idx = np.minimum((u[:, j] * k).astype(np.int64), k - 1)
            w = np.full((n + 1, k), prior_weight / (n + 1))
            w[np.arange(n), idx] += 1.0
            cat.append(np.log(w / w.sum(axis=1, keepdims=True)))
        else:
            cat.append(None)
            if n:
                sig[:n, j] = _gap_sigmas(u[:, j], n + 1)
    w = np.append(np.ones(n) if weights is None else weights, prior_weight)
    w = w / w.sum()
    # log of the truncation mass on [0, 1] of each (kernel, axis): truncated, renormalised
    logz = np.log(np.maximum(ndtr((1.0 - mu) / sig) - ndtr(-mu / sig), 1e-300))
    norm = np.where(np.array(ks) == 0, logz + np.log(sig * _SQRT2PI), 0.0)
    return mu, sig, w, np.log(w) - np.sum(norm, axis=1), cat


def _joint_sample(kern: Kernels, ks: list[int], gen: np.random.Generator, m: int) -> F64:
    """``m`` draws from the mixture: a component by weight, then each axis from it."""
    mu, sig, w, _, cat = kern
    n_k = mu.shape[0]
    idx = np.minimum(np.searchsorted(np.cumsum(w), gen.random(m) * (1 - 1e-12)), n_k - 1)
    out = np.empty((m, len(ks)))
    for j, k in enumerate(ks):
        c = cat[j]
        if c is not None:
            p = np.exp(c[idx])
            r = gen.random(m)[:, None]
            out[:, j] = np.minimum((np.cumsum(p, axis=1) < r).sum(axis=1), k - 1)
        else:
            out[:, j] = _truncnorm(mu[idx, j], sig[idx, j], gen.random(m))
    return out


def _joint_logpdf(x: F64, kern: Kernels, ks: list[int]) -> F64:
    mu, sig, _, logc, cat = kern
    acc = np.broadcast_to(logc, (x.shape[0], mu.shape[0])).copy()
    for j, _k in enumerate(ks):
        c = cat[j]
        if c is not None:
            acc += c[:, x[:, j].astype(np.int64)].T
        else:
            d = x[:, j, None] - mu[None, :, j]
            d /= sig[None, :, j]
            np.square(d, out=d)
            d *= 0.5
            acc -= d
    top = acc.max(axis=1)
    return np.asarray(top + np.log(np.exp(acc - top[:, None]).sum(axis=1)), dtype=np.float64)
