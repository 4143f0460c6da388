"""Parzen estimators in the unit cube: the densities TPE fits to its good and bad trials.

A ``Parzen`` is a weighted mixture of product kernels, one per observation plus a prior kernel:

* numeric axes: Gaussians truncated to [0, 1] (renormalised, sampled by inverse CDF, never
  clipped). A kernel's bandwidth along an axis is the larger gap to its neighbouring
  observations (the outermost use their inner gap; the prior takes no part), clipped to
  ``[1 / min(100, n + 2), 1]`` (the "magic clip", n observations) and scaled by
  ``BANDWIDTH``; the prior kernel is centred at 0.5 with width 1;
* choice axes (unit value ``u`` is choice ``floor(u * k)``): a one-hot smoothed by
  ``prior_weight / (n + 1)``; the prior kernel is uniform.

Evaluating a density with thousands of kernels at the candidates is the cost of TPE at scale.
Past ``_DENSE_LIMIT`` kernels, ``logpdf`` adds up only the kernels that can matter: kernels at
the bandwidth floor along one numeric axis (nearly all of them once there are a few hundred)
are looked up, per candidate, in a window of ``_WINDOW`` floors around it (found by binary
search in the kernels sorted along that axis); the rest (the prior, kernels in sparse regions)
are added up in full. The (candidate, kernel) pairs found are then dropped as soon as their
squared distance in bandwidths, summed over the axes seen so far, passes ``_WINDOW ** 2``. A
kernel left out contributes less than ``exp(-_WINDOW**2 / 2)`` (1e-16) of its peak, so the
result equals the full sum to rounding.
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
#: kernels further than this many bandwidths from a candidate are left out of its density
_WINDOW = 8.6
#: up to this many kernels a density is summed in full
_DENSE_LIMIT = 192


def ramp_weights(n: int) -> F64:
    """Weights of ``n`` observations in trial order (oldest first): the newest 25 weigh 1,
    older ones ramp linearly from ``1/n`` (the oldest) up (the TPE literature's and Optuna's
    documented default weighting)."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


def gap_sigmas(mus: F64, n_kernels: int) -> tuple[F64, np.ndarray[Any, Any]]:
    """Per-kernel bandwidths (see the module doc), row by row of ``mus`` (one row an axis),
    and the order that sorts the first row; ``n_kernels`` counts the prior."""
    a, n = mus.shape
    order = np.argsort(mus, axis=1)
    flat = order + (np.arange(a) * n)[:, None]    # flat indices: 1-D takes are the fast ones
    pad = np.empty((a, n + 2))
    pad[:, 0], pad[:, -1] = 0.0, 1.0
    pad[:, 1:-1] = mus.ravel().take(flat)
    gap = pad[:, 1:] - pad[:, :-1]
    sig = np.maximum(gap[:, :-1], gap[:, 1:])
    if n >= 2:
        sig[:, 0] = gap[:, 1]
        sig[:, -1] = gap[:, -2]
    np.maximum(sig, 1.0 / min(100, n_kernels + 1), out=sig)  # a gap is at most 1
    sig *= BANDWIDTH
    out = np.empty(a * n)
    out[flat.ravel()] = sig.ravel()
    return out.reshape(a, n), order[0]


def truncnorm(mu: F64, s: F64, q: F64) -> F64:
    """Inverse-CDF draws from N(mu, s) truncated to [0, 1] (``q`` uniform in [0, 1)): exact,
    so no mass piles up at the edges; the final clip only guards the last ulp."""
    from scipy.special import ndtr, ndtri  # here, not at import: scipy costs caviar's start-up

    a, b = ndtr(-mu / s), ndtr((1.0 - mu) / s)
    p = np.clip(a + q * (b - a), 1e-300, 1 - 1e-16)
    return np.asarray(np.clip(mu + s * ndtri(p), 0.0, 1.0), dtype=np.float64)


def _log_mass(mu: F64, sig: F64) -> F64:
    """log of each truncated kernel's mass in [0, 1] (element-wise); 0 for kernels well
    inside, where it rounds to 0 anyway."""
    out = np.zeros(mu.size)
    edge = np.flatnonzero(np.minimum(mu, 1.0 - mu) < _FULL_MASS * sig)
    if edge.size:
        from scipy.special import ndtr

        m, s = mu.ravel().take(edge), sig.ravel().take(edge)
        out[edge] = np.log(np.maximum(ndtr((1.0 - m) / s) - ndtr(-m / s), 1e-300))
    return out.reshape(mu.shape)


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

    Kernels ``0..n-1`` are the observations, sorted along the first numeric axis (the window
    axis); kernel ``n`` is the prior. The numeric axes' centres and bandwidths are stored one
    row per axis (``mu[a]``, ``sig[a]``, ``a`` indexing ``num``)."""

    __slots__ = ("cats", "floor", "ks", "logc", "mu", "n", "num", "sig", "w", "wide")

    def __init__(self, u: F64, ks: list[int], prior_weight: float,
                 weights: F64 | None = None) -> None:
        n = u.shape[0]
        self.n, self.ks = n, ks
        self.num = num = [j for j, k in enumerate(ks) if not k]
        w = np.ones(n + 1)
        if weights is not None:
            w[:n] = weights
        w[n] = prior_weight
        self.floor = BANDWIDTH / min(100, n + 2)
        self.mu = mu = np.empty((len(num), n + 1))
        mu[:, n] = 0.5
        self.sig = sig = np.ones((len(num), n + 1))
        if num and n:
            sig[:, :n], order = gap_sigmas(np.ascontiguousarray(u[:, num].T), n + 1)
            u, w[:n] = u[order], w[order]              # sorted along the window axis
            sig[:, :n] = sig[:, order]
        mu[:, :n] = u[:, num].T
        self.w = w = w / w.sum()
        self.logc = np.log(w)
        self.cats = [_Choices(j, k, u[:, j], prior_weight) for j, k in enumerate(ks) if k]
        if num:
            self.logc -= (np.log(sig) + _log_mass(mu, sig)).sum(axis=0)
            self.logc -= len(num) * _LOG_SQRT2PI
        # kernels the windows may miss: wider than the floor on the window axis, and the prior
        self.wide = (np.flatnonzero(sig[0] > self.floor * (1 + 1e-9)) if num
                     else np.arange(n + 1))

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
    def logpdf(self, x: F64) -> F64:
        """log density at the rows of ``x`` (choice axes hold choice indices)."""
        if self.n + 1 > _DENSE_LIMIT and self.num:
            return self._windowed(x)
        return self.logpdf_full(x)

    def logpdf_full(self, x: F64) -> F64:
        """``logpdf`` summing every kernel (the reference the windowed sum is tested against)."""
        acc = self._terms(x, np.arange(self.n + 1))
        top = acc.max(axis=1)
        return np.asarray(top + np.log(np.exp(np.maximum(acc - top[:, None], -700.0))
                                       .sum(axis=1)), dtype=np.float64)

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

    def _windowed(self, x: F64) -> F64:
        """``logpdf`` over the kernels within the window of each candidate along the window
        axis (found by binary search: the kernels are sorted along it), plus the wide kernels
        outside it in full. Pairs of (candidate, kernel) are then dropped axis by axis as soon
        as their squared distance in bandwidths passes ``_WINDOW ** 2``."""
        m = x.shape[0]
        cols = [np.ascontiguousarray(x[:, j]) for j in self.num]
        radius = _WINDOW * self.floor
        lo = np.searchsorted(self.mu[0, : self.n], cols[0] - radius)
        hi = np.searchsorted(self.mu[0, : self.n], cols[0] + radius, side="right")
        cnt = hi - lo
        total = int(cnt.sum())
        wide = self.wide
        acc = self._terms(x, wide)
        acc[(wide >= lo[:, None]) & (wide < hi[:, None])] = -np.inf  # in the window below
        top = acc.max(axis=1)                  # finite: the prior is never in a window
        v = None
        if total:
            # every (candidate, kernel in its window) pair, grouped by candidate
            rep = np.repeat(np.arange(m), cnt)
            kern = np.arange(total) + np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
            q = np.zeros(total)
            for a, col in enumerate(cols):
                if a:                          # drop the pairs already out of reach
                    near = np.flatnonzero(q <= _WINDOW ** 2)
                    if near.size < 0.75 * q.size:
                        rep, kern, q = rep.take(near), kern.take(near), q.take(near)
                z = col.take(rep)
                z -= self.mu[a].take(kern)
                z /= self.sig[a].take(kern)
                z *= z
                q += z
            q *= -0.5
            v = q
            v += self.logc.take(kern)
            for c in self.cats:
                v += c.terms(kern, x[:, c.axis].astype(np.int64).take(rep))
            if v.size:
                cnt = np.bincount(rep, minlength=m)
                start = np.cumsum(cnt) - cnt
                has = np.flatnonzero(cnt)
                top[has] = np.maximum(top[has], np.maximum.reduceat(v, start[has]))
                v -= top.take(rep)
                np.maximum(v, -700.0, out=v)  # no subnormals: they make exp slow
                np.exp(v, out=v)
        dens = np.exp(np.maximum(acc - top[:, None], -700.0)).sum(axis=1)
        if v is not None and v.size:
            dens[has] += np.add.reduceat(v, start[has])
        return np.asarray(top + np.log(dens), dtype=np.float64)
