"""Parzen estimators in the unit cube: the densities TPE fits to its good and bad trials.

A ``Parzen`` is a weighted mixture of product kernels, one per observation plus a prior kernel:

* numeric axes: Gaussians truncated to [0, 1] (renormalised, sampled by inverse CDF, never
  clipped). A kernel's bandwidth along an axis is the larger gap to its neighbouring
  observations (the outermost use their inner gap; the prior takes no part), clipped to
  ``[1 / min(100, n + 2), 1]`` (the "magic clip", n observations) and scaled by
  ``BANDWIDTH``; the prior kernel is centred at 0.5 with width 1;
* choice axes (unit value ``u`` is choice ``floor(u * k)``): a one-hot smoothed by
  ``prior_weight / (n + 1)``; the prior kernel is uniform.

Evaluating ``g`` (thousands of kernels) at the candidates is the cost of TPE at scale, and in a
real study the history clusters near the best, so no window around a candidate leaves many
kernels out. ``logpdf`` therefore computes every (candidate, kernel) log term as one matrix
product: around ``c = x - 0.5`` a kernel's log term ``logc - 0.5 sum(((x - mu) / sig)**2)``
is linear in the features ``[c**2, c, 1]`` (and in one-hots of the choice axes), so the
candidates' features times a design matrix fitted once per model gives them all. Expanding
the square costs exactness: with bandwidths at least ``BANDWIDTH / 100`` and centres in the
cube each feature term is below ``2e4``, so a log term is off by at most a few ``1e-11``
(``2^-52`` times the sum of their sizes) - within 1e-9 of the term-by-term sum
(``logpdf_full``, the tested reference), far below anything that could change the best
candidate but an exact tie.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

F64 = np.ndarray[Any, np.dtype[np.float64]]

_LOG_SQRT2PI = 0.5 * math.log(2 * math.pi)
#: every kernel bandwidth is scaled by this (narrower than the neighbour-gap rule: on smooth
#: low-dimensional problems the sharper l / g ratio finds the optimum sooner; bench/search.py)
BANDWIDTH = 0.7
#: a truncated Gaussian whose centre is this many bandwidths inside [0, 1] has mass 1 there
_FULL_MASS = 8.5
#: OpenBLAS multiplies on one thread up to this many multiply-adds (65,536 x its default
#: GEMM_MULTITHREAD_THRESHOLD of 4); see ``_product``
_ONE_THREAD_WORK = 65_536 * 4
#: logsumexp leaves out the terms this far (in log) below their row's largest
_DROP = 40.0
#: up to this many numeric axes a kernel's normaliser is one log of a product: each factor
#: (a bandwidth, at least BANDWIDTH / 100, times a mass in [0, 1], at least 0.3) is above
#: 1e-3, so the product stays far from underflow
_PRODUCT_AXES = 16


def ramp_weights(n: int) -> F64:
    """Weights of ``n`` observations in trial order (oldest first): the newest 25 weigh 1,
    older ones ramp linearly from ``1/n`` (the oldest) up (the TPE literature's and Optuna's
    documented default weighting)."""
    w = np.ones(n)
    m = n - 25
    if m > 1:  # np.linspace(1 / n, 1, m), without its Python overhead
        np.multiply(np.arange(m - 1), (1.0 - 1.0 / n) / (m - 1), out=w[: m - 1])
        w[: m - 1] += 1.0 / n
    elif m == 1:
        w[0] = 1.0 / n
    return w


def gap_sigmas(mus: F64, n_kernels: int) -> tuple[F64, np.ndarray[Any, Any]]:
    """Per-kernel bandwidths (see the module doc), row by row of ``mus`` (one row an axis),
    and the order that sorts the first row; ``n_kernels`` counts the prior. Ties keep row
    order (a stable sort), as ``SortedAxes`` does."""
    a, n = mus.shape
    order = np.argsort(mus, axis=1, kind="stable")
    flat = order + (np.arange(a) * n)[:, None]    # flat indices: 1-D takes are the fast ones
    sig = _sorted_sigmas(mus.ravel().take(flat), n_kernels)
    out = np.empty(a * n)
    out[flat.ravel()] = sig.ravel()
    return out.reshape(a, n), order[0]


def _sorted_sigmas(sv: F64, n_kernels: int) -> F64:
    """``gap_sigmas`` of rows already sorted (``sv``), in that order."""
    a, n = sv.shape
    pad = np.empty((a, n + 2))
    pad[:, 0], pad[:, -1] = 0.0, 1.0
    pad[:, 1:-1] = sv
    gap = pad[:, 1:] - pad[:, :-1]
    sig: F64 = np.maximum(gap[:, :-1], gap[:, 1:])
    if n >= 2:
        sig[:, 0] = gap[:, 1]
        sig[:, -1] = gap[:, -2]
    np.maximum(sig, 1.0 / min(100, n_kernels + 1), out=sig)  # a gap is at most 1
    sig *= BANDWIDTH
    return sig


class SortedAxes:
    """The columns of a table that only grows (``mus``: one row an axis, one column an
    observation) kept sorted along every axis across calls: columns appended since the last
    ``update`` are merged in by binary search (no new sort), ties in column order. ``sigmas``
    then gives ``gap_sigmas`` of any subset plus a few extra points in O(n), exactly."""

    __slots__ = ("order", "vals")

    def __init__(self) -> None:
        self.order: np.ndarray[Any, Any] = np.empty((0, 0), dtype=np.int64)
        self.vals: F64 = np.empty((0, 0))

    def update(self, mus: F64) -> None:
        """Take in ``mus``, whose first columns are those of the last call."""
        a, total = mus.shape
        n = self.order.shape[1]
        if n == total and self.order.shape[0] == a:
            return
        if n == 0 or n > total or self.order.shape[0] != a:
            self.order = np.argsort(mus, axis=1, kind="stable")
            self.vals = np.take_along_axis(mus, self.order, axis=1)
            return
        o = np.argsort(mus[:, n:], axis=1, kind="stable")
        self.order, self.vals = _merge(self.order, self.vals, o + n,
                                       np.take_along_axis(mus[:, n:], o, axis=1))

    def sigmas(self, keep: np.ndarray[Any, Any], extra: F64) -> F64:
        """``gap_sigmas(concat(mus[:, keep], extra))[0]``: bandwidths of the kept columns (in
        column order) followed by the ``extra`` points' (``extra``: one row an axis)."""
        a = self.order.shape[0]
        at = np.flatnonzero(keep.take(self.order))        # the kept sorted slots, row-major
        nk = at.shape[0] // a
        rank = np.cumsum(keep) - 1
        kid = rank.take(self.order.take(at)).reshape(a, nk)   # kernel of each sorted slot
        sv = self.vals.take(at).reshape(a, nk)
        ne = extra.shape[1]
        if ne:
            o = np.argsort(extra, axis=1, kind="stable")
            kid, sv = _merge(kid, sv, o + nk, np.take_along_axis(extra, o, axis=1))
        n = nk + ne
        sig = _sorted_sigmas(sv, n + 1)
        out = np.empty(a * n)
        out[(kid + (np.arange(a) * n)[:, None]).ravel()] = sig.ravel()
        return out.reshape(a, n)


def _merge(ids: np.ndarray[Any, Any], vals: F64, new_ids: np.ndarray[Any, Any],
           new_vals: F64) -> tuple[np.ndarray[Any, Any], F64]:
    """Row by row, sorted ``new_vals`` (with their ``new_ids``) merged into sorted ``vals``,
    each after the equal values already there."""
    a, n = vals.shape
    k = new_vals.shape[1]
    if k <= 4:  # the usual case (a trial or a few): count, one call for every row
        at = (vals[:, None, :] <= new_vals[:, :, None]).sum(axis=2)
    else:
        at = np.empty((a, k), dtype=np.int64)
        for i in range(a):
            at[i] = np.searchsorted(vals[i], new_vals[i], side="right")
    at += np.arange(k)                       # where each new value lands in the merged row
    at += (np.arange(a) * (n + k))[:, None]
    at = at.ravel()
    slot = np.ones(a * (n + k), dtype=bool)
    slot[at] = False
    old = np.flatnonzero(slot)               # where the old values land, in their order
    out_v = np.empty(a * (n + k))
    out_i = np.empty(a * (n + k), dtype=ids.dtype)
    out_v[at], out_i[at] = new_vals.ravel(), new_ids.ravel()
    out_v[old], out_i[old] = vals.ravel(), ids.ravel()
    return out_i.reshape(a, n + k), out_v.reshape(a, n + k)


def truncnorm(mu: F64, s: F64, q: F64) -> F64:
    """Inverse-CDF draws from N(mu, s) truncated to [0, 1] (``q`` uniform in [0, 1)): exact,
    so no mass piles up at the edges; the final clip only guards the last ulp."""
    from scipy.special import ndtr, ndtri  # here, not at import: scipy costs caviar's start-up

    a, b = ndtr(-mu / s), ndtr((1.0 - mu) / s)
    p = np.clip(a + q * (b - a), 1e-300, 1 - 1e-16)
    return np.asarray(np.clip(mu + s * ndtri(p), 0.0, 1.0), dtype=np.float64)


def _log_norm(mu: F64, sig: F64) -> F64:
    """Each kernel's log normaliser over the numeric axes (one row an axis): the sum over
    axes of ``log(sig sqrt(2 pi) mass)``, ``mass`` the truncated Gaussian's mass in [0, 1]
    (1 for kernels well inside, where it rounds to 1 anyway). Taken as the log of the
    product over axes while that cannot underflow (one log per kernel, not one per axis)."""
    a = mu.shape[0]
    f = sig.copy() if a <= _PRODUCT_AXES else np.log(sig)
    edge = np.flatnonzero(np.minimum(mu, 1.0 - mu) < _FULL_MASS * sig)
    if edge.size:
        from scipy.special import ndtr

        m, s = mu.ravel().take(edge), sig.ravel().take(edge)
        mass = np.maximum(ndtr((1.0 - m) / s) - ndtr(-m / s), 1e-300)
        flat = f.reshape(-1)
        if a <= _PRODUCT_AXES:
            flat[edge] *= mass
        else:
            flat[edge] += np.log(mass)
    out = np.log(f.prod(axis=0)) if a <= _PRODUCT_AXES else f.sum(axis=0)
    out += a * _LOG_SQRT2PI
    return np.asarray(out, dtype=np.float64)


class _Choices:
    """A choice axis: each observation's kernel puts ``hit`` (log) on its own choice and
    ``miss`` on each other one (a one-hot smoothed by ``prior_weight / (n + 1)``); the
    prior kernel is uniform."""

    __slots__ = ("axis", "hit", "idx", "k", "miss", "stay")

    def __init__(self, axis: int, k: int, u: F64, prior_weight: float) -> None:
        n = u.shape[0]
        base = prior_weight / (n + 1)
        self.axis, self.k = axis, k
        self.idx = np.minimum((u * k).astype(np.int64), k - 1)
        self.hit = math.log((base + 1.0) / (k * base + 1.0))
        self.miss = math.log(base / (k * base + 1.0))
        self.stay = 1.0 / (k * base + 1.0)   # an observation's kernel: its choice, else uniform

    def terms(self, kern: np.ndarray[Any, Any], xc: np.ndarray[Any, Any]) -> F64:
        """log probability of choice ``xc`` under observation kernels ``kern`` (pairwise)."""
        return np.where(self.idx[kern] == xc, self.hit, self.miss)


class Parzen:
    """A mixture over the unit cube fitted to the rows of ``u`` (``ks[j]``: the number of
    choices of axis ``j``, 0 for a numeric axis); ``weights``: the observations' (default 1),
    the prior kernel weighs ``prior_weight``.

    Kernels ``0..n-1`` are the observations in the order of ``u``'s rows; kernel ``n`` is the
    prior. The numeric axes' centres and bandwidths are stored one row per axis (``mu[a]``,
    ``sig[a]``, ``a`` indexing ``num``). ``sig``: the observations' bandwidths when the caller
    has them already (``gap_sigmas`` of the same rows, e.g. from a ``SortedAxes``)."""

    __slots__ = ("cats", "design", "ks", "logc", "mu", "n", "num", "sig", "w")

    def __init__(self, u: F64, ks: list[int], prior_weight: float,
                 weights: F64 | None = None, sig: F64 | None = None) -> None:
        n = u.shape[0]
        self.n, self.ks = n, ks
        self.num = num = [j for j, k in enumerate(ks) if not k]
        w = np.ones(n + 1)
        if weights is not None:
            w[:n] = weights
        w[n] = prior_weight
        self.mu = mu = np.empty((len(num), n + 1))
        mu[:, n] = 0.5
        mu[:, :n] = u[:, num].T
        self.sig = s = np.ones((len(num), n + 1))
        if num and n:
            s[:, :n] = gap_sigmas(mu[:, :n], n + 1)[0] if sig is None else sig
        self.w = w = w / w.sum()
        self.logc = np.log(w)
        self.cats = [_Choices(j, k, u[:, j], prior_weight) for j, k in enumerate(ks) if k]
        if num:
            self.logc -= _log_norm(mu, s)
        self.design: F64 | None = None

    # ------------------------------------------------------------------ sampling
    def sample(self, gen: np.random.Generator, m: int) -> F64:
        """``m`` draws: a kernel by weight, then each axis from it."""
        n = self.n
        idx = np.minimum(np.searchsorted(np.cumsum(self.w), gen.random(m) * (1 - 1e-12)), n)
        out = np.empty((m, len(self.ks)))
        if self.num:
            out[:, self.num] = truncnorm(self.mu[:, idx], self.sig[:, idx],
                                         gen.random((len(self.num), m))).T
        for c in self.cats:
            anyone = np.minimum((gen.random(m) * c.k).astype(np.int64), c.k - 1)
            own = (idx < n) & (gen.random(m) < c.stay)
            out[:, c.axis] = np.where(own, c.idx[np.minimum(idx, n - 1)], anyone) if n \
                else anyone
        return out

    # ------------------------------------------------------------------ density
    def logpdf(self, x: F64, features: F64 | None = None) -> F64:
        """log density at the rows of ``x`` (choice axes hold choice indices): every
        (candidate, kernel) log term at once as one matrix product (see the module doc).
        ``features``: ``self.features(x)`` when the caller has it (from any model of the
        same axes), so two models scoring the same candidates build it once."""
        if self.design is None:
            self.design = self._design()
        f = self.features(x) if features is None else features
        return _logsumexp(_product(f, self.design))

    def logpdf_full(self, x: F64) -> F64:
        """``logpdf`` written out term by term (the reference the product form is tested
        against)."""
        return _logsumexp_full(self._terms(x, np.arange(self.n + 1)))

    def features(self, x: F64) -> F64:
        """The candidates' side of the product: ``[c**2, c, 1, one-hots]`` per row, ``c`` the
        numeric coordinates less 0.5."""
        m, a = x.shape[0], len(self.num)
        out = np.zeros((m, 2 * a + 1 + sum(c.k for c in self.cats)))
        if a:
            c = out[:, a: 2 * a]
            np.subtract(x[:, self.num], 0.5, out=c)
            np.multiply(c, c, out=out[:, :a])
        out[:, 2 * a] = 1.0
        col = 2 * a + 1
        rows = np.arange(m)
        for ch in self.cats:
            idx = np.clip(x[:, ch.axis].astype(np.int64), 0, ch.k - 1)
            out[rows, col + idx] = 1.0
            col += ch.k
        return out

    def _design(self) -> F64:
        """The kernels' side: a kernel's log term at ``x`` is ``logc - 0.5 sum((x - mu) /
        sig)**2`` plus its choice terms; expanded around 0.5 it is linear in the features."""
        n, a = self.n, len(self.num)
        w = np.zeros((2 * a + 1 + sum(c.k for c in self.cats), n + 1))
        if a:
            inv = self.sig * self.sig
            np.divide(1.0, inv, out=inv)
            mc = self.mu - 0.5
            np.multiply(inv, -0.5, out=w[:a])
            np.multiply(mc, inv, out=w[a: 2 * a])
            mc *= mc
            mc *= inv
            np.subtract(self.logc, 0.5 * mc.sum(axis=0), out=w[2 * a])
        else:
            w[0] = self.logc
        row = 2 * a + 1
        for c in self.cats:
            block = w[row: row + c.k]
            block[:, :n] = c.miss
            if n:
                block[c.idx, np.arange(n)] = c.hit
            block[:, n] = -math.log(c.k)
            row += c.k
        return w

    def _terms(self, x: F64, rows: np.ndarray[Any, Any]) -> F64:
        """log of each (candidate, kernel) term for the kernels ``rows``: a matrix."""
        if self.num:
            d = x[:, self.num, None] - self.mu[None, :, rows]
            d /= self.sig[None, :, rows]
            d *= d
            acc = d.sum(axis=1)
            acc *= -0.5
            acc += self.logc[rows]
        else:
            acc = np.repeat(self.logc[rows][None, :], x.shape[0], axis=0)
        if self.cats:
            prior = rows == self.n
            obs = np.minimum(rows, max(self.n - 1, 0))
            for c in self.cats:
                t = c.terms(obs[None, :], x[:, c.axis, None].astype(np.int64)) if self.n \
                    else np.zeros((x.shape[0], rows.shape[0]))
                t[:, prior] = -math.log(c.k)
                acc += t
        return np.asarray(acc, dtype=np.float64)


def _product(f: F64, w: F64) -> F64:
    """``f @ w``, in column blocks of ``w`` small enough that OpenBLAS runs each on the calling
    thread: a larger product is split over threads, and on a busy machine the caller then
    waits for a second core (a 24 x 13 by 13 x 2,000 product took 2.7 ms of CPU that way at
    load 12 on 2 cores, 77 us on one thread). Each entry is the same sum over k."""
    m, k = f.shape
    n = w.shape[1]
    step = max(1, _ONE_THREAD_WORK // max(m * k, 1))
    if n <= step:
        return np.asarray(f @ w, dtype=np.float64)
    out = np.empty((m, n))
    for a in range(0, n, step):
        np.matmul(f, w[:, a: a + step], out=out[:, a: a + step])
    return out


def _logsumexp(acc: F64) -> F64:
    """log of the row sums of ``exp(acc)`` (``acc`` is overwritten), shifted by each row's
    largest term. Only the terms within ``_DROP`` of their row's largest are exponentiated
    (exp is the cost: a clustered history leaves a fifth of them, a spread one far fewer);
    each term left out is below ``e**-_DROP`` times the row sum, so the sum is off by at most
    ``n e**-_DROP`` relative (``5e-14`` at ``n = 10**4``), below a double's own rounding."""
    top = acc.max(axis=1)
    acc -= top[:, None]
    flat = acc.ravel()
    keep = np.flatnonzero(flat > -_DROP)   # row-major: each row's terms stay together
    v = flat.take(keep)
    np.exp(v, out=v)
    # each row keeps its largest term (0 after the shift), so no segment is empty
    starts = np.searchsorted(keep, np.arange(acc.shape[0]) * acc.shape[1])
    return np.asarray(top + np.log(np.add.reduceat(v, starts)), dtype=np.float64)


def _logsumexp_full(acc: F64) -> F64:
    """``_logsumexp`` over every term (the reference; ``acc`` is overwritten)."""
    top = acc.max(axis=1)
    acc -= top[:, None]
    np.exp(acc, out=acc)
    return np.asarray(top + np.log(acc.sum(axis=1)), dtype=np.float64)
