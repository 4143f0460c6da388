"""The shortcuts in TPE's densities against the straightforward sums: logsumexp that leaves
out the terms far below each row's largest, and each kernel's normaliser taken as one log
of a product; each to 1e-12 on random data, and a seeded TPE study proposes the same with
the straightforward forms swapped in."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.special import ndtr

import caviar
from caviar.samplers import _parzen
from caviar.storage import MemoryStorage


def _plain_logsumexp(acc):
    return np.log(np.exp(acc - acc.max(axis=1, keepdims=True)).sum(axis=1)) + acc.max(axis=1)


@pytest.mark.parametrize("scale", [0.1, 5.0, 40.0, 300.0, 5000.0])
def test_logsumexp_leaving_out_far_terms_equals_the_full_sum(scale):
    """Rows of 3,000 terms spread over ``scale`` (none left out at 0.1; nearly all at 5000),
    some rows with one term far above the rest, some with many ties at the top."""
    rng = np.random.default_rng(int(scale * 10))
    acc = -scale * rng.random((40, 3000)) + rng.normal(0, 50, (40, 1))
    acc[3, 17] += 1e3
    acc[5, :] = acc[5, 0]
    ref = _plain_logsumexp(acc)
    got = _parzen._logsumexp(acc.copy())
    assert np.abs(got - ref).max() <= 1e-12 * np.maximum(1.0, np.abs(ref)).max()
    assert np.allclose(_parzen._logsumexp_full(acc.copy()), ref, rtol=0, atol=1e-12)


def _plain_log_norm(mu, sig):
    mass = ndtr((1.0 - mu) / sig) - ndtr(-mu / sig)
    return (np.log(sig) + np.log(mass)).sum(axis=0) + mu.shape[0] * 0.5 * math.log(2 * math.pi)


@pytest.mark.parametrize("axes", [1, 5, 16, 17, 40])
def test_kernel_normaliser_equals_the_sum_of_logs(axes):
    """Bandwidths from the floor (BANDWIDTH / 100) to the prior's 1, centres anywhere in the
    cube (so many kernels lose mass at an edge), up to and past the product's axis limit."""
    rng = np.random.default_rng(axes)
    mu = rng.random((axes, 500))
    mu[:, :50] = rng.choice([0.0, 1.0, 0.001], size=(axes, 50))
    sig = np.exp(rng.uniform(math.log(_parzen.BANDWIDTH / 100), 0.0, (axes, 500)))
    got = _parzen._log_norm(mu, sig)
    assert np.allclose(got, _plain_log_norm(mu, sig), rtol=0, atol=1e-12)


def _styblinski_tang(trial):
    xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(5)]
    return 0.5 * sum(x ** 4 - 16 * x ** 2 + 5 * x for x in xs)


def _params(n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = caviar.create_study(storage=MemoryStorage(), sampler="tpe", seed=7)
    study.optimize(_styblinski_tang, n_trials=n)
    return [t.params for t in study.trials]


def test_tpe_proposes_the_same_with_the_straightforward_forms(monkeypatch):
    """300 TPE trials (a history that clusters near the best): the same params to the bit."""
    fast = _params(300)
    monkeypatch.setattr(_parzen, "_logsumexp", _parzen._logsumexp_full)
    monkeypatch.setattr(_parzen, "_log_norm", _plain_log_norm)
    assert _params(300) == fast


@pytest.mark.parametrize(("m", "k", "n"), [(24, 13, 2000), (24, 11, 10), (128, 40, 3001),
                                          (1, 1, 70_000)])
def test_the_product_in_column_blocks_equals_one_product(m, k, n):
    rng = np.random.default_rng(m + k + n)
    f, w = rng.normal(size=(m, k)), rng.normal(0, 1e4, size=(k, n))
    got = _parzen._product(f, w)
    assert got.shape == (m, n)
    assert np.allclose(got, f @ w, rtol=1e-14, atol=1e-9)
