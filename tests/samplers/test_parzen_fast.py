"""The fast paths of TPE's Parzen estimators against their references: the product-form
density against the kernel-by-kernel sum in a clustered history (the one a real TPE study
makes), and the bandwidths kept sorted across proposals against a fresh sort, down to the
last bit and to the same proposals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import caviar
from caviar import Choice, Float, Int
from caviar.samplers import tpe as tpe_module
from caviar.samplers._parzen import Parzen, SortedAxes, gap_sigmas, ramp_weights
from caviar.storage import MemoryStorage


def _styblinski_tang(trial):
    xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(5)]
    return 0.5 * sum(x ** 4 - 16 * x ** 2 + 5 * x for x in xs)


@pytest.fixture(scope="module")
def tpe_history():
    """600 trials made by TPE itself on a 5-float function: (unit values, values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = caviar.create_study(storage=MemoryStorage(), sampler="tpe", seed=3)
    study.optimize(_styblinski_tang, n_trials=600)
    u = np.array([[(t.params[f"x{i}"] + 5.0) / 10.0 for i in range(5)] for t in study.trials])
    return u, np.array([t.value for t in study.trials])


def test_density_in_a_clustered_tpe_history_equals_the_full_sum(tpe_history):
    u, v = tpe_history
    good = np.zeros(len(v), dtype=bool)
    good[np.argsort(v)[:25]] = True
    best = u[np.argmin(v)]
    # the case under test: the history clusters, most bad kernels sit near the best trial
    near = np.abs(u[~good] - best).max(axis=1) < 0.15
    assert near.mean() > 0.5
    lk = Parzen(u[good], [0] * 5, 1.0)
    gk = Parzen(u[~good], [0] * 5, 1.0, ramp_weights(int((~good).sum())))
    rng = np.random.default_rng(0)
    x = np.vstack([lk.sample(rng, 500), rng.random((200, 5)), u[~good][:50]])
    for k in (lk, gk):
        fast, full = k.logpdf(x), k.logpdf_full(x)
        assert np.isfinite(fast).all()
        assert np.allclose(fast, full, rtol=0, atol=1e-9)
    # and the score TPE maximizes picks the same candidate
    cand = x[:24]
    s_fast = lk.logpdf(cand) - gk.logpdf(cand)
    s_full = lk.logpdf_full(cand) - gk.logpdf_full(cand)
    assert np.argmax(s_fast) == np.argmax(s_full)


@pytest.mark.parametrize("ks", [[3, 5], [0, 2], [0, 0, 4]])
def test_product_form_with_choice_axes_and_a_tight_cluster(ks):
    rng = np.random.default_rng(11)
    n = 2500
    u = np.clip(0.3 + 0.004 * rng.standard_normal((n, len(ks))), 0, 1)  # bandwidths at the floor
    for j, k in enumerate(ks):
        if k:
            u[:, j] = rng.random(n)
    k = Parzen(u, ks, 1.0, ramp_weights(n))
    x = np.vstack([k.sample(rng, 300), rng.random((100, len(ks)))])
    for j, c in enumerate(ks):
        if c:
            x[300:, j] = np.floor(x[300:, j] * c)
    assert np.allclose(k.logpdf(x), k.logpdf_full(x), rtol=0, atol=1e-9)


def test_empty_model_is_the_prior():
    k = Parzen(np.empty((0, 2)), [0, 3], 1.0)
    x = np.array([[0.5, 0.0], [0.01, 2.0]])
    assert np.allclose(k.logpdf(x), k.logpdf_full(x), rtol=0, atol=1e-12)


def test_sorted_axes_give_the_bandwidths_of_a_fresh_sort_exactly():
    """Columns appended a few at a time (many ties: values on a grid of eighths), any subset
    kept, a few extra points: the same bits as ``gap_sigmas`` of the concatenation."""
    rng = np.random.default_rng(5)
    for _ in range(4):
        axes, mus = SortedAxes(), np.empty((3, 0))
        for _ in range(60):
            mus = np.concatenate([mus, np.round(rng.random((3, rng.integers(0, 4))) * 8) / 8], 1)
            axes.update(mus)
            keep = rng.random(mus.shape[1]) < 0.8
            extra = np.round(rng.random((3, rng.integers(0, 3))) * 8) / 8
            both = np.concatenate([mus[:, keep], extra], axis=1)
            ref = gap_sigmas(both, both.shape[1] + 1)[0]
            assert np.array_equal(axes.sigmas(keep, extra), ref)


def test_sorted_axes_start_over_when_the_table_is_not_an_extension():
    rng = np.random.default_rng(6)
    axes = SortedAxes()
    axes.update(rng.random((2, 50)))
    for mus in (rng.random((2, 20)), rng.random((4, 30))):  # fewer columns; other axes
        axes.update(mus)
        keep = np.ones(mus.shape[1], dtype=bool)
        ref = gap_sigmas(mus, mus.shape[1] + 1)[0]
        assert np.array_equal(axes.sigmas(keep, np.empty((mus.shape[0], 0))), ref)


class _FreshSort:
    """SortedAxes done the slow way: a new sort at every proposal."""

    def update(self, mus):
        self.mus = mus.copy()

    def sigmas(self, keep, extra):
        both = np.concatenate([self.mus[:, keep], extra], axis=1)
        return gap_sigmas(both, both.shape[1] + 1)[0]


def _proposals(batch: int) -> list[dict]:
    space = {"lr": Float(1e-5, 1, scale="log"), "m": Float(0.5, 0.999, scale="reverse_log"),
             "x": Float(-1, 1), "layers": Int(1, 4), "act": Choice(["a", "b", "c"])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = caviar.create_study(space=space, sampler="tpe", seed=1)
    while len(study.trials) < 160:
        trials = study.ask(batch)  # several running at once: the constant liar's lies
        for t in trials:
            p = t.params
            study.tell(t, (np.log10(p["lr"]) + 2) ** 2 + p["x"] ** 2 + p["layers"]
                       + (p["act"] == "b"))
    return [t.params for t in study.trials]


@pytest.mark.parametrize("batch", [1, 4])
def test_tpe_proposes_the_same_with_bandwidths_kept_as_with_a_fresh_sort(batch, monkeypatch):
    """Same proposals, and every bandwidth handed to g the same to the bit."""
    seen: list[np.ndarray] = []

    def spy(*args, sig=None, **kw):
        if sig is not None:
            seen.append(sig.copy())
        return Parzen(*args, sig=sig, **kw)

    monkeypatch.setattr(tpe_module, "Parzen", spy)
    kept = _proposals(batch)
    kept_sig, seen[:] = list(seen), []
    monkeypatch.setattr(tpe_module, "SortedAxes", _FreshSort)
    assert _proposals(batch) == kept
    assert len(seen) == len(kept_sig) > 100
    assert all(np.array_equal(a, b) for a, b in zip(seen, kept_sig, strict=True))
