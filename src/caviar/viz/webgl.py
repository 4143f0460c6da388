"""The WebGL budget of one page: how many WebGL contexts its figures create, and which figures
may draw their markers with WebGL (``scattergl``) at all.

A browser keeps only so many live WebGL contexts (Chromium: 16; the oldest is lost beyond, and
its figure goes blank). plotly.js creates one context per figure that holds a ``scattergl``
trace, one per 3-D scene, and three per parallel-coordinates figure (its context, focus and
picking layers). Every spec is built with SVG ``scatter``; ``apply_budget`` then turns the big
traces of the biggest figures (more than ``GL_POINTS`` points in one figure) into ``scattergl``
while the page stays within ``MAX_CONTEXTS``. SVG draws a few thousand points fine; WebGL only
pays for itself beyond that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

MAX_CONTEXTS = 8  # per page: half of what Chromium keeps, room for a second tab of the page
GL_POINTS = 2000  # a figure with more points than this may use WebGL
GL_TYPES = frozenset({"scattergl", "scatterpolargl", "splom", "heatmapgl", "pointcloud"})
SCENE_TYPES = frozenset({"scatter3d", "surface", "mesh3d", "cone", "streamtube", "volume",
                         "isosurface"})
PARCOORDS_CONTEXTS = 3


def contexts(spec: Any) -> int:
    """WebGL contexts plotly.js creates for one figure spec."""
    data = spec.get("data", []) if isinstance(spec, dict) else []
    n = PARCOORDS_CONTEXTS * sum(1 for t in data if t.get("type") == "parcoords")
    if any(t.get("type") in GL_TYPES for t in data):
        n += 1
    scenes = {t.get("scene", "scene") for t in data if t.get("type") in SCENE_TYPES}
    return n + len(scenes)


def page_contexts(specs: Iterable[Any]) -> int:
    return sum(contexts(s) for s in specs)


def _cost(t: Any) -> int:
    """SVG cost of one scatter trace: each marker is an element; a line is one path, so its
    vertices count a tenth."""
    n = len(t.get("x") or ())
    return n if "markers" in str(t.get("mode", "markers")) else n // 10


def points(spec: Any) -> int:
    """The SVG cost of one figure's scatter traces (markers, plus a tenth of line vertices)."""
    return sum(_cost(t) for t in spec.get("data", []) if t.get("type") == "scatter")


def apply_budget(specs: Sequence[Any], *, max_contexts: int = MAX_CONTEXTS,
                 gl_points: int = GL_POINTS) -> list[Any]:
    """The page's figures (in page order) with the biggest ones on WebGL where the budget
    allows; the rest stay SVG. The specs given are not changed (new dicts are returned)."""
    used = page_contexts(specs)
    out = list(specs)
    big = sorted((i for i, s in enumerate(specs) if contexts(s) == 0 and
                  points(s) > gl_points), key=lambda i: -points(specs[i]))
    for i in big:
        if used + 1 > max_contexts:
            break
        s = specs[i]
        data = [dict(t, type="scattergl") if t.get("type") == "scatter" and
                _cost(t) > gl_points // 4 else t for t in s["data"]]
        out[i] = {**s, "data": data}
        used += 1
    return out


def as_svg(spec: Any) -> Any:
    """One figure with every ``scattergl`` trace drawn as SVG (PNG export, tiny pages)."""
    return {**spec, "data": [dict(t, type="scatter") if t.get("type") == "scattergl" else t
                             for t in spec.get("data", [])]}
