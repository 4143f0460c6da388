"""examples/plots.py writes every figure kind of a one- and a two-objective study."""

from __future__ import annotations

from pathlib import Path

from examplesupport import load_example


def test_the_plots_example_writes_every_kind(tmp_path: Path) -> None:
    module = load_example("plots")
    written = module.main(str(tmp_path), "html")
    names = {p.name for p in written}
    for kind in ("history", "params", "parallel", "curves", "importance", "contour", "rank",
                 "edf", "timeline"):
        assert f"plots-one-{kind}.html" in names
    assert {"plots-two-pareto.html", "plots-two-hypervolume.html"} <= names
    assert "plots-two-history.html" not in names  # one value per trial: not for two objectives
    text = (tmp_path / "plots-two-pareto.html").read_text()
    assert "on the front" in text and "dominated" in text
