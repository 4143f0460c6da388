"""HOW to propose: random (default), grid, sobol, coarse-to-fine, tpe, nsga2; more plug in through
``SAMPLERS``."""

from __future__ import annotations

from typing import Any

from caviar.errors import UsageError
from caviar.samplers.base import Claim, History, Proposal, Sampler
from caviar.samplers.coarse_to_fine import CoarseToFineSampler
from caviar.samplers.grid import GridSampler
from caviar.samplers.motpe import MultiObjectiveTPE
from caviar.samplers.nsga2 import NSGA2Sampler
from caviar.samplers.random import RandomSampler
from caviar.samplers.sobol import SobolSampler
from caviar.samplers.tpe import TPESampler

SAMPLERS: dict[str, type[Sampler]] = {
    "random": RandomSampler, "grid": GridSampler, "sobol": SobolSampler,
    "quasirandom": SobolSampler, "tpe": MultiObjectiveTPE, "coarse-to-fine": CoarseToFineSampler,
    "coarse_to_fine": CoarseToFineSampler, "nsga2": NSGA2Sampler,
}


def make_sampler(spec: str | Sampler | dict[str, Any] | None, *, seed: int | None = None
                 ) -> Sampler:
    """A sampler from a name (``'random'``), its stored JSON form, or an instance."""
    if isinstance(spec, Sampler):
        return spec
    if spec is None:
        return RandomSampler(seed=seed)
    if isinstance(spec, dict):
        d = dict(spec)
        name = d.pop("name", None)
        cls = SAMPLERS.get(str(name))
        if cls is None:
            raise UsageError(f"stored sampler {spec!r}: unknown name {name!r}; this caviar knows "
                             f"{sorted(SAMPLERS)}")
        return cls(**d)
    cls = SAMPLERS.get(spec) if isinstance(spec, str) else None
    if cls is None:
        raise UsageError(f"sampler: must be one of {sorted(SAMPLERS)}, got {spec!r}; "
                         "use sampler='random' (the default) or a Sampler instance")
    return cls(seed=seed)


__all__ = [
    "SAMPLERS", "Claim", "CoarseToFineSampler", "GridSampler", "History", "MultiObjectiveTPE",
    "NSGA2Sampler",
    "Proposal", "RandomSampler", "Sampler", "SobolSampler", "TPESampler", "make_sampler",
]
