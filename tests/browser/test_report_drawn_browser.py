"""The HTML report in real Chromium, judged by what is DRAWN: for a 7-param study, a 10,000-trial
study and a two-objective study, no WebGL context is lost, every figure shows coloured marks
(read from a screenshot of the figure, which covers SVG and WebGL alike, and from its SVG
paths), and ticks read as real values. Screenshots of each page and figure go to
$CAVIAR_SCREENSHOTS (default tests/browser/screenshots/, ignored by git)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.viz.studies import make_study7, make_study_mo

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CAVIAR_SCREENSHOTS") or Path(__file__).parent / "screenshots")

# marks plotly draws in SVG: scatter points and lines, bars, contour fills, parcoords lines
SVG_MARKS = ("g.scatterlayer path.point, g.scatterlayer path.js-line, g.barlayer path, "
             "g.contourlayer path, g.contourlayer image, g.heatmaplayer image")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    from caviar.study import load_study
    from caviar.viz.report import write_report

    d = tmp_path_factory.mktemp("reports")
    url = "sqlite:///" + str(d / "s.db")
    make_study7(url, 150, name="mlp7", rounds=3)
    make_study7(url, 10_000, name="big", steps=8)
    make_study_mo(url, 300, name="mo2")
    out = {}
    for name in ("mlp7", "big", "mo2"):
        out[name] = write_report(load_study(name, storage=url), d / f"{name}.html")
    yield out


def _load(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(path.as_uri(), timeout=90_000)
    n = page.locator("div.fig").count()
    page.wait_for_function(f"document.querySelectorAll('div.fig .main-svg').length >= {n}",
                           timeout=60_000)
    page.wait_for_timeout(500)  # WebGL traces draw on the next animation frames
    return page, console


def _coloured_pixels(png: bytes) -> int:
    """Pixels with a clear hue (marks are coloured; axes, grid and text are grey)."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB").resize((320, 200)), dtype=int)
    return int(((img.max(axis=2) - img.min(axis=2)) > 60).sum())


def _judge(page: Any, name: str) -> dict[str, dict[str, Any]]:
    """Per figure: SVG marks, canvases, coloured pixels; a screenshot of each."""
    out: dict[str, dict[str, Any]] = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"report-{name}.png"), full_page=True)
    for i in range(page.locator("div.fig").count()):
        fig = page.locator("div.fig").nth(i)
        fid = fig.get_attribute("id") or str(i)
        fig.scroll_into_view_if_needed()
        png = fig.screenshot()
        (SHOTS / f"report-{name}-{fid}.png").write_bytes(png)
        out[fid] = {"svg": fig.locator(SVG_MARKS).count(),
                    "canvas": fig.locator("canvas").count(),
                    "parcoords": fig.locator("g.parcoords-lines").count(),
                    "pixels": _coloured_pixels(png)}
    return out


def _ticks(page: Any, fid: str, which: str = "g.xtick text") -> list[str]:
    return [t.strip() for t in page.locator(f"#{fid} {which}").all_text_contents()]


TROUBLE = ("too many active webgl contexts", "context lost", "context_lost",
           "webgl: invalid", "error creating webgl context", "webgl is not supported")


def _no_webgl_trouble(console: list[str]) -> None:
    """No context lost or refused (driver performance notes such as 'GPU stall due to
    ReadPixels' are not trouble) and no script error."""
    bad = [m for m in console if any(k in m.lower() for k in TROUBLE)
           or m.startswith("pageerror")]
    assert not bad, bad


def test_seven_param_report_draws_every_figure(browser: Any, reports: dict[str, Path]) -> None:
    page, console = _load(browser, reports["mlp7"])
    figs = _judge(page, "mlp7")
    _no_webgl_trouble(console)
    expected = {"fig-history", "fig-curves", "fig-importance", "fig-parallel", "fig-contour",
                "fig-rounds",
                "fig-rank", "fig-edf", "fig-timeline", *(f"fig-param-{i}" for i in range(7))}
    assert expected <= set(figs), sorted(figs)
    for fid, f in figs.items():
        assert f["pixels"] > 150, (fid, f)  # coloured marks are drawn
        if fid != "fig-parallel":
            assert f["svg"] > 0, (fid, f)  # small figures are SVG, not WebGL
            assert f["canvas"] == 0, (fid, f)
    # ticks at real values, on each param's scale
    beta1 = _ticks(page, "fig-param-1")
    assert {"0.9", "0.99", "0.999"} <= set(beta1), beta1
    width = _ticks(page, "fig-param-3")
    assert {"32", "64", "128", "256"} <= set(width) and "31" not in width, width
    depth = _ticks(page, "fig-param-4")
    assert {"1", "2", "3"} <= set(depth) and "1.5" not in depth and "2.5" not in depth, depth
    batch = _ticks(page, "fig-param-5")
    assert {"32", "64", "128", "256"} <= set(batch), batch
    lr = _ticks(page, "fig-param-0")
    assert {"0.001", "0.01", "0.1"} <= set(lr) and not any("0000" in t for t in lr), lr
    par = _ticks(page, "fig-parallel", "g.tick text")
    for want in ("0.99", "32", "64", "128", "1", "2", "3"):
        assert want in par, (want, par)
    assert not any(len(t) > 8 for t in par if t.replace(".", "").isdigit()), par
    page.close()


def test_ten_thousand_trials_stay_within_the_webgl_budget(browser: Any,
                                                         reports: dict[str, Path]) -> None:
    page, console = _load(browser, reports["big"])
    figs = _judge(page, "big")
    _no_webgl_trouble(console)
    canvases = sum(f["canvas"] for f in figs.values())
    assert 0 < canvases <= 3 * 8, figs  # WebGL where thousands of points need it, bounded
    for fid, f in figs.items():
        assert f["pixels"] > 150, (fid, f)
    title = page.locator("#fig-parallel .gtitle").text_content() or ""
    assert "of 8,000 shown" in title, title  # says only the best lines are drawn
    page.close()


def test_two_objective_report_draws_the_front(browser: Any, reports: dict[str, Path]) -> None:
    page, console = _load(browser, reports["mo2"])
    figs = _judge(page, "mo2")
    _no_webgl_trouble(console)
    assert {"fig-pareto", "fig-hypervolume"} <= set(figs), sorted(figs)
    for fid in ("fig-pareto", "fig-hypervolume"):
        assert figs[fid]["svg"] > 0 and figs[fid]["pixels"] > 100, (fid, figs[fid])
    page.close()
