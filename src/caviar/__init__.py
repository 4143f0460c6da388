"""caviar: hyperparameter tuning for deep networks.

Random search on the right scales, coarse to fine, babysitting one model or training a whole
population at once. The public API is re-exported here; ``caviar.nn`` (PyTorch) is imported
only on demand.
"""

from typing import TYPE_CHECKING

from caviar.errors import (
    CaviarError,
    ObjectiveLoadError,
    ParamConflictError,
    SchemaVersionError,
    SpaceError,
    StorageError,
    StudyConflictError,
    StudyNotFoundError,
    TrialPruned,
    TrialStateError,
    UsageError,
)
from caviar.trial_record import COMPLETE, FAIL, PRUNED, RUNNING, FrozenTrial

if TYPE_CHECKING:  # what type checkers see; at run time each is imported on first use
    from caviar.samplers import GridSampler, RandomSampler, Sampler, SobolSampler
    from caviar.space import Choice, Float, Int, Space
    from caviar.storage import MemoryStorage, Storage, get_storage
    from caviar.study import Study, create_study, load_study
    from caviar.trial import Trial

#: the rest of the public API, imported on first use: `caviar --help` stays light (no numpy)
_LAZY = {
    "GridSampler": "caviar.samplers", "RandomSampler": "caviar.samplers",
    "Sampler": "caviar.samplers", "SobolSampler": "caviar.samplers",
    "Choice": "caviar.space", "Float": "caviar.space", "Int": "caviar.space",
    "Space": "caviar.space",
    "MemoryStorage": "caviar.storage", "Storage": "caviar.storage",
    "get_storage": "caviar.storage",
    "Study": "caviar.study", "create_study": "caviar.study", "load_study": "caviar.study",
    "Trial": "caviar.trial",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'caviar' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "COMPLETE", "FAIL", "PRUNED", "RUNNING", "CaviarError", "Choice", "Float", "FrozenTrial",
    "GridSampler", "Int", "MemoryStorage", "ObjectiveLoadError", "ParamConflictError",
    "RandomSampler", "Sampler", "SchemaVersionError", "SobolSampler", "Space", "SpaceError",
    "Storage", "StorageError", "Study", "StudyConflictError", "StudyNotFoundError", "Trial",
    "TrialPruned", "TrialStateError", "UsageError", "__version__", "create_study",
    "get_storage", "load_study",
]
