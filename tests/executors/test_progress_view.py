"""The progress line prints user strings as text, and says why a run waits."""

from __future__ import annotations

import io

from rich.console import Console

from caviar.executors.progress import ProgressView


def test_a_study_name_with_markup_prints_as_text_and_the_wait_is_said() -> None:
    out = io.StringIO()
    view = ProgressView("a[/]b[bold]", "minimize", 10, enabled=True,
                        console=Console(file=out, width=200, force_terminal=True))
    view.waiting("waiting for 1 trial(s) [/] running elsewhere")
    view.set(3, 0.5)
    view.close()
    text = out.getvalue()
    assert "a[/]b[bold]" in text
    assert "waiting for 1 trial(s) [/] running elsewhere" in text


def test_a_long_wait_on_a_narrow_terminal_keeps_the_count_the_times_and_the_eta() -> None:
    out = io.StringIO()
    view = ProgressView("digits-mlp", "maximize", 128, enabled=True,
                        console=Console(file=out, width=80, force_terminal=True))
    view.set(37, 0.9812)
    view.waiting("waiting for 3 trial(s) running elsewhere; one silent for 60 s "
                 "(--stale-after) counts as lost, the next in 41 s at most")
    view.close()
    lines = out.getvalue().splitlines()
    last = [line for line in lines if "37/128" in line][-1]
    assert "best 0.9812" in last
    assert "0:00:" in last  # the elapsed time is still there
    assert "eta" in last
    said = [line for line in lines if "waiting for 3 trial(s)" in line][-1]
    assert "…" in said and len(said.rstrip()) <= 80 + 20  # cut short (ANSI codes aside)
