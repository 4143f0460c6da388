"""The lecture's lessons as runnable examples: each runs and shows what it claims."""

from __future__ import annotations

import math

import pytest

from examplesupport import load_example

pytest.importorskip("torch")


@pytest.mark.slow
def test_batch_norm_keeps_large_learning_rates_trainable():
    out = load_example("batchnorm_vs_none").main(epochs=3)
    assert out[(True, 1e-3)] > out[(False, 1e-3)] + 0.1   # faster at a small lr
    assert out[(True, 3.0)] > 0.8                         # still trains at lr = 3
    no_bn = out[(False, 3.0)]
    assert math.isnan(no_bn) or no_bn < out[(True, 3.0)] - 0.1


def test_batch_norm_at_test_time():
    out = load_example("batchnorm_test_time").main()
    assert out["running"] > 0.85 and out["population"] > 0.85
    assert out["alone_gap"] < 1e-6   # stored statistics: a lone example gets the same output


def test_softmax_with_two_classes_is_logistic_regression():
    out = load_example("softmax_two_classes").main()
    assert out["gap"] < 1e-12
    assert abs(out["softmax"] - out["logistic"]) < 0.03


def test_autodiff_reaches_w_equals_5():
    out = load_example("autodiff_cost").main()
    assert abs(out["w"] - 5.0) < 1e-6 and out["best_gap"] < 1e-3


@pytest.mark.slow
def test_pandas_vs_caviar_both_learn_on_the_same_budget():
    out = load_example("pandas_vs_caviar").main(budget=24)
    assert out["panda"] > 0.8 and out["caviar"] > 0.8  # both learn digits on 24 epochs
