from __future__ import annotations

import torch

from caviar.nn import cross_entropy, cross_entropy_grad, log_softmax, softmax

torch.manual_seed(0)


def test_softmax_matches_torch_and_sums_to_one():
    z = torch.randn(5, 7, 10, dtype=torch.float64) * 3
    assert torch.allclose(softmax(z), torch.softmax(z, -1), atol=1e-15, rtol=0)
    assert torch.allclose(softmax(z).sum(-1), torch.ones(5, 7, dtype=torch.float64))


def test_softmax_is_stable_for_huge_logits():
    z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=torch.float64)
    p = softmax(z)
    assert torch.isfinite(p).all()
    assert torch.equal(p[0], torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
    assert torch.allclose(p[1], torch.full((3,), 1 / 3, dtype=torch.float64))
    assert torch.allclose(p[2], torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64))
    ls = log_softmax(z)
    assert torch.isfinite(ls[1]).all() and ls[0, 1] == -2e4
    y = torch.tensor([1, 0, 2])
    loss = cross_entropy(z, y)
    assert torch.isfinite(loss)
    assert torch.allclose(loss, torch.nn.functional.cross_entropy(z, y))
    naive = torch.exp(z) / torch.exp(z).sum(-1, keepdim=True)  # what the shift avoids
    assert not torch.isfinite(naive).all()


def test_cross_entropy_matches_torch():
    z = torch.randn(32, 10, dtype=torch.float64)
    y = torch.randint(0, 10, (32,))
    assert torch.allclose(
        cross_entropy(z, y), torch.nn.functional.cross_entropy(z, y), atol=1e-14, rtol=0
    )


def test_gradient_is_y_hat_minus_y_and_matches_autograd():
    z = torch.randn(16, 6, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 6, (16,))
    torch.nn.functional.cross_entropy(z, y).backward()
    mine = cross_entropy_grad(z.detach(), y)
    closed = (torch.softmax(z.detach(), -1) - torch.nn.functional.one_hot(y, 6)) / 16
    assert torch.allclose(mine, z.grad, atol=1e-15, rtol=0)
    assert torch.allclose(mine, closed, atol=1e-16, rtol=0)


def test_two_classes_is_logistic_regression():
    z = torch.randn(100, 2, dtype=torch.float64) * 4
    y = torch.randint(0, 2, (100,))
    p1 = softmax(z)[:, 1]
    assert torch.allclose(p1, torch.sigmoid(z[:, 1] - z[:, 0]), atol=1e-15, rtol=0)
    logistic = torch.nn.functional.binary_cross_entropy_with_logits(z[:, 1] - z[:, 0], y.double())
    assert torch.allclose(cross_entropy(z, y), logistic, atol=1e-14, rtol=0)
    # the gradient wrt the logit difference is sigmoid(d) - y, as in logistic regression
    g = cross_entropy_grad(z, y) * 100
    assert torch.allclose(g[:, 1], p1 - y, atol=1e-15) and torch.allclose(g[:, 0], -(p1 - y))
