"""The engine's behaviour beyond equivalence: failure isolation, Dropout masks, pruning with
compaction, modules torch.func cannot batch, and bad input refused before training."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.torch.conftest import assert_same_state, train_alone  # noqa: E402
from tests.torch.test_torch_equivalence import ln_mlp, mlp  # noqa: E402

import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402


def test_a_member_driven_to_nan_fails_alone_and_leaves_the_others_bit_identical(digits64):
    x, y, xv, yv = digits64

    def run(bad_lr: float) -> ct.PopulationResult:
        members = [ct.Member(mlp(s), optimizer="sgd", lr=lr, momentum=0.9)
                   for s, lr in enumerate([0.05, bad_lr, 0.02])]
        return ct.train_population(members, (x, y), (xv, yv), epochs=2, dtype=torch.float64)

    bad, good = run(1e300), run(0.03)
    assert bad.members[1].state == "failed" and "diverged in epoch 0" in bad.members[1].error
    assert good.members[1].state == "complete"
    for i in (0, 2):
        assert bad.members[i].state == "complete"
        assert bad.members[i].history == good.members[i].history
        for k, v in good.members[i].state_dict.items():
            assert torch.equal(bad.members[i].state_dict[k], v), k


def test_each_member_draws_its_own_dropout_masks_and_eval_turns_them_off(digits64):
    x, y, xv, yv = digits64
    twins = [ct.Member(mlp(1, p=0.5), lr=3e-3) for _ in range(2)]
    res = ct.train_population(twins, (x, y), (xv, yv), epochs=1, dtype=torch.float64)
    a, b = (r.state_dict["7.weight"] for r in res.members)
    assert not torch.equal(a, b)  # same init, same batches: only the masks differ
    for r in res.members:  # eval: the user's module with the member's weights agrees
        model = mlp(0, p=0.5)
        model.load_state_dict(r.state_dict)
        with torch.no_grad():
            acc = (model.eval()(xv).argmax(1) == yv).double().mean().item()
        assert r.metric == pytest.approx(acc, abs=1e-12)


def test_stopped_members_are_compacted_out_and_the_rest_train_on(digits64):
    x, y, xv, yv = digits64
    members = [ct.Member(ln_mlp(s), lr=3e-3) for s in range(3)]
    seen: list[list[int]] = []

    def on_epoch(epoch: int, reports: list[ct.EpochReport]) -> set[int]:
        seen.append([r.member for r in reports])
        return {1} if epoch == 0 else set()

    res = ct.train_population(members, (x, y), (xv, yv), epochs=3, dtype=torch.float64,
                              on_epoch=on_epoch)
    assert seen == [[0, 1, 2], [0, 2], [0, 2]]  # no compute for member 1 after epoch 0
    assert res.members[1].state == "stopped" and res.members[1].epochs_trained == 1
    assert_same_state(res.members[1].state_dict, train_alone(members[1], x, y, epochs=1))
    for i in (0, 2):
        assert res.members[i].epochs_trained == 3
        assert_same_state(res.members[i].state_dict, train_alone(members[i], x, y, epochs=3))


class ItemBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lin(x)
        return out * (2.0 if out.sum().item() > 0 else 1.0)


class TensorBranch(ItemBranch):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lin(x)
        if out.sum() > 0:
            return out
        return -out


class Counter(ItemBranch):
    def __init__(self) -> None:
        super().__init__()
        self.seen = torch.zeros(10)  # a plain attribute, not a registered buffer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lin(x)
        self.seen += out.detach().mean(0)
        return out


@pytest.mark.parametrize("cls,why", [
    (ItemBranch, ".item()"), (TensorBranch, "Python control flow"),
    (Counter, "in place"),
])
def test_modules_torch_func_cannot_batch_are_refused_before_training(digits64, cls, why):
    x, y, xv, yv = digits64
    with pytest.raises(UsageError) as e:
        ct.train_population([ct.Member(cls()), ct.Member(cls())], (x, y), (xv, yv), epochs=1)
    msg = str(e.value)
    assert msg.startswith(f"model {cls.__name__}: cannot be trained as a population")
    assert why in msg


class NoParams(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


@pytest.mark.parametrize("make,match", [
    (lambda: ct.Member(nn.ReLU()), "has no parameters"),
    (lambda: ct.Member(NoParams()), "NoParams has no parameters"),
    (lambda: ct.Member(object()), "must be a torch.nn.Module"),
    (lambda: ct.Member(nn.Linear(64, 10), lr=float("nan")), "lr must be a finite number"),
    (lambda: ct.Member(nn.Linear(64, 10), lr=-1.0), "got lr=-1.0"),
    (lambda: ct.Member(nn.Linear(64, 10), optimizer="rmsprop"), "optimizer must be one of"),
    (lambda: ct.Member(nn.Linear(64, 10), schedule={"name": "cyclic"}),
     "schedule: name must be one of"),
    (lambda: ct.Member(nn.Linear(64, 10), schedule="cosine"), "schedule: must be None"),
    (lambda: ct.Member(nn.Linear(64, 10), batch_size=0), "batch_size must be an integer"),
    (lambda: ct.Member(nn.Linear(64, 10), betas=(0.9, 1.0)), "betas[1]"),
    (lambda: ct.step_lr(0), "step_size must be an integer >= 1"),
])
def test_bad_members_are_refused_when_made(make, match):
    with pytest.raises(UsageError, match=match.replace("[", r"\[").replace("(", r"\(")):
        make()


def test_bad_population_input_is_refused_before_training(digits64):
    x, y, xv, yv = digits64
    ok = ct.Member(nn.Linear(64, 10))

    def refused(members, match, **kw):
        with pytest.raises(UsageError, match=match):
            ct.train_population(members, (x, y), (xv, yv), **kw)

    refused([ok, "not a member"], "member 1: must be a caviar.torch.Member, got str")
    refused([ct.Member(nn.Linear(64, 10), batch_size=1000)],
            "batch_size=1000 is larger than the 320 training examples")
    refused([ct.Member(nn.Linear(64, 5))], "outputs 5 classes but the targets hold labels 0..9")
    refused([ct.Member(nn.Linear(32, 10))], "forward failed on a training batch")
    refused([ct.Member(nn.Sequential(nn.Linear(64, 10), nn.Flatten(0)))],
            r"needs outputs of shape \[batch, classes\]")
    refused([ok], "epochs: must be an integer >= 1", epochs=0)
    refused([ok], "loss: must be one of", loss="hinge")
    refused([ok], "dtype: must be", dtype=torch.float16)
    refused([ok], "device: must be", device="tpu")
    with pytest.raises(UsageError, match="train: must be a pair"):
        ct.train_population([ok], x, (xv, yv))


def test_datasets_and_dataloaders_give_the_same_training_as_tensors(digits64):
    from torch.utils.data import DataLoader, TensorDataset

    x, y, xv, yv = digits64

    class Items(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(x)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
            return x[i], y[i]

    runs = []
    for train in [(x, y), TensorDataset(x, y), Items(),
                  DataLoader(TensorDataset(x, y), batch_size=50)]:
        m = ct.Member(ln_mlp(0), lr=3e-3)
        runs.append(ct.train_population([m], train, (xv, yv), epochs=1,
                                        dtype=torch.float64).members[0])
    for r in runs[1:]:
        assert r.history == runs[0].history
        assert all(torch.equal(r.state_dict[k], v) for k, v in runs[0].state_dict.items())


def test_float32_trains_and_reports_finite_metrics(digits64):
    x, y, xv, yv = digits64
    res = ct.train_population([ct.Member(mlp(s).float(), lr=1e-2) for s in range(3)],
                              (x.float(), y), (xv, yv), epochs=2, device="auto")
    assert all(r.state == "complete" and math.isfinite(r.metric) and r.metric > 0.5
               for r in res.members)
    assert res.members[0].state_dict["0.weight"].dtype == torch.float32
