"""Shared pieces for the caviar.torch tests: small digits data and the oracle, which trains
one member alone with plain torch (torch.optim, torch.optim.lr_scheduler,
torch.nn.utils.clip_grad_norm_) in the engine's batch order."""

from __future__ import annotations

import copy
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

import caviar.torch as ct  # noqa: E402


@pytest.fixture(scope="session")
def digits64() -> tuple[Any, Any, Any, Any]:
    """320 training and 80 validation sklearn digits, standardised, float64."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data, dtype=torch.float64)
    x = (x - x.mean(0)) / (x.std(0) + 1e-3)
    y = torch.tensor(d.target, dtype=torch.long)
    g = torch.Generator().manual_seed(0)
    p = torch.randperm(len(x), generator=g)
    return x[p[:320]], y[p[:320]], x[p[320:400]], y[p[320:400]]


class EWMA(torch.optim.Optimizer):
    """The lecture's momentum, v = beta * v + (1 - beta) * (g + wd * p); p -= lr * v."""

    def __init__(self, params: Any, lr: float, beta: float, weight_decay: float = 0.0):
        super().__init__(params, {"lr": lr, "beta": beta, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                v = self.state[p].setdefault("v", torch.zeros_like(p))
                v.mul_(group["beta"]).add_(g, alpha=1 - group["beta"])
                p.add_(v, alpha=-group["lr"])


def torch_optimizer(m: ct.Member, params: Any) -> Any:
    if m.optimizer == "sgd":
        return torch.optim.SGD(params, lr=m.lr, momentum=m.momentum,
                               weight_decay=m.weight_decay)
    if m.optimizer == "sgd_ewma":
        return EWMA(params, lr=m.lr, beta=m.beta, weight_decay=m.weight_decay)
    cls = torch.optim.Adam if m.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=m.lr, betas=m.betas, eps=m.eps, weight_decay=m.weight_decay)


def torch_scheduler(m: ct.Member, opt: Any) -> Any:
    s = m.schedule
    if s is None:
        return None
    S = torch.optim.lr_scheduler
    if s.kind == "step":
        return S.StepLR(opt, step_size=s.step_size, gamma=s.gamma)
    if s.kind == "exponential":
        return S.ExponentialLR(opt, gamma=s.gamma)
    if s.kind == "cosine":
        return S.CosineAnnealingLR(opt, T_max=s.t_max, eta_min=s.eta_min)
    return S.LinearLR(opt, start_factor=s.start_factor, end_factor=1.0, total_iters=s.epochs)


def train_alone(m: ct.Member, x: Any, y: Any, epochs: int, seed: int = 0,
                loss: Any = F.cross_entropy) -> Any:
    """The member trained by itself, as a plain torch user would; returns the module."""
    model = copy.deepcopy(m.model)
    opt = torch_optimizer(m, model.parameters())
    sched = torch_scheduler(m, opt)
    B = m.batch_size
    for e in range(epochs):
        order = ct.batch_order(len(x), e, seed)
        model.train()
        for j in range(len(x) // B):
            sel = order[j * B:(j + 1) * B]
            opt.zero_grad()
            loss(model(x[sel]), y[sel]).backward()
            if m.clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), m.clip_grad_norm)
            opt.step()
        if sched is not None:
            sched.step()
    return model.eval()


def assert_same_state(sd: dict[str, Any], model: Any, *, rtol: float = 1e-9,
                      atol: float = 1e-11) -> None:
    ref = model.state_dict()
    assert set(sd) == set(ref)
    for k, v in ref.items():
        got = torch.as_tensor(sd[k])
        if v.is_floating_point():
            torch.testing.assert_close(got, v, rtol=rtol, atol=atol, msg=f"{k} differs")
        else:
            assert torch.equal(got, v), f"{k}: {got} != {v}"
