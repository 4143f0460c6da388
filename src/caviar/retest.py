"""Re-test the best configurations over new seeds: "intuitions get stale".

``retest(study, objective, top=5, seeds=5)`` takes the ``top`` completed trials of ``study``
(best first), runs each one's params again under ``seeds`` new seeds, and reports per
configuration the mean ± std of the re-runs and whether the original ranking holds.

**The seed contract.** A re-run is an ordinary caviar Trial whose params are fixed to the
original's; its seed is ``caviar.retest.trial_seed(trial)``. An objective that should be
re-testable takes every random choice it makes (weight init, shuffling, a data split) from it::

    from caviar.retest import trial_seed

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        return train(lr, seed=trial_seed(trial))      # trial.number outside a re-test

``trial_seed`` reads ``trial.system_attrs["seed"]`` (set by the re-test) and falls back to
``default`` (or the trial's number) in an ordinary study. ``trial.system_attrs["retest"]`` is
True in a re-run, for objectives that also want new data.

**Where re-runs live.** In a sibling study ``"<study>.retest"`` in the same storage, so the
original study's target, best trial and pruner history are untouched. Each re-run carries
``system_attrs``: ``retest_of`` (the original's number), ``retest_of_id`` (its id),
``retest_of_study`` (its study's name), ``seed`` and ``retest`` = True.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from caviar.errors import TrialPruned, UsageError
from caviar.samplers.base import Proposal
from caviar.samplers.random import RandomSampler
from caviar.trial_record import COMPLETE, FrozenTrial

__all__ = ["RetestReport", "RetestRow", "retest", "retest_study_name", "trial_seed"]

#: re-test seeds start here, far from the trial numbers an ordinary study uses as seeds
SEED_BASE = 1_000_003


def trial_seed(trial: Any, default: int | None = None) -> int:
    """The seed an objective should use: the re-test's for a re-run, else ``default`` (or
    the trial's number)."""
    seed = trial.system_attrs.get("seed")
    if seed is not None:
        return int(seed)
    return int(trial.number if default is None else default)


def retest_study_name(name: str) -> str:
    return f"{name}.retest"


class _Fixed(RandomSampler):
    """Proposes queued (params, attrs) pairs in order; stored as a plain random sampler."""

    def __init__(self, queue: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        super().__init__(seed=0)
        self.queue = queue

    def propose(self, space: Any, history: Any, trials: Sequence[FrozenTrial],
                rngs: Any, claim: Any) -> Proposal:
        take = [self.queue.pop(0) for _ in trials if self.queue]
        return Proposal([dict(p) for p, _ in take], [dict(a) for _, a in take])

    def to_json(self) -> dict[str, Any]:
        return {"name": "random", "seed": 0}


@dataclass
class RetestRow:
    """One configuration: its original rank and value, and its re-runs."""

    rank: int
    number: int
    params: dict[str, Any]
    original: float
    values: list[float] = field(default_factory=list)
    failed: int = 0

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else math.nan

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0


@dataclass
class RetestReport:
    study: str
    direction: str
    seeds: list[int]
    rows: list[RetestRow]

    @property
    def new_order(self) -> list[int]:
        """Original ranks, re-sorted by the re-runs' means (best first)."""
        ok = [r for r in self.rows if r.values]
        ok.sort(key=lambda r: r.mean, reverse=self.direction == "maximize")
        return [r.rank for r in ok] + [r.rank for r in self.rows if not r.values]

    @property
    def ranking_holds(self) -> bool:
        """Does ordering the configurations by their re-tested means keep the original order?"""
        return self.new_order == [r.rank for r in self.rows]

    @property
    def winner_holds(self) -> bool:
        """Is the original best still best (its mean at least as good as every other's)?"""
        return bool(self.new_order) and self.new_order[0] == self.rows[0].rank

    def text(self) -> str:
        lines = [f"retest of {self.study!r}: top {len(self.rows)} over seeds {self.seeds} "
                 f"({self.direction})",
                 f"{'rank':>4} {'trial':>6} {'original':>10} {'mean':>10} {'± std':>9} "
                 f"{'new rank':>8}  params"]
        new_rank = {rank: i + 1 for i, rank in enumerate(self.new_order)}
        for r in self.rows:
            fail = f" ({r.failed} failed)" if r.failed else ""
            lines.append(f"{r.rank:>4} {r.number:>6} {r.original:>10.5g} {r.mean:>10.5g} "
                         f"{r.std:>9.3g} {new_rank[r.rank]:>8}  {r.params}{fail}")
        lines.append(f"ranking holds: {'yes' if self.ranking_holds else 'no'}; "
                     f"best stays best: {'yes' if self.winner_holds else 'no'}")
        return "\n".join(lines)


def retest(study: Any, objective: Callable[[Any], Any], *, top: int = 5, seeds: int = 5,
           first_seed: int = SEED_BASE) -> RetestReport:
    """Re-run the ``top`` best completed trials of ``study`` under ``seeds`` new seeds each."""
    import caviar

    for what, v in (("top", top), ("seeds", seeds)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise UsageError(f"retest: {what} must be an int >= 1, got {what}={v!r}")
    if getattr(study, "is_multi_objective", False):
        raise UsageError(f"retest: study {study.name!r} has directions="
                         f"{list(study.directions)}; retest ranks trials by one value, so it "
                         "needs a study with one direction (read study.best_trials for the "
                         "front)")
    done = [t for t in study.trials if t.state == COMPLETE and t.value is not None]
    if len(done) < top:
        raise UsageError(f"retest: study {study.name!r} has {len(done)} completed trial(s), "
                         f"fewer than top={top}; use --top {max(1, len(done))} or run more "
                         "trials first" if done else
                         f"retest: study {study.name!r} has no completed trial; run it first")
    maximize = study.direction == "maximize"
    done.sort(key=lambda t: t.value, reverse=maximize)
    best = done[:top]
    seed_list = [first_seed + k for k in range(seeds)]
    queue = [(dict(t.params), {"retest": True, "retest_of": t.number, "retest_of_id": t.id,
                               "retest_of_study": study.name, "seed": s})
             for t in best for s in seed_list]
    sampler = _Fixed(queue)
    sibling = caviar.create_study(retest_study_name(study.name), storage=study.storage,
                                  direction=study.direction, sampler=sampler)
    rows = [RetestRow(i + 1, t.number, dict(t.params), float(t.value or 0.0))
            for i, t in enumerate(best)]
    by_number = {r.number: r for r in rows}
    for _ in range(len(queue)):
        trial = sibling.ask()
        for name in trial._proposed:  # every param of the original, known to its study
            if name in study.space:
                trial.suggest(name, study.space[name])
        row = by_number[trial.system_attrs["retest_of"]]
        try:
            value = objective(trial)
        except TrialPruned as e:
            sibling.tell(trial, state="pruned", error=str(e) or None)
            row.failed += 1
            continue
        except Exception as e:
            sibling.tell(trial, state="fail", error=f"{type(e).__name__}: {e}")
            row.failed += 1
            continue
        frozen = sibling.tell(trial, value)
        if frozen is not None and frozen.state == COMPLETE and frozen.value is not None:
            row.values.append(frozen.value)
        else:
            row.failed += 1
    return RetestReport(study.name, study.direction, seed_list, rows)

