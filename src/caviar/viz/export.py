"""One figure to a file: ``.html`` (self-contained) or ``.png`` (plotly + kaleido, drawn by
the system's Chromium; set ``BROWSER_PATH`` to use another Chrome)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from caviar.errors import UsageError
from caviar.viz.report import figure_html

CHROMIUM = "/usr/bin/chromium"


def write_figure(spec: Any, path: str | Path, *, title: str = "caviar", width: int = 1000,
                 height: int | None = None) -> Path:
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".html":
        out.write_text(figure_html(spec, title=title), encoding="utf-8")
        return out
    if suffix != ".png":
        raise UsageError(f"plot: -o must end in .png or .html, got {str(path)!r}; "
                         "e.g. -o history.png")
    try:
        import plotly.io as pio
    except ImportError:
        raise UsageError("plot: PNG needs plotly and kaleido: pip install 'caviar[viz]'; "
                         "or write -o FILE.html") from None
    if "BROWSER_PATH" not in os.environ and os.path.exists(CHROMIUM):
        os.environ["BROWSER_PATH"] = CHROMIUM  # kaleido's Chrome: the system's, never a download
    spec = {**spec, "data": [dict(t, type="scatter") if t.get("type") == "scattergl" else t
                             for t in spec.get("data", [])]}  # no WebGL needed headless
    h = height or int(spec.get("layout", {}).get("height") or 560)
    try:
        png = pio.to_image(spec, format="png", width=width, height=h)
    except Exception as e:  # kaleido missing or no Chrome to drive
        raise UsageError(f"plot: could not render PNG ({type(e).__name__}: {e}); install "
                         "kaleido and Chromium (apt-get install chromium), or write -o "
                         "FILE.html") from None
    out.write_bytes(png)
    return out
