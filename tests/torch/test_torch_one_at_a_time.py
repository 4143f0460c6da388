"""Modules torch.func cannot batch, trained one member at a time when asked
(``unbatchable="one_at_a_time"``): equal to plain torch in float64, mixed with a batched group
in one population, and the same study integration (curves, pruning, tells, load_model)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
from tests.torch.conftest import assert_same_state, train_alone  # noqa: E402
from tests.torch.test_torch_equivalence import mlp  # noqa: E402

import caviar  # noqa: E402
import caviar.torch as ct  # noqa: E402
from caviar.errors import UsageError  # noqa: E402


class Counter(nn.Module):
    """Keeps a running sum in a plain tensor attribute (not a buffer): vmap cannot batch it."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, width, bias=False), nn.BatchNorm1d(width),
                                  nn.ReLU(), nn.Linear(width, 10))
        self.seen = torch.zeros(10, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        self.seen += out.detach().mean(0).to(self.seen.dtype)
        return out


def counter(seed: int) -> Counter:
    torch.manual_seed(seed)
    return Counter()


def test_refused_by_default_and_trained_alone_when_asked(digits64):
    x, y, xv, yv = digits64
    with pytest.raises(UsageError, match="unbatchable='one_at_a_time'"):
        ct.train_population([ct.Member(counter(0))], (x, y), (xv, yv), epochs=1)
    with pytest.raises(UsageError, match="unbatchable: must be one of"):
        ct.train_population([ct.Member(counter(0))], (x, y), (xv, yv), epochs=1,
                            unbatchable="yes")
    members = [ct.Member(counter(0), optimizer="adam", lr=3e-3, batch_size=32),
               ct.Member(counter(1), optimizer="sgd", lr=0.05, momentum=0.9, batch_size=64,
                         schedule=ct.step_lr(1, 0.5)),
               ct.Member(mlp(2), optimizer="adamw", lr=3e-3, weight_decay=1e-2)]
    labels: list[list[str]] = []
    res = ct.train_population(members, (x, y), (xv, yv), epochs=2, dtype=torch.float64,
                              unbatchable="one_at_a_time", on_groups=labels.append)
    assert sum("one at a time" in g for g in labels[0]) == 2 and len(labels[0]) == 3
    for m, r in zip(members, res.members, strict=True):
        alone = train_alone(ct.Member(m.model.double(), optimizer=m.optimizer, lr=m.lr,
                                      momentum=m.momentum, weight_decay=m.weight_decay,
                                      batch_size=m.batch_size, schedule=m.schedule),
                            x, y, epochs=2)
        assert_same_state(r.state_dict, alone)
        with torch.no_grad():
            acc = (alone(xv).argmax(1) == yv).double().mean().item()
        assert r.metric == pytest.approx(acc, abs=1e-12)


def member(trial):
    model = Counter(trial.suggest_categorical("width", [12, 20]))
    return ct.Member(model, lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True), batch_size=32)


def test_study_integration_curves_pruning_tells_and_load_model(tmp_path, digits64):
    x, y, xv, yv = digits64
    from caviar.pruners import make_pruner

    study = caviar.create_study("solo", storage=f"sqlite:///{tmp_path}/s.db",
                                direction="maximize", seed=1,
                                pruner=make_pruner("asha", min_budget=1, eta=2))
    ct.optimize(study, member, train=(x, y), val=(xv, yv), epochs=3, population=6,
                n_trials=6, dtype=torch.float64, unbatchable="one_at_a_time")
    states = [t.state for t in study.trials]
    assert states.count("pruned") >= 1 and states.count("complete") >= 1
    assert set(states) <= {"pruned", "complete"}
    curves = study.reports()
    # stopped early (compacted out; a stop at the last epoch keeps the whole curve)
    assert any(len(curves[t.id]) < 3 for t in study.trials if t.state == "pruned")
    for t in study.trials:
        n = len(curves[t.id])
        assert (n <= 3) if t.state == "pruned" else (n == 3)
        assert t.user_attrs["epochs_trained"] == n
        assert "one at a time" in t.system_attrs["population_group"]
        model = ct.load_model(study, t.number, member)
        with torch.no_grad():
            acc = (model(xv).argmax(1) == yv).double().mean().item()
        assert acc == curves[t.id][n - 1]
