"""Random search, the default: every param drawn uniformly on its own scale."""

from __future__ import annotations

from caviar.samplers.base import Sampler


class RandomSampler(Sampler):
    """Draws each param independently, uniform in the unit cube, mapped through its scale.

    Draws happen when the objective asks for a param (define-by-run), in the order asked, from
    the trial's own generator; a declared space is asked in its declared order.
    """

    name = "random"
    uses_history = False
