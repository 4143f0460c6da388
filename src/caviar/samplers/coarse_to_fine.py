"""Coarse to fine: random search in rounds, each round zooming into the best region so far.

Round 0 samples the whole space. Round ``r`` (trials numbered ``r * per_round`` up to
``(r + 1) * per_round - 1``) looks at the completed trials of the rounds before it, takes the
best ``top_k`` of them (or the best ``quantile`` share) and samples uniformly inside a box
around them. The top trials are taken around the best one: of the best ``anchor * top_k``
trials, the ``top_k`` nearest to the best (in the unit cube; a different choice counts 1), so
when good trials sit in several basins the box zooms into the best trial's basin instead of
spanning them all (``anchor=1``: simply the best ``top_k``). The box:

* numeric params (Float, Int): the box spans the top trials' values *in the unit interval*, so
  on the param's own scale (a log-scaled learning rate zooms by decades), grown by ``padding``
  times its width on each side and to at least ``min_width``, clipped to the declared range;
* choices: only the choices that appear among the top trials.

Inside its box a round is a Latin hypercube: along every param the round's ``per_round``
trials fall one to each of ``per_round`` equal strata (in a random order of the seed, the
round and the param; uniform within the stratum), so even a small round covers each range
evenly. Each trial is still drawn by itself, from its number, so any worker can draw any
trial of a round.

**Several directions, or constraints.** The best trials are then the complete ones ordered by
non-dominated rank, then crowding distance (feasible first, infeasible by total violation;
``caviar.samplers._selection``), so each round zooms around the Pareto front found so far.

Every trial records ``round`` and ``box`` (values on the param's scale: ``[low, high]`` for
numbers, the kept list for choices) in its system attrs, so reports and plots can show the zoom.

**Boundary warning.** When at least ``edge_share`` of the top trials lie within ``edge`` (a share
of the range, on its scale) of a boundary, a ``BoundaryWarning`` says so ("lr: 7 of the top 10
trials lie within 5% of high=0.1 — widen the range") and the message is recorded in the
trial's ``boundary`` attr. The declared range is the space, so the sampler cannot grow past it;
with ``widen=True`` it keeps that param's full range instead of narrowing it.

**Round barrier.** Round ``r`` starts only when every trial of the earlier rounds finished, so
all parallel workers compute the same box: until then ``propose`` answers ``status="wait"``
and the study polls (see ``Study._start``). Rounds are numbered by trial number, which storage
hands out atomically, so workers agree on round membership without any other coordination. A
process that itself holds an unfinished earlier trial (``ask(n)`` across a round) cannot wait
for it and goes on with the trials finished so far.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from caviar.errors import BoundaryWarning, UsageError
from caviar.samplers._history import directions_of, is_choice, unit_of
from caviar.samplers._selection import best_trials_first, has_constraints
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.stream import Stream
from caviar.space import Choice, Param, Space
from caviar.trial_record import COMPLETE, MAXIMIZE, RUNNING, FrozenTrial

# a box: name -> (lo, hi) in the unit interval, or a tuple of kept choice indices
Box = dict[str, tuple[float, float] | tuple[int, ...]]


class CoarseToFineSampler(Sampler):
    name = "coarse-to-fine"

    def __init__(self, *, seed: int | None = None, per_round: int = 20, top_k: int | None = None,
                 quantile: float | None = None, padding: float = 0.25, min_width: float = 0.05,
                 edge: float = 0.05, edge_share: float = 0.5, widen: bool = False,
                 anchor: float = 2.0) -> None:
        super().__init__(seed=seed)
        who = "CoarseToFineSampler"
        if isinstance(per_round, bool) or not isinstance(per_round, int) or per_round < 2:
            raise UsageError(f"{who}: per_round must be an int >= 2 (trials per round), got "
                             f"per_round={per_round!r}; e.g. per_round=20")
        if top_k is not None and quantile is not None:
            raise UsageError(f"{who}: give top_k or quantile, not both, got top_k={top_k!r}, "
                             f"quantile={quantile!r}")
        if quantile is not None and not 0 < quantile <= 1:
            raise UsageError(f"{who}: quantile must be in (0, 1], got quantile={quantile!r}; "
                             "e.g. quantile=0.2 (the best 20%)")
        if quantile is None:
            top_k = max(2, per_round // 4) if top_k is None else top_k
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise UsageError(f"{who}: top_k must be an int >= 1, got top_k={top_k!r}")
            if top_k > per_round:
                raise UsageError(
                    f"{who}: top_k must be <= per_round (the best of one round), got "
                    f"top_k={top_k}, per_round={per_round}; use a smaller top_k or a larger "
                    "per_round")
        if not padding >= 0:
            raise UsageError(f"{who}: padding must be >= 0 (a share of the box width added on "
                             f"each side), got padding={padding!r}; e.g. padding=0.25")
        if not 0 < min_width <= 1:
            raise UsageError(f"{who}: min_width must be in (0, 1] (a share of the declared "
                             f"range), got min_width={min_width!r}; e.g. min_width=0.05")
        if isinstance(anchor, bool) or not isinstance(anchor, int | float) or not anchor >= 1:
            raise UsageError(f"{who}: anchor must be a number >= 1 (the top trials are the "
                             "top_k nearest the best among the best anchor * top_k), got "
                             f"anchor={anchor!r}; e.g. anchor=2, or anchor=1 for the plain "
                             "top_k")
        if not 0 < edge < 0.5 or not 0 < edge_share <= 1:
            raise UsageError(f"{who}: needs 0 < edge < 0.5 and 0 < edge_share <= 1, got "
                             f"edge={edge!r}, edge_share={edge_share!r}")
        self.per_round = per_round
        self.top_k = top_k
        self.quantile = None if quantile is None else float(quantile)
        self.padding = float(padding)
        self.min_width = float(min_width)
        self.edge = float(edge)
        self.edge_share = float(edge_share)
        self.widen = bool(widen)
        self.anchor = float(anchor)
        self._rounds: dict[int, tuple[Box, dict[str, Any]]] = {}
        self._owner: History | None = None
        self._trial_box: dict[int, Box] = {}
        self._strata: dict[tuple[int, int, str], np.ndarray[Any, Any]] = {}

    # ------------------------------------------------------------------ the seam
    def propose(self, space: Space, history: History, trials: Sequence[FrozenTrial],
                rngs: Sequence[Stream], claim: Claim) -> Proposal:
        if self._owner is not history:
            self._owner, self._rounds, self._trial_box = history, {}, {}
        mine = {t.number for t in trials}
        past = history.trials()
        wait = False
        params: list[dict[str, Any]] = []
        attrs: list[dict[str, Any]] = []
        for t, rng in zip(trials, rngs, strict=True):
            r = t.number // self.per_round
            box, info = self.round_box(r, space, history, past, mine)
            if info.get("barrier") == "wait":
                wait = True
            if len(self._trial_box) > 1024:
                self._trial_box.clear()
            self._trial_box[t.number] = box
            params.append({name: self._draw(p, rng, box) for name, p in space.items()})
            attrs.append({k: v for k, v in info.items() if k != "barrier"})
        return Proposal(params, attrs, status="wait" if wait else "ready")

    def sample_param(self, param: Param, rng: Stream) -> Any:
        box = self._trial_box.get(rng.number, {})
        return self._draw(param, rng, box)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "per_round": self.per_round,
                "top_k": self.top_k, "quantile": self.quantile, "padding": self.padding,
                "min_width": self.min_width, "edge": self.edge, "edge_share": self.edge_share,
                "widen": self.widen, "anchor": self.anchor}

    # ------------------------------------------------------------------ rounds
    def round_box(self, r: int, space: Space, history: History,
                  past: Sequence[FrozenTrial] | None = None,
                  mine: set[int] | frozenset[int] = frozenset()) -> tuple[Box, dict[str, Any]]:
        """The box of round ``r`` and the attrs its trials record (``barrier`` is 'wait' when
        earlier rounds still run elsewhere)."""
        if r == 0:
            return {}, {"round": 0}
        hit = self._rounds.get(r)
        if hit is not None:
            return hit
        past = history.trials() if past is None else past
        end = r * self.per_round
        earlier = [t for t in past if t.number < end]
        blocking = [t for t in earlier if t.state == RUNNING]
        box, info = self._box(r, self._space(space, history), earlier, directions_of(history))
        if not blocking:
            self._rounds[r] = (box, info)
            return box, info
        if any(t.number in mine for t in blocking):
            return box, {**info, "barrier_skipped": len(blocking)}
        return box, {**info, "barrier": "wait"}

    def _space(self, space: Space, history: History) -> dict[str, Param]:
        full = getattr(getattr(history, "study", None), "space", None)
        out: dict[str, Param] = dict(full.items()) if full is not None else {}
        out.update(space.items())
        return out

    def _box(self, r: int, space: dict[str, Param], earlier: Sequence[FrozenTrial],
             directions: tuple[str, ...]) -> tuple[Box, dict[str, Any]]:
        if len(directions) == 1:
            done = [t for t in earlier if t.state == COMPLETE and t.value is not None]
        else:
            done = [t for t in earlier if t.state == COMPLETE and t.values is not None
                    and len(t.values) == len(directions)]
        info: dict[str, Any] = {"round": r}
        if not done:
            return {}, info
        if len(directions) > 1 or has_constraints(done):  # rank, crowding; feasible first
            done = best_trials_first(done, directions)
        else:
            sign = -1.0 if directions[0] == MAXIMIZE else 1.0
            done.sort(key=lambda t: (sign * (t.value or 0.0), t.number))
        k = self.top_k if self.quantile is None else math.ceil(self.quantile * len(done))
        k = max(1, min(k or 1, len(done)))
        top = _nearest(done[: max(k, math.ceil(self.anchor * k))], k, space)
        box: Box = {}
        shown: dict[str, Any] = {}
        pressed: list[str] = []
        for name, p in space.items():
            have = [t for t in top if name in t.params]
            if not have:
                continue
            if is_choice(p):
                assert isinstance(p, Choice)
                kept = tuple(sorted({p.index(t.params[name]) for t in have}))
                box[name] = kept
                shown[name] = [p.choices[i] for i in kept]
                continue
            us = [unit_of(p, t.params[name], t.number) for t in have]
            lo, hi = self._narrow(min(us), max(us))
            msg = self._pressure(name, p, us)
            if msg is not None:
                pressed.append(msg)
                if self.widen:
                    lo, hi = 0.0, 1.0
            box[name] = (lo, hi)
            shown[name] = [_val(p, lo), _val(p, hi)]
        info["box"] = shown
        if pressed:
            info["boundary"] = pressed
            for msg in pressed:
                warnings.warn(BoundaryWarning(msg), stacklevel=2)
        return box, info

    def _narrow(self, lo: float, hi: float) -> tuple[float, float]:
        pad = self.padding * (hi - lo)
        lo, hi = max(0.0, lo - pad), min(1.0, hi + pad)
        if hi - lo < self.min_width:
            c = 0.5 * (lo + hi)
            lo, hi = c - 0.5 * self.min_width, c + 0.5 * self.min_width
            if lo < 0.0:
                lo, hi = 0.0, self.min_width
            elif hi > 1.0:
                lo, hi = 1.0 - self.min_width, 1.0
        return lo, hi

    def _pressure(self, name: str, p: Param, us: list[float]) -> str | None:
        if len(us) < 2:
            return None
        for side, near in (("low", sum(u <= self.edge for u in us)),
                           ("high", sum(u >= 1 - self.edge for u in us))):
            if near >= self.edge_share * len(us):
                bound = getattr(p, side)
                return (f"{name}: {near} of the top {len(us)} trials lie within "
                        f"{self.edge:.0%} of {side}={bound!r} — widen the range")
        return None

    # ------------------------------------------------------------------ drawing
    def _stratified(self, name: str, rng: Stream) -> float:
        """A uniform draw in the stratum of trial ``rng.number`` along param ``name``: the
        round's trials take the ``per_round`` strata in a random order of (seed, round,
        name)."""
        r, i = divmod(rng.number, self.per_round)
        key = (rng.seed, r, name)
        perm = self._strata.get(key)
        if perm is None:
            if len(self._strata) > 4096:
                self._strata.clear()
            gen = np.random.default_rng([rng.seed & (2 ** 63 - 1), r, zlib.crc32(name.encode())])
            perm = self._strata[key] = gen.permutation(self.per_round)
        return (int(perm[i]) + rng.random()) / self.per_round

    def _draw(self, p: Param, rng: Stream, box: Box) -> Any:
        b = box.get(p.name)
        u = self._stratified(p.name, rng)
        if b is None:
            return p.value(u)
        if is_choice(p):
            assert isinstance(p, Choice)
            kept = b
            return p.choices[int(kept[min(int(u * len(kept)), len(kept) - 1)])]
        lo, hi = float(b[0]), float(b[1])
        return p.value(lo + u * (hi - lo))


def _nearest(pool: list[FrozenTrial], k: int, space: dict[str, Param]) -> list[FrozenTrial]:
    """The ``k`` trials of ``pool`` (best first) nearest to its best, in the unit cube."""
    if len(pool) <= k:
        return pool
    best = pool[0]
    ref = {name: unit_of(p, best.params[name], best.number) if not is_choice(p)
           else best.params[name] for name, p in space.items() if name in best.params}

    def dist(t: FrozenTrial) -> float:
        d = 0.0
        for name, r in ref.items():
            if name not in t.params:
                d += 1.0
            elif is_choice(space[name]):
                d += float(t.params[name] != r)
            else:
                d += (unit_of(space[name], t.params[name], t.number) - r) ** 2
        return d

    return sorted(pool, key=dist)[:k]  # stable: equally near, the better first


def _val(p: Param, u: float) -> Any:
    v = p.value(u)
    return float(v) if isinstance(v, float) else v
