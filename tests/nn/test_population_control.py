"""Stopping members from on_epoch, divergence, reports, states, devices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from caviar.nn import ConfigError, EpochReport, train_population


def test_reports_every_member_every_epoch_and_stops_on_request(small_digits, state_diff):
    cfgs = [{"epochs": 4, "seed": i, "hidden": 8 + 4 * i, "batch_size": 50} for i in range(4)]
    seen: list[tuple[int, list[int]]] = []

    def on_epoch(epoch: int, reports: list[EpochReport]) -> set[int]:
        seen.append((epoch, sorted(r.member for r in reports)))
        assert all(isinstance(r.val_accuracy, float) and r.alive for r in reports if epoch < 3)
        return {1} if epoch == 1 else set()

    result = train_population(cfgs, small_digits, dtype=torch.float64, on_epoch=on_epoch)
    assert seen == [(0, [0, 1, 2, 3]), (1, [0, 1, 2, 3]), (2, [0, 2, 3]), (3, [0, 2, 3])]
    stopped = result.members[1]
    assert stopped.state == "stopped" and stopped.epochs_trained == 2
    assert [m.state for m in result.members] == ["complete", "stopped", "complete", "complete"]
    # the survivors are unaffected by the compaction: same as training without any stop
    alone = train_population([cfgs[3]], small_digits, dtype=torch.float64)
    assert state_diff(result.members[3].state_dict(), alone.members[0].state_dict()) < 1e-12
    # the stopped member's weights are its weights after epoch 2
    two = train_population([{**cfgs[1], "epochs": 2}], small_digits, dtype=torch.float64)
    assert state_diff(stopped.state_dict(), two.members[0].state_dict()) < 1e-12
    assert [h.epoch for h in stopped.history] == [0, 1]
    assert not result.members[0].history[-1].alive  # last epoch: nothing left to train


def test_diverging_member_fails_alone(small_digits, state_diff):
    cfgs = [
        {"epochs": 3, "seed": 0, "optimizer": "sgd", "lr": 1e6, "batch_norm": False},
        {"epochs": 3, "seed": 1, "optimizer": "sgd", "lr": 0.05, "batch_norm": False},
    ]
    result = train_population(cfgs, small_digits, dtype=torch.float64)
    bad, good = result.members
    assert bad.state == "failed" and "must stay finite" in (bad.error or "")
    assert not math.isfinite(bad.history[-1].train_loss) and not bad.history[-1].alive
    assert good.state == "complete" and good.error is None and good.epochs_trained == 3
    alone = train_population([cfgs[1]], small_digits, dtype=torch.float64)
    assert state_diff(good.state_dict(), alone.members[0].state_dict()) < 1e-12


def test_members_with_fewer_epochs_complete_early(small_digits):
    result = train_population([{"epochs": 1}, {"epochs": 3, "seed": 1}], small_digits)
    assert [m.epochs_trained for m in result.members] == [1, 3]
    assert all(m.state == "complete" for m in result.members)


def test_float32_population_learns_digits(digits):
    cfgs = [{"epochs": 8, "seed": s, "lr": lr} for s, lr in enumerate([3e-3, 1e-2, 3e-2])]
    result = train_population(cfgs, digits, threads=1)
    accs = [m.val_accuracy for m in result.members]
    assert min(accs) > 0.9, accs
    assert result.best().val_accuracy == max(accs)
    probs = result.members[0].predict_proba(digits.X_val)
    assert np.allclose(probs.sum(1), 1, atol=1e-5)
    assert np.mean(probs.argmax(1) == digits.y_val) == pytest.approx(accs[0], abs=1e-6)


def test_state_dict_loads_into_plain_torch_module(small_digits):
    result = train_population([{"epochs": 2, "widths": [12, 7]}], small_digits, dtype=torch.float64)
    member = result.members[0]
    module = member.module()
    with torch.no_grad():
        out = module(torch.as_tensor(small_digits.X_val))
    acc = (out.argmax(1).numpy() == small_digits.y_val).mean()
    assert acc == pytest.approx(member.val_accuracy, abs=1e-12)


def test_population_statistics_option(digits):
    cfgs = [
        {"epochs": 5, "seed": 0, "bn_stats": "running"},
        {"epochs": 5, "seed": 0, "bn_stats": "population"},
    ]
    result = train_population(cfgs, digits, dtype=torch.float64)
    running, population = result.members
    assert len(result.groups) == 2
    # same seed, same batches: identical weights, only the inference statistics differ
    for k in running.state_dict():
        if "running" not in k and "num_batches" not in k:
            assert torch.equal(running.state_dict()[k], population.state_dict()[k]), k
    assert min(running.val_accuracy, population.val_accuracy) > 0.9
    # population statistics are the closed-form full-data mean and unbiased variance
    sd = population.state_dict()
    x = torch.as_tensor(digits.X_train)
    z = x @ sd["0.weight"].T
    assert torch.allclose(sd["1.running_mean"], z.mean(0), atol=1e-10)
    assert torch.allclose(sd["1.running_var"], z.var(0, unbiased=True), atol=1e-10)


def test_bad_arguments_fail_before_training(small_digits):
    with pytest.raises(ConfigError, match=r"member 1: lr: must be > 0, got -0\.1"):
        train_population([{}, {"lr": -0.1}], small_digits)
    with pytest.raises(ConfigError, match="threads"):
        train_population([{}], small_digits, threads=0)
    with pytest.raises(ConfigError, match="configs"):
        train_population([], small_digits)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(small_digits, state_diff):
    cfgs = [
        {"epochs": 2, "seed": i, "optimizer": o, "hidden": 8 + i}
        for i, o in enumerate(["sgd", "momentum", "rmsprop", "adam"])
    ]
    cpu = train_population(cfgs, small_digits, dtype=torch.float64)
    gpu = train_population(cfgs, small_digits, dtype=torch.float64, device="cuda")
    for a, b in zip(cpu.members, gpu.members, strict=True):
        assert state_diff(a.state_dict(), b.state_dict()) < 1e-9


def test_cpu_populations_default_to_one_thread(small_digits):
    """threads=None trains on CPU_THREADS (1) intra-op threads and restores torch's setting;
    an explicit threads= wins."""
    from caviar.nn.population import CPU_THREADS

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen: list[int] = []
        train_population(
            [{"epochs": 1}],
            small_digits,
            on_epoch=lambda e, r: seen.append(torch.get_num_threads()),
        )
        train_population(
            [{"epochs": 1}],
            small_digits,
            threads=2,
            on_epoch=lambda e, r: seen.append(torch.get_num_threads()),
        )
        assert seen == [CPU_THREADS, 2] and CPU_THREADS == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
