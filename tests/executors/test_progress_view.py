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
