"""The live terminal view of a babysat trial (rich): per-epoch sparklines of every curve,
the current hyperparameters, elapsed and remaining time, the last checkpoint and the latest
control messages. Off a terminal it prints one line per epoch instead."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

if TYPE_CHECKING:
    from caviar.panda.controller import Controller

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 48) -> str:
    """The last ``width`` values as block characters, scaled between their min and max;
    a non-finite value is a space."""
    vals = list(values)[-width:]
    finite = [v for v in vals if isinstance(v, int | float) and math.isfinite(v)]
    if not finite:
        return " " * len(vals)
    lo, hi = min(finite), max(finite)
    span = hi - lo
    out = []
    for v in vals:
        if not (isinstance(v, int | float) and math.isfinite(v)):
            out.append(" ")
        elif span == 0:
            out.append(BARS[len(BARS) // 2])
        else:
            out.append(BARS[min(len(BARS) - 1, int((v - lo) / span * (len(BARS) - 1) + 0.5))])
    return "".join(out)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def curves(ctrl: Controller) -> dict[str, list[float]]:
    """The reported value per step, then any ``user_attrs['curves']`` the objective keeps."""
    rep = ctrl.trial.reports
    out = {"value": [rep[k] for k in sorted(rep)]}
    extra = ctrl.trial.user_attrs.get("curves")
    if isinstance(extra, dict):
        for k, v in extra.items():
            if isinstance(v, list) and k != "value":
                out[str(k)] = [float(x) for x in v]
    return out


FINAL_STYLE = {"complete": "blue", "pruned": "yellow", "fail": "red"}


def render(ctrl: Controller, total: int | None, target: str,
           final: tuple[str, Any] | None = None) -> Panel:
    """The live panel; ``final`` = (state, value) once the trial has ended (the last frame
    then says how it ended, not "running")."""
    t = ctrl.trial
    done = (ctrl.schedule[-1]["epoch"] + 1) if ctrl.schedule else 0
    state = "[yellow]paused[/]" if ctrl.paused else \
        "[red]stopped[/]" if ctrl.stopped_at is not None else "[green]running[/]"
    if final is not None:
        how = f"{final[0]}" + (f", value {fmt(final[1])}" if final[1] is not None else "")
        if ctrl.stopped_at is not None:
            how += f" (stopped after epoch {ctrl.stopped_at})"
        state = f"[bold {FINAL_STYLE.get(final[0], 'white')}]{escape(how)}[/]"
    head = Table.grid(padding=(0, 2))
    head.add_row(f"epoch {done}/{total or '?'}", state,
                 f"elapsed {duration(time.time() - ctrl.started)}",
                 f"remaining {duration(ctrl.remaining(total))}")
    ck = ctrl.last_checkpoint
    head.add_row(f"last checkpoint: {'epoch ' + str(ck[0]) if ck else '-'}",
                 "", "", "")
    curve_t = Table(show_header=True, box=None, padding=(0, 1))
    for c in ("curve", "last", "min", "max", "per epoch"):
        curve_t.add_column(c)
    for name, vals in curves(ctrl).items():
        fin = [v for v in vals if math.isfinite(v)]
        curve_t.add_row(escape(name), fmt(vals[-1]) if vals else "-", fmt(min(fin)) if fin else "-",
                        fmt(max(fin)) if fin else "-", sparkline(vals))
    hyp = Table(show_header=True, box=None, padding=(0, 1))
    hyp.add_column("param")
    hyp.add_column("now")
    hyp.add_column("mutable")
    for k, v in t.params.items():
        mutable = k in ctrl.mutable
        now = ctrl.values.get(k, v) if mutable else v
        hyp.add_row(escape(k), fmt(now), "yes" if mutable else "")
    parts: list[Any] = [head, curve_t, hyp]
    if ctrl.log:
        parts.append(escape("\n".join(ctrl.log[-4:])))
    parts.append(f"[dim]caviar nudge {t.number} lr=... | pause | resume | stop | "
                 f"rewind {t.number} --epoch K  (--study {escape(ctrl.study.name)})[/]")
    return Panel(Group(*parts), title=escape(f"babysitting trial {t.number} of "
                                             f"{ctrl.study.name} ({target})"))


class LiveView:
    """``update(ctrl)`` after every boundary; ``close()`` at the end."""

    def __init__(self, *, total: int | None, target: str, quiet: bool = False,
                 console: Console | None = None) -> None:
        self.total = total
        self.target = target
        self.console = console or Console(highlight=False)
        self.quiet = quiet
        self.live: Any = None
        self._printed = -1
        if not quiet and self.console.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.console, refresh_per_second=4, transient=False)
            self.live.start()

    def update(self, ctrl: Controller) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.update(render(ctrl, self.total, self.target))
            return
        done = ctrl.schedule[-1]["epoch"] if ctrl.schedule else -1
        if done == self._printed and not ctrl.log:
            return
        if done != self._printed:
            self._printed = done
            vals = {k: fmt(v) for k, v in ctrl.current().items()}
            last = ctrl.trial.reports.get(done)
            self.console.print(escape(
                f"trial {ctrl.trial.number} epoch {done + 1}/{self.total or '?'}  value "
                f"{fmt(last)}  " + " ".join(f"{k}={v}" for k, v in vals.items())))
        for line in ctrl.log:
            self.console.print(escape(f"trial {ctrl.trial.number}: {line}"))
        ctrl.log.clear()

    def finish(self, ctrl: Controller, state: str, value: Any) -> None:
        """Draw the last frame with the trial's final state, then stop the live display."""
        if self.live is not None:
            self.live.update(render(ctrl, self.total, self.target, final=(state, value)))
        self.close()

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
