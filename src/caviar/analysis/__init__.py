"""Diagnostics over a space or a study: the scale advisor and boundary findings."""

from caviar.analysis.advisor import (
    Finding,
    advise_study,
    boundary_findings,
    scale_findings,
    warn_boundaries,
    warn_scales,
)

__all__ = ["Finding", "advise_study", "boundary_findings", "scale_findings", "warn_boundaries",
           "warn_scales"]
