"""TPE's Parzen estimators: truncated kernels integrate to 1 in the cube, draws follow the
truncated normal (no mass piled at the edges), the good/bad split and the weights follow the
documented schedules, and the candidate count adapts to the model's size."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kstest, truncnorm

from caviar.errors import UsageError
from caviar.samplers import TPESampler
from caviar.samplers.tpe import (
    _joint_logpdf,
    _joint_sample,
    _kernels,
    _logpdf,
    _mixture,
    _ramp_weights,
    _truncnorm,
)


@pytest.mark.parametrize(
    "mus", [[0.0], [1.0, 0.98], [0.02, 0.5, 0.97], list(np.linspace(0, 1, 30))])
def test_univariate_mixture_integrates_to_one_in_the_unit_interval(mus):
    m = _mixture(np.asarray(mus, dtype=float), 1.0, _ramp_weights(len(mus)))
    x = (np.arange(200_000) + 0.5) / 200_000
    assert abs(np.exp(_logpdf(x, m)).mean() - 1.0) < 1e-3


def test_joint_kernels_integrate_to_one_in_the_unit_square():
    rng = np.random.default_rng(0)
    u = np.vstack([rng.random((6, 2)), [[0.0, 1.0], [0.99, 0.01]]])  # kernels on the edges
    k = _kernels(u, [0, 0], 1.0, _ramp_weights(8))
    g = (np.arange(800) + 0.5) / 800
    xx = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    assert abs(np.exp(_joint_logpdf(xx, k, [0, 0])).mean() - 1.0) < 1e-3


def test_joint_with_a_choice_axis_sums_to_one():
    u = np.array([[0.1, 0.0], [0.8, 0.6], [0.95, 0.9]])
    k = _kernels(u, [0, 3], 1.0)
    g = (np.arange(4000) + 0.5) / 4000
    total = sum(np.exp(_joint_logpdf(np.stack([g, np.full_like(g, c)], 1), k, [0, 3])).mean()
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
    k = _kernels(u, [0, 0], 1.0)
    x = _joint_sample(k, [0, 0], np.random.default_rng(0), 5000)
    assert ((x >= 0) & (x <= 1)).all() and np.mean(x[:, 0] < 0.05) > 0.1


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
