"""Figures to files: ``.html`` (self-contained, written directly: no plotly import, no browser),
``.png`` and ``.svg`` (plotly + kaleido, drawn by the system's Chromium; set ``BROWSER_PATH``
to use another Chrome).

Where the time of a PNG goes (docs/viz.md has the figures): almost all of it is kaleido
starting Chromium and loading plotly.js into it; building the spec takes milliseconds. So
``write_figures`` draws any number of figures with ONE browser (kaleido's sync server), and
HTML never starts one.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from caviar.errors import UsageError
from caviar.viz.report import figure_html
from caviar.viz.webgl import as_svg

CHROMIUM = "/usr/bin/chromium"
SUFFIXES = (".png", ".svg", ".html")


def check_suffix(path: str | Path, owner: str = "plot") -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"{owner}: -o must end in .png, .svg or .html, got {str(path)!r}; "
                         "e.g. -o history.png")
    return suffix


def _height(spec: Any, height: int | None) -> int:
    return height or int(spec.get("layout", {}).get("height") or 560)


def write_figure(spec: Any, path: str | Path, *, title: str = "caviar", width: int = 1000,
                 height: int | None = None) -> Path:
    """One figure to ``path`` (.html, .png or .svg)."""
    return write_figures({Path(path): (spec, title)}, width=width, height=height)[0]


def write_figures(jobs: Mapping[Path, tuple[Any, str]], *, width: int = 1000,
                  height: int | None = None) -> list[Path]:
    """Several figures (``{path: (spec, title)}``); every image is drawn by one Chromium."""
    images: list[tuple[Path, Any, str]] = []
    out: list[Path] = []
    for path, (spec, title) in jobs.items():
        suffix = check_suffix(path)
        if suffix == ".html":
            path.write_text(figure_html(spec, title=title), encoding="utf-8")
        else:
            images.append((path, spec, suffix[1:]))
        out.append(path)
    if images:
        _images(images, width, height)
    return out


def _images(images: list[tuple[Path, Any, str]], width: int, height: int | None) -> None:
    try:
        import kaleido
        import plotly.io as pio
    except ImportError:
        raise UsageError("plot: PNG and SVG need plotly and kaleido: pip install "
                         "'caviar[viz]'; or write -o FILE.html") from None
    if "BROWSER_PATH" not in os.environ and os.path.exists(CHROMIUM):
        os.environ["BROWSER_PATH"] = CHROMIUM  # kaleido's Chrome: the system's, never a download
    started = False
    try:
        if len(images) > 1:
            kaleido.start_sync_server(silence_warnings=True)
            started = True
        for path, spec, fmt in images:
            spec = as_svg(spec)  # headless: no WebGL needed
            with warnings.catch_warnings():  # "kopts ignored with a server": none are given
                warnings.simplefilter("ignore", UserWarning)
                data = pio.to_image(spec, format=fmt, width=width,
                                    height=_height(spec, height), validate=False)
            path.write_bytes(data)
    except OSError:
        raise
    except Exception as e:  # kaleido missing or no Chrome to drive
        raise UsageError(f"plot: could not render {images[0][2].upper()} ({type(e).__name__}: "
                         f"{e}); install kaleido and Chromium (apt-get install chromium), or "
                         "write -o FILE.html") from None
    finally:
        if started:
            kaleido.stop_sync_server(silence_warnings=True)
