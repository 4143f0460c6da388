"""The planner: which members share one batched program, chosen by a measured cost model.

One program runs every member of a group on every tick of the group's smallest batch size, its
hidden layers padded to the group's widest member (and, with mixed depths, every hidden layer as
wide as the widest layer). Merging two groups saves per-call overhead (one Python/dispatch
sequence of ~20 operators per layer serves both) and costs the FLOPs and elementwise work of the
padding. The planner starts from one group per distinct shape (control flow, depth, widths,
batch size) and greedily merges the pair that lowers the modelled epoch time most, until no
merge lowers it. The cost model's coefficients were fitted on this project's 2-core CPU
(docs/nn.md "The planner"); members that differ in control flow (activation, batch norm,
bn_stats, softmax regression) never merge, and batch sizes of a group must form a chain
(each a multiple of every smaller one), as ``SubPopulation`` steps them on shared ticks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .config import MemberConfig


@dataclass(frozen=True)
class CostModel:
    """Seconds of one epoch of a group, fitted by least squares on 24 uniform populations
    (depth 1/3, width 16/64/256, batch 32/128, 1/8 members; 1 thread; docs/nn.md)."""

    #: per forward/backward call of one batch-size class, fixed part (dispatch, Python)
    call_s: float = 1.0e-3
    #: per call and hidden layer (each layer adds ~20 operator calls)
    layer_call_s: float = 0.41e-3
    #: per optimizer tick of a group (one optimizer call over the rows that stepped)
    tick_s: float = 0.36e-3
    #: per GFLOP of padded matrix products
    gflop_s: float = 4.85e-3
    #: per parameter (padded) updated by one optimizer step of one member
    param_step_s: float = 12.1e-9
    #: per activation element (rows x padded hidden units) of one forward/backward
    act_s: float = 30.5e-9


DEFAULT_COST = CostModel()
#: every merge the control flow and batch chains allow pays under this model (a second
#: program's ticks cost a second each): tests use it to put mixed shapes in one program
ONE_PROGRAM = CostModel(tick_s=1.0)


def control_key(cfg: MemberConfig) -> tuple[Any, ...]:
    """What changes a program's control flow: members with different keys never merge."""
    return (
        cfg.activation,
        cfg.batch_norm,
        cfg.bn_stats if cfg.batch_norm else "running",
        cfg.depth == 0,  # softmax regression has no hidden layer to mask
    )


@dataclass(frozen=True)
class Shape:
    """What the cost of a group depends on: its padded hidden widths, and per batch size the
    number of members."""

    depths: frozenset[int]
    widths: tuple[int, ...]  # per-layer max (one depth) or the max repeated (mixed depths)
    classes: tuple[tuple[int, int], ...]  # (batch size, members), ascending batch size

    def merge(self, other: Shape) -> Shape | None:
        """The shape of both groups in one program, or None when their batch sizes do not
        form one chain."""
        counts: dict[int, int] = dict(self.classes)
        for b, c in other.classes:
            counts[b] = counts.get(b, 0) + c
        sizes = sorted(counts)
        if any(big % small for small, big in pairwise(sizes)):
            return None
        depths = self.depths | other.depths
        if len(depths) == 1:
            widths = tuple(map(max, self.widths, other.widths))
        else:
            widest = max(max(self.widths, default=0), max(other.widths, default=0))
            widths = (widest,) * max(depths)
        return Shape(depths, widths, tuple((b, counts[b]) for b in sizes))


def member_shape(cfg: MemberConfig, n_train: int) -> Shape:
    return Shape(frozenset([cfg.depth]), cfg.widths, ((min(cfg.batch_size, n_train), 1),))


def epoch_cost(
    shape: Shape, n_train: int, n_features: int, n_classes: int, model: CostModel = DEFAULT_COST
) -> float:
    """Modelled seconds of one training epoch of a group of this shape."""
    sizes = [n_features, *shape.widths, n_classes]
    macs = sum(a * b for a, b in pairwise(sizes))
    params = macs + 2 * sum(shape.widths)
    hidden = sum(shape.widths)
    depth = len(shape.widths)
    members = sum(c for _, c in shape.classes)
    cost = model.tick_s * math.ceil(n_train / shape.classes[0][0])
    cost += model.gflop_s * 6 * n_train * macs * members / 1e9
    for b, count in shape.classes:
        calls = math.ceil(n_train / b)
        cost += calls * (model.call_s + model.layer_call_s * depth)
        cost += calls * count * (params * model.param_step_s + b * hidden * model.act_s)
    return cost


def plan(
    cfgs: Sequence[MemberConfig],
    n_train: int,
    n_features: int,
    n_classes: int,
    model: CostModel = DEFAULT_COST,
) -> list[list[int]]:
    """Member indices of each program: the greedy merge of shapes that minimises the modelled
    epoch time (see the module doc). Deterministic: ties keep the earlier pair."""
    start: dict[tuple[Any, ...], list[int]] = {}
    for i, c in enumerate(cfgs):
        key = (control_key(c), c.widths, min(c.batch_size, n_train))
        start.setdefault(key, []).append(i)
    groups: list[tuple[tuple[Any, ...], Shape, list[int]]] = []
    for (ctrl, _, _), ids in start.items():
        shape = member_shape(cfgs[ids[0]], n_train)
        shape = Shape(shape.depths, shape.widths, ((shape.classes[0][0], len(ids)),))
        groups.append((ctrl, shape, ids))

    def cost(s: Shape) -> float:
        return epoch_cost(s, n_train, n_features, n_classes, model)

    costs = [cost(s) for _, s, _ in groups]
    gains: dict[tuple[int, int], tuple[float, Shape]] = {}

    def gain(i: int, j: int) -> None:
        (ci, si, _), (cj, sj, _) = groups[i], groups[j]
        merged = si.merge(sj) if ci == cj else None
        if merged is not None:
            g = costs[i] + costs[j] - cost(merged)
            if g > 0:
                gains[(i, j)] = (g, merged)

    alive = set(range(len(groups)))
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            gain(i, j)
    while gains:
        (i, j), (_, merged) = max(gains.items(), key=lambda kv: (kv[1][0], -kv[0][0], -kv[0][1]))
        groups[i] = (groups[i][0], merged, groups[i][2] + groups[j][2])
        costs[i] = cost(merged)
        alive.discard(j)
        gains = {k: v for k, v in gains.items() if i not in k and j not in k}
        for k in alive:
            if k != i:
                gain(min(i, k), max(i, k))
    return [sorted(groups[i][2]) for i in sorted(alive)]
