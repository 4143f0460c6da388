"""``caviar report``, ``caviar plot`` and ``caviar dashboard``: thin; plotly, starlette and
uvicorn are imported only when one of these runs (importing the CLI stays light)."""

from __future__ import annotations

import os
import re
from typing import Any

import click

from caviar.cli.options import storage_option
from caviar.errors import UsageError

PLOTS = ("history", "params", "parallel", "curves", "importance", "rounds")


def open_existing(url: str) -> Any:
    """Open a storage for reading without creating it: a SQLite file must already exist."""
    from caviar.storage import get_storage

    m = re.fullmatch(r"sqlite:///(.+)", url or "")
    if m and m.group(1) != ":memory:" and not os.path.exists(m.group(1)):
        raise UsageError(f"storage {url!r}: the file {m.group(1)!r} does not exist; check the "
                         "path (three slashes for a relative path, four for an absolute one), "
                         "or run `caviar studies --storage URL` to see what a storage holds")
    try:
        return get_storage(url)
    except UsageError:
        raise
    except Exception as e:
        if type(e).__module__.startswith("caviar"):
            raise
        raise UsageError(f"storage {url!r}: cannot be opened ({type(e).__name__}: {e})") \
            from None


def _load(study_name: str, storage: str) -> Any:
    from caviar.study import load_study

    return load_study(study_name, storage=open_existing(storage))


def _need(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UsageError(f"{module} is not installed; pip install 'caviar[{extra}]'")


@click.command()
@click.argument("study_name", metavar="STUDY")
@storage_option
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write (self-contained: works offline).")
@click.option("--max-curves", type=int, default=200, show_default=True,
              help="Learning curves drawn at most (the best, the running, a sample).")
def report(study_name: str, storage: str, output: str, max_curves: int) -> None:
    """Write a self-contained HTML report of a study: summary, figures, importance beside the
    lecture's priorities, and the scale advisor's findings."""
    _need("plotly", "viz")
    from caviar.viz.report import write_report

    study = _load(study_name, storage)
    path = write_report(study, output, max_curves=max_curves)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, "
               f"{len(study.trials)} trials)", err=True)


@click.command()
@click.argument("study_name", metavar="STUDY")
@click.argument("kind", type=click.Choice(PLOTS))
@storage_option
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True,
              help="FILE.png or FILE.html.")
def plot(study_name: str, kind: str, storage: str, output: str) -> None:
    """Draw one figure of a study to a PNG or a self-contained HTML file."""
    if not output.lower().endswith((".png", ".html")):
        raise UsageError(f"plot: -o must end in .png or .html, got {output!r}; "
                         "e.g. -o history.png")
    _need("plotly", "viz")
    from caviar.viz import build, figures
    from caviar.viz.export import write_figure

    study = _load(study_name, storage)
    trials = list(study.trials)
    build.check_plottable(study, trials)
    spec: Any = build.specs(study, [kind], trials=trials).get(kind)
    if spec is None:  # rounds of a study that is not coarse-to-fine
        spec = figures.empty("Coarse-to-fine rounds", "no rounds recorded: the study did not "
                             "use the coarse-to-fine sampler")
    if kind == "params":
        spec = figures.combine(spec, title=f"{study.name}: each param on its own scale")
    path = write_figure(spec, output, title=f"{study.name}: {kind}")
    click.echo(f"wrote {path}", err=True)


@click.command()
@storage_option
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 exposes the dashboard to the network.")
@click.option("--allow-control", is_flag=True,
              help="Allow stop, pause, resume and nudge of running trials from the page.")
def dashboard(storage: str, port: int, host: str, allow_control: bool) -> None:
    """Serve a live web dashboard of the studies in a storage."""
    _need("starlette", "dashboard")
    _need("uvicorn", "dashboard")
    store = open_existing(storage)
    from caviar.dashboard import bind, create_app, serve
    from caviar.dashboard.serve import allowed_hosts

    sock = bind(host, port)
    actual = sock.getsockname()[1]
    app = create_app(store, allow_control=allow_control, allowed_hosts=allowed_hosts(host,
                                                                                     actual),
                     poll_interval=0.2)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"caviar dashboard on http://{shown}:{actual}/ over {store.url} "
               f"(controls {'on' if allow_control else 'off'}); Ctrl-C to stop", err=True)
    try:
        serve(app, sock)
    finally:
        sock.close()


ALL = [report, plot, dashboard]
