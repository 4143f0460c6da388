"""TPE's Parzen estimators: truncated kernels integrate to 1 in the cube, draws follow the
truncated normal (no mass piled at the edges), the good/bad split and the weights follow the
documented schedules, and the candidate count adapts to the model's size."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kstest, truncnorm

from caviar.errors import UsageError
from caviar.samplers import TPESampler
from caviar.samplers._parzen import BANDWIDTH, Parzen, gap_sigmas
from caviar.samplers._parzen import ramp_weights as _ramp_weights
from caviar.samplers._parzen import truncnorm as _truncnorm


@pytest.mark.parametrize(
    "mus", [[0.0], [1.0, 0.98], [0.02, 0.5, 0.97], list(np.linspace(0, 1, 30))])
def test_univariate_mixture_integrates_to_one_in_the_unit_interval(mus):
    m = Parzen(np.asarray(mus, dtype=float)[:, None], [0], 1.0, _ramp_weights(len(mus)))
    x = (np.arange(200_000) + 0.5) / 200_000
    assert abs(np.exp(m.logpdf(x[:, None])).mean() - 1.0) < 1e-3


def test_joint_kernels_integrate_to_one_in_the_unit_square():
    rng = np.random.default_rng(0)
    u = np.vstack([rng.random((6, 2)), [[0.0, 1.0], [0.99, 0.01]]])  # kernels on the edges
    k = Parzen(u, [0, 0], 1.0, _ramp_weights(8))
    g = (np.arange(800) + 0.5) / 800
    xx = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    assert abs(np.exp(k.logpdf(xx)).mean() - 1.0) < 1e-3


def test_joint_with_a_choice_axis_sums_to_one():
    u = np.array([[0.1, 0.0], [0.8, 0.6], [0.95, 0.9]])
    k = Parzen(u, [0, 3], 1.0)
    g = (np.arange(4000) + 0.5) / 4000
    total = sum(np.exp(k.logpdf(np.stack([g, np.full_like(g, c)], 1))).mean()
                for c in range(3))
    assert abs(total - 1.0) < 1e-3


@pytest.mark.parametrize(("mu", "s"), [(0.0, 0.05), (1.0, 0.3), (0.99, 0.01), (0.4, 2.0)])
def test_truncated_draws_follow_the_truncated_normal(mu, s):
    q = np.random.default_rng(1).random(20_000)
    x = _truncnorm(np.full_like(q, mu), np.full_like(q, s), q)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.mean(x == 0.0) + np.mean(x == 1.0) == 0.0  # nothing piled on the edges
    ref = truncnorm((0 - mu) / s, (1 - mu) / s, loc=mu, scale=s)
    assert kstest(x, ref.cdf).pvalue > 1e-3


def test_joint_sample_stays_in_the_cube():
    u = np.array([[0.0, 1.0], [0.001, 0.999]])
    k = Parzen(u, [0, 0], 1.0)
    x = k.sample(np.random.default_rng(0), 5000)
    assert ((x >= 0) & (x <= 1)).all() and np.mean(x[:, 0] < 0.05) > 0.1


def test_draws_follow_the_density():
    """Draws from a mixture with a choice axis: the choice frequencies and the numeric axis
    match the density (its marginals, integrated on a grid)."""
    u = np.array([[0.1, 0.0], [0.15, 0.0], [0.8, 0.9]])
    k = Parzen(u, [0, 3], 1.0, np.array([1.0, 0.5, 2.0]))
    x = k.sample(np.random.default_rng(3), 40_000)
    g = (np.arange(2000) + 0.5) / 2000
    dens = {c: np.exp(k.logpdf(np.stack([g, np.full_like(g, c)], 1))) / 2000 for c in range(3)}
    for c in range(3):
        assert abs(np.mean(x[:, 1] == c) - dens[c].sum()) < 0.01
    below = sum(d[g < 0.3].sum() for d in dens.values())
    assert abs(np.mean(x[:, 0] < 0.3) - below) < 0.01


def test_density_matches_scipy_truncated_normals():
    """The closed form, written out with scipy's truncated normal: sum over kernels of weight
    x product over axes (numeric: truncnorm pdf at the gap bandwidth; choice: smoothed one-hot)."""
    from scipy.stats import truncnorm as tn

    u = np.array([[0.2, 0.9, 0.1], [0.5, 0.05, 0.7], [0.55, 0.4, 0.4], [0.97, 0.6, 0.95]])
    w_obs = np.array([0.3, 1.0, 0.6, 1.0])
    k = Parzen(u, [0, 0, 2], 0.7, w_obs)
    n = len(u)
    w = np.append(w_obs, 0.7) / (w_obs.sum() + 0.7)
    sig = gap_sigmas(u[:, :2].T.copy(), n + 1)[0]
    # the rule, spelled out for axis 0: larger neighbour gap, ends use their inner gap
    s0 = np.sort(u[:, 0])
    assert np.allclose(sig[0][np.argsort(u[:, 0])],
                       BANDWIDTH * np.maximum([s0[1] - s0[0], max(s0[1] - s0[0], s0[2] - s0[1]),
                                               max(s0[2] - s0[1], s0[3] - s0[2]), s0[3] - s0[2]],
                                              1 / min(100, n + 2)))
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.random(50), rng.random(50), rng.integers(0, 2, 50)])
    base = 0.7 / (n + 1)
    ref = np.zeros(50)
    for i in range(n + 1):
        dens = np.full(50, w[i])
        for j in (0, 1):
            mu, s = (u[i, j], sig[j, i]) if i < n else (0.5, 1.0)
            dens *= tn.pdf(x[:, j], (0 - mu) / s, (1 - mu) / s, loc=mu, scale=s)
        if i < n:
            own = min(int(u[i, 2] * 2), 1)
            dens *= np.where(x[:, 2] == own, base + 1, base) / (2 * base + 1)
        else:
            dens *= 0.5
        ref += dens
    assert np.allclose(np.exp(k.logpdf(x)), ref, rtol=1e-10)


@pytest.mark.parametrize("ks", [[0], [0, 0, 0, 0], [0, 4, 0, 0, 3]])
def test_product_form_density_equals_the_term_by_term_sum(ks):
    """The density as one matrix product (the square expanded) must equal the sum written out
    kernel by kernel, for candidates in dense, sparse and empty regions."""
    rng = np.random.default_rng(7)
    n = 3000
    u = np.vstack([rng.random((n // 2, len(ks))) ** 3,          # piled up near 0
                   0.4 + 0.02 * rng.random((n // 2 - 5, len(ks))),  # a tight cluster
                   rng.random((5, len(ks)))])                    # a few loners
    u[:, [j for j, k in enumerate(ks) if k]] = rng.random((n, sum(1 for k in ks if k)))
    k = Parzen(u, ks, 1.0, _ramp_weights(n))
    anywhere = np.vstack([rng.random((100, len(ks))), np.full((1, len(ks)), 0.999)])
    for j, c in enumerate(ks):
        if c:  # a choice axis holds choice indices
            anywhere[:, j] = np.floor(anywhere[:, j] * c)
    x = np.vstack([k.sample(rng, 300), anywhere])
    fast, full = k.logpdf(x), k.logpdf_full(x)
    assert np.isfinite(fast).all()
    assert np.allclose(fast, full, rtol=0, atol=1e-9)


def test_gamma_schedule_is_min_ceil_tenth_and_25():
    s = TPESampler()
    assert [s.n_good(n) for n in (1, 10, 11, 20, 21, 100, 250, 251, 2000)] == [
        1, 1, 2, 2, 3, 10, 25, 25, 25]
    assert TPESampler(gamma=0.25, max_good=5).n_good(100) == 5


def test_ramp_weights_downweight_old_bad_trials():
    assert (_ramp_weights(24) == 1).all()
    w = _ramp_weights(100)
    assert w.shape == (100,) and (w[-25:] == 1).all()
    assert w[0] == pytest.approx(1 / 100) and (np.diff(w[:75]) > 0).all()


def test_candidate_count_adapts_to_model_size_unless_fixed():
    s = TPESampler()
    assert s._n_candidates(10) == 128 and s._n_candidates(2000) == 24
    assert 24 <= s._n_candidates(300) <= 128
    assert TPESampler(n_ei_candidates=24)._n_candidates(10) == 24
    with pytest.raises(UsageError):
        TPESampler(n_ei_candidates=0)


def test_ties_go_to_the_earlier_trial():
    import caviar
    from caviar import Float
    from caviar.samplers.stream import Stream
    from caviar.space import Space

    space = Space({"x": Float(0, 1)})
    done = [caviar.FrozenTrial(i, 1, i, "complete", 1.0 if i % 2 else 0.0, {"x": i / 12})
            for i in range(12)]

    class H:
        study = type("S", (), {"space": space, "direction": "minimize"})()

        def trials(self):
            return done

    s = TPESampler(seed=0)
    s.propose(space, H(), [done[0]], [Stream(0, 99)], lambda c, n: 0)
    assert s._split is not None
    assert list(np.flatnonzero(s._split.good)) == [0, 2]  # 6 tie at 0.0; n_good = 2
