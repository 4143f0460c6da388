"""Importance on the unit-cube encoding, beside the lecture's order."""

from __future__ import annotations

import math

import numpy as np

from caviar import Choice, Float, FrozenTrial, Int
from caviar.analysis import lecture_tier, param_importance

SPACE = {"lr": Float(1e-5, 1.0, scale="log"), "beta": Float(0.9, 0.999, scale="reverse_log"),
         "hidden_units": Int(16, 256), "act": Choice(["relu", "tanh"])}


def trials(f, n: int = 120) -> list[FrozenTrial]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        p = {name: (q.from_unit(rng.random()) if not isinstance(q, Choice) else
                    q.value(rng.random())) for name, q in SPACE.items()}
        p = {k: (v.item() if hasattr(v, "item") else v) for k, v in p.items()}
        out.append(FrozenTrial(i, 1, i, "complete", f(p), p))
    return out


def test_a_log_lr_dominates() -> None:
    imp = param_importance(trials(lambda p: (math.log10(p["lr"]) + 2) ** 2), SPACE)
    assert imp.params[0].name == "lr" and imp.params[0].importance > 0.6
    assert math.isclose(sum(p.importance for p in imp.params), 1.0)


def test_a_reverse_log_beta_shows_on_the_unit_cube() -> None:
    # the value moves with log(1 - beta): almost flat in beta itself, clear on its own scale
    imp = param_importance(trials(lambda p: math.log10(1 - p["beta"])), SPACE)
    assert imp.params[0].name == "beta" and imp.params[0].importance > 0.6


def test_thin_data_gives_a_note_not_an_error() -> None:
    imp = param_importance(trials(lambda p: p["lr"], n=3), SPACE)
    assert imp.params == [] and "at least" in imp.note
    flat = param_importance(trials(lambda p: 1.0, n=20), SPACE)
    assert flat.params == [] and "same value" in flat.note


def test_lecture_tiers_from_names() -> None:
    assert lecture_tier("lr") == 1 and lecture_tier("learning_rate") == 1
    assert lecture_tier("momentum") == 2 and lecture_tier("beta") == 2
    assert lecture_tier("batch_size") == 2 and lecture_tier("hidden_units") == 2
    assert lecture_tier("n_layers") == 3 and lecture_tier("lr_decay") == 3
    assert lecture_tier("beta1") == 4 and lecture_tier("adam_beta2") == 4
    assert lecture_tier("eps") == 4
    assert lecture_tier("weight_decay") is None and lecture_tier("activation") is None
    imp = param_importance(trials(lambda p: (math.log10(p["lr"]) + 2) ** 2 +
                                  0.01 * p["hidden_units"] / 256), SPACE)
    assert imp.agrees_with_lecture is True
    assert imp.comparison()[0].startswith("lr: rank 1")


def test_main_effect_shares_match_the_closed_form() -> None:
    """Oracle: f = 4 x0^2 + 2 sin(2 pi x1) + x2 on the uniform unit cube (x3..x6 inert) has
    main-effect variances 16 * 4/45, 2 and 1/12, so known shares; the estimator recovers them
    from 300 noisy random-search trials."""
    space = {f"x{j}": Float(0.0, 1.0) for j in range(7)}
    true = np.array([16 * 4 / 45, 2.0, 1 / 12, 0, 0, 0, 0])
    true /= true.sum()
    rng = np.random.default_rng(3)
    x = rng.random((300, 7))
    y = 4 * x[:, 0] ** 2 + 2 * np.sin(2 * np.pi * x[:, 1]) + x[:, 2] + \
        0.3 * rng.standard_normal(300)
    ts = [FrozenTrial(i, 1, i, "complete", float(y[i]),
                      {f"x{j}": float(x[i, j]) for j in range(7)}) for i in range(300)]
    imp = param_importance(ts, space)
    got = np.array([next(p.importance for p in imp.params if p.name == n) for n in space])
    assert np.abs(got - true).sum() < 0.12, (got.round(3), true.round(3))
    assert [p.name for p in imp.params[:2]] == ["x1", "x0"]
