"""``caviar report``, ``caviar plot`` and ``caviar dashboard``: thin; plotly, starlette and
uvicorn are imported only when one of these runs (importing the CLI stays light)."""

from __future__ import annotations

import sys
from typing import Any

import click

from caviar.cli.options import storage_option
from caviar.cli.stores import check_output, open_existing, write_failed
from caviar.errors import UsageError

PLOTS = ("history", "params", "parallel", "curves", "importance", "rounds", "lineage",
         "contour", "rank", "edf", "timeline", "pareto", "hypervolume")  # = viz.build.KINDS


ABSENT = {"rounds": ("Coarse-to-fine rounds", "no rounds recorded: the study did not use the "
                      "coarse-to-fine sampler"),
          "lineage": ("Lineage: exploits and schedules", "no trial ran under a population "
                      "scheduler: use `caviar tune-mlp --scheduler pbt`")}


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
    check_output(output)
    from caviar.viz.report import write_report

    study = _load(study_name, storage)
    try:
        path = write_report(study, output, max_curves=max_curves)
    except OSError as e:
        raise write_failed(output, "--output", e) from None
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, "
               f"{len(study.trials)} trials)", err=True)


@click.command()
@click.argument("study_name", metavar="STUDY")
@click.argument("kind", type=click.Choice([*PLOTS, "all"]))
@storage_option
@click.option("--output", "-o", required=True, metavar="FILE",
              help="FILE.png, FILE.svg or FILE.html; with KIND all, a name holding {kind}, "
              "e.g. -o figs/{kind}.png (one browser draws every PNG).")
@click.option("--params", "params_text", default=None, metavar="NAME,NAME[,...]",
              help="The params of the contour (the first two) and rank plots [default: the "
              "most important].")
def plot(study_name: str, kind: str, storage: str, output: str,
         params_text: str | None) -> None:
    """Draw one figure of a study (or all of them) to PNG, SVG or self-contained HTML."""
    from pathlib import Path

    from caviar.viz.export import check_suffix

    check_suffix(output)
    if kind == "all" and "{kind}" not in output:
        raise UsageError(f"plot all: -o must hold {{kind}} (one file per figure), got "
                         f"{output!r}; e.g. -o figs/{{kind}}.png")
    if kind != "all" and "{kind}" in output:
        output = output.replace("{kind}", kind)
    _need("plotly", "viz")
    from caviar.viz import build, figures
    from caviar.viz.export import write_figures

    study = _load(study_name, storage)
    directions = build.directions_of(study)
    kinds = list(build.kinds_for(directions)) if kind == "all" else [kind]
    for k in kinds:
        build.check_kind(study.name, k, directions)
    paths = {k: output.replace("{kind}", k) for k in kinds}
    for p in paths.values():
        check_output(p)
    params = [p.strip() for p in params_text.split(",")] if params_text else None
    if params is not None:
        build.check_params(study.name, params, study.space)
    trials = list(study.trials)
    build.check_plottable(study, trials)
    specs = build.specs(study, kinds, trials=trials, params=params)
    if kind == "all":  # only the figures this study has
        kinds = [k for k in kinds if k in specs]
    jobs: dict[Path, tuple[Any, str]] = {}
    for k in kinds:
        spec: Any = specs.get(k)
        if spec is None:  # a kind the study's trials do not carry
            spec = figures.empty(*ABSENT[k])
        if k == "params":
            spec = figures.combine(spec, title=f"{study.name}: each param on its own scale")
        jobs[Path(paths[k])] = (spec, f"{study.name}: {k}")
    try:
        written = write_figures(jobs)
    except OSError as e:
        raise write_failed(output, "--output", e) from None
    for path in written:
        click.echo(f"wrote {path}", err=True)


@click.command()
@storage_option
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 exposes the dashboard to the network.")
@click.option("--allow-control", is_flag=True,
              help="Allow stop, pause, resume and nudge of running trials from the page. "
              "Beyond loopback this needs a token (one is generated and printed).")
@click.option("--token", default=None, metavar="TOKEN",
              help="The token every control request must carry (>= 16 characters) "
              "[default: a random one when --host is not loopback]; needs --allow-control.")
def dashboard(storage: str, port: int, host: str, allow_control: bool,
              token: str | None) -> None:
    """Serve a live web dashboard of the studies in a storage."""
    _need("starlette", "dashboard")
    _need("uvicorn", "dashboard")
    if token is not None and not allow_control:
        raise UsageError("--token: guards the controls; give it with --allow-control (without "
                         "controls the dashboard is read-only and needs no token)")
    store = open_existing(storage)
    from caviar.dashboard import bind, create_app, serve
    from caviar.dashboard.serve import allowed_hosts, is_loopback

    exposed = allow_control and not is_loopback(host)
    if exposed and token is None:
        import secrets

        token = secrets.token_urlsafe(32)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    app = create_app(store, allow_control=allow_control, token=token,
                     allowed_hosts=allowed_hosts(host, actual), poll_interval=0.2)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"caviar dashboard on http://{shown}:{actual}/ over {store.url} "
               f"(controls {'on' if allow_control else 'off'}); Ctrl-C to stop", err=True)
    if token is not None:
        if exposed:
            click.echo(f"warning: controls are reachable from the network on {host}:{actual}; "
                       "every stop, pause, resume and nudge needs the token below. Keep it "
                       "secret (anyone who has it can control running trials); the page is "
                       "plain HTTP, so use it on a trusted network or behind TLS.", err=True)
        page = socket_name(host)
        click.echo(f"token: {token}\nopen: http://{page}:{actual}/#token={token}", err=True)
    sys.stderr.flush()
    try:
        serve(app, sock)
    finally:
        sock.close()


def socket_name(host: str) -> str:
    """A name a browser can open for the interface ``host`` (0.0.0.0 is not one)."""
    if host in ("0.0.0.0", "::", ""):
        import socket

        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


ALL = [report, plot, dashboard]
