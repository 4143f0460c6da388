"""Every population member equals the same config trained alone by plain torch.nn + torch.optim
(same init, same batch order), in float64, after several epochs."""

from __future__ import annotations

import pytest
import torch

from caviar.nn import train_population
from caviar.nn.planner import ONE_PROGRAM

TOL = 1e-9
EPOCHS = 3


def _configs(batch_norm: bool, activation: str = "relu") -> list[dict]:
    base = {
        "batch_norm": batch_norm,
        "activation": activation,
        "epochs": EPOCHS,
        "batch_size": 32,
        "depth": 2,
    }
    return [
        {**base, "optimizer": "sgd", "lr": 0.05, "hidden": 24, "seed": 1},
        {
            **base,
            "optimizer": "momentum",
            "lr": 0.1,
            "momentum": 0.8,
            "hidden": 16,
            "seed": 2,
            "weight_decay": 1e-3,
        },
        {
            **base,
            "optimizer": "rmsprop",
            "lr": 2e-3,
            "beta2": 0.95,
            "eps": 1e-6,
            "hidden": 9,
            "seed": 3,
            "lr_decay": "exponential",
            "decay_rate": 0.7,
        },
        {
            **base,
            "optimizer": "adam",
            "lr": 3e-3,
            "beta1": 0.8,
            "beta2": 0.99,
            "hidden": 24,
            "seed": 4,
            "bn_beta": 0.7,
            "bn_eps": 1e-3,
            "lr_decay": "inverse",
            "decay_rate": 0.5,
        },
        {
            **base,
            "optimizer": "adam",
            "lr": 1e-2,
            "widths": [5, 20],
            "seed": 5,
            "weight_decay": 1e-2,
            "lr_decay": "step",
            "decay_rate": 0.5,
            "decay_steps": 2,
        },
        {**base, "optimizer": "sgd", "lr": 0.02, "hidden": 24, "seed": 6, "epochs": 2},
    ]


def _strip_bn(cfgs: list[dict]) -> list[dict]:
    for c in cfgs:
        if not c["batch_norm"]:
            c.pop("bn_beta", None)
            c.pop("bn_eps", None)
    return cfgs


DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("batch_norm", [True, False])
def test_every_member_matches_torch_reference(
    small_digits, reference, state_diff, batch_norm, device
):
    cfgs = _strip_bn(_configs(batch_norm))
    result = train_population(
        cfgs, small_digits, dtype=torch.float64, device=device, cost_model=ONE_PROGRAM
    )
    assert len(result.groups) == 1  # mixed widths and optimizers share one program
    for cfg, member in zip(cfgs, result.members, strict=True):
        model, history = reference(cfg, small_digits)
        assert member.state == "complete"
        assert member.epochs_trained == cfg["epochs"]
        assert state_diff(member.state_dict(), model.state_dict()) < TOL, cfg
        for mine, ref in zip(member.history, history, strict=True):
            assert abs(mine.train_loss - ref[0]) < TOL
            assert abs(mine.val_loss - ref[1]) < TOL
            assert mine.val_accuracy == pytest.approx(ref[2], abs=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_other_activations_with_padding_match_reference(
    small_digits, reference, state_diff, activation
):
    cfgs = [
        {
            "activation": activation,
            "epochs": 2,
            "batch_size": 50,
            "widths": w,
            "seed": s,
            "lr": 0.01,
            "batch_norm": bn,
        }
        for s, (w, bn) in enumerate([([7, 30], True), ([30, 3], True), ([11, 4], False)])
    ]
    result = train_population(cfgs, small_digits, dtype=torch.float64)
    for cfg, member in zip(cfgs, result.members, strict=True):
        model, _ = reference(cfg, small_digits)
        assert state_diff(member.state_dict(), model.state_dict()) < TOL


def test_member_equals_lone_run(small_digits, state_diff):
    cfgs = _configs(True)
    together = train_population(cfgs, small_digits, dtype=torch.float64)
    for i in (0, 4):
        alone = train_population([cfgs[i]], small_digits, dtype=torch.float64)
        assert state_diff(together.members[i].state_dict(), alone.members[0].state_dict()) < 1e-12


def test_batch_size_forms_sub_populations_depth_does_not(small_digits, reference, state_diff):
    cfgs = [
        {"depth": 1, "hidden": 12, "batch_size": 40, "epochs": 2, "seed": 0},
        {
            "depth": 3,
            "hidden": 8,
            "batch_size": 40,
            "epochs": 2,
            "seed": 1,
            "optimizer": "sgd",
            "lr": 0.05,
        },
        {"depth": 1, "hidden": 20, "batch_size": 64, "epochs": 2, "seed": 2},
        {"depth": 0, "batch_size": 64, "epochs": 2, "seed": 3, "lr": 0.01},
        {"depth": 1, "hidden": 6, "batch_size": 40, "epochs": 2, "seed": 4},
    ]
    result = train_population(cfgs, small_digits, dtype=torch.float64, cost_model=ONE_PROGRAM)
    assert sorted(map(sorted, result.groups)) == [[0, 1, 4], [2], [3]]
    for cfg, member in zip(cfgs, result.members, strict=True):
        model, _ = reference(cfg, small_digits)
        assert state_diff(member.state_dict(), model.state_dict()) < TOL


def test_padded_units_stay_exactly_zero(small_digits):
    from caviar.nn.config import parse_config
    from caviar.nn.group import DeviceData, SubPopulation

    cfgs = [
        parse_config({"widths": [4, 16], "seed": 0, "weight_decay": 0.1, "activation": "sigmoid"}),
        parse_config({"widths": [16, 3], "seed": 1, "activation": "sigmoid"}),
    ]
    d = small_digits
    data = DeviceData(
        torch.tensor(d.X_train),
        torch.tensor(d.y_train),
        torch.tensor(d.X_val),
        torch.tensor(d.y_val),
        d.n_classes,
    )
    g = SubPopulation([0, 1], cfgs, data)
    for epoch in range(2):
        g.train_epoch(epoch)
    w0, w1, w2 = g.W
    assert torch.count_nonzero(w0[0][:, 4:]) == 0 and torch.count_nonzero(w1[0][4:]) == 0
    assert torch.count_nonzero(w1[1][:, 3:]) == 0 and torch.count_nonzero(w2[1][3:]) == 0
    for _, _, m, v, _, _ in g.opt_segments[:1]:  # Adam moments of padded weights stay zero too
        assert torch.count_nonzero(m.view_as(w0)[0][:, 4:]) == 0
        assert torch.count_nonzero(v.view_as(w0)[0][:, 4:]) == 0
        assert torch.count_nonzero(m.view_as(w0)[0][:, :4]) > 0
    gamma0, beta0 = g.V[0]
    assert torch.count_nonzero(gamma0[0, 0, 4:]) == 0 and torch.count_nonzero(beta0[0, 0, 4:]) == 0
    assert torch.isfinite(g.w).all()
    sd = g.state_dict(0)
    assert sd["0.weight"].shape == (4, d.n_features) and sd["6.weight"].shape == (10, 16)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_mixed_depths_share_one_program(
    small_digits, reference, state_diff, activation, batch_norm
):
    """Depths 1, 2 and 3 in one program: the shallower members' extra layers are masked
    identities, and every member equals the same config trained alone."""
    base = {"epochs": 2, "batch_size": 50, "activation": activation, "batch_norm": batch_norm}
    cfgs = [
        {**base, "depth": 1, "hidden": 9, "seed": 0, "lr": 0.01},
        {**base, "depth": 3, "hidden": 12, "seed": 1, "optimizer": "sgd", "lr": 0.05},
        {**base, "widths": [7, 13], "seed": 2, "weight_decay": 1e-2, "lr": 3e-3},
        {**base, "depth": 1, "hidden": 16, "seed": 3, "optimizer": "momentum", "lr": 0.05},
        {**base, "depth": 3, "hidden": 5, "seed": 4, "optimizer": "rmsprop", "lr": 2e-3},
    ]
    result = train_population(cfgs, small_digits, dtype=torch.float64, cost_model=ONE_PROGRAM)
    assert len(result.groups) == 1
    for cfg, member in zip(cfgs, result.members, strict=True):
        model, history = reference(cfg, small_digits)
        assert state_diff(member.state_dict(), model.state_dict()) < TOL, cfg
        for mine, ref in zip(member.history, history, strict=True):
            assert abs(mine.train_loss - ref[0]) < TOL
            assert abs(mine.val_loss - ref[1]) < TOL


def test_masked_layers_stay_exactly_zero(small_digits):
    """A depth-1 member in a depth-3 program: its identity layers' weights, gamma/beta and
    optimizer moments stay exactly zero."""
    from caviar.nn.config import parse_config
    from caviar.nn.group import DeviceData, SubPopulation

    cfgs = [
        parse_config({"depth": 1, "hidden": 8, "seed": 0, "weight_decay": 0.1}),
        parse_config({"depth": 3, "hidden": 8, "seed": 1}),
    ]
    d = small_digits
    data = DeviceData(
        torch.tensor(d.X_train),
        torch.tensor(d.y_train),
        torch.tensor(d.X_val),
        torch.tensor(d.y_val),
        d.n_classes,
    )
    g = SubPopulation([0, 1], cfgs, data)
    for epoch in range(2):
        g.train_epoch(epoch)
    for layer in (1, 2):
        assert torch.count_nonzero(g.W[layer][0]) == 0
        assert torch.count_nonzero(g.W[layer][1]) > 0
        gamma, beta = g.V[layer]
        assert beta is not None
        assert torch.count_nonzero(gamma[0]) == 0 and torch.count_nonzero(beta[0]) == 0
        for _, _, m, v, _, _ in g.opt_segments[layer : layer + 1]:
            assert torch.count_nonzero(m.view_as(g.W[layer])[0]) == 0
            assert torch.count_nonzero(v.view_as(g.W[layer])[0]) == 0
    sd = g.state_dict(0)
    assert sorted(sd) == sorted(
        ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
         "1.num_batches_tracked", "3.weight", "3.bias"]
    )
    assert sd["3.weight"].shape == (10, 8)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_mixed_batch_sizes_and_depths_share_one_program(
    small_digits, reference, state_diff, batch_norm
):
    """Batch sizes 32, 64, 128 and 256 (400 rows: partial last batches of 16 and 144) and
    depths 1..3 in one program: every member equals the same config trained alone, batch
    norm statistics over its own full batch included."""
    base = {"epochs": 3, "batch_norm": batch_norm}
    cfgs = [
        {**base, "batch_size": 128, "depth": 1, "hidden": 9, "seed": 0, "lr": 0.01},
        {**base, "batch_size": 32, "depth": 3, "hidden": 12, "seed": 1, "optimizer": "sgd",
         "lr": 0.05},
        {**base, "batch_size": 64, "widths": [7, 13], "seed": 2, "weight_decay": 1e-2,
         "lr": 3e-3, "lr_decay": "inverse", "decay_rate": 0.5},
        {**base, "batch_size": 32, "depth": 1, "hidden": 16, "seed": 3, "optimizer": "momentum",
         "lr": 0.05},
        {**base, "batch_size": 128, "depth": 3, "hidden": 5, "seed": 4, "optimizer": "rmsprop",
         "lr": 2e-3},
        {**base, "batch_size": 256, "depth": 2, "hidden": 10, "seed": 5, "lr": 1e-2,
         "epochs": 2},
    ]
    result = train_population(cfgs, small_digits, dtype=torch.float64, cost_model=ONE_PROGRAM)
    assert len(result.groups) == 1
    for cfg, member in zip(cfgs, result.members, strict=True):
        model, history = reference(cfg, small_digits)
        assert member.epochs_trained == cfg["epochs"]
        assert state_diff(member.state_dict(), model.state_dict()) < TOL, cfg
        for mine, ref in zip(member.history, history, strict=True):
            assert abs(mine.train_loss - ref[0]) < TOL
            assert abs(mine.val_loss - ref[1]) < TOL
            assert mine.val_accuracy == pytest.approx(ref[2], abs=1e-12)


def test_batch_chains_and_one_example_batches(small_digits, reference, state_diff):
    """Batch sizes that are not multiples of each other train in separate programs (4, 8, 40
    form a chain; 6 and 64 do not join it); with batch norm a last mini-batch of one example is
    dropped per member (397 rows: batch 4 leaves one, 8 and 40 do not)."""
    cfgs = [
        {"batch_size": 40, "hidden": 8, "epochs": 2, "seed": 0},
        {"batch_size": 64, "hidden": 8, "epochs": 2, "seed": 1},
        {"batch_size": 8, "hidden": 8, "epochs": 1, "seed": 2, "lr": 1e-3},
        {"batch_size": 6, "hidden": 8, "epochs": 1, "seed": 3, "lr": 1e-3},
        {"batch_size": 4, "hidden": 8, "epochs": 1, "seed": 4, "lr": 1e-3},
    ]
    d = small_digits
    data = type(d)(d.X_train[:397], d.y_train[:397], d.X_val, d.y_val, d.n_classes, "d397")
    result = train_population(cfgs, data, dtype=torch.float64, cost_model=ONE_PROGRAM)
    assert sorted(map(sorted, result.groups)) == [[0, 2, 4], [1], [3]]  # 4 | 8 | 40; 64; 6
    for cfg, member in zip(cfgs, result.members, strict=True):
        model, _ = reference(cfg, data)
        assert state_diff(member.state_dict(), model.state_dict()) < TOL, cfg
