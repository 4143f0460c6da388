"""The planner (caviar/nn/planner.py): which members share a program. The cost model's
coefficients are measured (docs/nn.md); these tests check the decisions they imply and the
rules no cost may break (control flow, batch chains)."""

from __future__ import annotations

from typing import Any

from caviar.nn.config import parse_configs
from caviar.nn.planner import DEFAULT_COST, ONE_PROGRAM, CostModel, epoch_cost, member_shape, plan

N, D, K = 1438, 64, 10  # digits: training rows, features, classes


def _plan(raws: list[dict[str, Any]], model: CostModel = DEFAULT_COST) -> list[list[int]]:
    return sorted(plan(parse_configs(raws), N, D, K, model))


def test_identical_shapes_share_one_program() -> None:
    raws = [{"hidden": 64, "depth": 2, "batch_size": 32, "lr": 10.0**-i} for i in range(1, 9)]
    assert _plan(raws) == [list(range(8))]


def test_narrow_members_merge_across_widths_and_depths() -> None:
    """At width 16-24 a step is overhead-bound: padding costs less than a second program."""
    raws = [{"hidden": 16 + i, "depth": 1 + i % 3, "batch_size": 32, "seed": i} for i in range(8)]
    assert _plan(raws) == [list(range(8))]


def test_a_wide_deep_member_is_not_padded_onto_narrow_ones() -> None:
    """Eight width-16 members beside eight of width 256, depth 3: padding the narrow ones costs
    more than a second program's overhead, so the plan keeps two, and the model agrees that the
    split is cheaper."""
    raws = [{"hidden": 16, "depth": 3, "batch_size": 32, "seed": i} for i in range(8)]
    raws += [{"hidden": 256, "depth": 3, "batch_size": 32, "seed": i} for i in range(8)]
    assert _plan(raws) == [list(range(8)), list(range(8, 16))]
    cfgs = parse_configs(raws)
    narrow, wide = member_shape(cfgs[0], N), member_shape(cfgs[8], N)
    for _ in range(7):
        narrow, wide = narrow.merge(member_shape(cfgs[0], N)), wide.merge(member_shape(cfgs[8], N))
    assert narrow is not None and wide is not None
    both = narrow.merge(wide)
    assert both is not None and both.widths == (256, 256, 256)

    def cost(s: Any) -> float:
        return epoch_cost(s, N, D, K)

    assert cost(narrow) + cost(wide) < cost(both)


def test_control_flow_and_broken_chains_never_merge() -> None:
    raws = [
        {"hidden": 16, "batch_size": 32},
        {"hidden": 16, "batch_size": 32, "activation": "tanh"},
        {"hidden": 16, "batch_size": 32, "batch_norm": False},
        {"hidden": 16, "batch_size": 32, "bn_stats": "population"},
        {"depth": 0, "batch_size": 32},
        {"hidden": 16, "batch_size": 48},  # 32 does not divide 48
        {"hidden": 16, "batch_size": 64},
    ]
    assert _plan(raws, ONE_PROGRAM) == [[0, 6], [1], [2], [3], [4], [5]]


def test_one_program_model_merges_a_whole_chain() -> None:
    raws = [
        {"hidden": h, "depth": d, "batch_size": b, "seed": i}
        for i, (h, d, b) in enumerate([(16, 1, 32), (256, 3, 256), (64, 2, 128), (200, 1, 64)])
    ]
    assert _plan(raws, ONE_PROGRAM) == [[0, 1, 2, 3]]
    assert len(_plan(raws)) > 1  # the measured model splits this mix


def test_plan_covers_every_member_once() -> None:
    raws = [
        {"hidden": 16 * (1 + i % 16), "depth": 1 + i % 3, "batch_size": 32 << (i % 4), "seed": i}
        for i in range(64)
    ]
    groups = _plan(raws)
    assert sorted(i for g in groups for i in g) == list(range(64))
