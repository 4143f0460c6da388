"""The compiled step (train_population(step="compiled"), caviar/nn/compiled.py) equals the eager
step, the reference, to 1e-12 in float64: every member's weights, batch-norm running statistics,
optimizer moments and per-epoch losses, after a few epochs.

Adam and RMSprop divide by ``sqrt(s) + eps``: where a gradient is nearly zero (batch norm
makes many so), the last-bit differences of a reordered sum (inductor's reductions, fused
multiply-adds) are multiplied by about ``lr / eps``. With the default eps=1e-8 that lifts them to
~1e-10 after one step, and over three epochs up to ~1.3e-9 (seen with kernels from a warm cache,
which reorder sums differently from a cold compile); the 1e-12 checks use eps=1e-4, and the
default eps is checked to 1e-8. The programs do not depend on eps (it is a [P, 1] input), so
both runs share them.

Compiling costs tens of seconds per program on the 2-core machine, so each scenario compiles
once (module fixtures); the programs are reused by every test of the module."""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch

from caviar.nn import ConfigError, Dataset, train_population
from caviar.nn import compiled as compiled_module
from caviar.nn.compiled import DEFAULT_CACHE_DIR, cache_dir
from caviar.nn.group import COMPILE_MIN_REPEATS, SubPopulation
from caviar.nn.planner import ONE_PROGRAM
from caviar.nn.population import make_groups, to_device

TOL = 1e-12
pytestmark = pytest.mark.slow  # 3 programs to compile: ~1-2 min cold, ~30 s with a warm cache
EPOCHS = 3


def _mixed(eps: float = 1e-4) -> list[dict[str, Any]]:
    """One program: batch sizes 16 and 32 (two classes), depths 1 and 2 (masked identity),
    widths 6..12 (padding), all four optimizers, weight decay, batch norm."""
    base = {"epochs": EPOCHS, "batch_norm": True, "activation": "relu", "eps": eps}
    return [
        {
            **base,
            "optimizer": "sgd",
            "lr": 0.05,
            "hidden": 12,
            "depth": 2,
            "batch_size": 16,
            "seed": 1,
        },
        {
            **base,
            "optimizer": "momentum",
            "lr": 0.05,
            "momentum": 0.8,
            "hidden": 8,
            "depth": 1,
            "batch_size": 16,
            "seed": 2,
            "weight_decay": 1e-3,
        },
        {
            **base,
            "optimizer": "rmsprop",
            "lr": 2e-3,
            "beta2": 0.95,
            "hidden": 10,
            "depth": 2,
            "batch_size": 32,
            "seed": 3,
            "bn_beta": 0.7,
        },
        {
            **base,
            "optimizer": "adam",
            "lr": 3e-3,
            "beta1": 0.8,
            "hidden": 6,
            "depth": 2,
            "batch_size": 32,
            "seed": 4,
            "lr_decay": "inverse",
            "decay_rate": 0.5,
        },
        {
            **base,
            "optimizer": "adam",
            "lr": 1e-2,
            "hidden": 12,
            "depth": 1,
            "batch_size": 16,
            "seed": 5,
            "bn_eps": 1e-3,
        },
    ]


def _sigmoid() -> list[dict[str, Any]]:
    """No batch norm, sigmoid with padded widths: the [P, 1, H] activation masks."""
    base = {
        "epochs": EPOCHS,
        "batch_norm": False,
        "activation": "sigmoid",
        "batch_size": 16,
        "depth": 2,
        "optimizer": "adam",
        "lr": 5e-3,
        "eps": 1e-4,
    }
    return [{**base, "hidden": h, "seed": i} for i, h in enumerate((5, 9, 7))]


def _groups(cfgs: list[dict[str, Any]], data: Dataset, step: str) -> list[SubPopulation]:
    from caviar.nn.config import parse_configs

    groups = make_groups(
        parse_configs(cfgs), to_device(data, torch.float64, torch.device("cpu")), cost=ONE_PROGRAM
    )
    for g in groups:
        g.step_mode = step
    return groups


def _state(g: SubPopulation) -> dict[str, torch.Tensor]:
    out = {"w": g.w.clone(), "m": g.opt.m.clone(), "s": g.opt.s.clone()}
    for layer, (mean, var) in enumerate(g.running):
        out[f"running_mean{layer}"] = mean.clone()
        out[f"running_var{layer}"] = var.clone()
    out["steps"] = torch.from_numpy(g.member_steps.copy()).double()
    return out


def _train(cfgs: list[dict[str, Any]], data: Dataset, step: str) -> list[Any]:
    """Per group: its per-epoch train losses and its full internal state after EPOCHS."""
    out = []
    for g in _groups(cfgs, data, step):
        losses = [g.train_epoch(epoch) for epoch in range(EPOCHS)]
        out.append((g.ids, torch.stack(losses), _state(g), g))
    return out


SCENARIOS = {
    "mixed": (_mixed(), TOL),
    "mixed-default-eps": (_mixed(1e-8), 1e-8),
    "sigmoid": (_sigmoid(), TOL),
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def both(request: pytest.FixtureRequest, tiny: Dataset) -> tuple[list[Any], list[Any], float]:
    cfgs, tol = SCENARIOS[request.param]
    return _train(cfgs, tiny, "eager"), _train(cfgs, tiny, "compiled"), tol


def test_compiled_state_equals_eager(both: tuple[list[Any], list[Any], float]) -> None:
    eager, compiled, tol = both
    assert [e[0] for e in eager] == [c[0] for c in compiled]
    for (_, loss_e, state_e, _), (_, loss_c, state_c, _) in zip(eager, compiled, strict=True):
        assert torch.isfinite(loss_e).all()
        assert float((loss_e - loss_c).abs().max()) <= tol
        for key in state_e:
            diff = float((state_e[key] - state_c[key]).abs().max())
            assert diff <= tol, (key, diff)
        assert not torch.equal(state_e["m"], torch.zeros_like(state_e["m"]))


def test_compiled_programs_ran(both: tuple[list[Any], list[Any], float]) -> None:
    """The compiled run really used programs: every group had recurring ticks."""
    _, compiled, _ = both
    for *_, g in compiled:
        fused = g._fused_ticks(g.schedule())
        assert fused, "no tick recurs: the compiled path was never taken"
        assert len(fused) < len(g.schedule())  # the partial last tick stays eager
        assert set(fused.values()) <= set(compiled_module._PROGRAMS)  # built and called


def test_train_population_compiled_matches_eager(tiny: Dataset) -> None:
    """The public switch: step="compiled" gives the same members (state dicts, histories)."""
    cfgs = _mixed()
    eager = train_population(cfgs, tiny, dtype=torch.float64, step="eager")
    compiled = train_population(cfgs, tiny, dtype=torch.float64, step="compiled")
    for a, b in zip(eager.members, compiled.members, strict=True):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            assert float((sa[key].double() - sb[key].double()).abs().max()) <= TOL, key
        for ra, rb in zip(a.history, b.history, strict=True):
            assert abs(ra.train_loss - rb.train_loss) <= TOL
            assert abs(ra.val_loss - rb.val_loss) <= TOL
            assert ra.val_accuracy == rb.val_accuracy


def test_rare_ticks_stay_eager(tiny: Dataset) -> None:
    """Only tick shapes recurring COMPILE_MIN_REPEATS times per epoch are compiled (no compile
    happens here: the specs are plain data)."""
    (g,) = _groups([{"hidden": 4, "depth": 1, "batch_size": 16, "epochs": 1}], tiny, "compiled")
    ticks = g.schedule()
    fused = g._fused_ticks(ticks)
    assert len(ticks) == 9 and sorted(fused) == list(range(8))  # 8 full ticks, 1 partial
    assert len(set(fused.values())) == 1
    assert COMPILE_MIN_REPEATS > 1


def test_bad_step_is_refused_before_work(tiny: Dataset) -> None:
    with pytest.raises(ConfigError, match=r"step: must be one of eager, compiled, got 'fused'"):
        train_population([{"epochs": 1}], tiny, step="fused")


def test_cache_dir_respects_the_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", default_cache_dir())  # inductor's own default
    assert cache_dir() == DEFAULT_CACHE_DIR
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(DEFAULT_CACHE_DIR)
