"""Populations report more than accuracy: parameter count and FLOPs per example (checked
against PyTorch's own count and FlopCounterMode), training seconds per member, and studies
that tune accuracy against them."""

from __future__ import annotations

import pytest

import caviar
from caviar.adapters import tune_population
from caviar.adapters.objectives import (
    MLP_OBJECTIVES,
    check_objectives,
    mlp_flops,
    mlp_n_params,
    module_flops,
    module_n_params,
    split_seconds,
)

torch = pytest.importorskip("torch")
nn = pytest.importorskip("caviar.nn")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from caviar.nn.reference import reference_module  # noqa: E402

SMALL = {"lr": caviar.Float(1e-3, 3e-2, scale="log"), "hidden": caviar.Int(8, 48),
         "depth": caviar.Int(1, 3)}
FIXED = {"epochs": 2, "batch_size": 128}


def torch_flops(module, n_features):
    module.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as c:
        module(torch.zeros(1, n_features, dtype=torch.float64))
    return c.get_total_flops()


@pytest.mark.parametrize("raw", [
    {"hidden": 64, "depth": 2}, {"hidden": 7, "depth": 1, "batch_norm": False},
    {"widths": [30, 5, 17]}, {"widths": [12, 9], "batch_norm": False, "activation": "tanh"},
])
@pytest.mark.parametrize("shape", [(64, 10), (40, 2)])
def test_closed_forms_match_pytorch_on_the_reference_module(raw, shape):
    cfg = nn.parse_config(raw)
    n_in, n_out = shape
    module = reference_module(cfg, n_in, n_out)
    assert mlp_n_params(cfg.widths, cfg.batch_norm, n_in, n_out) == \
        sum(p.numel() for p in module.parameters())
    assert mlp_flops(cfg.widths, n_in, n_out) == torch_flops(module, n_in)
    assert module_n_params(module) == mlp_n_params(cfg.widths, cfg.batch_norm, n_in, n_out)


def test_module_flops_counts_a_conv_net_like_flop_counter_and_keeps_its_mode():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 6 * 6, 10))
    net.train()
    x = torch.zeros(1, 1, 8, 8)
    # closed form: conv 2 * out_pixels * out_ch * in_ch * k * k; linear 2 * in * out
    assert module_flops(net, x) == 2 * 36 * 4 * 1 * 9 + 2 * 144 * 10
    assert net.training
    frozen = torch.nn.Linear(3, 2)
    frozen.bias.requires_grad_(False)
    assert module_n_params(frozen) == 6


def test_split_seconds_follows_the_share_of_work():
    assert split_seconds(10.0, [1.0, 3.0]) == [2.5, 7.5]
    assert split_seconds(4.0, [0.0, 0.0]) == [2.0, 2.0]
    assert sum(split_seconds(1.7, [5, 1, 2])) == pytest.approx(1.7)


def test_objective_names_are_checked():
    assert check_objectives(["val_accuracy", "n_params"], MLP_OBJECTIVES) == \
        ("maximize", "minimize")
    with pytest.raises(caviar.UsageError, match="unknown objective 'size'; pick from "
                                                "val_accuracy, n_params, flops, train_seconds"):
        check_objectives(["val_accuracy", "size"], MLP_OBJECTIVES)
    with pytest.raises(caviar.UsageError, match="each objective once"):
        check_objectives(["n_params", "n_params"], MLP_OBJECTIVES)
    with pytest.raises(caviar.UsageError, match="non-empty list"):
        check_objectives([], MLP_OBJECTIVES)


def test_population_tunes_accuracy_against_parameter_count():
    study = caviar.create_study(directions=["maximize", "minimize"], space=SMALL, seed=0)
    tune_population(study, n_trials=6, population=6, fixed=FIXED, threads=1,
                    objectives=["val_accuracy", "n_params"])
    trials = study.trials
    assert [t.state for t in trials] == ["complete"] * 6
    wall = trials[0].system_attrs["population_seconds_per_trial"] * 6
    for t in trials:
        widths = [t.params["hidden"]] * t.params["depth"]
        n = mlp_n_params(widths, True, 64, 10)
        assert t.values == (t.user_attrs["val_accuracy"], float(n))
        assert t.user_attrs["n_params"] == n and t.user_attrs["flops"] == mlp_flops(widths, 64,
                                                                                    10)
    # the population's wall time, split by each member's compute (flops x epochs)
    assert sum(t.user_attrs["train_seconds"] for t in trials) == pytest.approx(wall)
    by_flops = sorted(trials, key=lambda t: t.user_attrs["flops"])
    assert by_flops[0].user_attrs["train_seconds"] <= by_flops[-1].user_attrs["train_seconds"]
    front = study.best_trials
    assert front and all(t in trials for t in front)


def test_one_objective_population_records_the_measures_too():
    study = caviar.create_study(direction="maximize", space=SMALL, seed=1)
    tune_population(study, n_trials=2, population=2, fixed=FIXED, threads=1)
    t = study.trials[0]
    assert t.value == t.user_attrs["val_accuracy"]
    assert {"n_params", "flops", "train_seconds"} <= set(t.user_attrs)


def test_mismatched_directions_and_a_scheduler_are_refused_before_any_trial():
    study = caviar.create_study(directions=["maximize", "maximize"], space=SMALL)
    with pytest.raises(caviar.UsageError, match=r"objectives \['val_accuracy', 'n_params'\] "
                                                r"are tuned in directions \['maximize', "
                                                r"'minimize'\]"):
        tune_population(study, n_trials=2, fixed=FIXED, objectives=["val_accuracy", "n_params"])
    assert study.trials == []
    one = caviar.create_study(directions=["maximize", "minimize"], space=SMALL)
    with pytest.raises(caviar.UsageError, match="population tuning maximizes"):
        tune_population(one, n_trials=2, fixed=FIXED)  # no objectives: accuracy alone
    from caviar.schedulers import make_scheduler

    with pytest.raises(caviar.UsageError, match="a population scheduler ranks members"):
        tune_population(one, n_trials=2, fixed=FIXED, objectives=["val_accuracy", "n_params"],
                        scheduler=make_scheduler("pbt"))
    assert one.trials == []


def test_module_sizes_of_torch_members_count_each_model_on_one_example():
    from caviar.adapters.objectives import module_sizes, sized_measures, torch_objectives

    small = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    big = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(),
                              torch.nn.Linear(8, 2)).double()
    x = torch.zeros(100, 5)
    sizes = module_sizes([small, big], x)
    assert sizes == [(5 * 3 + 3 + 3 * 2 + 2, 2 * (5 * 3 + 3 * 2)),
                     (5 * 8 + 8 + 8 * 2 + 2, 2 * (5 * 8 + 8 * 2))]
    got = sized_measures(sizes, [2, 1], wall=3.0)
    w0, w1 = sizes[0][1] * 2, sizes[1][1] * 1
    assert got[0]["train_seconds"] == pytest.approx(3.0 * w0 / (w0 + w1))
    assert got[1]["n_params"] == sizes[1][0]
    assert torch_objectives("maximize", ["maximize", "minimize"], ["metric", "n_params"]) \
        ["metric"] == "maximize"
    assert torch_objectives(None, ["minimize", "minimize"], ["n_params", "metric"]) \
        ["metric"] == "minimize"
