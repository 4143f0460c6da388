from __future__ import annotations

import numpy as np
import pytest
import torch

from caviar.nn import (
    BatchNorm,
    batch_norm_backward,
    batch_norm_train,
    population_statistics,
)

TOL = 1e-12


@pytest.mark.parametrize("bn_beta", [0.9, 0.5, 0.0])
def test_matches_torch_batchnorm1d_train_and_eval(bn_beta):
    torch.manual_seed(1)
    mine = BatchNorm(7, bn_beta=bn_beta, eps=1e-3, dtype=torch.float64)
    ref = torch.nn.BatchNorm1d(7, eps=1e-3, momentum=1 - bn_beta, dtype=torch.float64)
    with torch.no_grad():
        for m in (mine, ref):
            m.weight.copy_(torch.linspace(0.5, 2, 7))
            m.bias.copy_(torch.linspace(-1, 1, 7))
    for step in range(6):
        x = torch.randn(16 + step, 7, dtype=torch.float64) * 3 + step
        assert torch.allclose(mine(x), ref(x), atol=TOL, rtol=0)
    for key, value in ref.state_dict().items():
        assert torch.allclose(mine.state_dict()[key].double(), value.double(), atol=TOL, rtol=0)
    mine.eval()
    ref.eval()
    x = torch.randn(9, 7, dtype=torch.float64)
    assert torch.allclose(mine(x), ref(x), atol=TOL, rtol=0)
    assert mine.momentum == pytest.approx(1 - bn_beta)


def test_running_variance_is_the_average_of_the_unbiased_batch_variance():
    bn = BatchNorm(3, bn_beta=0.0, dtype=torch.float64)  # beta 0: running = last batch
    x = torch.randn(10, 3, dtype=torch.float64)
    bn(x)
    assert torch.allclose(bn.running_var, x.var(0, unbiased=True), atol=TOL)
    assert torch.allclose(bn.running_mean, x.mean(0), atol=TOL)


def test_backward_closed_form_matches_autograd():
    torch.manual_seed(2)
    x = torch.randn(4, 20, 5, dtype=torch.float64, requires_grad=True)  # [P, B, F]
    gamma = torch.rand(4, 1, 5, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(4, 1, 5, dtype=torch.float64, requires_grad=True)
    y, cache = batch_norm_train(x, gamma, beta, 1e-5)
    g = torch.randn_like(y)
    y.backward(g)
    dx, dgamma, dbeta = batch_norm_backward(g, cache, gamma.detach())
    assert torch.allclose(dx, x.grad, atol=1e-12, rtol=0)
    assert torch.allclose(dgamma, gamma.grad, atol=1e-12, rtol=0)
    assert torch.allclose(dbeta, beta.grad, atol=1e-12, rtol=0)
    # and each member of the [P, B, F] batch equals torch's functional batch norm on its own
    for p in range(4):
        ref = torch.nn.functional.batch_norm(
            x[p], None, None, gamma[p, 0], beta[p, 0], training=True, eps=1e-5
        )
        assert torch.allclose(y[p], ref, atol=TOL, rtol=0)


def test_population_statistics_are_the_full_data_mean_and_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(1000, 4))
    mean, var = population_statistics(torch.tensor(x))
    assert np.allclose(mean.numpy(), x.mean(0), atol=1e-12)
    assert np.allclose(var.numpy(), x.var(0, ddof=1), atol=1e-12)
    bn = BatchNorm(4, dtype=torch.float64)
    bn.set_population_statistics(torch.tensor(x))
    bn.eval()
    out = bn(torch.tensor(x)).detach().numpy()
    assert np.allclose(out.mean(0), 0, atol=1e-12)
    assert np.allclose(out.std(0, ddof=1), 1 / np.sqrt(1 + 1e-5 / x.var(0, ddof=1)), atol=1e-9)


def test_constant_feature_gives_zero_not_nan():
    y, _ = batch_norm_train(
        torch.zeros(8, 3, dtype=torch.float64),
        torch.ones(3, dtype=torch.float64),
        torch.zeros(3, dtype=torch.float64),
        1e-5,
    )
    assert torch.equal(y, torch.zeros(8, 3, dtype=torch.float64))


def test_bad_arguments_and_batch_of_one():
    with pytest.raises(ValueError, match="bn_beta: must be in"):
        BatchNorm(3, bn_beta=1.0)
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="batch size: must be >= 2"):
        BatchNorm(3)(torch.zeros(1, 3))
