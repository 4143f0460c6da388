"""Draw frequencies on each scale, against closed-form probabilities (5-sigma bounds)."""

from __future__ import annotations

import math

import numpy as np

from caviar import Float, create_study

N = 200_000


def within(p_hat, p, n, sigmas=5.0):
    return abs(p_hat - p) < sigmas * math.sqrt(p * (1 - p) / n)


def draws(param, n=N, seed=0):
    return param.from_unit(np.random.default_rng(seed).random(n))


def test_log_puts_a_quarter_in_each_decade():
    x = draws(Float(1e-4, 1.0, scale="log"))
    assert x.min() >= 1e-4 and x.max() <= 1.0
    for lo in (1e-4, 1e-3, 1e-2, 1e-1):
        assert within(np.mean((x >= lo) & (x < 10 * lo)), 0.25, N)


def test_linear_lr_would_starve_small_decades():
    x = draws(Float(1e-4, 1.0))  # the wrong scale: 90% of draws land in [0.1, 1]
    assert within(np.mean(x >= 0.1), (1 - 0.1) / (1 - 1e-4), N)
    assert within(np.mean(x < 1e-3), (1e-3 - 1e-4) / (1 - 1e-4), N)


def test_reverse_log_half_above_0_99_and_median_0_99():
    b = draws(Float(0.9, 0.999, scale="reverse_log"))
    assert b.min() >= 0.9 and b.max() <= 0.999
    assert within(np.mean(b > 0.99), 0.5, N)
    # the median of n draws has sd ~ 1/(2 f(m) sqrt n); f(0.99) = 1/(0.01 ln 100) = 21.7
    assert abs(np.median(b) - 0.99) < 5 / (2 * 21.7 * math.sqrt(N))
    # 1 - beta is log-uniform on [1e-3, 1e-1]: each half-decade holds a quarter
    for lo in (1e-3, 10**-2.5, 1e-2, 10**-1.5):
        assert within(np.mean(((1 - b) >= lo) & ((1 - b) < lo * 10**0.5)), 0.25, N)


def test_mirrored_construction_is_not_reverse_log():
    """Why ours differs: mirroring a log-uniform draw inside [0.9, 0.999] (beta = low + high
    - x, x log-uniform) crowds draws near 0.9; only ln(1.01)/ln(1.11) ~ 9.5% land above 0.99."""
    x = draws(Float(0.9, 0.999, scale="log"))
    mirrored = 0.9 + 0.999 - x
    p = math.log(1.01) / math.log(1.11)
    assert within(np.mean(mirrored > 0.99), p, N)
    assert 0.09 < p < 0.10
    plain_log = math.log(0.999 / 0.99) / math.log(0.999 / 0.9)  # log-uniform beta: ~8.7%
    assert within(np.mean(x > 0.99), plain_log, N)


def test_frequencies_through_a_seeded_study():
    study = create_study(seed=7, space={
        "lr": Float(1e-4, 1.0, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log")})
    n = 20_000
    trials = study.ask(n)
    lr = np.array([t.params["lr"] for t in trials])
    beta = np.array([t.params["beta"] for t in trials])
    for lo in (1e-4, 1e-3, 1e-2, 1e-1):
        assert within(np.mean((lr >= lo) & (lr < 10 * lo)), 0.25, n)
    assert within(np.mean(beta > 0.99), 0.5, n)
    assert abs(np.corrcoef(np.log(lr), np.log1p(-beta))[0, 1]) < 5 / math.sqrt(n)


def test_define_by_run_draws_through_optimize():
    study = create_study(seed=3)
    study.optimize(lambda t: t.suggest_float("beta", 0.9, 0.999, scale="reverse_log"),
                   n_trials=4000)
    beta = np.array([t.params["beta"] for t in study.trials])
    assert len(beta) == 4000 and within(np.mean(beta > 0.99), 0.5, 4000)
