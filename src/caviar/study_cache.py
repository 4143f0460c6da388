"""The study's incremental copy of its trials (``since=`` reads), kept in number order: what
samplers see as the history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from caviar.trial_record import FrozenTrial

if TYPE_CHECKING:
    from caviar.study import Study


class HistoryCache:
    """Incremental copy of the study's trials (``since=`` reads), kept in number order."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.by_number: dict[int, FrozenTrial] = {}
        self.seq = 0
        self._ordered: list[FrozenTrial] = []
        self._pos: dict[int, int] = {}    # trial number -> index in _ordered

    def trials(self) -> list[FrozenTrial]:
        new, self.seq = self.study.storage.get_trials(self.study.id, since=self.seq)
        if new:
            self._merge(new)
        return list(self._ordered)

    def _merge(self, new: Sequence[FrozenTrial]) -> None:
        ordered, pos, by_number = self._ordered, self._pos, self.by_number
        resort = False
        for t in new:
            by_number[t.number] = t
            i = pos.get(t.number)
            if i is not None:
                ordered[i] = t
            elif not ordered or ordered[-1].number < t.number:
                pos[t.number] = len(ordered)
                ordered.append(t)
            else:
                resort = True
        if resort:  # a number below the newest arrived late: rebuild the order
            self._ordered = [by_number[k] for k in sorted(by_number)]
            self._pos = {t.number: i for i, t in enumerate(self._ordered)}

    def forget(self, number: int) -> None:
        if self.by_number.pop(number, None) is not None:
            self._ordered = [self.by_number[k] for k in sorted(self.by_number)]
            self._pos = {t.number: i for i, t in enumerate(self._ordered)}
