"""The fused program (grouped convolutions, one batch norm over P*C channels, batched
matmuls): float64 equivalence with plain torch alone, per-member Dropout masks, which groups
take it, and the refusal of program='fused' for a module it cannot run."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.torch.conftest import assert_same_state, train_alone  # noqa: E402
from tests.torch.test_torch_equivalence import mixed  # noqa: E402

import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402
from caviar.torch.fused import Fused, fusable  # noqa: E402


def cnn2(seed: int) -> nn.Module:
    """Two convolutions (the first on the shared input, the second grouped), BatchNorm2d,
    pooling, then Linear + BatchNorm1d: every fused rule a CNN takes."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1, bias=False),
        nn.BatchNorm2d(4), nn.ReLU(),
        nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6, momentum=0.3), nn.GELU()),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 4 * 4, 12), nn.BatchNorm1d(12), nn.ReLU(),
        nn.Dropout(0.0), nn.Linear(12, 10)).double()


def test_fused_cnn_members_equal_plain_torch_alone_batch_norm_buffers_included(digits64):
    x, y, xv, yv = digits64
    members = mixed(cnn2)
    res = ct.train_population(members, (x, y), (xv, yv), epochs=2, dtype=torch.float64)
    assert len(res.groups) == 1 and res.groups[0].endswith("5 members, fused")
    for m, r in zip(members, res.members, strict=True):
        alone = train_alone(m, x, y, epochs=2)
        assert_same_state(r.state_dict, alone)  # weights, running mean/var, num_batches
        with torch.no_grad():
            acc = (alone(xv).argmax(1) == yv).double().mean().item()
        assert r.metric == pytest.approx(acc, abs=1e-12)
    assert int(res.members[0].state_dict["4.1.num_batches_tracked"]) == 2 * (len(x) // 32)


def test_fused_cnn_with_a_batch_per_member_equals_plain_torch_in_that_order(digits64):
    x, y, xv, yv = digits64
    members = mixed(cnn2)[:3]
    res = ct.train_population(members, (x, y), (xv, yv), epochs=1, dtype=torch.float64,
                              batch_order="per_member", program="fused")
    for i, (m, r) in enumerate(zip(members, res.members, strict=True)):
        assert_same_state(r.state_dict, train_alone(m, x, y, epochs=1, seed=i))


@pytest.mark.parametrize("where", ["input", "after linear", "after batch norm"])
def test_fused_dropout_draws_a_mask_per_member_and_element(where):
    layers = {"input": [nn.Dropout(0.5)],
              "after linear": [nn.Linear(20, 20), nn.Dropout(0.5)],
              "after batch norm": [nn.Linear(20, 20), nn.BatchNorm1d(20), nn.Dropout(0.5)]}
    model = nn.Sequential(*layers[where]).double()
    P, x = 4, torch.randn(500, 20, dtype=torch.float64) + 5.0  # no exact zeros before dropout
    params = {n: torch.stack([p.detach()] * P) for n, p in model.named_parameters()}
    buffers = {n: torch.stack([b.detach()] * P) for n, b in model.named_buffers()}
    out = Fused(model)(params, buffers, x, P, False, True)
    assert out.shape == (P, 500, 20)
    zero = out == 0
    rate = zero.double().mean(dim=(1, 2))
    assert torch.all((rate > 0.45) & (rate < 0.55)), rate  # p = 0.5 for every member
    for i in range(1, P):  # identical members, their own masks
        assert not torch.equal(zero[0], zero[i])
    no_drop = copy.deepcopy(model)
    for m in no_drop.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    fresh = {n: torch.stack([b.detach()] * P) for n, b in model.named_buffers()}
    ref = Fused(no_drop)(params, fresh, x, P, False, True)  # the same layers, nothing dropped
    kept = ~zero
    assert kept.any()
    torch.testing.assert_close(out[kept], 2.0 * ref[kept], rtol=1e-12, atol=1e-12)  # 1/(1-p)
    ev = Fused(model.eval())(params, buffers, x, P, False, False)
    torch.testing.assert_close(ev[0], ev[P - 1], rtol=1e-12, atol=1e-12)
    assert not torch.any(ev == 0)


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(64, 64)
        self.b = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(x + self.a(x))


@pytest.mark.parametrize("model,why", [
    (Residual(), "Residual is not an nn.Sequential"),
    (nn.Sequential(nn.Unflatten(1, (4, 4, 4)), nn.Conv2d(4, 4, 3, groups=2), nn.Flatten(),
                   nn.Linear(16, 10)), r"layer 1 \(Conv2d\) has groups != 1"),
    (nn.Sequential(nn.Unflatten(1, (4, 16)), nn.Conv1d(4, 4, 3, padding=1,
                                                      padding_mode="circular"),
                   nn.Flatten(), nn.Linear(64, 10)), r"\(Conv1d\) has groups != 1 or padding_mode"),
    (nn.Sequential(nn.Linear(64, 8), nn.PReLU(), nn.Linear(8, 10)),
     r"layer 1 \(PReLU\) is not a layer the fused program knows"),
])
def test_modules_the_fused_program_cannot_run_are_vmapped_or_refused_when_asked(
        digits64, model, why):
    x, y, xv, yv = digits64
    x, y = x[:64], y[:64]
    assert fusable(model) is not None
    res = ct.train_population([ct.Member(model.double(), batch_size=32)], (x, y), (xv, yv),
                              epochs=1, dtype=torch.float64)
    assert res.groups[0].endswith(", vmap") and res.members[0].state == "complete"
    with pytest.raises(UsageError, match=f"program='fused': model .* because .*{why}"):
        ct.train_population([ct.Member(model, batch_size=32)], (x, y), (xv, yv), epochs=1,
                            dtype=torch.float64, program="fused")
    with pytest.raises(UsageError, match="program: must be one of 'auto', 'vmap', 'fused'"):
        ct.train_population([ct.Member(model, batch_size=32)], (x, y), (xv, yv), epochs=1,
                            dtype=torch.float64, program="hfta")


def test_batch_norm_with_a_cumulative_average_is_not_fused():
    bn = nn.Sequential(nn.Linear(64, 8), nn.BatchNorm1d(8, momentum=None), nn.Linear(8, 10))
    assert "layer 1 (BatchNorm1d) has momentum=None" in str(fusable(bn))
