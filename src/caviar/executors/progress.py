"""A rich progress bar with the best value so far, for long runs (off with --quiet).

Why a run idles is said on a line of its own under the bar, cut short with an ellipsis on a
narrow terminal, so the count, the best value, the elapsed time and the eta stay on theirs."""

from __future__ import annotations

from typing import Any

from caviar.trial_record import COMPLETE, better


class ProgressView:
    def __init__(self, study_name: str, direction: str, total: int, done: int = 0,
                 best: float | None = None, enabled: bool = True,
                 console: Any = None) -> None:
        self.direction = direction
        self.best = best
        self.done = done
        self.enabled = enabled
        self._name = study_name
        self._progress: Any = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            class _WithNote(Progress):
                note = ""

                def get_renderables(self) -> Any:
                    yield from super().get_renderables()
                    if self.note:
                        from rich.text import Text

                        yield Text(self.note, no_wrap=True, overflow="ellipsis", style="dim")

            self._progress = _WithNote(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("best {task.fields[best]}"), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(), transient=False, console=console)
            from rich.markup import escape

            self._name = escape(study_name)  # a name like '[/]' prints as text
            self._task = self._progress.add_task(self._name, total=total, completed=done,
                                                 best=self._fmt())
            self._progress.start()

    def _fmt(self) -> str:
        return "-" if self.best is None else f"{self.best:.6g}"

    def told(self, frozen: Any) -> None:
        if frozen is None:
            return
        self.done += 1
        if frozen.state == COMPLETE and frozen.value is not None and (
                self.best is None or better(self.direction, frozen.value, self.best)):
            self.best = frozen.value
        self.set(self.done, self.best)

    def set(self, done: int, best: float | None) -> None:
        self.done, self.best = done, best
        if self._progress is not None:
            self._progress.update(self._task, completed=done, best=self._fmt())

    def waiting(self, why: str) -> None:
        """Say why the run idles (trials running elsewhere); an empty ``why`` clears it."""
        if self._progress is not None and why != self._progress.note:
            self._progress.note = why  # drawn as plain text, never as markup
            self._progress.refresh()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
