"""float64 equivalence: after 2 epochs every member of a population equals the same config
trained alone by plain torch (same init, same batch order), buffers included."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.torch.conftest import assert_same_state, train_alone  # noqa: E402

import caviar.torch as ct  # noqa: E402


def cnn(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, padding=1, bias=False),
                         nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 10)).double()


def mlp(seed: int, width: int = 24, p: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
                         nn.Linear(width, 16), nn.LayerNorm(16), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(16, 10)).double()


def mixed(make: object, batch_size: int = 32) -> list[ct.Member]:
    """Five members of one program: every optimizer form, every schedule, clipping."""
    return [
        ct.Member(make(1), optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=1e-3,
                  batch_size=batch_size, schedule=ct.step_lr(1, 0.5)),
        ct.Member(make(2), optimizer="sgd_ewma", lr=0.2, beta=0.8, weight_decay=1e-3,
                  batch_size=batch_size, schedule=ct.cosine_lr(t_max=2)),
        ct.Member(make(3), optimizer="adam", lr=3e-3, betas=(0.8, 0.99), weight_decay=1e-2,
                  batch_size=batch_size, schedule=ct.exponential_lr(0.7)),
        ct.Member(make(4), optimizer="adamw", lr=5e-3, weight_decay=0.1, batch_size=batch_size,
                  schedule=ct.warmup_lr(2, 0.2), clip_grad_norm=0.5),
        ct.Member(make(5), optimizer="adam", lr=1e-2, eps=1e-6, batch_size=batch_size,
                  clip_grad_norm=0.05),
    ]


@pytest.mark.parametrize("program", ["fused", "vmap"])
@pytest.mark.parametrize("make", [cnn, mlp], ids=["cnn-batchnorm2d", "mlp-bn-layernorm"])
def test_every_member_equals_plain_torch_alone(digits64, make, program):
    x, y, xv, yv = digits64
    members = mixed(make)
    res = ct.train_population(members, (x, y), (xv, yv), epochs=2, dtype=torch.float64,
                              program=program)
    assert len(res.groups) == 1  # mixed optimizers and schedules share one program
    assert res.groups[0].endswith(f", {program}")
    for m, r in zip(members, res.members, strict=True):
        alone = train_alone(m, x, y, epochs=2)
        assert r.state == "complete"
        assert_same_state(r.state_dict, alone)  # weights, running mean/var, num_batches
        with torch.no_grad():
            acc = (alone(xv).argmax(1) == yv).double().mean().item()
        assert r.metric == pytest.approx(acc, abs=1e-12)
    bn = [k for k in res.members[0].state_dict if k.endswith("num_batches_tracked")]
    assert bn and int(res.members[0].state_dict[bn[0]]) == 2 * (len(x) // 32)


def ln_mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 20), nn.LayerNorm(20), nn.Tanh(),
                         nn.Linear(20, 10)).double()


def test_batch_sizes_share_one_program_by_accumulating_micro_batches(digits64):
    x, y, xv, yv = digits64
    x, y = x[:300], y[:300]  # 300 // 16 = 18 micro-batches: 64 uses 16 of them, 32 uses 18
    members = [ct.Member(ln_mlp(s), optimizer=o, lr=lr, batch_size=b, weight_decay=1e-3)
               for s, (o, lr, b) in enumerate([("adam", 3e-3, 16), ("sgd", 0.1, 32),
                                               ("adamw", 5e-3, 64), ("sgd_ewma", 0.3, 48)])]
    res = ct.train_population(members, (x, y), (xv, yv), epochs=2, dtype=torch.float64)
    assert len(res.groups) == 1 and "batch 16/32/48/64" in res.groups[0]
    for m, r in zip(members, res.members, strict=True):
        assert_same_state(r.state_dict, train_alone(m, x, y, epochs=2))


def test_batch_norm_members_are_grouped_by_batch_size(digits64):
    x, y, xv, yv = digits64
    members = [ct.Member(mlp(s), batch_size=b) for s, b in enumerate([32, 64, 32])]
    res = ct.train_population(members, (x, y), (xv, yv), epochs=1, dtype=torch.float64)
    assert len(res.groups) == 2
    assert [r.group for r in res.members] == [0, 1, 0]
    for m, r in zip(members, res.members, strict=True):
        assert_same_state(r.state_dict, train_alone(m, x, y, epochs=1))


def test_two_widths_form_two_programs_each_still_exact(digits64):
    x, y, xv, yv = digits64
    members = [ct.Member(mlp(s, width=w), lr=3e-3) for s, w in enumerate([16, 24, 16, 24])]
    res = ct.train_population(members, (x, y), (xv, yv), epochs=1, dtype=torch.float64)
    assert len(res.groups) == 2 and [r.group for r in res.members] == [0, 1, 0, 1]
    for m, r in zip(members, res.members, strict=True):
        assert_same_state(r.state_dict, train_alone(m, x, y, epochs=1))


def test_seed_reinitialises_like_building_the_model_under_that_seed(digits64):
    x, y, xv, yv = digits64
    m = ct.Member(mlp(99).float(), lr=3e-3, seed=7)  # float32 init, trained in float64
    res = ct.train_population([m], (x, y), (xv, yv), epochs=1, dtype=torch.float64)
    assert_same_state(res.members[0].state_dict,
                      train_alone(ct.Member(mlp(7).float().double(), lr=3e-3), x, y, epochs=1))
