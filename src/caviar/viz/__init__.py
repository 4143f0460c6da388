"""Seeing a study: figure data (pure functions, ``caviar.viz.data``), plotly figure specs
(``caviar.viz.figures``), the self-contained HTML report (``caviar.viz.report``) and PNG/HTML
export of one figure (``caviar.viz.export``). Importing this package imports no plotly."""

from caviar.viz.build import KINDS, specs
from caviar.viz.report import render, write_report

__all__ = ["KINDS", "render", "specs", "write_report"]
