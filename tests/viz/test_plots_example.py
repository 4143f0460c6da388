"""examples/plots.py writes every figure kind of a one- and a two-objective study."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plots.py"


def test_the_plots_example_writes_every_kind(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("example_plots", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    written = module.main(str(tmp_path), "html")
    names = {p.name for p in written}
    for kind in ("history", "params", "parallel", "curves", "importance", "contour", "rank",
                 "edf", "timeline"):
        assert f"plots-one-{kind}.html" in names
    assert {"plots-two-pareto.html", "plots-two-hypervolume.html"} <= names
    assert "plots-two-history.html" not in names  # one value per trial: not for two objectives
    text = (tmp_path / "plots-two-pareto.html").read_text()
    assert "on the front" in text and "dominated" in text
