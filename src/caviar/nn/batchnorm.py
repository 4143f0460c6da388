"""Batch normalization, written out: the forward pass, its closed-form backward, running averages.

Conventions (see docs/nn.md):

* Training normalises with the per-feature batch mean and the *biased* batch variance:
  ``x_hat = (x - mu) / sqrt(var + eps)``, ``y = gamma * x_hat + beta``.
* Test time uses exponentially weighted averages across mini-batches, written with the lecture's
  ``bn_beta``: ``v = bn_beta * v + (1 - bn_beta) * x`` (default 0.9). PyTorch writes the same
  average with ``momentum = 1 - bn_beta``.
* The running variance stores the average of the *unbiased* batch variance ``var * B / (B - 1)``,
  as PyTorch does, so this layer and ``torch.nn.BatchNorm1d(momentum=1 - bn_beta)`` agree to
  float64 precision in train and eval mode, running statistics included.
* Population statistics (the original paper's inference rule) replace the running averages by the
  mean and unbiased variance over the whole training set, computed after training.

The functions take ``[..., B, F]`` tensors: the batch axis is the one before the features, so the
same code normalises one model (``[B, F]``) or a population of P models (``[P, B, F]``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

import torch
from torch import Tensor

from .workspace import Workspace, buffer


class BNCache(NamedTuple):
    x_hat: Tensor
    inv_std: Tensor
    mean: Tensor
    var: Tensor  # biased batch variance


def batch_norm_train(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    eps: float | Tensor,
    *,
    ws: Workspace | None = None,
    key: Hashable = None,
) -> tuple[Tensor, BNCache]:
    """Normalise with batch statistics; returns the output and what the backward pass needs.

    With a workspace ``ws`` every intermediate is written into buffers keyed by ``key`` (reused
    by the next call with the same key), otherwise into fresh tensors.
    """
    if ws is None:  # plain ops: differentiable by autograd (the BatchNorm module relies on it)
        mean = x.mean(dim=-2, keepdim=True)
        centred = x - mean
        var = (centred * centred).mean(dim=-2, keepdim=True)
        inv_std = torch.rsqrt(var + eps)
        x_hat = centred * inv_std
        return x_hat * gamma + beta, BNCache(x_hat, inv_std, mean, var)
    stat = (*x.shape[:-2], 1, x.shape[-1])
    mean = torch.mean(x, dim=-2, keepdim=True, out=buffer(ws, (key, "mean"), stat, x))
    x_hat = torch.sub(x, mean, out=buffer(ws, (key, "x_hat"), x.shape, x))
    sq = torch.mul(x_hat, x_hat, out=buffer(ws, "scratch", x.shape, x))
    var = torch.mean(sq, dim=-2, keepdim=True, out=buffer(ws, (key, "var"), stat, x))
    inv_std = torch.add(var, eps, out=buffer(ws, (key, "inv_std"), stat, x)).rsqrt_()
    x_hat.mul_(inv_std)
    y = torch.addcmul(beta, x_hat, gamma, out=buffer(ws, (key, "y"), x.shape, x))
    return y, BNCache(x_hat, inv_std, mean, var)


@torch.no_grad()
def batch_norm_backward(
    grad_out: Tensor,
    cache: BNCache,
    gamma: Tensor,
    *,
    ws: Workspace | None = None,
    key: Hashable = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Closed-form backward: returns (grad_x, grad_gamma, grad_beta).

    ``dx = gamma * inv_std * (dy - mean(dy) - x_hat * mean(dy * x_hat))``, evaluated as
    ``dy * k1 + x_hat * k2 + k3`` with per-feature ``k`` so it takes two passes over the batch.
    grad_gamma and grad_beta keep the batch axis with size 1 (``[..., 1, F]``).
    """
    x = grad_out
    stat = (*x.shape[:-2], 1, x.shape[-1])
    grad_beta = torch.sum(x, dim=-2, keepdim=True, out=buffer(ws, (key, "g_beta"), stat, x))
    prod = torch.mul(x, cache.x_hat, out=buffer(ws, "scratch", x.shape, x))
    grad_gamma = torch.sum(prod, dim=-2, keepdim=True, out=buffer(ws, (key, "g_gamma"), stat, x))
    k1 = gamma * cache.inv_std
    k = k1 / -x.shape[-2]
    grad_x = torch.addcmul(
        grad_beta * k, cache.x_hat, grad_gamma * k, out=buffer(ws, (key, "g_x"), x.shape, x)
    ).addcmul_(x, k1)
    return grad_x, grad_gamma, grad_beta


def batch_norm_eval(
    x: Tensor, mean: Tensor, var: Tensor, gamma: Tensor, beta: Tensor, eps: float | Tensor
) -> Tensor:
    """Normalise with stored statistics (running averages or population statistics)."""
    return (x - mean) * torch.rsqrt(var + eps) * gamma + beta


def update_running(
    running_mean: Tensor,
    running_var: Tensor,
    cache: BNCache,
    batch_size: int,
    bn_beta: float | Tensor,
) -> None:
    """In place: ``v = bn_beta * v + (1 - bn_beta) * x`` for the mean and the unbiased variance."""
    unbiased = cache.var * (batch_size / (batch_size - 1))
    running_mean.mul_(bn_beta).add_(cache.mean.squeeze(-2) * (1 - bn_beta))
    running_var.mul_(bn_beta).add_(unbiased.squeeze(-2) * (1 - bn_beta))


def population_statistics(x: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and unbiased variance of ``x`` ``[..., N, F]`` over all N training examples."""
    mean = x.mean(dim=-2)
    var = x.var(dim=-2, unbiased=True)
    return mean, var


class BatchNorm(torch.nn.Module):
    """Batch normalization over the features of ``[B, F]`` inputs, in caviar's own arithmetic.

    Its state dict has the keys of ``torch.nn.BatchNorm1d`` (weight, bias, running_mean,
    running_var, num_batches_tracked), so weights move freely between the two.
    """

    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(
        self,
        num_features: int,
        *,
        bn_beta: float = 0.9,
        eps: float = 1e-5,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if num_features < 1:
            raise ValueError(
                f"num_features: must be >= 1, got {num_features}; use a positive width"
            )
        if not 0.0 <= bn_beta < 1.0:
            raise ValueError(f"bn_beta: must be in [0, 1), got {bn_beta}; use e.g. 0.9")
        if not eps > 0.0:
            raise ValueError(f"eps: must be > 0, got {eps}; use e.g. 1e-5")
        kw = {"dtype": dtype, "device": device}
        self.bn_beta = bn_beta
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(num_features, **kw))  # type: ignore[arg-type]
        self.bias = torch.nn.Parameter(torch.zeros(num_features, **kw))  # type: ignore[arg-type]
        self.register_buffer("running_mean", torch.zeros(num_features, **kw))  # type: ignore[arg-type]
        self.register_buffer("running_var", torch.ones(num_features, **kw))  # type: ignore[arg-type]
        self.register_buffer(
            "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
        )

    @property
    def momentum(self) -> float:
        """The same average in PyTorch's convention: ``momentum = 1 - bn_beta``."""
        return 1.0 - self.bn_beta

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return batch_norm_eval(
                x, self.running_mean, self.running_var, self.weight, self.bias, self.eps
            )
        if x.shape[-2] < 2:
            raise ValueError(
                f"batch size: must be >= 2 in training, got {x.shape[-2]}; use larger mini-batches"
            )
        y, cache = batch_norm_train(x, self.weight, self.bias, self.eps)
        with torch.no_grad():
            update_running(self.running_mean, self.running_var, cache, x.shape[-2], self.bn_beta)
            self.num_batches_tracked += 1
        return y

    @torch.no_grad()
    def set_population_statistics(self, x: Tensor) -> None:
        """Replace the running averages by the statistics of ``x``, the whole training set's
        inputs to this layer (the original batch-norm paper's inference rule)."""
        mean, var = population_statistics(x)
        self.running_mean.copy_(mean)
        self.running_var.copy_(var)
