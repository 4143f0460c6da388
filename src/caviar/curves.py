"""The learning curves of a study's trials, as a pruner sees them.

A pruner is pure: it decides on curves it is handed (``Pruner.decide_trial``). This book is
what hands them over: finished trials' curves never change, so each is read from storage
once; running trials' curves are read again on every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from caviar.pruners.base import Other
from caviar.trial_record import COMPLETE, FAIL, PRUNED, RUNNING

if TYPE_CHECKING:
    from caviar.study import Study


class CurveBook:
    def __init__(self, study: Study) -> None:
        self.study = study
        self._final: dict[int, Other] = {}

    def others(self, me: int | None = None, *, running: bool = True) -> list[Other]:
        """Every trial's curve but trial id ``me``'s: finished (complete, pruned) ones and,
        with ``running``, those still running. Failed trials are left out."""
        study = self.study
        need = [t for t in study.trials if t.id != me and t.state != FAIL
                and ((running and t.state == RUNNING)
                     or (t.state != RUNNING and t.id not in self._final))]
        got: dict[int, dict[int, float]] = {}
        if need:
            study.flush()
            for tid, step, v in study.storage.get_reports(study.id, [t.id for t in need]):
                got.setdefault(tid, {})[step] = v
        live = []
        for t in need:
            o = Other(t.number, t.state, got.get(t.id, {}))
            if t.state in (COMPLETE, PRUNED):
                self._final[t.id] = o
            else:
                live.append(o)
        return [o for tid, o in self._final.items() if tid != me] + live
