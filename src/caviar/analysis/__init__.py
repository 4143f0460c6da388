"""Diagnostics over a space or a study: the scale advisor and boundary findings."""

from caviar.analysis.advisor import (
    Finding,
    advise_study,
    boundary_findings,
    scale_findings,
    warn_boundaries,
    warn_scales,
)
from caviar.analysis.importance import Importance, lecture_tier, param_importance

__all__ = ["Finding", "Importance", "advise_study", "boundary_findings", "lecture_tier",
           "param_importance", "scale_findings", "warn_boundaries", "warn_scales"]
